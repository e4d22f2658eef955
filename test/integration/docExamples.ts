/**
 * Reads docs/protocol.md for its examples (code blocks, tables), and talks to the built gateway
 * in raw frames, so that a test can send what the document shows and compare what comes back
 * with what the document says comes back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { GATEWAY_NODE_OPTIONS } from '../../gateway/protocol';
import { defaultGatewayPath } from '../../tools/gatewayClient';
import { waitFor } from './harness';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const PROTOCOL_DOC = readFileSync(path.join(REPO_ROOT, 'docs', 'protocol.md'), 'utf8');

/** The body of the first fenced code block after the first occurrence of `marker`. */
export function codeBlockAfter(marker: string, doc = PROTOCOL_DOC): string {
  const at = doc.indexOf(marker);
  if (at < 0) throw new Error(`the document no longer says ${JSON.stringify(marker)}`);
  const m = /^```[^\n]*\n([\s\S]*?)^```$/m.exec(doc.slice(at));
  if (!m) throw new Error(`no code block follows ${JSON.stringify(marker)}`);
  return m[1]!;
}

/** The JSON values of a code block, in order; one may span several lines. */
export function jsonMessages(block: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let pending = '';
  for (const line of block.split('\n')) {
    if (pending === '' && line.trim() === '') continue;
    pending += line + '\n';
    try {
      out.push(JSON.parse(pending) as Record<string, unknown>);
      pending = '';
    } catch {
      // Not complete yet: the next line continues it.
    }
  }
  if (pending.trim() !== '') throw new Error(`the code block ends inside a JSON value: ${pending.slice(0, 200)}`);
  return out;
}

/** The rows (cells, trimmed) of the first table after `marker`, header and separator left out. */
export function tableAfter(marker: string, doc = PROTOCOL_DOC): string[][] {
  const at = doc.indexOf(marker);
  if (at < 0) throw new Error(`the document no longer says ${JSON.stringify(marker)}`);
  const lines = doc.slice(at).split('\n');
  const start = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (let i = start + 2; i < lines.length && lines[i]!.startsWith('|'); i++) {
    rows.push(lines[i]!.slice(1, -1).split(' | ').map((c) => c.trim()));
  }
  return rows;
}

export type Message = Record<string, unknown> & { id?: number | string | null; method?: string };

/** The built gateway over stdio, spoken to frame by frame. */
export class RawGateway {
  readonly child: ChildProcess;
  /** Every message the gateway sent, in the order it sent them. */
  readonly messages: Message[] = [];
  /** Everything the gateway wrote to stdout, byte for byte. */
  stdout = Buffer.alloc(0);
  stderr = '';
  readonly exited: Promise<number | null>;
  private pending = Buffer.alloc(0);

  constructor(args: string[] = [], opts: { cwd?: string } = {}) {
    this.child = spawn(process.execPath, [...GATEWAY_NODE_OPTIONS, defaultGatewayPath(), '--stdio', ...args], { stdio: ['pipe', 'pipe', 'pipe'], cwd: opts.cwd });
    this.child.stdout!.on('data', (d: Buffer) => this.onData(d));
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((r) => this.child.once('exit', (code) => r(code)));
  }

  sendBytes(bytes: Buffer | string): void {
    this.child.stdin!.write(bytes);
  }

  sendBody(body: string): void {
    this.sendBytes(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }

  send(msg: object): void {
    this.sendBody(JSON.stringify(msg));
  }

  /** Sends a request and resolves its answer (the first message with its id and no method). */
  async request(msg: Message, timeoutMs = 10_000): Promise<Message> {
    const from = this.messages.length;
    this.send(msg);
    return this.answer(msg.id!, from, timeoutMs);
  }

  /** The answer to `id` that arrived at or after message number `from`. */
  answer(id: number | string | null, from = 0, timeoutMs = 10_000): Promise<Message> {
    return waitFor(`the answer to request ${JSON.stringify(id)}`, () => this.messages.slice(from).find((m) => m.id === id && m.method === undefined), timeoutMs);
  }

  /** Ends the process: shutdown and exit when it still runs, a kill if it will not go. */
  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.send({ jsonrpc: '2.0', id: 'close', method: 'shutdown' });
      this.send({ jsonrpc: '2.0', method: 'exit' });
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
      await this.exited;
      clearTimeout(timer);
    }
  }

  private onData(d: Buffer): void {
    this.stdout = Buffer.concat([this.stdout, d]);
    this.pending = Buffer.concat([this.pending, d]);
    for (;;) {
      const sep = this.pending.indexOf('\r\n\r\n');
      if (sep < 0) return;
      const header = this.pending.subarray(0, sep).toString('ascii');
      const m = /^Content-Length: (\d+)$/.exec(header);
      if (!m) throw new Error(`the gateway wrote a header other than Content-Length: ${JSON.stringify(header)}`);
      const length = Number(m[1]);
      if (this.pending.length < sep + 4 + length) return;
      this.messages.push(JSON.parse(this.pending.subarray(sep + 4, sep + 4 + length).toString('utf8')) as Message);
      this.pending = this.pending.subarray(sep + 4 + length);
    }
  }
}
