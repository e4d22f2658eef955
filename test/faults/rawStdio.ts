/**
 * The built gateway over stdio, byte for byte: frames are written raw (so that any header can be
 * sent) and every byte of stdout is parsed as a frame, strictly as the gateway writes them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { GATEWAY_NODE_OPTIONS } from '../../gateway/protocol';
import { defaultGatewayPath } from '../../tools/gatewayClient';

export function frame(body: Buffer | string): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return Buffer.concat([Buffer.from(`Content-Length: ${b.length}\r\n\r\n`, 'latin1'), b]);
}

export class RawGateway {
  readonly child: ChildProcess;
  /** Whatever on stdout was not a frame of JSON. */
  readonly strays: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private out: Buffer[] = [];
  private outLength = 0;
  private log = '';
  private readonly listeners = new Set<(m: unknown) => void>();
  /** Ids of the requests made with request(), which the tests' own oracles leave aside. */
  private readonly own = new Set<unknown>();

  constructor(args: string[], nodeArgs: string[] = []) {
    this.child = spawn(process.execPath, [...GATEWAY_NODE_OPTIONS, ...nodeArgs, defaultGatewayPath(), '--stdio', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    this.child.stdout!.on('data', (d: Buffer) => this.onStdout(d));
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (d: string) => {
      this.log += d;
      if (process.env['BIFROST_TEST_LOG'] === '1') process.stderr.write(d);
    });
    // A gateway that exited takes writes no more: that is checked by the tests, not thrown here.
    this.child.stdin!.on('error', () => undefined);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  stderr(): string {
    return this.log;
  }

  /** Bytes after the last whole frame. */
  trailing(): number {
    return this.outLength;
  }

  /** Calls `listener` with every message from now on; returns what stops it. */
  onMessage(listener: (m: unknown) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Whether a message answers a request made with request(). */
  isOwn(m: unknown): boolean {
    return this.own.has((m as { id?: unknown } | null)?.id);
  }

  /** Writes bytes as they are; resolves once the pipe takes more. */
  write(bytes: Buffer | string): Promise<void> {
    if (this.child.stdin!.write(bytes)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.child.stdin!.off('drain', done);
        this.child.stdin!.off('close', done);
        resolve();
      };
      this.child.stdin!.once('drain', done);
      this.child.stdin!.once('close', done);
    });
  }

  send(body: Buffer | string): Promise<void> {
    return this.write(frame(body));
  }

  /** Sends a request and waits for its answer. */
  async request(id: number | string, method: string, params?: unknown, timeoutMs = 10_000): Promise<{ result?: unknown; error?: { code: number; message: string } }> {
    this.own.add(id);
    return new Promise((resolve, reject) => {
      const listener = (m: unknown) => {
        const msg = m as { id?: unknown; result?: unknown; error?: { code: number; message: string } };
        if (msg.id === id && ('result' in msg || 'error' in msg)) {
          clearTimeout(timer);
          this.listeners.delete(listener);
          resolve(msg);
        }
      };
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`no answer to ${method} (id ${id}) within ${timeoutMs} ms`));
      }, timeoutMs);
      this.listeners.add(listener);
      void this.send(JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) }));
    });
  }

  /** Closes stdin and waits for the exit (killed after `graceMs`). */
  async stop(graceMs = 5000): Promise<void> {
    if (this.running) {
      this.child.stdin!.end();
      const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(t);
    }
  }

  private onStdout(d: Buffer): void {
    this.out.push(d);
    this.outLength += d.length;
    for (;;) {
      const buf = this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out, this.outLength);
      this.out = [buf];
      const sep = buf.indexOf('\r\n\r\n');
      if (sep < 0) {
        // The gateway's header is some 20 bytes: this much without its end is not a frame.
        if (buf.length > 1024) {
          this.strays.push(buf.toString('utf8').slice(0, 200));
          this.out = [];
          this.outLength = 0;
        }
        return;
      }
      const header = buf.subarray(0, sep).toString('latin1');
      const m = /^Content-Length: (\d+)$/.exec(header);
      if (!m) {
        this.strays.push(header.slice(0, 200));
        this.consume(buf, sep + 4);
        continue;
      }
      const len = Number(m[1]);
      if (buf.length < sep + 4 + len) return;
      const body = buf.subarray(sep + 4, sep + 4 + len).toString('utf8');
      this.consume(buf, sep + 4 + len);
      let msg: unknown;
      try {
        msg = JSON.parse(body);
      } catch {
        this.strays.push(body.slice(0, 200));
        continue;
      }
      for (const l of [...this.listeners]) l(msg);
      if (this.outLength === 0) return;
    }
  }

  private consume(buf: Buffer, n: number): void {
    const rest = buf.subarray(n);
    this.out = rest.length > 0 ? [rest] : [];
    this.outLength = rest.length;
  }
}
