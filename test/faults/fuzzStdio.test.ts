/**
 * Input fuzzing of JSON-RPC over stdio: thousands of generated and mutated messages written raw to
 * the gateway's stdin, then broken headers, oversized frames and requests after `shutdown`. The
 * oracle: every request with an id is answered once, messages that cannot be requests are answered
 * with id null, notifications are not answered; stdout carries nothing but frames of JSON-RPC; the
 * gateway stays up and keeps serving a simulator device; its memory stays flat.
 * BIFROST_FUZZ_SEED=N replays a run.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';
import type { DeviceListResult, TagsReadResult } from '../../gateway/protocol';
import { delay, tcpDevice, waitFor } from '../integration/harness';
import { countBy, BASE_SEED, PLANT_TIMEOUT_MS, REPLAY, JsonRpcFuzz, Ledger, rssBytes, type FuzzMessage } from './jsonRpcFuzz';
import { heapSnapshotArgs, liveHeapBytes } from './heapSnapshot';
import { frame, RawGateway } from './rawStdio';

const SEED = BASE_SEED;
const STORM = 8000;
const WARM_UP = 1000;
const WINDOW = 50;
/** Growth of the gateway's live heap over the storm, after warm-up, that fails the test. */
const MAX_HEAP_GROWTH = 20 * 1024 * 1024;

const TAGS = ['level', 'flow', 'holding:2', 'holding:3:int16'];
const VALUES = [1234, 42, 7, 0xfff0];

/** A gateway on its own temporary data dir with one simulator device, `plant`. */
async function gatewayWithPlant(sim: ModbusTcpSimulator, dir: string): Promise<RawGateway> {
  const g = new RawGateway(['--data-dir', path.join(dir, 'data'), '--pki', path.join(dir, 'pki')], heapSnapshotArgs(path.join(dir, 'snapshots')));
  await g.request('init', 'initialize', { processId: null, capabilities: {} });
  const device = tcpDevice('plant', sim.port, {
    timeoutMs: PLANT_TIMEOUT_MS,
    tags: [
      { name: 'level', area: 'holding', address: 0, type: 'uint16' },
      { name: 'flow', area: 'holding', address: 1, type: 'uint16' },
    ],
  });
  const loaded = await g.request('load', 'bifrost/config/load', { devices: [device] });
  assert.deepEqual((loaded.result as { devices: string[] }).devices, ['plant']);
  return g;
}

async function plantIsGood(g: RawGateway, tag: string): Promise<void> {
  const list = await g.request(`list-${tag}`, 'bifrost/devices/list');
  const plant = (list.result as DeviceListResult).devices.find((d) => d.id === 'plant');
  assert.equal(plant?.status, 'connected', `${REPLAY}: seed ${SEED}: ${JSON.stringify(plant)}`);
  const read = await g.request(`read-${tag}`, 'bifrost/tags/read', { deviceId: 'plant', tags: TAGS });
  const results = (read.result as TagsReadResult).results;
  assert.deepEqual(results.map((r) => [r.quality, r.value]), VALUES.map((v, i) => ['good', i === 3 ? v - 0x10000 : v]), `${REPLAY}: seed ${SEED}: ${JSON.stringify(results)}`);
}

const MB = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

