/**
 * Input fuzzing of the WebSocket API (`--listen`): three clients send generated and mutated
 * JSON-RPC text frames at once, others send binary frames, a frame above the size limit and text
 * that is not UTF-8, while a well-behaved client reads a simulator device throughout. The oracle:
 * every request answered once (a refusal over the rate limit is an answer), id null for what cannot
 * be a request, a close with the right code for what breaks the WebSocket protocol or its limits;
 * the gateway and the other clients carry on. BIFROST_FUZZ_SEED=N replays a run.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import WebSocket from 'ws';
import { spawnGateway, type GatewayProcess } from '../../tools/gatewayClient';
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';
import { ErrorCodes, type DeviceListResult, type TagsReadResult } from '../../gateway/protocol';
import { addToken, delay, tcpDevice, waitFor } from '../integration/harness';
import { CLIENT_LIMITS } from '../../gateway/ws/listener';
import { heapSnapshotArgs, liveHeapBytes } from './heapSnapshot';
import { countBy, BASE_SEED, PLANT_TIMEOUT_MS, REPLAY, JsonRpcFuzz, Ledger, rssBytes, type FuzzMessage } from './jsonRpcFuzz';

const SEED = BASE_SEED + 1000;
const CLIENTS = 3;
const PER_CLIENT = 1000;
const WARM_UP = 200;
const WINDOW = 50;
/** The listener's largest message (CLIENT_LIMITS.maxMessageBytes). */
const MAX_FRAME = 1024 * 1024;
/** The listener's rate is 200 requests a second per client: a window of 50 takes at least this long. */
const WINDOW_MS = 260;
/** Growth of the gateway's live heap over the storm, after warm-up, that fails the test. */
const MAX_HEAP_GROWTH = 20 * 1024 * 1024;
/** Frames a flooding client sends at once, unpaced: five times the burst its rate allows. */
const FLOOD = 2000;
const TAGS = ['level', 'flow'];
const VALUES = [321, 654];

const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;

function open(url: string, token: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` } });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  if (ws.readyState === ws.CLOSED) return Promise.resolve({ code: -1, reason: 'closed already' });
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

/**
 * The generator's next message that a connection survives: text that is not UTF-8 breaks the
 * WebSocket protocol itself (1007), and a frame above the listener's limit ends the connection
 * (1009); both are tested on their own.
 */
function nextFrame(fuzz: JsonRpcFuzz): FuzzMessage {
  let msg = fuzz.next();
  while (msg.category === 'invalid-utf8' || msg.body.length > MAX_FRAME) msg = fuzz.next();
  return msg;
}

/** Every frame the gateway sends, parsed; what does not parse is kept as a stray. */
function frames(ws: WebSocket, onMessage: (m: unknown) => void, strays: string[]): void {
  ws.on('message', (data, isBinary) => {
    const text = data.toString();
    if (isBinary) return void strays.push(`binary: ${text.slice(0, 100)}`);
    try {
      onMessage(JSON.parse(text));
    } catch {
      strays.push(text.slice(0, 200));
    }
  });
}

/** A client that does only what the contract says, and checks each answer. */
class SteadyClient {
  requests = 0;
  readonly failures: string[] = [];
  private stopped = false;
  private readonly done: Promise<void>;
  private nextId = 1;
  private readonly pending = new Map<number, (m: { result?: unknown; error?: { message: string } }) => void>();

  constructor(private readonly ws: WebSocket) {
    const strays: string[] = [];
    frames(ws, (m) => {
      const msg = m as { id?: number; result?: unknown; error?: { message: string } };
      if (typeof msg.id === 'number') this.pending.get(msg.id)?.(msg);
    }, strays);
    ws.on('close', (code) => this.failures.push(`closed (${code})`));
    this.done = this.run(strays);
  }

  private request(method: string, params?: unknown): Promise<{ result?: unknown; error?: { message: string } }> {
    const id = this.nextId++;
    this.requests++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${method}: no answer within 10 s`)), 10_000);
      this.pending.set(id, (m) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(m);
      });
      this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) }));
    });
  }

  /**
   * Runs `fn` while this client makes no request: a heap snapshot stops the gateway for seconds,
   * which is the measurement's doing, not the gateway's.
   */
  async aside<T>(fn: () => Promise<T>): Promise<T> {
    let release = () => undefined as void;
    const reached = new Promise<void>((r) => (this.atGate = r));
    this.gate = new Promise<void>((r) => (release = r));
    await reached;
    try {
      return await fn();
    } finally {
      this.gate = null;
      release();
    }
  }

  private gate: Promise<void> | null = null;
  private atGate: (() => void) | null = null;

  private async run(strays: string[]): Promise<void> {
    try {
      await this.request('initialize', { processId: null, capabilities: {} });
      while (!this.stopped) {
        if (this.gate) {
          this.atGate?.();
          await this.gate;
        }
        const ping = await this.request('bifrost/ping');
        if (!ping.result) this.failures.push(`ping: ${JSON.stringify(ping.error)}`);
        const read = await this.request('bifrost/tags/read', { deviceId: 'plant', tags: TAGS });
        const results = (read.result as TagsReadResult | undefined)?.results;
        const got = results?.map((r) => [r.quality, r.value]);
        if (JSON.stringify(got) !== JSON.stringify(VALUES.map((v) => ['good', v]))) this.failures.push(`read: ${JSON.stringify(read).slice(0, 300)}`);
        await delay(50);
      }
    } catch (err) {
      this.failures.push((err as Error).message);
    }
    this.failures.push(...strays.map((s) => `stray: ${s}`));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
    this.ws.close();
  }
}

