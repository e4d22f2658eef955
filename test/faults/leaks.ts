/**
 * What a gateway process holds, counted from outside: its open file descriptors (/proc) and the
 * resources keeping its event loop alive (sockets, servers, timers), by type, as its own
 * /metrics reports them. Counted before and after many cycles, a leak shows as growth.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { GatewayProcess } from '../../tools/gatewayClient';
import { addToken, startGateway, waitFor } from '../integration/harness';

export interface Held {
  fds: number;
  /** Active resources by type (Timeout, TCPSocketWrap, …), from bifrost_nodejs_active_resources. */
  resources: Record<string, number>;
}

/** One GET without keep-alive, so that the count does not include the socket asking. */
function get(url: string, token: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers: { Authorization: `Bearer ${token}`, Connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`GET ${url}: ${res.statusCode} ${body}`))));
    });
    req.on('error', reject);
  });
}

export async function heldBy(pid: number, metricsUrl: string, token: string): Promise<Held> {
  const text = await get(metricsUrl, token);
  const resources: Record<string, number> = {};
  for (const m of text.matchAll(/^bifrost_nodejs_active_resources\{type="([^"]+)"\} (\d+)$/gm)) resources[m[1]!] = Number(m[2]);
  return { fds: readdirSync(`/proc/${pid}/fd`).length, resources };
}

/** What grew from `before` to `after` by more than `slack` (each count), e.g. ["fds 22 → 140"]. */
export function grown(before: Held, after: Held, slack: number): string[] {
  const out: string[] = [];
  if (after.fds > before.fds + slack) out.push(`fds ${before.fds} → ${after.fds}`);
  for (const [type, n] of Object.entries(after.resources)) {
    const was = before.resources[type] ?? 0;
    if (n > was + slack) out.push(`${type} ${was} → ${n}`);
  }
  return out;
}

/** "fds 22, Timeout 3, TCPSocketWrap 2" */
export function describeHeld(h: Held): string {
  return [`fds ${h.fds}`, ...Object.entries(h.resources).map(([t, n]) => `${t} ${n}`)].join(', ');
}

/** A gateway with a metrics token on a loopback listener, so that what it holds can be counted. */
export async function watchedGateway(): Promise<{ gw: GatewayProcess; held(): Promise<Held>; close(): Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-leaks-'));
  const tokens = path.join(dir, 'tokens.json');
  const token = addToken(tokens, 'leaks', 'metrics');
  const gw = await startGateway(['--listen', '127.0.0.1:0', '--tokens', tokens, '--data-dir', path.join(dir, 'data')]);
  const ws = await waitFor('the listener', () => /listening on (ws:\/\/\S+)\/rpc/.exec(gw.stderr())?.[1]);
  const metrics = `${ws.replace(/^ws:/, 'http:')}/metrics`;
  return {
    gw,
    held: () => heldBy(gw.child.pid!, metrics, token),
    close: async () => {
      await gw.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
