/**
 * WebSocket clients whose link fails: each fault (a proxy between one client and the gateway's
 * listener) against a client subscribed to a device, all side by side in one gateway, beside a
 * client on a direct link. What is checked: the gateway ends the session of a client it can no
 * longer reach (its connection and subscriptions gone, counted in /metrics), whether the client
 * said goodbye or vanished without a word (heartbeat: every client is pinged, one that missed a
 * ping is dropped); a client that is only slow keeps its session; the client on the direct link
 * keeps its values throughout; the gateway lives on. Observed rows are compared with the table
 * in docs/reliability.md (BIFROST_UPDATE_DOCS=1 writes it).
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import WebSocket from 'ws';
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';
import type { GatewayProcess } from '../../tools/gatewayClient';
import { addToken, delay, metricSample, startGateway, tcpDevice, waitFor } from '../integration/harness';
import { checkOrUpdateSection, markdownTable } from './docTable';
import { FaultProxy, type Fault } from './faultProxy';

/** The gateway's heartbeat in this test (30 s by default). */
const HEARTBEAT_MS = 1000;
const FAULT_MS = 5000;

interface Row {
  name: string;
  means: string;
  fault: Fault;
  expect: { session: string; client: string };
}

const MATRIX: Row[] = [
  { name: 'latency', means: 'every frame to the client held back 300-500 ms', fault: { kind: 'latency', ms: 300, jitterMs: 200 }, expect: { session: 'kept', client: 'values flow' } },
  {
    name: 'slow drip',
    means: "frames to the client one byte every 2 ms (500 bytes/s, less than its values need): the gateway's pings reach it behind the values, too late",
    fault: { kind: 'drip', intervalMs: 2 },
    expect: { session: 'ended by the heartbeat', client: 'closed (1006)' },
  },
  { name: 'drop connections', means: 'the connection destroyed', fault: { kind: 'drop' }, expect: { session: 'ended ≤ 1 s', client: 'closed (1006)' } },
  { name: 'reset mid-frame', means: 'part of a frame to the client, then a TCP reset', fault: { kind: 'reset-mid-frame', bytes: 3 }, expect: { session: 'ended ≤ 1 s', client: 'closed (1006)' } },
  {
    name: 'vanished client',
    means: 'the connection stays open and nothing goes through either way (a laptop put to sleep, a cut cable)',
    fault: { kind: 'stall' },
    expect: { session: 'ended by the heartbeat', client: 'closed (1006)' },
  },
  {
    name: 'half-open',
    means: "the gateway's side of the connection closed, the client's kept and never answered (a NAT or proxy that forgot the connection): the client hears nothing",
    fault: { kind: 'half-open' },
    expect: { session: 'ended ≤ 1 s', client: 'values held' },
  },
  { name: 'garbage', means: 'each frame to the client replaced by as many pseudo-random bytes', fault: { kind: 'garbage' }, expect: { session: 'ended ≤ 1 s', client: 'closed (1006)' } },
];

const slug = (name: string) => name.replace(/[^a-z]+/g, '-');

interface Client {
  ws: WebSocket;
  values: number[];
  /** When each bifrost/values arrived. */
  arrivals: number[];
  closed?: { code: number; at: number };
}