describe('input fuzzing: the WebSocket API', function () {
  this.timeout(120_000);
  let dir: string;
  let sim: ModbusTcpSimulator;
  let gw: GatewayProcess;
  let url: string;
  let token: string;
  let steady: SteadyClient;
  const sockets: WebSocket[] = [];

  const connect = async () => {
    const ws = await open(url, token);
    sockets.push(ws);
    return ws;
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-fuzz-ws-'));
    const tokens = path.join(dir, 'tokens.json');
    token = addToken(tokens, 'fuzz', 'read-write');
    const steadyToken = addToken(tokens, 'steady', 'read-only');
    sim = new ModbusTcpSimulator();
    await sim.start();
    VALUES.forEach((v, i) => (sim.holdings[i] = v));
    mkdirSync(path.join(dir, 'snapshots'));
    gw = await spawnGateway({
      args: ['--listen', '127.0.0.1:0', '--tokens', tokens, '--data-dir', path.join(dir, 'data'), '--pki', path.join(dir, 'pki')],
      nodeArgs: heapSnapshotArgs(path.join(dir, 'snapshots')),
      echoLog: process.env['BIFROST_TEST_LOG'] === '1',
    });
    await gw.connection.sendRequest('bifrost/config/load', {
      devices: [tcpDevice('plant', sim.port, { timeoutMs: PLANT_TIMEOUT_MS, tags: [{ name: 'level', area: 'holding', address: 0 }, { name: 'flow', area: 'holding', address: 1 }] })],
    });
    url = await waitFor('the listener', () => /listening on (ws:\/\/\S+)/.exec(gw.stderr())?.[1]);
    await waitFor('plant connected', async () => (await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list')).devices[0]?.status === 'connected');
    const ws = await open(url, steadyToken);
    sockets.push(ws);
    steady = new SteadyClient(ws);
  });

  after(async () => {
    for (const ws of sockets) ws.terminate();
    await gw?.close();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`answers every request of ${CLIENTS} clients × ${PER_CLIENT} generated frames at once (seed ${SEED})`, async () => {
    const ledgers: Ledger[] = [];
    const strays: string[] = [];
    const clients = await Promise.all(
      Array.from({ length: CLIENTS }, async (_, k) => {
        const ws = await connect();
        const ledger = new Ledger();
        ledgers.push(ledger);
        frames(ws, (m) => ledger.record(m), strays);
        return { k, ws, ledger, fuzz: new JsonRpcFuzz(SEED + k, { deviceId: 'plant', tags: TAGS }, `c${k}-`), sent: 0 };
      }),
    );
    const run = (count: number) =>
      Promise.all(
        clients.map(async (c) => {
          const { k, ws, ledger, fuzz } = c;
          for (const end = c.sent + count; c.sent < end; c.sent += WINDOW) {
            const started = Date.now();
            for (let i = 0; i < WINDOW; i++) {
              const msg = nextFrame(fuzz);
              ledger.expect(msg);
              ws.send(msg.body.toString('utf8'));
            }
            try {
              await waitFor('the answers of the window', () => ledger.settled() || ws.readyState !== ws.OPEN, 20_000);
            } catch (err) {
              throw new Error(`${REPLAY}: seed ${SEED + k} (client ${k}), frames ${c.sent}-${c.sent + WINDOW}: ${ledger.problems().join('; ') || (err as Error).message}`);
            }
            assert.equal(ws.readyState, ws.OPEN, `${REPLAY}: seed ${SEED + k}: client ${k} was closed after frame ${c.sent + WINDOW}`);
            await delay(Math.max(0, WINDOW_MS - (Date.now() - started)));
          }
        }),
      );
    await run(WARM_UP);
    const snapshots = path.join(dir, 'snapshots');
    // The resident size first: taking a snapshot grows it.
    const before = rssBytes(gw.child.pid!);
    const heapBefore = await steady.aside(() => liveHeapBytes(gw.child.pid!, snapshots));
    await run(PER_CLIENT - WARM_UP);
    const sent = ledgers.flatMap((l) => l.sent);
    const codes: Record<string, number> = {};
    for (const l of ledgers) for (const [c, n] of l.codes) codes[c] = (codes[c] ?? 0) + n;
    const after = rssBytes(gw.child.pid!);
    const heapAfter = await steady.aside(() => liveHeapBytes(gw.child.pid!, snapshots));
    console.log(`      seed ${SEED}..${SEED + CLIENTS - 1}: ${sent.length} frames ${JSON.stringify(countBy(sent))}; answers ${JSON.stringify(codes)}; the steady client made ${steady.requests} requests; live heap ${mb(heapBefore)} after ${WARM_UP} frames a client, ${mb(heapAfter)} after the storm; RSS ${mb(before)} and ${mb(after)}`);
    for (const [k, l] of ledgers.entries()) assert.deepEqual(l.problems(), [], `${REPLAY}: seed ${SEED + k}`);
    assert.deepEqual(strays, []);
    assert.deepEqual(steady.failures, [], 'the steady client was served throughout');
    assert.ok(heapAfter - heapBefore < MAX_HEAP_GROWTH, `${REPLAY}: the live heap grew from ${mb(heapBefore)} to ${mb(heapAfter)}`);
  });

  it(`a client that floods ${FLOOD} generated frames at once, past its rate: the excess refused one by one, every request answered, the connection kept (seed ${SEED + CLIENTS})`, async () => {
    const ws = await connect();
    const ledger = new Ledger();
    const strays: string[] = [];
    frames(ws, (m) => ledger.record(m), strays);
    const fuzz = new JsonRpcFuzz(SEED + CLIENTS, { deviceId: 'plant', tags: TAGS }, 'flood-');
    const started = Date.now();
    for (let i = 0; i < FLOOD; i++) {
      const msg = nextFrame(fuzz);
      ledger.expect(msg);
      ws.send(msg.body.toString('utf8'));
    }
    await waitFor('an answer to every request of the flood', () => ledger.settled() || ws.readyState !== ws.OPEN, 60_000).catch((err: Error) => {
      throw new Error(`${REPLAY}: seed ${SEED + CLIENTS} (flood): ${ledger.problems().join('; ') || err.message}`);
    });
    assert.equal(ws.readyState, ws.OPEN, 'the flooding client keeps its connection');
    assert.deepEqual(ledger.problems(), [], `${REPLAY}: seed ${SEED + CLIENTS} (flood)`);
    assert.deepEqual(strays, []);
    const seconds = (Date.now() - started) / 1000;
    const refused = ledger.codes.get(String(ErrorCodes.LimitExceeded)) ?? 0;
    // Past the bucket: every answer to a well-formed request but the refusals (invalid requests and
    // frames that are not JSON are answered before it, and take no token).
    let served = 0;
    for (const [code, n] of ledger.codes) if (!code.startsWith('null') && code !== '-32600' && code !== String(ErrorCodes.LimitExceeded)) served += n;
    const allowed = CLIENT_LIMITS.requestBurst + CLIENT_LIMITS.requestsPerSecond * seconds;
    console.log(`      flood: ${FLOOD} frames at once, answered within ${seconds.toFixed(1)} s: ${served} requests served, ${refused} refused for the rate; answers ${JSON.stringify(Object.fromEntries(ledger.codes))}`);
    assert.ok(refused > 0, 'the rate refused some of the flood');
    assert.ok(served <= allowed, `${served} requests served in ${seconds.toFixed(1)} s, the rate allows ${Math.floor(allowed)}`);
    assert.deepEqual(steady.failures, [], 'the steady client was served throughout');
  });

  it('answers binary frames with -32600 and keeps the connection', async () => {
    const ws = await connect();
    const ledger = new Ledger();
    const strays: string[] = [];
    frames(ws, (m) => ledger.record(m), strays);
    const fuzz = new JsonRpcFuzz(SEED + 100, { deviceId: 'plant', tags: TAGS });
    for (let i = 0; i < 100; i++) {
      const bytes = i % 2 === 0 ? fuzz.next().body : Buffer.from(Array.from({ length: 1 + fuzz.int(300) }, () => fuzz.int(256)));
      ledger.nullExpected++;
      ws.send(bytes, { binary: true });
    }
    await waitFor('100 answers', () => ledger.nullAnswers >= 100);
    assert.deepEqual([ledger.nullAnswers, [...ledger.codes]], [100, [['null -32600', 100]]]);
    assert.deepEqual(strays, []);
    assert.equal(ws.readyState, ws.OPEN);
  });

  it('closes a client that sends a frame above 1 MiB (1009) or text that is not UTF-8 (1007), and serves everyone else', async () => {
    const big = await connect();
    big.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'bifrost/ping', params: { pad: 'x'.repeat(2 * 1024 * 1024) } }));
    assert.equal((await closed(big)).code, 1009);
    const bad = await connect();
    bad.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    assert.equal((await closed(bad)).code, 1007);
    const next = await connect();
    const answers: unknown[] = [];
    frames(next, (m) => answers.push(m), []);
    next.send(JSON.stringify({ jsonrpc: '2.0', id: 'after', method: 'bifrost/devices/list' }));
    await waitFor('an answer on a new connection', () => answers.length > 0);
    assert.equal(((answers[0] as { result: DeviceListResult }).result.devices[0]!.status), 'connected');
    await steady.stop();
    assert.deepEqual(steady.failures, [], 'the steady client was served throughout');
    // Served throughout is what counts; how many requests fit in the storm depends on the machine's load.
    assert.ok(steady.requests > 10, `the steady client made ${steady.requests} requests`);
    // The stdio client too: its connection would have broken at the first stray byte on stdout.
    const read = await gw.connection.sendRequest<TagsReadResult>('bifrost/tags/read', { deviceId: 'plant', tags: TAGS });
    assert.deepEqual(read.results.map((r) => r.value), VALUES);
    assert.equal(gw.child.exitCode, null);
    assert.doesNotMatch(gw.stderr(), /uncaught|unhandled rejection|request failed/);
  });
});
