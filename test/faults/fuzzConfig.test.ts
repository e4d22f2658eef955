/**
 * Input fuzzing of bifrost.json: generated documents loaded through `bifrost/config/load` (as raw
 * JSON text, duplicate keys and all) and through a `--config` file rewritten while the gateway
 * runs. The oracle: each load is answered, with problems that name a JSON pointer and a reason (or
 * refused as a whole when it is no configuration); the log says the same for the file; the
 * gateway stays up, and the valid simulator device in every document keeps its good values.
 * BIFROST_FUZZ_SEED=N replays a run.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';
import type { ConfigLoadResult, ConfigProblem, DeviceListResult, TagsReadResult } from '../../gateway/protocol';
import type { GatewayProcess } from '../../tools/gatewayClient';
import { startGateway, tcpDevice, waitFor } from '../integration/harness';
import { ConfigFuzz } from './configFuzz';
import { BASE_SEED, countBy, PLANT_TIMEOUT_MS, REPLAY } from './jsonRpcFuzz';
import { RawGateway } from './rawStdio';

const SEED = BASE_SEED + 2000;
const LOADS = 1000;
const FILE_REWRITES = 30;
const VALUES = [2468, 1357];

function plantConfig(port: number): Record<string, unknown> {
  return { ...tcpDevice('plant', port, { timeoutMs: PLANT_TIMEOUT_MS }), tags: [{ name: 'level', area: 'holding', address: 0 }, { name: 'flow', area: 'holding', address: 1 }] };
}

/** Why a load's problem list breaks the contract, or null. */
function badProblems(problems: unknown): string | null {
  if (!Array.isArray(problems)) return `problems is not an array: ${JSON.stringify(problems)?.slice(0, 200)}`;
  for (const p of problems as ConfigProblem[]) {
    if (typeof p.path !== 'string' || !(p.path === '' || p.path.startsWith('/'))) return `a problem without a JSON pointer: ${JSON.stringify(p).slice(0, 200)}`;
    if (typeof p.message !== 'string' || p.message.trim() === '') return `a problem without a reason: ${JSON.stringify(p).slice(0, 200)}`;
    if (p.severity !== 'error' && p.severity !== 'warning') return `a problem without a severity: ${JSON.stringify(p).slice(0, 200)}`;
  }
  return null;
}

