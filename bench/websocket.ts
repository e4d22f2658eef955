/**
 * The `ws` section: the gateway's WebSocket listener (`--listen`) against its stdio connection,
 * through the built gateway. Round trips of `bifrost/ping` one after another on each; then
 * values fanned out to many WebSocket clients, each with subscriptions of its own, counted where
 * they arrive, with the gateway's CPU and resident size over the window.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import WebSocket from 'ws';
import { ModbusTcpSimulator } from '../gateway/sim/modbusServer';
import { spawnGateway, type GatewayProcess } from '../tools/gatewayClient';
import { median, pct, watchProcess } from './stats';

interface WsClient {
  request(method: string, params?: unknown): Promise<unknown>;
  onValues(fn: (items: number) => void): void;
  close(): void;
}

async function wsClient(url: string, token: string): Promise<WsClient> {
  const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` } });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let nextId = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let onValues: (items: number) => void = () => undefined;
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString()) as { id?: number; method?: string; params?: { items: unknown[] }; result?: unknown; error?: { message: string } };
    if (msg.method === 'bifrost/values') onValues(msg.params!.items.length);
    else if (msg.id !== undefined) {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(msg.error.message));
      else p?.resolve(msg.result);
    }
  });
  return {
    request: (method, params) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) }));
      }),
    onValues: (fn) => (onValues = fn),
    close: () => ws.close(),
  };
}

/** A WebSocket client may send 200 requests a second: both connections are paced below that, alike. */
const PACE_PER_SECOND = 150;

async function roundTrips(n: number, once: () => Promise<unknown>): Promise<number[]> {
  const t: number[] = [];
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const due = start + (i * 1000) / PACE_PER_SECOND;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const t0 = performance.now();
    await once();
    t.push(performance.now() - t0);
  }
  return t;
}

export async function websocketSection(quick: boolean): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-bench-ws-'));
  const tokens = path.join(dir, 'tokens.json');
  const made = spawnSync(process.execPath, [path.join(__dirname, 'gateway.js'), 'token', 'add', 'bench', '--read-only', '--tokens', tokens], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`token add failed: ${made.stderr}`);
  const token = made.stdout.trim();
  const sim = new ModbusTcpSimulator({ holdings: 1000 });
  await sim.start();
  let gw: GatewayProcess | null = null;
  const clients: WsClient[] = [];
  try {
    gw = await spawnGateway({ args: ['--listen', '127.0.0.1:0', '--tokens', tokens] });
    const g = gw;
    let url: string | undefined;
    for (let i = 0; i < 200 && !url; i++) {
      url = /listening on (ws:\/\/\S+)/.exec(g.stderr())?.[1];
      if (!url) await new Promise((r) => setTimeout(r, 25));
    }
    if (!url) throw new Error('the gateway did not say where it listens');

    const n = quick ? 300 : 1500;
    const one = await wsClient(url, token);
    clients.push(one);
    await one.request('initialize', { processId: null, capabilities: {} });
    await roundTrips(100, () => g.connection.sendRequest('bifrost/ping'));
    await roundTrips(100, () => one.request('bifrost/ping'));
    const stdio = await roundTrips(n, () => g.connection.sendRequest('bifrost/ping'));
    const ws = await roundTrips(n, () => one.request('bifrost/ping'));
    console.log(`\n## WebSocket listener: bifrost/ping round trips, ${n} one after another at ${PACE_PER_SECOND}/s on each connection of one gateway (after 100 of warm-up)`);
    const ms = (x: number) => `${x.toFixed(3)} ms`;
    console.log(`  stdio (Content-Length)   p50 ${ms(median(stdio))}  p99 ${ms(pct(stdio, 99))}`);
    console.log(`  WebSocket (text frames)  p50 ${ms(median(ws))}  p99 ${ms(pct(ws, 99))}`);

    const clientCount = 10;
    const tagsEach = 100;
    const intervalMs = 100;
    const seconds = quick ? 3 : 10;
    await g.connection.sendRequest('bifrost/config/load', { devices: [{ id: 'plc', protocol: 'modbus-tcp', host: '127.0.0.1', port: sim.port, pollIntervalMs: intervalMs, timeoutMs: 1000 }] });
    let values = 0;
    for (let c = 0; c < clientCount; c++) {
      const client = c === 0 ? one : await wsClient(url, token);
      if (c > 0) {
        clients.push(client);
        await client.request('initialize', { processId: null, capabilities: {} });
      }
      client.onValues((k) => (values += k));
      // Each client its own block of registers, every reading delivered (not only changes).
      const tags = Array.from({ length: tagsEach }, (_, i) => `holding:${c * tagsEach + i}`);
      await client.request('bifrost/subscribe', { deviceId: 'plc', tags, intervalMs, onChangeOnly: false });
    }
    await new Promise((r) => setTimeout(r, 1000));
    values = 0;
    const watched = await watchProcess(g.child.pid!, seconds);
    const rate = values / watched.elapsed;
    const expected = (clientCount * tagsEach * 1000) / intervalMs;
    console.log(`\n## WebSocket fan-out: ${clientCount} clients × ${tagsEach} tags each every ${intervalMs} ms (${seconds} s window, one device on the simulator in this process)`);
    console.log(`  values delivered   ${Math.round(rate)}/s of ${expected}/s subscribed`);
    console.log(`  gateway            ${watched.cpuPct.toFixed(1)} % of a core, RSS peak ${watched.rssPeak.toFixed(0)} MB`);
  } finally {
    for (const c of clients) c.close();
    await gw?.close();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
