import { AbstractMessageReader, type DataCallback, type Disposable, type Message, type MessageReader } from 'vscode-jsonrpc/node';

/** The largest body a frame may announce; a larger `Content-Length` is taken as broken framing. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;
/** A header (all its lines) longer than this without the empty line that ends it is broken framing. */
export const MAX_HEADER_BYTES = 8 * 1024;

/**
 * Turns one frame's body into a message: returns it, or throws when the body was not usable (it
 * has been answered already; the error is only logged).
 */
export type BodyDecoder = (body: Buffer) => Message;

/**
 * Reads `Content-Length` frames from stdin, strictly. A body that is not JSON-RPC is the
 * decoder's business and the stream goes on; a header that does not say where its body ends
 * (no `Content-Length`, a value that is not a whole number of bytes, one beyond MAX_FRAME_BYTES,
 * a line without a colon, no end within MAX_HEADER_BYTES) leaves no way to find the next frame:
 * reading stops and `onBroken` is told why, once. Guessing at a frame boundary instead would
 * read whatever follows as headers, and every later request would be lost without an answer.
 */
export class StdioMessageReader extends AbstractMessageReader implements MessageReader {
  private chunks: Buffer[] = [];
  private total = 0;
  /** Bytes of the body being read, or -1 while reading a header. */
  private bodyLength = -1;
  private broken = false;
  private callback: DataCallback | null = null;
  private readonly onData = (chunk: Buffer | string) => this.take(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
  private readonly onEnd = () => this.fireClose();
  private readonly onStreamError = (err: Error) => this.fireError(err);

  constructor(
    private readonly input: NodeJS.ReadableStream,
    private readonly decode: BodyDecoder,
    private readonly onBroken: (reason: string) => void,
  ) {
    super();
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    this.input.on('data', this.onData);
    this.input.on('error', this.onStreamError);
    this.input.on('close', this.onEnd);
    return { dispose: () => this.stop() };
  }

  override dispose(): void {
    this.stop();
    super.dispose();
  }

  private stop(): void {
    this.callback = null;
    this.input.off('data', this.onData);
    this.input.off('error', this.onStreamError);
    this.input.off('close', this.onEnd);
  }

  private take(chunk: Buffer): void {
    if (this.broken) return;
    this.chunks.push(chunk);
    this.total += chunk.length;
    for (;;) {
      if (this.bodyLength < 0) {
        const buf = this.joined();
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0 || end > MAX_HEADER_BYTES) {
          if (end >= 0 || buf.length > MAX_HEADER_BYTES) this.break(`no end of the header (an empty line) within ${MAX_HEADER_BYTES} bytes`);
          return;
        }
        const length = contentLength(buf.toString('latin1', 0, end));
        if (typeof length === 'string') {
          this.break(length);
          return;
        }
        this.rest(buf, end + 4);
        this.bodyLength = length;
      }
      if (this.total < this.bodyLength) return;
      const buf = this.joined();
      const body = buf.subarray(0, this.bodyLength);
      this.rest(buf, this.bodyLength);
      this.bodyLength = -1;
      this.deliver(body);
      if (this.broken || this.total === 0) return;
    }
  }

  private deliver(body: Buffer): void {
    // A message the connection fails on (vscode-jsonrpc throws on a `$/cancelRequest` without
    // params) is dropped like one the decoder refuses: it must not stop the reading of the next.
    try {
      this.callback?.(this.decode(body));
    } catch (err) {
      this.fireError(err);
    }
  }

  private break(reason: string): void {
    this.broken = true;
    this.chunks = [];
    this.total = 0;
    this.onBroken(reason);
  }

  /** What waits, as one buffer. */
  private joined(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks, this.total)];
    return this.chunks[0]!;
  }

  /** Keeps the bytes of `buf` from `from` on; a small rest is copied so that a big frame can be freed. */
  private rest(buf: Buffer, from: number): void {
    const rest = buf.subarray(from);
    this.chunks = rest.length === 0 ? [] : [rest.length < buf.length / 2 ? Buffer.from(rest) : rest];
    this.total = rest.length;
  }
}

/** The body length a header announces, or why the header does not say it. */
export function contentLength(header: string): number | string {
  let length: number | string = 'a header without Content-Length';
  for (const line of header.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) return `a header line that is not "Name: value": ${JSON.stringify(line.slice(0, 80))}`;
    if (line.slice(0, colon).trim().toLowerCase() !== 'content-length') continue;
    const value = line.slice(colon + 1).trim();
    if (!/^\d+$/.test(value)) return `Content-Length ${JSON.stringify(value.slice(0, 40))} is not a whole number of bytes`;
    const n = value.length > 15 ? Infinity : Number(value);
    if (n > MAX_FRAME_BYTES) return `Content-Length ${value.slice(0, 40)} is more than the ${MAX_FRAME_BYTES} bytes a frame may have`;
    length = n;
  }
  return length;
}