describe('input fuzzing: bifrost.json', function () {
  this.timeout(120_000);
  let sim: ModbusTcpSimulator;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-fuzz-config-'));
    sim = new ModbusTcpSimulator();
    await sim.start();
    VALUES.forEach((v, i) => (sim.holdings[i] = v));
  });

  after(async () => {
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`answers ${LOADS} generated documents through bifrost/config/load with diagnostics, and the valid device keeps running (seed ${SEED})`, async () => {
    const g = new RawGateway(['--data-dir', path.join(dir, 'data'), '--pki', path.join(dir, 'pki')]);
    try {
      await g.request('init', 'initialize', { processId: null, capabilities: {} });
      const plant = plantConfig(sim.port);
      await g.request('first', 'bifrost/config/load', { devices: [plant] });
      const read = async (tag: string) => ((await g.request(tag, 'bifrost/tags/read', { deviceId: 'plant', tags: ['level', 'flow'] })).result as TagsReadResult).results;
      await waitFor('plant good', async () => (await read(`wait-${Date.now()}`)).every((r) => r.quality === 'good'));
      const connections = sim.connectionCount;
      const fuzz = new ConfigFuzz(SEED, plant);
      const categories: string[] = [];
      let problems = 0;
      let refused = 0;
      for (let i = 0; i < LOADS; i++) {
        const doc = fuzz.next();
        categories.push(doc.category);
        const where = `${REPLAY}: seed ${SEED}, document ${i} (${doc.category}): ${doc.text.slice(0, 300)}`;
        const body = `{"jsonrpc":"2.0","id":"load-${i}","method":"bifrost/config/load","params":${doc.text}}`;
        const answer = await new Promise<{ result?: ConfigLoadResult; error?: { code: number; message: string; data?: { problems?: unknown } } }>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`${where}: no answer within 20 s`)), 20_000);
          const stop = g.onMessage((m) => {
            if ((m as { id?: unknown }).id === `load-${i}`) {
              clearTimeout(timer);
              stop();
              resolve(m as never);
            }
          });
          void g.send(body);
        });
        if (doc.usable) {
          assert.ok(answer.result, `${where}: ${JSON.stringify(answer.error)}`);
          assert.ok(answer.result.devices.includes('plant'), `${where}: plant is not running: ${JSON.stringify(answer.result.devices)}`);
          assert.equal(badProblems(answer.result.problems), null, where);
          problems += answer.result.problems.length;
        } else {
          assert.ok(answer.error, `${where}: a document that is no configuration was loaded`);
          assert.ok([1011, -32602, -32600].includes(answer.error.code), `${where}: ${JSON.stringify(answer.error)}`);
          assert.notEqual(answer.error.message.trim(), '', where);
          if (answer.error.code === 1011) assert.equal(badProblems(answer.error.data?.problems), null, where);
          refused++;
        }
        const results = await read(`read-${i}`);
        assert.deepEqual(results.map((r) => [r.quality, r.value]), VALUES.map((v) => ['good', v]), where);
      }
      const list = ((await g.request('list', 'bifrost/devices/list')).result as DeviceListResult).devices;
      assert.equal(list.find((d) => d.id === 'plant')?.status, 'connected');
      console.log(`      seed ${SEED}: ${LOADS} documents ${JSON.stringify(countBy(categories))}; ${problems} problems reported, ${refused} refused as a whole; the plant's connections to the simulator: ${sim.connectionCount - connections} new`);
      assert.equal(sim.connectionCount, connections, 'the valid device kept its connection through every load');
      assert.ok(g.running);
      assert.deepEqual(g.strays, []);
      assert.doesNotMatch(g.stderr(), /uncaught|unhandled rejection|request failed/);
    } finally {
      await g.stop();
    }
  });

  it(`reloads a --config file rewritten ${FILE_REWRITES} times with generated documents, logging each outcome, and the valid device keeps running (seed ${SEED + 1})`, async () => {
    const file = path.join(dir, 'bifrost.json');
    const plant = plantConfig(sim.port);
    writeFileSync(file, JSON.stringify({ devices: [plant] }));
    let gw: GatewayProcess | null = null;
    try {
      gw = await startGateway(['--config', file, '--data-dir', path.join(dir, 'data2'), '--pki', path.join(dir, 'pki')]);
      const g = gw;
      const read = () => g.connection.sendRequest<TagsReadResult>('bifrost/tags/read', { deviceId: 'plant', tags: ['level', 'flow'] });
      // The file is loaded a moment after the gateway answers initialize: until then there is no plant.
      await waitFor('plant good', () => read().then((r) => r.results.every((x) => x.quality === 'good'), () => false));
      const outcomes = () => g.stderr().match(/^\[(?:info|error)\] (?:reloaded|cannot reload) .*$/gm) ?? [];
      const fuzz = new ConfigFuzz(SEED + 1, plant);
      const categories: string[] = [];
      let refused = 0;
      for (let i = 0; i < FILE_REWRITES; i++) {
        let doc = fuzz.next();
        // 10,000 tags are the API's part; a file this big would only slow the rewrites down.
        while (doc.category === 'many-tags') doc = fuzz.next();
        // Every fifth save is cut short, as an editor's half-written file would be.
        if (i % 5 === 4) doc = { category: 'truncated', text: doc.text.slice(0, Math.floor(doc.text.length / 2)), usable: false };
        categories.push(doc.category);
        const where = `${REPLAY}: seed ${SEED + 1}, rewrite ${i} (${doc.category}): ${doc.text.slice(0, 300)}`;
        const seen = outcomes().length;
        // As editors save: a new file renamed over the old one. A comment makes every text new (comments are allowed).
        const tmp = `${file}.tmp`;
        writeFileSync(tmp, `// rewrite ${i}\n${doc.text}`);
        renameSync(tmp, file);
        const line = await waitFor(`${where}: a log line about the reload`, () => outcomes()[seen], 10_000);
        if (doc.usable) assert.match(line, /^\[info\] reloaded .*: \d+ devices?/, where);
        else {
          assert.match(line, doc.category === 'truncated' ? /^\[error\] cannot reload .*: (?:\w+ at line \d+, column \d+.*|the document is nested too deeply to be read .*); the devices keep running as they were$/ : /^\[error\] cannot reload .*: .+/, where);
          refused++;
        }
        const results = (await read()).results;
        assert.deepEqual(results.map((r) => [r.quality, r.value]), VALUES.map((v) => ['good', v]), where);
      }
      console.log(`      seed ${SEED + 1}: ${FILE_REWRITES} rewrites ${JSON.stringify(countBy(categories))}; ${refused} refused with "cannot reload", the others reloaded`);
      assert.equal(gw.child.exitCode, null);
      assert.doesNotMatch(gw.stderr(), /uncaught|unhandled rejection|request failed/);
    } finally {
      await gw?.close();
    }
  });
});
