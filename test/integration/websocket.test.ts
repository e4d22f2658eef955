/**
 * The gateway's WebSocket listener (`--listen`), with a real `ws` client against the built
 * gateway and the Modbus simulator: sessions of their own per client, tokens, read-only access,
 * the Origin check, and the limits a client cannot pass (message size, request rate, a socket
 * that is not read).
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import WebSocket from 'ws';
import { defaultGatewayPath, type GatewayProcess } from '../../tools/gatewayClient';
import { ErrorCodes, GATEWAY_NODE_OPTIONS } from '../../gateway/protocol';
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';
import { addToken, delay, metricSample, selfSignedCert, startGateway, tcpDevice, tokenCli, waitFor } from './harness';

interface Rpc {
  ws: WebSocket;
  request<T = unknown>(method: string, params?: unknown): Promise<T>;
  notifications: { method: string; params: unknown }[];
  closed: Promise<{ code: number; reason: string }>;
}

interface RpcError extends Error {
  code: number;
}

/** A JSON-RPC client over one WebSocket: one message per text frame, written here from the contract, not from the gateway's code. */
function rpcOver(ws: WebSocket): Rpc {
  let nextId = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  const notifications: { method: string; params: unknown }[] = [];
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString()) as { id?: number; method?: string; params?: unknown; result?: unknown; error?: { code: number; message: string } };
    if (msg.method) {
      notifications.push({ method: msg.method, params: msg.params });
      return;
    }
    const p = pending.get(msg.id!);
    if (!p) return;
    pending.delete(msg.id!);
    if (msg.error) p.reject(Object.assign(new Error(msg.error.message), { code: msg.error.code }));
    else p.resolve(msg.result);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => {
      for (const p of pending.values()) p.reject(new Error(`closed (${code})`));
      resolve({ code, reason: reason.toString() });
    }),
  );
  return {
    ws,
    notifications,
    closed,
    request<T>(method: string, params?: unknown): Promise<T> {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) }));
      });
    },
  };
}

function open(url: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
    ws.once('error', reject);
  });
}

async function client(url: string, token: string, options: WebSocket.ClientOptions = {}): Promise<Rpc> {
  const ws = await open(url, { ...options, headers: { Authorization: `Bearer ${token}`, ...options.headers } });
  const rpc = rpcOver(ws);
  await rpc.request('initialize', { processId: null, clientInfo: { name: 'ws-test' }, capabilities: {} });
  return rpc;
}

async function rpcError(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (err) {
    return err as RpcError;
  }
  assert.fail('expected a JSON-RPC error');
}