describe('input fuzzing: JSON-RPC over stdio', function () {
  this.timeout(120_000);
  let sim: ModbusTcpSimulator;
  let dir: string;
  let g: RawGateway;
  const ledger = new Ledger();

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-fuzz-'));
    mkdirSync(path.join(dir, 'snapshots'));
    sim = new ModbusTcpSimulator();
    await sim.start();
    VALUES.forEach((v, i) => (sim.holdings[i] = v));
    g = await gatewayWithPlant(sim, dir);
    g.onMessage((m) => g.isOwn(m) || ledger.record(m));
    await waitFor('plant connected', async () => ((await g.request(`wait-${Date.now()}`, 'bifrost/devices/list')).result as DeviceListResult).devices[0]?.status === 'connected');
  });

  after(async () => {
    await g?.stop();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`answers every request of ${STORM} generated messages, stays up, writes only frames, and keeps its memory flat (seed ${SEED})`, async () => {
    const fuzz = new JsonRpcFuzz(SEED, { deviceId: 'plant', tags: TAGS });
    let before = 0;
    let heapBefore = 0;
    const rssTrace: number[] = [];
    for (let sent = 0; sent < STORM; sent += WINDOW) {
      const window: FuzzMessage[] = [];
      for (let i = 0; i < WINDOW; i++) window.push(fuzz.next());
      for (const msg of window) {
        ledger.expect(msg);
        await g.send(msg.body);
      }
      try {
        await waitFor('the answers of the window', () => ledger.settled() || !g.running, 20_000);
      } catch (err) {
        throw new Error(`${REPLAY}: seed ${SEED}, messages ${sent}-${sent + WINDOW}: ${ledger.problems().join('; ') || (err as Error).message}; the gateway ${g.running ? 'runs' : 'exited'}; its log ends: ${g.stderr().slice(-1500)}`);
      }
      assert.ok(g.running, `${REPLAY}: seed ${SEED}: the gateway exited after message ${sent + WINDOW}: ${g.stderr().slice(-2000)}`);
      if (sent + WINDOW === WARM_UP) {
        // The resident size first: taking a snapshot grows it.
        before = rssBytes(g.pid);
        heapBefore = await liveHeapBytes(g.pid, path.join(dir, 'snapshots'));
      }
      if ((sent + WINDOW) % 500 === 0) rssTrace.push(Math.round(rssBytes(g.pid) / 1024 / 1024));
    }
    const after = rssBytes(g.pid);
    const heapAfter = await liveHeapBytes(g.pid, path.join(dir, 'snapshots'));
    await plantIsGood(g, 'after-storm');
    const counts = countBy(ledger.sent);
    console.log(`      seed ${SEED}: ${ledger.sent.length} messages ${JSON.stringify(counts)}; ${ledger.expectedAnswers} answered by id (${JSON.stringify(Object.fromEntries(ledger.codes))}), ${ledger.nullAnswers} with id null, ${ledger.notifications} notifications; live heap ${MB(heapBefore)} after ${WARM_UP}, ${MB(heapAfter)} after the storm; RSS ${MB(before)} and ${MB(after)}, every 500 messages: ${rssTrace.join(' ')} MB`);
    assert.deepEqual(ledger.problems(), [], `${REPLAY}: seed ${SEED}`);
    assert.deepEqual(g.strays, [], `${REPLAY}: seed ${SEED}: stdout carried more than frames`);
    assert.doesNotMatch(g.stderr(), /uncaught|unhandled rejection|request failed/, `${REPLAY}: seed ${SEED}`);
    assert.ok(heapAfter - heapBefore < MAX_HEAP_GROWTH, `${REPLAY}: seed ${SEED}: the live heap grew from ${MB(heapBefore)} to ${MB(heapAfter)}`);
  });

  it('answers frames of 1, 8 and 48 MB and header variants the framing allows', async () => {
    for (const mb of [1, 8, 48]) {
      const id = `big-${mb}`;
      const body = JSON.stringify({ jsonrpc: '2.0', id, method: 'bifrost/tags/read', params: { deviceId: 'plant', tags: ['level'], pad: 'x'.repeat(mb * 1024 * 1024) } });
      const answer = new Promise<unknown>((resolve) => g.onMessage((m) => (m as { id?: unknown }).id === id && resolve(m)));
      await g.send(body);
      const m = (await answer) as { result?: TagsReadResult };
      assert.equal(m.result?.results[0]?.value, VALUES[0], `${mb} MB`);
    }
    const variants = [
      (b: string) => `content-length: ${Buffer.byteLength(b)}\r\n\r\n${b}`,
      (b: string) => `Content-Length:${Buffer.byteLength(b)}\r\n\r\n${b}`,
      (b: string) => `Content-Length:   ${Buffer.byteLength(b)}  \r\n\r\n${b}`,
      (b: string) => `Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(b)}\r\n\r\n${b}`,
      (b: string) => `Content-Length: ${Buffer.byteLength(b)}\r\nX-Anything: 1\r\n\r\n${b}`,
    ];
    for (const [i, v] of variants.entries()) {
      const answer = new Promise<unknown>((resolve) => g.onMessage((m) => (m as { id?: unknown }).id === `variant-${i}` && resolve(m)));
      await g.write(v(JSON.stringify({ jsonrpc: '2.0', id: `variant-${i}`, method: 'bifrost/ping' })));
      await answer;
    }
    await plantIsGood(g, 'after-big');
    assert.deepEqual(g.strays, []);
  });

  it('after shutdown answers every request with an error, then exits with 0 on exit', async () => {
    const down = await g.request('down', 'shutdown');
    assert.equal(down.result, null);
    const after = new Ledger();
    g.onMessage((m) => g.isOwn(m) || after.record(m));
    const fuzz = new JsonRpcFuzz(SEED + 1, { deviceId: 'plant', tags: TAGS }, 'after-shutdown-');
    const results: string[] = [];
    g.onMessage((m) => {
      const msg = m as { id?: unknown; result?: unknown };
      if (typeof msg.id === 'string' && msg.id.includes('after-shutdown-') && 'result' in msg) results.push(msg.id);
    });
    for (let i = 0; i < 500; i++) {
      const msg = fuzz.next();
      after.expect(msg);
      await g.send(msg.body);
    }
    await waitFor('the answers after shutdown', () => after.settled(), 20_000).catch(() => undefined);
    assert.deepEqual(after.problems(), [], `${REPLAY}: seed ${SEED + 1}`);
    assert.deepEqual(results, [], 'nothing but errors after shutdown');
    await g.send(JSON.stringify({ jsonrpc: '2.0', method: 'exit' }));
    assert.deepEqual(await g.exited, { code: 0, signal: null });
    assert.deepEqual(g.strays, []);
    assert.equal(g.trailing(), 0, 'no bytes after the last frame');
  });
});