function connect(url: string, token: string): Promise<Client> {
  const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` } });
  const client: Client = { ws, values: [], arrivals: [] };
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString()) as { method?: string; params?: { items: { value: unknown }[] } };
    if (msg.method !== 'bifrost/values') return;
    client.arrivals.push(Date.now());
    for (const item of msg.params!.items) if (typeof item.value === 'number') client.values.push(item.value);
  });
  ws.on('error', () => undefined);
  ws.on('close', (code) => (client.closed = { code, at: Date.now() }));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('error', reject);
  });
}

function subscribe(c: Client): void {
  c.ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'bifrost/subscribe', params: { deviceId: 'plc', tags: ['holding:0'], intervalMs: 100, onChangeOnly: false } }));
}

describe('WebSocket clients whose link fails', function () {
  this.timeout(90_000);
  let dir: string;
  let gw: GatewayProcess;
  let sim: ModbusTcpSimulator;
  let metricsUrl: string;
  let metricsToken: string;
  const proxies = new Map<string, FaultProxy>();
  const clients = new Map<string, Client>();
  const observed = new Map<string, { session: string; client: string; violations: string[] }>();
  let direct: Client;
  let directGapMs = 0;
  let pid: number | undefined;

  const connections = async (name: string) => {
    const text = await (await fetch(metricsUrl, { headers: { Authorization: `Bearer ${metricsToken}` } })).text();
    return metricSample(text, `bifrost_client_connections{client="${name}"}`) ?? 0;
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-wsfaults-'));
    const tokens = path.join(dir, 'tokens.json');
    metricsToken = addToken(tokens, 'prometheus', 'metrics');
    const tokenOf = new Map<string, string>();
    for (const name of ['direct', ...MATRIX.map((r) => slug(r.name))]) tokenOf.set(name, addToken(tokens, name, 'read-only'));
    sim = new ModbusTcpSimulator();
    await sim.start();
    gw = await startGateway(['--listen', '127.0.0.1:0', '--tokens', tokens, '--data-dir', path.join(dir, 'data')], { ...process.env, BIFROST_WS_HEARTBEAT_MS: String(HEARTBEAT_MS) });
    pid = gw.child.pid;
    const url = await waitFor('the listener', () => /listening on (ws:\/\/\S+)/.exec(gw.stderr())?.[1]);
    const port = Number(new URL(url).port);
    metricsUrl = url.replace(/^ws:/, 'http:').replace(/\/rpc$/, '/metrics');
    await gw.connection.sendRequest('bifrost/config/load', { devices: [tcpDevice('plc', sim.port)] });
    direct = await connect(url, tokenOf.get('direct')!);
    subscribe(direct);
    for (const row of MATRIX) {
      const proxy = new FaultProxy({ targetPort: port });
      await proxy.start();
      proxies.set(row.name, proxy);
      const c = await connect(`ws://127.0.0.1:${proxy.port}/rpc`, tokenOf.get(slug(row.name))!);
      subscribe(c);
      clients.set(row.name, c);
    }
  });

  after(async () => {
    direct?.ws.terminate();
    for (const c of clients.values()) c.ws.terminate();
    for (const p of proxies.values()) await p.close();
    await gw?.close();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs every fault side by side while a device changes', async () => {
    let n = 1;
    sim.holdings[0] = n;
    const ticker = setInterval(() => (sim.holdings[0] = ++n), 200);
    try {
      await waitFor('values at every client', () => [direct, ...clients.values()].every((c) => c.values.length > 3) || undefined, 15_000);
      for (const row of MATRIX) assert.equal(await connections(slug(row.name)), 1, `${row.name}: connected before the fault`);
      const t0 = Date.now();
      for (const row of MATRIX) proxies.get(row.name)!.set(row.fault);
      // Each session's end, as the gateway counts it.
      const endedAt = new Map<string, number>();
      while (Date.now() - t0 < FAULT_MS) {
        for (const row of MATRIX) if (!endedAt.has(row.name) && (await connections(slug(row.name))) === 0) endedAt.set(row.name, Date.now() - t0);
        await delay(100);
      }
      const t1 = Date.now();
      for (const row of MATRIX) {
        const c = clients.get(row.name)!;
        const ended = endedAt.get(row.name);
        const session = ended === undefined ? 'kept' : ended <= 1000 ? 'ended ≤ 1 s' : ended <= 3 * HEARTBEAT_MS + 1000 ? 'ended by the heartbeat' : `ended after ${ended} ms`;
        const late = c.arrivals.filter((a) => a > t0 + 1500 && a < t1).length;
        const client = c.closed && c.closed.at < t1 ? `closed (${c.closed.code})` : late >= ((FAULT_MS - 1500) / 100) * 0.5 ? 'values flow' : late === 0 ? 'values held' : 'values slowed';
        const violations: string[] = [];
        // A value the client got is one the device held (never another client's or a made-up one).
        if (c.values.some((v) => v < 1 || v > n)) violations.push(`values out of the device's range: ${c.values.filter((v) => v < 1 || v > n).slice(0, 5).join(', ')}`);
        observed.set(row.name, { session, client, violations });
      }
      for (let i = 1; i < direct.arrivals.length; i++) if (direct.arrivals[i]! > t0) directGapMs = Math.max(directGapMs, direct.arrivals[i]! - direct.arrivals[i - 1]!);
      console.log(`      sessions ended after: ${MATRIX.map((r) => `${r.name} ${endedAt.get(r.name) ?? '-'} ms`).join(', ')}; the direct client's longest gap ${directGapMs} ms`);
    } finally {
      clearInterval(ticker);
      for (const p of proxies.values()) p.clear();
    }
  });

  for (const row of MATRIX) {
    it(`${row.name}: ${row.means}`, () => {
      const o = observed.get(row.name);
      assert.ok(o, 'the row ran');
      assert.deepEqual(o.violations, []);
      assert.deepEqual({ session: o.session, client: o.client }, row.expect);
    });
  }

  it('the client on a direct link kept its values throughout', () => {
    assert.ok(directGapMs < 1500, `a gap of ${directGapMs} ms between its values`);
    assert.equal(direct.closed, undefined);
  });

  it('is still the same gateway process, with no session left of the clients it dropped', async () => {
    assert.equal(gw.child.exitCode, null);
    assert.equal(gw.child.pid, pid);
    for (const row of MATRIX) {
      if (row.expect.session === 'kept') continue;
      assert.equal(await connections(slug(row.name)), 0, `${row.name}: a connection left`);
    }
  });

  it('matches the table in docs/reliability.md', () => {
    const rows = MATRIX.map((row) => {
      const o = observed.get(row.name);
      return [row.name, o?.session ?? '?', o?.client ?? '?'];
    });
    const doc = [markdownTable(['fault', 'its session on the gateway', 'what the client saw'], rows), '', ...MATRIX.map((row) => `- **${row.name}**: ${row.means}.`)].join('\n');
    checkOrUpdateSection('websocket', doc);
  });
});
