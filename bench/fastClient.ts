/**
 * A bare JSON-RPC client of the gateway over stdio for the scale benchmark: Content-Length
 * framing and JSON.parse, nothing else. At 10,000 devices the gateway sends 10,000 notifications
 * a second; a general-purpose client library spends more per message than the gateway does, and
 * the benchmark would measure the client. This one keeps up, so the figures are the gateway's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { GATEWAY_NODE_OPTIONS } from '../gateway/protocol';

export interface FastGateway {
  child: ChildProcess;
  request<R>(method: string, params?: unknown): Promise<R>;
  onNotification(method: string, handler: (params: unknown) => void): void;
  close(): Promise<void>;
}

export async function spawnFastGateway(nodeArgs: string[] = [], gatewayArgs: string[] = []): Promise<FastGateway> {
  const gateway = path.resolve(__dirname, '..', 'dist', 'gateway.js');
  const child = spawn(process.execPath, [...GATEWAY_NODE_OPTIONS, ...nodeArgs, gateway, '--stdio', ...gatewayArgs], { stdio: ['pipe', 'pipe', 'pipe'] });
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  const handlers = new Map<string, (params: unknown) => void>();
  let nextId = 1;
  let buffer: Buffer = Buffer.alloc(0);
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    let at = 0;
    for (;;) {
      const headerEnd = buffer.indexOf('\r\n\r\n', at, 'latin1');
      if (headerEnd < 0) break;
      const m = /Content-Length: (\d+)/.exec(buffer.toString('latin1', at, headerEnd));
      if (!m) throw new Error('bad frame from the gateway');
      const start = headerEnd + 4;
      const end = start + Number(m[1]);
      if (buffer.length < end) break;
      const msg = JSON.parse(buffer.toString('utf8', start, end)) as { id?: number; method?: string; params?: unknown; result?: unknown; error?: { message: string } };
      at = end;
      if (msg.method !== undefined) handlers.get(msg.method)?.(msg.params);
      else if (msg.id !== undefined) {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(msg.error.message));
        else p?.resolve(msg.result);
      }
    }
    buffer = at === buffer.length ? Buffer.alloc(0) : buffer.subarray(at);
  });
  // The end of the gateway's log, to say why it went away.
  let logTail = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (logTail = (logTail + c).slice(-2000)));
  let gone: Error | undefined;
  const exited = new Promise<void>((r) =>
    child.once('exit', (code, signal) => {
      // A request to a gateway that has gone away would wait forever.
      const last = logTail.trim().split('\n').slice(-2).join(' / ');
      gone = new Error(`the gateway exited (${signal ?? `code ${code}`})${last ? `: ${last}` : ''}`);
      for (const p of pending.values()) p.reject(gone);
      pending.clear();
      r();
    }),
  );
  // Writing to a gateway that has just died fails with EPIPE; its exit above says why.
  child.stdin!.on('error', () => undefined);
  const send = (msg: object) => {
    if (gone) return;
    const body = JSON.stringify({ jsonrpc: '2.0', ...msg });
    child.stdin!.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  };
  const request = <R>(method: string, params?: unknown): Promise<R> =>
    new Promise<R>((resolve, reject) => {
      if (gone) return reject(gone);
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      send({ id, method, params });
    });
  await request('initialize', { processId: process.pid, capabilities: {} });
  send({ method: 'initialized', params: {} });
  return {
    child,
    request,
    onNotification: (method, handler) => void handlers.set(method, handler),
    async close() {
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await Promise.race([request('shutdown'), exited]).catch(() => undefined);
      send({ method: 'exit' });
      await exited;
      clearTimeout(timer);
    },
  };
}