/** Headers that do not say where the body ends; each is followed by a valid ping, which cannot be found. */
const BROKEN_HEADERS: [string, string, RegExp][] = [
  ['a negative length', 'Content-Length: -5\r\n\r\n', /Content-Length "-5" is not a whole number of bytes/],
  ['a length that is not a number', 'Content-Length: ten\r\n\r\n', /"ten" is not a whole number/],
  ['an exponent', 'Content-Length: 1e2\r\n\r\n', /"1e2" is not a whole number/],
  ['a huge length', 'Content-Length: 99999999999999\r\n\r\n', /more than the 67108864 bytes a frame may have/],
  ['just above the largest frame', `Content-Length: ${64 * 1024 * 1024 + 1}\r\n\r\n`, /more than the 67108864 bytes/],
  ['no Content-Length', 'Content-Type: application/json\r\n\r\n{}', /a header without Content-Length/],
  ['a line without a colon', 'garbage\r\n\r\n', /a header line that is not "Name: value": "garbage"/],
  ['a header without its body (the next header is cut)', 'Content-Length: 5\r\n\r\n', /a header without Content-Length/],
  ['a bare LF', 'Content-Length: 2\n\n{}Content-Length: 2\r\n\r\n{}', /is not a whole number|not "Name: value"/],
  ['a header that never ends', 'X'.repeat(9000), /no end of the header \(an empty line\) within 8192 bytes/],
];

describe('input fuzzing: broken stdio framing', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-fuzz-frames-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a broken header ends the gateway with code 1, a log line and a -32700 saying why; nothing but frames on stdout', async () => {
    const seen: string[] = [];
    for (const [what, bytes, reason] of BROKEN_HEADERS) {
      const g = new RawGateway(['--data-dir', path.join(dir, 'data'), '--pki', path.join(dir, 'pki')]);
      const answers: { id?: unknown; error?: { code: number; message: string } }[] = [];
      g.onMessage((m) => answers.push(m as (typeof answers)[number]));
      try {
        assert.ok((await g.request('first', 'bifrost/ping')).result, what);
        await g.write(bytes);
        await g.send(JSON.stringify({ jsonrpc: '2.0', id: 'lost', method: 'bifrost/ping' }));
        const exit = await Promise.race([g.exited, delay(10_000).then(() => 'still running')]);
        assert.deepEqual(exit, { code: 1, signal: null }, `${what}: ${g.stderr().slice(-500)}`);
        assert.match(g.stderr(), /\[error\] the stdin framing is broken: .*; no later message can be found in the stream, so the gateway exits/, what);
        const last = answers.at(-1)!;
        assert.equal(last.id, null, what);
        assert.equal(last.error?.code, -32700, what);
        assert.match(last.error!.message, reason, what);
        assert.deepEqual(g.strays, [], what);
        assert.equal(g.trailing(), 0, what);
        seen.push(what);
      } finally {
        if (g.running) g.child.kill('SIGKILL');
        await g.exited;
      }
    }
    assert.equal(seen.length, BROKEN_HEADERS.length);
  });

  it('a header whose body never comes is waited for: the gateway answers nothing more but exits with 0 when stdin closes', async () => {
    const g = new RawGateway(['--data-dir', path.join(dir, 'data'), '--pki', path.join(dir, 'pki')]);
    try {
      await g.request('first', 'bifrost/ping');
      await g.write(frame('{"jsonrpc":"2.0","id":1,"method":"bifrost/ping"}').subarray(0, 30));
      await delay(300);
      assert.ok(g.running);
      g.child.stdin!.end();
      assert.deepEqual(await g.exited, { code: 0, signal: null });
      assert.deepEqual(g.strays, []);
    } finally {
      if (g.running) g.child.kill('SIGKILL');
    }
  });
});