async function listening(gw: GatewayProcess): Promise<string> {
  return waitFor('the listener', () => /listening on (wss?:\/\/\S+)/.exec(gw.stderr())?.[1]);
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

/** The exit code and log of a gateway that must refuse to start. */
function refusedStart(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...GATEWAY_NODE_OPTIONS, defaultGatewayPath(), '--stdio', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('the WebSocket listener', function () {
  this.timeout(60_000);
  let dir: string;
  let tokens: string;
  let writer: string;
  let reader: string;
  let sim: ModbusTcpSimulator;
  let gw: GatewayProcess;
  let url: string;
  const clients: Rpc[] = [];
  const track = (rpc: Rpc) => (clients.push(rpc), rpc);
  const base = () => url.replace(/^ws/, 'http').replace(/\/rpc$/, '');
  const scrape = async (token = reader) => {
    const res = await fetch(`${base()}/metrics`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    return res.text();
  };
  const plcDevice = () =>
    tcpDevice('plc', sim.port, { allowWrites: true, pollIntervalMs: 20, tags: [{ name: 'a', area: 'holding', address: 0 }, { name: 'b', area: 'holding', address: 1, access: 'readwrite' }] });

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-ws-'));
    tokens = path.join(dir, 'tokens.json');
    writer = addToken(tokens, 'scada', 'read-write');
    reader = addToken(tokens, 'dashboard', 'read-only');
    sim = new ModbusTcpSimulator({ holdings: 2000 });
    await sim.start();
    gw = await startGateway(['--listen', '127.0.0.1:0', '--tokens', tokens, '--allow-origin', 'https://hmi.example.com']);
    url = await listening(gw);
    await gw.connection.sendRequest('bifrost/config/load', {
      devices: [plcDevice()],
    });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.ws.terminate();
  });
  after(async () => {
    await gw?.close();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('listens on loopback and says where', () => {
    assert.match(url, /^ws:\/\/127\.0\.0\.1:\d+\/rpc$/);
  });

  it('gives each client its own subscriptions, and every client the changes of the devices', async () => {
    const one = track(await client(url, writer));
    const two = track(await client(url, reader));
    const s1 = await one.request<{ subscriptionId: string }>('bifrost/subscribe', { deviceId: 'plc', tags: ['a'], intervalMs: 20 });
    const s2 = await two.request<{ subscriptionId: string }>('bifrost/subscribe', { deviceId: 'plc', tags: ['b'], intervalMs: 20 });
    sim.holdings[0] = 111;
    sim.holdings[1] = 222;
    const valuesOf = (rpc: Rpc) => rpc.notifications.filter((n) => n.method === 'bifrost/values').map((n) => n.params as { subscriptionId: string; items: { tag: string; value: unknown }[] });
    await waitFor('values for both clients', () => valuesOf(one).some((v) => v.items.some((i) => i.value === 111)) && valuesOf(two).some((v) => v.items.some((i) => i.value === 222)));
    assert.ok(valuesOf(one).every((v) => v.subscriptionId === s1.subscriptionId && v.items.every((i) => i.tag === 'a')), 'the first client got only its own values');
    assert.ok(valuesOf(two).every((v) => v.subscriptionId === s2.subscriptionId && v.items.every((i) => i.tag === 'b')), 'the second client got only its own values');

    // A change of the device list reaches every session: both clients and the stdio one.
    await gw.connection.sendRequest('bifrost/config/load', {
      devices: [plcDevice(), tcpDevice('plc2', sim.port)],
    });
    await waitFor('devicesChanged on both', () => [one, two].every((c) => c.notifications.some((n) => n.method === 'bifrost/devicesChanged')));

    // A client that leaves ends its own session only; the other keeps its values.
    const leaving = one.closed;
    await one.request('shutdown');
    one.ws.send(JSON.stringify({ jsonrpc: '2.0', method: 'exit' }));
    assert.equal((await leaving).code, 1000);
    const before = valuesOf(two).length;
    sim.holdings[1] = 333;
    await waitFor('values after the other left', () => valuesOf(two).slice(before).some((v) => v.items.some((i) => i.value === 333)));
    await gw.connection.sendRequest('bifrost/ping');
    await waitFor('the session end in the log', () => /closed \(1000: exit\)/.test(gw.stderr()));
  });

  it("cancels a client's discovery when it leaves", async () => {
    // A port that accepts and never answers: the probe would wait its whole timeout (60 s).
    const open = new Set<net.Socket>();
    let accepted = 0;
    const mute = net.createServer((socket) => {
      accepted++;
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.resume(); // reads (and drops) the requests, so that the end of the connection is seen
    });
    await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
    try {
      const rpc = track(await client(url, reader));
      const port = (mute.address() as net.AddressInfo).port;
      void rpc.request('bifrost/discover', { modbus: { targets: ['127.0.0.1'], ports: [port], unitIds: 'all', timeoutMs: 60_000 } }).catch(() => undefined);
      await waitFor('the probe connected', () => accepted > 0 && open.size > 0);
      rpc.ws.terminate();
      await waitFor('the probe closed its connection', () => open.size === 0, 20_000);
    } finally {
      for (const socket of open) socket.destroy();
      await new Promise((resolve) => mute.close(resolve));
    }
  });

  it('answers requests without a token with an error and closes after a few', async () => {
    const rpc = track(rpcOver(await open(url)));
    assert.equal((await rpcError(rpc.request('bifrost/ping'))).code, ErrorCodes.Unauthorized);
    assert.equal((await rpcError(rpc.request('bifrost/authenticate', { token: 'not-a-token' }))).code, ErrorCodes.Unauthorized);
    await rpcError(rpc.request('bifrost/devices/list'));
    assert.equal((await rpc.closed).code, 1008);
  });

  it('answers a binary frame, a frame that is not JSON and a batch with errors, and stays connected', async () => {
    const rpc = track(await client(url, writer));
    const next = () => new Promise<{ id: unknown; error?: { code: number; message: string } }>((resolve) => rpc.ws.once('message', (d) => resolve(JSON.parse(d.toString()))));
    let answer = next();
    rpc.ws.send(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'bifrost/ping' })), { binary: true });
    assert.equal((await answer).error?.code, ErrorCodes.InvalidRequest);
    answer = next();
    rpc.ws.send('{"jsonrpc": "2.0", "id": 6, "method": "bifrost/ping"');
    assert.deepEqual([(await answer).id, (await answer).error?.code], [null, ErrorCodes.ParseError]);
    answer = next();
    rpc.ws.send(JSON.stringify([{ jsonrpc: '2.0', id: 7, method: 'bifrost/ping' }]));
    assert.match((await answer).error!.message, /batches are not supported/);
    await rpc.request('bifrost/ping');
  });

  it('closes a connection that presents no token within 10 s with 1008', async () => {
    const rpc = track(rpcOver(await open(url)));
    const closed = await rpc.closed;
    assert.deepEqual([closed.code, closed.reason], [1008, 'not authenticated within 10 s']);
  });

  it('refuses a wrong token on the upgrade with 401, and serves a token given by bifrost/authenticate', async () => {
    const refused = await open(url, { headers: { Authorization: 'Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } }).then(
      () => assert.fail('connected'),
      (err: { status?: number }) => err.status,
    );
    assert.equal(refused, 401);
    const rpc = track(rpcOver(await open(url)));
    assert.deepEqual(await rpc.request('bifrost/authenticate', { token: reader }), { name: 'dashboard', access: 'read-only' });
    await rpc.request('initialize', { processId: null, capabilities: {} });
    const pong = await rpc.request<{ version: string }>('bifrost/ping');
    assert.equal(typeof pong.version, 'string');
  });

  it('refuses every write of a read-only token with WriteRefused, and reads', async () => {
    const rpc = track(await client(url, reader));
    sim.holdings[1] = 42;
    const read = await rpc.request<{ results: { value: unknown }[] }>('bifrost/tags/read', { deviceId: 'plc', tags: ['b'] });
    assert.equal(read.results[0]!.value, 42);
    const write = await rpcError(rpc.request('bifrost/tags/write', { deviceId: 'plc', tag: 'b', value: 7 }));
    assert.equal(write.code, ErrorCodes.WriteRefused);
    assert.match(write.message, /read-only/);
    assert.equal(sim.holdings[1], 42);
    for (const method of ['bifrost/config/load', 'bifrost/demo/start', 'bifrost/certificates/trust']) {
      assert.equal((await rpcError(rpc.request(method, {}))).code, ErrorCodes.WriteRefused, method);
    }
    // The read-write token writes.
    const rw = track(await client(url, writer));
    await rw.request('bifrost/tags/write', { deviceId: 'plc', tag: 'b', value: 7 });
    assert.equal(sim.holdings[1], 7);
  });

  it('refuses a browser page from an origin not allowed with 403', async () => {
    const status = await open(url, { headers: { Authorization: `Bearer ${writer}` }, origin: 'https://evil.example.com' }).then(
      () => assert.fail('connected'),
      (err: { status?: number }) => err.status,
    );
    assert.equal(status, 403);
    const allowed = track(await client(url, writer, { origin: 'https://hmi.example.com' }));
    await allowed.request('bifrost/ping');
  });

  it('drops a $/cancelRequest without params (the JSON-RPC library throws on it) and serves the next request', async () => {
    const rpc = track(await client(url, writer));
    for (const params of [undefined, null, {}]) rpc.ws.send(JSON.stringify({ jsonrpc: '2.0', method: '$/cancelRequest', ...(params === undefined ? {} : { params }) }));
    await rpc.request('bifrost/ping');
    assert.doesNotMatch(gw.stderr(), /uncaught/);
  });

  it('closes a client that sends a frame over 1 MiB with 1009 and stays up', async () => {
    const rpc = track(await client(url, writer));
    const drops = async () => metricSample(await scrape(), 'bifrost_client_drops_total{client="scada",reason="oversized"}');
    const before = await drops();
    rpc.ws.send(JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'bifrost/ping', params: { pad: 'x'.repeat(1024 * 1024 + 10) } }));
    assert.equal((await rpc.closed).code, 1009);
    assert.equal(await drops(), before! + 1, 'counted as a drop of its client');
    const next = track(await client(url, writer));
    await next.request('bifrost/ping');
  });

  it('answers requests over the rate limit with errors, none unanswered', async () => {
    const rpc = track(await client(url, writer));
    const drops = async () => metricSample(await scrape(), 'bifrost_client_drops_total{client="scada",reason="rate_limited"}');
    const before = await drops();
    const answers = await Promise.allSettled(Array.from({ length: 1000 }, () => rpc.request('bifrost/ping')));
    const refused = answers.filter((a) => a.status === 'rejected').map((a) => (a as PromiseRejectedResult).reason as RpcError);
    assert.equal(answers.length, 1000);
    assert.ok(refused.length >= 100, `${refused.length} of 1000 refused`);
    assert.ok(refused.every((e) => e.code === ErrorCodes.LimitExceeded), 'every refusal says why');
    assert.ok(answers.length - refused.length >= 400, 'the burst is served');
    assert.equal(await drops(), before! + refused.length, 'each refusal counted once');
  });

  it('limits the subscriptions of one client', async () => {
    const rpc = track(await client(url, writer));
    const tags = Array.from({ length: 1000 }, (_, i) => `holding:${i}`);
    for (let i = 0; i < 10; i++) await rpc.request('bifrost/subscribe', { deviceId: 'plc', tags, intervalMs: 1000 });
    const over = await rpcError(rpc.request('bifrost/subscribe', { deviceId: 'plc', tags: ['a'], intervalMs: 1000 }));
    assert.equal(over.code, ErrorCodes.LimitExceeded);
  });

  it('serves 200 clients subscribed at once, each with its own values', async function () {
    this.timeout(120_000);
    const many: Rpc[] = [];
    // Opened in groups of 20: the handshakes themselves are not what is measured here.
    for (let g = 0; g < 10; g++) many.push(...(await Promise.all(Array.from({ length: 20 }, () => client(url, reader).then(track)))));
    await Promise.all(many.map((rpc, i) => rpc.request('bifrost/subscribe', { deviceId: 'plc', tags: [`holding:${100 + i}`], intervalMs: 50 })));
    for (let i = 0; i < 200; i++) sim.holdings[100 + i] = 5000 + i;
    const latest = (rpc: Rpc) => {
      const values = rpc.notifications.filter((n) => n.method === 'bifrost/values').flatMap((n) => (n.params as { items: { tag: string; value: unknown }[] }).items);
      return values[values.length - 1];
    };
    await waitFor('every client has its value', () => many.every((rpc, i) => latest(rpc)?.value === 5000 + i), 60_000);
    assert.ok(many.every((rpc, i) => rpc.notifications.every((n) => n.method !== 'bifrost/values' || (n.params as { items: { tag: string }[] }).items.every((it) => it.tag === `holding:${100 + i}`))), 'no client got another client\'s tag');
    const open = metricSample(await scrape(writer), 'bifrost_client_connections{client="dashboard"}');
    assert.ok(open !== undefined && open >= 200, `200 connections of the read-only token open (got ${open})`);
    await gw.connection.sendRequest('bifrost/ping');
  });

  it('drops a client that stops reading fast values: its memory is not kept, its subscriptions end, and another client keeps its values', async () => {
    const healthy = track(await client(url, writer));
    await healthy.request('bifrost/subscribe', { deviceId: 'plc', tags: ['holding:3'], intervalMs: 20, onChangeOnly: false });
    const healthyBatches = () => healthy.notifications.filter((n) => n.method === 'bifrost/values').length;
    const rpc = track(await client(url, reader));
    const slowDrops = async () => metricSample(await scrape(writer), 'bifrost_client_drops_total{client="dashboard",reason="slow_reader"}');
    const dropsBefore = await slowDrops();
    // Registers 1000-1999 are this client's alone: their reads show whether its subscriptions run.
    const tags = Array.from({ length: 1000 }, (_, i) => `holding:${1000 + i}`);
    let itsReads = 0;
    sim.onRead = (area, address, count) => void (area === 'holding' && address + count > 1000 && itsReads++);
    const rssBefore = rssBytes(gw.child.pid!);
    for (let i = 0; i < 4; i++) await rpc.request('bifrost/subscribe', { deviceId: 'plc', tags, intervalMs: 10, onChangeOnly: false });
    (rpc.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const healthyAtPause = healthyBatches();
    let rssMax = 0;
    await waitFor(
      'the slow client dropped',
      () => {
        rssMax = Math.max(rssMax, rssBytes(gw.child.pid!));
        return /reads too slowly/.test(gw.stderr());
      },
      30_000,
    );
    for (let i = 0; i < 20; i++) {
      rssMax = Math.max(rssMax, rssBytes(gw.child.pid!));
      await new Promise((r) => setTimeout(r, 50));
    }
    // Every reading of its tag is delivered every 20 ms: a stalled gateway would show as no batches at all.
    assert.ok(healthyBatches() > healthyAtPause, 'the healthy client got values while the slow one was being dropped');
    (rpc.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    assert.equal((await rpc.closed).code, 1013);
    assert.equal(await slowDrops(), dropsBefore! + 1);
    // The 8 MiB the client may leave unread, with the strings and garbage around it; here about 21 MB.
    assert.ok(rssMax - rssBefore < 64 * 1024 * 1024, `the gateway grew by ${Math.round((rssMax - rssBefore) / 1048576)} MB`);
    assert.ok(itsReads > 0);
    await delay(300); // a scan under way finishes
    const readsAtEnd = itsReads;
    await delay(1000); // 100 scans' time at 10 ms
    sim.onRead = undefined;
    assert.equal(itsReads, readsAtEnd, 'no scan of its subscriptions after it was dropped');
    await gw.connection.sendRequest('bifrost/ping');
  });

  it('GET /metrics in Prometheus text and /health as JSON, with a token, from the drivers\' own counters', async () => {
    const base = url.replace(/^ws/, 'http').replace(/\/rpc$/, '');
    assert.equal((await fetch(`${base}/metrics`)).status, 401, 'no token');
    assert.equal((await fetch(`${base}/metrics`, { headers: { Authorization: 'Bearer nope' } })).status, 401, 'a wrong token');
    assert.equal((await fetch(`${base}/health`, { headers: { Authorization: `Bearer ${reader}`, Origin: 'https://evil.example' } })).status, 403, 'a browser origin');
    const res = await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${reader}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const requests = Number(/^bifrost_device_requests_total\{device="plc",protocol="modbus-tcp"\} (\d+)$/m.exec(text)?.[1] ?? NaN);
    assert.ok(requests > 0, `requests counted: ${text.slice(0, 400)}`);
    assert.match(text, /^bifrost_device_connected\{device="plc",protocol="modbus-tcp"\} 1$/m);
    assert.match(text, /^# TYPE bifrost_device_errors_total counter$/m);
    assert.match(text, /^bifrost_sessions \d+$/m);
    assert.match(text, /^bifrost_process_resident_memory_bytes \d+/m);
    const health = await fetch(`${base}/health`, { headers: { Authorization: `Bearer ${reader}` } });
    assert.equal(health.status, 200);
    const report = (await health.json()) as { status: string; devices: { enabled: number; connected: number } };
    assert.equal(report.status, 'ok');
    assert.ok(report.devices.enabled >= 1 && report.devices.connected === report.devices.enabled, JSON.stringify(report));
  });

  it('times every request in a histogram and counts the values and messages each client gets', async () => {
    const before = await scrape();
    const count = (text: string) => metricSample(text, 'bifrost_device_request_duration_seconds_count{device="plc",protocol="modbus-tcp"}') ?? 0;
    const delivered = (text: string) => metricSample(text, 'bifrost_values_delivered_total{device="plc",protocol="modbus-tcp"}') ?? 0;
    const messages = (text: string, direction: 'in' | 'out', client = 'scada') => metricSample(text, `bifrost_client_messages_total{client="${client}",direction="${direction}"}`) ?? 0;
    // A client that comes after the first scrape: all it is sent is counted between the two.
    const rpc = track(await client(url, writer));
    await rpc.request('bifrost/subscribe', { deviceId: 'plc', tags: ['a', 'b'], intervalMs: 20, onChangeOnly: false });
    const values = () => rpc.notifications.filter((n) => n.method === 'bifrost/values').map((n) => (n.params as { items: unknown[] }).items.length);
    await waitFor('a few value notifications', () => values().length >= 3);
    // The read-write token writes, and the write is a request timed like the polls.
    await rpc.request('bifrost/tags/write', { deviceId: 'plc', tag: 'b', value: 9 });
    assert.equal(sim.holdings[1], 9);
    const got = values().reduce((a, b) => a + b, 0);
    const notified = rpc.notifications.length;
    const after = await scrape();

    assert.match(after, /^# TYPE bifrost_device_request_duration_seconds histogram$/m);
    assert.ok(count(after) > count(before), `the histogram counts the polls: ${count(before)} then ${count(after)}`);
    const buckets = [...after.matchAll(/^bifrost_device_request_duration_seconds_bucket\{device="plc",protocol="modbus-tcp",le="([^"]+)"\} (\d+)$/gm)];
    assert.deepEqual(buckets.map((b) => b[1]), ['0.001', '0.0025', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf']);
    assert.ok(buckets.every((b, i) => i === 0 || Number(b[2]) >= Number(buckets[i - 1]![2])), 'cumulative');
    assert.equal(Number(buckets.at(-1)![2]), count(after), '+Inf is the count');
    const requests = metricSample(after, 'bifrost_device_requests_total{device="plc",protocol="modbus-tcp"}')!;
    const errors = metricSample(after, 'bifrost_device_errors_total{device="plc",protocol="modbus-tcp"}')!;
    assert.ok(count(after) <= requests - errors, 'only answered requests are timed');

    assert.ok(delivered(after) - delivered(before) >= got, `values delivered grew by ${delivered(after) - delivered(before)}, this client alone got ${got}`);
    assert.ok(messages(after, 'in') - messages(before, 'in') >= 3, 'initialize, subscribe and write came in');
    assert.ok(messages(after, 'out') - messages(before, 'out') >= 3 + notified, `its answers and ${notified} notifications went out`);
    assert.ok((metricSample(after, 'bifrost_client_connections{client="scada"}') ?? 0) >= 1);
    assert.ok(messages(after, 'in', '@stdio') > 0, 'the stdio client is a client too');
    assert.doesNotMatch(after, new RegExp(writer), 'no token in the metrics');
  });

  it('serves /metrics and /health to a metrics token, and refuses it /rpc with the reason', async () => {
    const scraper = addToken(tokens, 'prometheus', 'metrics');
    assert.match(await scrape(scraper), /^bifrost_device_connected\{device="plc",protocol="modbus-tcp"\} 1$/m);
    const health = await fetch(`${base()}/health`, { headers: { Authorization: `Bearer ${scraper}` } });
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
    const upgrade = await open(url, { headers: { Authorization: `Bearer ${scraper}` } }).then(
      () => assert.fail('connected'),
      (err: { status?: number }) => err.status,
    );
    assert.equal(upgrade, 403);
    await waitFor('the reason in the log', () => /upgrade refused \(403\): the token "prometheus" is a metrics token: it may GET \/metrics and \/health/.test(gw.stderr()));
    // Nor by bifrost/authenticate on a connection opened without a token.
    const rpc = track(rpcOver(await open(url)));
    const refused = await rpcError(rpc.request('bifrost/authenticate', { token: scraper }));
    assert.equal(refused.code, ErrorCodes.Unauthorized);
    assert.match(refused.message, /"prometheus" is a metrics token/);
    assert.equal((await rpcError(rpc.request('bifrost/ping'))).code, ErrorCodes.Unauthorized, 'still not authenticated');
    const list = tokenCli(['list', '--tokens', tokens]);
    assert.match(list.stdout, /^prometheus\tmetrics\t/m);
    assert.equal(tokenCli(['add', 'both', '--metrics', '--read-only', '--tokens', tokens]).status, 2, 'one access only');
  });

  it('refuses to listen beyond loopback without TLS, or without tokens (exit 2)', async () => {
    const wide = await refusedStart(['--listen', '0.0.0.0:0', '--tokens', tokens]);
    assert.equal(wide.code, 2);
    assert.match(wide.stderr, /reachable from other machines; serving it needs TLS/);
    const open = await refusedStart(['--listen', '127.0.0.1:0']);
    assert.equal(open.code, 2);
    assert.match(open.stderr, /--listen needs --tokens FILE/);
  });

  it('serves wss with a certificate made by openssl', async function () {
    if (spawnSync('openssl', ['version']).status !== 0) {
      console.warn('      openssl is not installed: the TLS test is skipped');
      this.skip();
    }
    const { cert, key } = selfSignedCert(dir);
    const tls = await startGateway(['--listen', '127.0.0.1:0', '--tokens', tokens, '--tls-cert', cert, '--tls-key', key]);
    try {
      const wss = await listening(tls);
      assert.match(wss, /^wss:\/\/127\.0\.0\.1:\d+\/rpc$/);
      const rpc = track(await client(wss, writer, { ca: readFileSync(cert) }));
      await rpc.request('bifrost/ping');
      // Without the certificate among its trusted ones, a client refuses the gateway.
      await assert.rejects(open(wss, { headers: { Authorization: `Bearer ${writer}` } }));
      // The gateway's end closes its clients with 1001.
      await tls.close();
      assert.equal((await rpc.closed).code, 1001);
    } finally {
      await tls.close();
    }
  });

  it('manages tokens from the command line: add prints one, list shows no hashes, remove ends it', async () => {
    const file = path.join(dir, 'cli-tokens.json');
    const token = addToken(file, 'panel', 'read-only');
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.ok(!readFileSync(file, 'utf8').includes(token), 'the file keeps no token');
    assert.equal(tokenCli(['add', 'panel', '--read-write', '--tokens', file]).status, 1, 'a name is used once');
    assert.equal(tokenCli(['add', 'other', '--tokens', file]).status, 2, 'the access must be given');
    const list = tokenCli(['list', '--tokens', file]);
    assert.equal(list.status, 0);
    assert.match(list.stdout, /^panel\tread-only\t\d{4}-\d\d-\d\dT/);
    assert.ok(!/[0-9a-f]{64}/.test(list.stdout), 'no hash listed');

    // The running gateway reads the file at each authentication: a removed token stops working.
    const temp = addToken(tokens, 'temporary', 'read-only');
    track(await client(url, temp));
    assert.equal(tokenCli(['remove', 'temporary', '--tokens', tokens]).status, 0);
    const status = await open(url, { headers: { Authorization: `Bearer ${temp}` } }).then(
      () => 0,
      (err: { status?: number }) => err.status,
    );
    assert.equal(status, 401);
    assert.equal(tokenCli(['remove', 'temporary', '--tokens', tokens]).status, 1);
  });
});
