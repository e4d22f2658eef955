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
import { spawnGateway, type GatewayProcess } from '../tools/gatewayClient';
import { startSimulators } from './simulators';
import { median, pct, watchProcess } from './stats';

export interface WsClient {
  request(method: string, params?: unknown): Promise<unknown>;
  /** Hears each `bifrost/values`: how many readings, and the first one's timestamp. */
  onValues(fn: (items: number, firstTimestamp: number | undefined) => void): void;
  close(): void;
}

export async function wsClient(url: string, token: string): Promise<WsClient> {
  const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` } });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let nextId = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let onValues: (items: number, firstTimestamp: number | undefined) => void = () => undefined;
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString()) as { id?: number; method?: string; params?: { items: { timestamp?: number }[] }; result?: unknown; error?: { message: string } };
    if (msg.method === 'bifrost/values') onValues(msg.params!.items.length, msg.params!.items[0]?.timestamp);
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
  const listening = await listeningGateway([]);
  const { gw: g, url, token } = listening;
  const clients: WsClient[] = [];
  try {
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
    console.log(`  stdio (Content-Length)   p50 ${ms(median(stdio))}  p99 ${ms(pct(stdio, 0.99))}`);
    console.log(`  WebSocket (text frames)  p50 ${ms(median(ws))}  p99 ${ms(pct(ws, 0.99))}`);

    console.log(await fanOut(g, url, token, clients, quick ? 5 : 15));
  } finally {
    for (const c of clients) c.close();
    await listening.dispose();
  }
}

/** A gateway serving the WebSocket API on a free loopback port, with a read-only token made for it. */
export async function listeningGateway(args: string[], nodeArgs: string[] = []): Promise<{ gw: GatewayProcess; url: string; token: string; tokens: string; dispose(): Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-bench-ws-'));
  const tokens = path.join(dir, 'tokens.json');
  const made = spawnSync(process.execPath, [path.join(__dirname, 'gateway.js'), 'token', 'add', 'bench', '--read-only', '--tokens', tokens], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`token add failed: ${made.stderr}`);
  const gw = await spawnGateway({ args: ['--listen', '127.0.0.1:0', '--tokens', tokens, ...args], nodeArgs });
  const dispose = async () => {
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  };
  let url: string | undefined;
  for (let i = 0; i < 200 && !url; i++) {
    url = /listening on (ws:\/\/\S+)/.exec(gw.stderr())?.[1];
    if (!url) await new Promise((r) => setTimeout(r, 25));
  }
  if (!url) {
    await dispose();
    throw new Error('the gateway did not say where it listens');
  }
  return { gw, url, token: made.stdout.trim(), tokens, dispose };
}

const FAN_OUT_CLIENTS = 10;
const FAN_OUT_TAGS = 1000;
const FAN_OUT_INTERVAL_MS = 100;

/**
 * 100,000 values/s to 10 WebSocket clients: each client subscribes to the 1000 changing registers
 * of a device of its own (simulators in a process of their own), every reading delivered. Value
 * age is from the reading's timestamp to the client having parsed its message.
 */
export async function fanOut(g: GatewayProcess, url: string, token: string, clients: WsClient[], seconds: number): Promise<string> {
  const sims = await startSimulators(['--bench-devices', String(FAN_OUT_CLIENTS)]);
  try {
    const tags = Array.from({ length: FAN_OUT_TAGS }, (_, i) => ({ name: `r${i}`, area: 'holding', address: i, type: 'uint16' }));
    const devices = sims.ports.map((port, i) => ({ id: `fan${i}`, protocol: 'modbus-tcp', host: '127.0.0.1', port, pollIntervalMs: FAN_OUT_INTERVAL_MS, timeoutMs: 1000, tags }));
    await g.connection.sendRequest('bifrost/config/load', { devices });
    let values = 0;
    let ages: number[] = [];
    await subscribedClients(url, token, devices.map((d) => d.id), FAN_OUT_INTERVAL_MS, clients, (k, t) => {
      values += k;
      if (t !== undefined) ages.push(Date.now() - t);
    });
    await new Promise((r) => setTimeout(r, 2000)); // warm up
    values = 0;
    ages = [];
    const [watched, bench] = await Promise.all([watchProcess(g.child.pid!, seconds), watchProcess(process.pid, seconds)]);
    const rate = values / watched.elapsed;
    const expected = (FAN_OUT_CLIENTS * FAN_OUT_TAGS * 1000) / FAN_OUT_INTERVAL_MS;
    return [
      `\n## WebSocket fan-out: ${FAN_OUT_CLIENTS} clients, each ${FAN_OUT_TAGS} tags of a device of its own every ${FAN_OUT_INTERVAL_MS} ms, every reading (${seconds} s window)`,
      `  values delivered   ${Math.round(rate)}/s of ${expected}/s subscribed, counted by the clients`,
      `  gateway            ${watched.cpuPct.toFixed(1)} % of one core (polling 10 devices included), RSS peak ${watched.rssPeak.toFixed(0)} MB`,
      `  value age          p50 ${median(ages)} ms, p99 ${pct(ages, 0.99)} ms (reading taken → client has parsed it; the 10 clients share one process at ${bench.cpuPct.toFixed(0)} %)`,
    ].join('\n');
  } finally {
    await g.connection.sendRequest('bifrost/config/load', { devices: [] }).catch(() => undefined);
    await sims.stop();
  }
}

/** One WebSocket client per device, each subscribed to every tag of its device, every reading delivered. */
export async function subscribedClients(url: string, token: string, deviceIds: readonly string[], intervalMs: number, clients: WsClient[], onValues: (items: number, firstTimestamp: number | undefined) => void): Promise<void> {
  for (const deviceId of deviceIds) {
    const client = await wsClient(url, token);
    clients.push(client);
    await client.request('initialize', { processId: null, capabilities: {} });
    client.onValues(onValues);
    const { devices } = (await client.request('bifrost/devices/list')) as { devices: { id: string; tags: { name: string }[] }[] };
    const tags = devices.find((d) => d.id === deviceId)?.tags.map((t) => t.name) ?? [];
    await client.request('bifrost/subscribe', { deviceId, tags, intervalMs, onChangeOnly: false });
  }
}
