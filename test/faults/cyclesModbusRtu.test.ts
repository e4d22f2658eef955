/**
 * A USB serial adapter unplugged and plugged in again, again and again: the port under the
 * gateway hangs up and vanishes (socat's pty pair ends), then comes back at the same path. After
 * every return the unit's values are good and current, and after all of them the gateway holds
 * what it held before (no descriptor of an old port, no timer left).
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import type { ModbusRtuDeviceConfig, SubscribeResult } from '../../gateway/protocol';
import { cpuSeconds } from '../../bench/stats';
import { serialOpener } from '../../gateway/modbus/rtuStreams';
import { RtuSimulator } from '../../gateway/sim/rtuSimulator';
import { delay, ptysClosed, ValueLog, waitFor } from '../integration/harness';
import { describeHeld, grown, watchedGateway, type Held } from './leaks';

const CYCLES = Number(process.env['BIFROST_CYCLES'] ?? 100);
const hasSocat = spawnSync('socat', ['-V']).status === 0;

(hasSocat ? describe : describe.skip)('cycles: a serial adapter unplugged and plugged in again (a socat pty pair, our RTU simulator)', function () {
  this.timeout(CYCLES * 10_000 + 60_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-rtucycles-'));
  const a = path.join(dir, 'a');
  const b = path.join(dir, 'b');
  const sim = new RtuSimulator([1], { holdings: 4 });
  let watched: Awaited<ReturnType<typeof watchedGateway>>;
  let socat: ChildProcess | null = null;
  let far: Duplex | null = null;

  async function plugIn(): Promise<void> {
    socat = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
    await waitFor('socat ptys', () => existsSync(a) && existsSync(b), 5000);
    far = await serialOpener({ path: b, baudRate: 115_200, parity: 'none' })();
    sim.serve(far);
  }

  /** The device's end is let go first (see ptysClosed), then the pair ends under the gateway. */
  async function unplug(): Promise<void> {
    const stream = far;
    far = null;
    if (stream) {
      stream.destroy();
      await ptysClosed([b]);
    }
    const s = socat;
    socat = null;
    if (s && s.exitCode === null) {
      const exited = new Promise((r) => s.once('exit', r));
      s.kill('SIGTERM');
      await exited;
    }
  }

  before(async () => {
    watched = await watchedGateway();
    await plugIn();
  });

  after(async () => {
    await watched?.close();
    await unplug();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`${CYCLES} times: good values after each return, no descriptor, socket or timer left behind`, async () => {
    const { gw } = watched;
    const values = new ValueLog(gw.connection);
    const device: ModbusRtuDeviceConfig = {
      id: 'unit1',
      protocol: 'modbus-rtu',
      serialPath: a,
      unitId: 1,
      baudRate: 115_200,
      parity: 'none',
      timeoutMs: 300,
      tags: [{ name: 'a', area: 'holding', address: 0 }],
    };
    await gw.connection.sendRequest('bifrost/config/load', { devices: [device] });
    const sub = await gw.connection.sendRequest<SubscribeResult>('bifrost/subscribe', { deviceId: 'unit1', tags: ['a'], intervalMs: 100 });
    const latest = () => values.latest(sub.subscriptionId, 'a');

    const cycle = async (i: number) => {
      await unplug();
      await waitFor(`bad quality after unplug ${i}`, () => latest()?.quality === 'bad');
      sim.unit(1).holdings[0] = i;
      await plugIn();
      await waitFor(`the value ${i} after plug-in ${i}`, () => latest()?.quality === 'good' && latest()?.value === i, 30_000);
    };

    sim.unit(1).holdings[0] = 50_000;
    await waitFor('a first good value', () => latest()?.quality === 'good' && latest()?.value === 50_000);
    await cycle(0);
    const before: Held = await watched.held();
    for (let i = 1; i <= CYCLES; i++) await cycle(i);
    const after: Held = await watched.held();

    const growth = grown(before, after, 2);
    assert.deepEqual(growth, [], `after ${CYCLES} returns: before ${describeHeld(before)}; after ${describeHeld(after)}`);
    console.log(`      held before: ${describeHeld(before)}; after ${CYCLES} returns: ${describeHeld(after)}`);

    // Unplugged for a while: the gateway waits for the port to come back, it does not spin on it.
    await unplug();
    const bad = await waitFor('bad quality while unplugged', () => (latest()?.quality === 'bad' ? latest() : undefined));
    assert.match(bad!.error ?? '', /^unit1: /);
    const cpu = () => {
      const { user, system } = cpuSeconds(gw.child.pid!);
      return user + system;
    };
    const cpu0 = cpu();
    await delay(2000);
    const busy = (cpu() - cpu0) / 2;
    assert.ok(busy < 0.5, `the gateway used ${Math.round(busy * 100)} % of a core while the port was gone`);
    sim.unit(1).holdings[0] = 7;
    await plugIn();
    await waitFor('the value after the long unplug', () => latest()?.quality === 'good' && latest()?.value === 7, 30_000);
  });
});
