import { AbstractMessageWriter, type Message, type MessageWriter } from 'vscode-jsonrpc/node';
import { Values, type ValuesNotification } from './protocol';
import { valuesNotificationJson } from './valuesJson';

/** Frames waiting beyond this many bytes are written at once rather than at the end of the turn. */
const FLUSH_BYTES = 1 << 20;

/**
 * Writes JSON-RPC messages to stdout, header and body together, and every message of one turn of
 * the event loop in one write: a pipe write is synchronous in Node on Linux, and with thousands
 * of devices each scan's notification would otherwise be a system call of its own (and block
 * whenever the reader lags). Encoding is synchronous, so messages leave in the order sent; the
 * wait is at most one turn of the loop.
 */
export class StdioMessageWriter extends AbstractMessageWriter implements MessageWriter {
  private errorCount = 0;
  private pending: string[] = [];
  private pendingBytes = 0;
  private flushScheduled = false;

  constructor(private readonly out: NodeJS.WriteStream) {
    super();
    out.on('error', (err: Error) => this.fireError(err));
    out.on('close', () => this.fireClose());
  }

  write(msg: Message): Promise<void> {
    try {
      const text = encode(msg);
      const length = Buffer.byteLength(text, 'utf8');
      this.pending.push(`Content-Length: ${length}\r\n\r\n`, text);
      this.pendingBytes += length + 32;
      if (this.pendingBytes >= FLUSH_BYTES) this.flush();
      else if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
      this.errorCount = 0;
      return Promise.resolve();
    } catch (err) {
      this.errorCount++;
      this.fireError(err, msg, this.errorCount);
      return Promise.reject(err);
    }
  }

  /** Writes what waits, as one buffer. */
  flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    const chunk = this.pending.length === 2 ? this.pending[0]! + this.pending[1]! : this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    this.out.write(chunk, 'utf8');
  }

  end(): void {
    this.flush();
  }
}

/** `bifrost/values` is written by hand (the hot path); everything else by JSON.stringify. */
function encode(msg: Message): string {
  const m = msg as { method?: string; params?: ValuesNotification };
  if (m.method === Values.method && m.params) return valuesNotificationJson(m.params.subscriptionId, m.params.items);
  return JSON.stringify(msg);
}
