import { AbstractMessageWriter, type Message, type MessageWriter } from 'vscode-jsonrpc/node';
import { HeldMessages } from './heldMessages';
import { log } from './log';
import { Values, type ValuesNotification } from './protocol';
import { ByteFrames } from './byteFrames';
import { writeValuesNotification } from './valuesJson';

/** Frames waiting beyond this many bytes are written at once rather than at the end of the turn. */
const FLUSH_BYTES = 1 << 20;
const LOG_EVERY_MS = 10_000;
/**
 * Bytes stdout may have waiting before messages are held. Below it a lagging client only delays
 * what it gets (written strings are cheap to keep); holding earlier would keep every reading
 * alive until the pipe drains, long enough to be promoted, and cost more in garbage collection
 * than the queue does (measured at 10,000 devices).
 */
const HOLD_BYTES = 32 << 20;

/**
 * Writes JSON-RPC messages to stdout, header and body together, and every message of one turn of
 * the event loop in one write: with thousands of devices each scan's notification would
 * otherwise be a system call of its own. Encoding is synchronous, so messages leave in the order
 * sent; the wait is at most one turn of the loop.
 *
 * A write to a pipe is synchronous only while the pipe has room. When the client reads slower
 * than values come, Node would queue every further write in memory without bound (measured:
 * hundreds of MB within minutes at 10,000 devices), so once HOLD_BYTES wait, messages are held
 * until stdout drains and superseded readings of a tag are replaced by the newest
 * (HeldMessages): a slow client gets current values, never a growing backlog.
 */
export class StdioMessageWriter extends AbstractMessageWriter implements MessageWriter {
  private errorCount = 0;
  /** Frames of this turn, encoded straight into bytes (ByteFrames). */
  private readonly pending = new ByteFrames();
  private flushScheduled = false;
  private held: HeldMessages | null = null;
  /** Readings replaced while held, not yet logged: logged at most every LOG_EVERY_MS. */
  private replaced = 0;
  private lastLogged = 0;

  constructor(
    private readonly out: NodeJS.WritableStream & { readonly writableLength: number },
    private readonly holdBytes = HOLD_BYTES,
  ) {
    super();
    out.on('error', (err: Error) => this.fireError(err));
    out.on('close', () => this.fireClose());
  }

  write(msg: Message): Promise<void> {
    try {
      if (this.held) this.held.add(msg);
      else {
        encode(msg, this.pending);
        this.queued();
      }
      this.errorCount = 0;
      return Promise.resolve();
    } catch (err) {
      this.errorCount++;
      this.fireError(err, msg, this.errorCount);
      return Promise.reject(err);
    }
  }

  /** Whether messages are being held because the reader lags; for tests. */
  get holding(): boolean {
    return this.held !== null;
  }

  /** Writes what waits, as one buffer; held messages too when `all` (at exit). */
  flush(all = false): void {
    this.flushScheduled = false;
    if (all && this.held) {
      const held = this.held;
      this.held = null;
      for (const text of held.texts(encodeText)) this.pending.frame(text);
    }
    if (this.pending.length === 0) return;
    // Behind earlier writes these bytes will wait in the stream: it gets a copy of their size,
    // not the buffer (which has room for a whole busy turn and would wait with them).
    const behind = this.out.writableLength > 0;
    const room = this.out.write(behind ? Buffer.from(this.pending.view()) : this.pending.view());
    // Nothing waiting means the stream wrote the bytes before returning (stdout to a pipe, file
    // or terminal copies or writes at once): the buffer is free again. Otherwise it holds a view.
    const waiting = this.out.writableLength;
    this.pending.clear(!behind && waiting > 0);
    if (!room && !all && waiting >= this.holdBytes) this.hold();
  }

  end(): void {
    this.flush(true);
  }

  /** A frame was added: written at the end of the turn, or now if much waits. */
  private queued(): void {
    if (this.pending.length >= FLUSH_BYTES) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private hold(): void {
    this.held = new HeldMessages();
    this.out.once('drain', () => this.release());
  }

  /** The reader caught up: what was held leaves in one write (or waits again, if that fills the pipe). */
  private release(): void {
    const held = this.held;
    if (!held) return;
    this.held = null;
    this.replaced += held.replaced;
    if (this.replaced > 0 && Date.now() - this.lastLogged >= LOG_EVERY_MS) {
      log.warn(`the client reads slower than values come: ${this.replaced} readings were replaced by newer ones of the same tag before they could leave`);
      this.replaced = 0;
      this.lastLogged = Date.now();
    }
    for (const text of held.texts(encodeText)) this.pending.frame(text);
    this.flush();
  }
}

/** `bifrost/values` is written by hand (the hot path); everything else by JSON.stringify. */
function encode(msg: Message, out: ByteFrames): void {
  const m = msg as { method?: string; params?: ValuesNotification };
  if (m.method === Values.method && m.params) {
    out.begin();
    try {
      writeValuesNotification(out, m.params.subscriptionId, m.params.items);
    } catch (err) {
      out.abort();
      throw err;
    }
    out.end();
  } else out.frame(JSON.stringify(msg));
}

/** Messages other than values, for what was held (values come back from it already encoded). */
function encodeText(msg: Message): string {
  return JSON.stringify(msg);
}
