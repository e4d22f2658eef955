import { AbstractMessageWriter, type Message, type MessageWriter } from 'vscode-jsonrpc/node';
import { Values, type ValuesNotification } from './protocol';
import { valuesNotificationJson } from './valuesJson';

/**
 * Writes each JSON-RPC message to stdout as one buffer, header and body together: one system call
 * per message instead of two (a pipe write is synchronous in Node on Linux, and at 100,000
 * values/s the calls add up). Encoding is synchronous, so messages leave in the order sent.
 */
export class StdioMessageWriter extends AbstractMessageWriter implements MessageWriter {
  private errorCount = 0;

  constructor(private readonly out: NodeJS.WriteStream) {
    super();
    out.on('error', (err: Error) => this.fireError(err));
    out.on('close', () => this.fireClose());
  }

  write(msg: Message): Promise<void> {
    try {
      // One buffer per message, header and body encoded straight into it.
      const text = encode(msg);
      const length = Buffer.byteLength(text, 'utf8');
      const header = `Content-Length: ${length}\r\n\r\n`;
      const frame = Buffer.allocUnsafe(header.length + length);
      frame.write(header, 0, 'latin1');
      frame.write(text, header.length, 'utf8');
      this.out.write(frame);
      this.errorCount = 0;
      return Promise.resolve();
    } catch (err) {
      this.errorCount++;
      this.fireError(err, msg, this.errorCount);
      return Promise.reject(err);
    }
  }

  end(): void {}
}

/** `bifrost/values` is written by hand (the hot path); everything else by JSON.stringify. */
function encode(msg: Message): string {
  const m = msg as { method?: string; params?: ValuesNotification };
  if (m.method === Values.method && m.params) return valuesNotificationJson(m.params.subscriptionId, m.params.items);
  return JSON.stringify(msg);
}
