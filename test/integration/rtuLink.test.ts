/**
 * The Modbus RTU link against real byte streams: RTU frames over TCP to our RTU simulator acting
 * as a serial server, and a pty pair made by socat opened with serialport at 115200 baud (our
 * simulator, and pymodbus's serial server as a device no one here wrote, on the other end).
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import { ErrorCodes } from '../../gateway/protocol';
import { BifrostError } from '../../gateway/errors';
import type { Logger } from '../../gateway/log';
import { ModbusRtuLink, type RtuLinkOptions } from '../../gateway/modbus/rtuLink';
import { interFrameSilenceMs } from '../../gateway/modbus/rtuFrame';
import { serialOpener, tcpOpener } from '../../gateway/modbus/rtuStreams';
import { ModbusException, type LinkClient } from '../../gateway/modbus/tcpLink';
import { RtuSimulator } from '../../gateway/sim/rtuSimulator';
import { ptysClosed, waitFor } from './harness';

const quiet: Logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, enabled: () => false };

/** A client that records what the link tells it. */
class Recorder implements LinkClient {
  readonly id = 'test';
  readonly events: string[] = [];
  linkUp(): void {
    this.events.push('up');
  }
  linkDown(reason: string): void {
    this.events.push(`down: ${reason}`);
  }
}

/** Opens a link and waits until it is up. */
async function openLink(opts: RtuLinkOptions): Promise<{ link: ModbusRtuLink; client: Recorder }> {
  const link = new ModbusRtuLink(opts, quiet);
  const client = new Recorder();
  link.attach(client);
  await waitFor(`${opts.where} open (${client.events.join('; ')})`, () => link.state === 'open', 10_000);
  return { link, client };
}

const readHolding = (link: ModbusRtuLink, unit: number, start: number, count: number, timeoutMs = 1000) =>
  link.exec(unit, timeoutMs, 'scan', `reading holding ${start}+${count}`, (r) => r.readRegisters('holding', start, count));

/** Unit 1 holds 100 + address, unit 2 holds 200 + address: a value read says which unit answered. */
function twoUnitBus(): RtuSimulator {
  const sim = new RtuSimulator([1, 2], { holdings: 100, coils: 100 });
  for (const unit of [1, 2]) sim.unit(unit).holdings.forEach((_, i, a) => (a[i] = unit * 100 + i));
  return sim;
}

/** The behaviour every transport must show, given a bus simulator served on the other end. */
function busBehaviour(setup: () => { sim: () => RtuSimulator; link: () => ModbusRtuLink; client: () => Recorder }): void {
  const { sim, link, client } = setup();

  it('reads two units on one bus at once, one request at a time, with no timeout', async () => {
    const reads = [];
    for (let i = 0; i < 20; i++) reads.push(readHolding(link(), 1 + (i % 2), i, 3));
    const values = await Promise.all(reads);
    values.forEach((v, i) => {
      const base = (1 + (i % 2)) * 100 + i;
      assert.deepEqual(v, [base, base + 1, base + 2]);
    });
    assert.equal(link().stats.timeouts, 0);
    assert.equal(link().stats.crcErrors, 0);
  });

  it('writes coils and registers and reads them back; an exception answer is a ModbusException', async () => {
    await link().exec(2, 1000, 'user', 'writing', async (r) => {
      await r.writeRegisters(5, [7], false);
      await r.writeRegisters(6, [8, 9], true);
      await r.writeCoil(3, true, false);
      await r.writeCoil(4, true, true);
    });
    assert.deepEqual(await readHolding(link(), 2, 5, 3), [7, 8, 9]);
    assert.deepEqual(await link().exec(2, 1000, 'user', 'reading coils', (r) => r.readBits('coil', 2, 4)), [false, true, true, false]);
    assert.equal(sim().unit(1).holdings[5], 105, 'unit 1 is untouched');
    await assert.rejects(readHolding(link(), 1, 99, 2), (err: unknown) => err instanceof ModbusException && err.exceptionCode === 2 && /illegal data address/.test(err.message));
  });

  it('times out the requests of a muted unit while the live unit keeps being served', async () => {
    sim().mute(2);
    try {
      const started = Date.now();
      const results = await Promise.allSettled([0, 1, 2, 3, 4, 5].map((i) => readHolding(link(), 1 + (i % 2), i, 1, 150)));
      results.forEach((r, i) => {
        if (i % 2 === 0) assert.deepEqual(r, { status: 'fulfilled', value: [100 + i] });
        else {
          assert.equal(r.status, 'rejected');
          const err = (r as PromiseRejectedResult).reason as BifrostError;
          assert.equal(err.code, ErrorCodes.Timeout);
          assert.match(err.message, /no answer within 150 ms reading holding \d\+1 \(unit 2 on /);
        }
      });
      assert.ok(Date.now() - started >= 3 * 150, 'the muted unit held the bus for its timeouts');
      assert.equal(link().stats.timeouts, 3);
      assert.equal(link().state, 'open');
      assert.deepEqual(client().events, ['up'], 'timeouts do not take the bus down');
    } finally {
      sim().mute(2, false);
    }
    assert.deepEqual(await readHolding(link(), 2, 0, 1), [200]);
  });

  it('counts a CRC error, fails that request with a clear error, and serves the next one', async () => {
    sim().corruptNextAnswers = 1;
    await assert.rejects(readHolding(link(), 1, 0, 2), (err: unknown) => err instanceof BifrostError && err.code === ErrorCodes.ProtocolError && /^CRC error reading holding 0\+2 \(unit 1 on .*nothing was taken from it$/.test(err.message));
    assert.equal(link().stats.crcErrors, 1);
    assert.deepEqual(await readHolding(link(), 1, 0, 2), [100, 101]);
  });

  it('discards a late answer that comes after a timeout, and reads the next answer right', async () => {
    sim().answerDelayMs = 150;
    await assert.rejects(readHolding(link(), 1, 10, 1, 100), /no answer within 100 ms/);
    sim().answerDelayMs = 0;
    assert.deepEqual(await readHolding(link(), 1, 20, 1), [120]);
    assert.equal(link().stats.lateBytes, 7, 'the late answer (7 bytes) was thrown away');
  });

  it('sends a broadcast write (unit 0) to every unit, expecting no answer; a broadcast read is refused', async () => {
    await link().exec(0, 1000, 'user', 'writing to all', (r) => r.writeRegisters(50, [4242], false));
    assert.deepEqual([sim().unit(1).holdings[50], sim().unit(2).holdings[50]], [4242, 4242]);
    assert.equal(link().stats.timeouts, 0);
    await assert.rejects(readHolding(link(), 0, 0, 1), /unit 0 is the broadcast address: it can be written to, not read/);
  });
}

describe('Modbus RTU link', function () {
  this.timeout(30_000);

  describe('over TCP to a serial server (our RTU simulator)', () => {
    let sim: RtuSimulator;
    let link: ModbusRtuLink;
    let client: Recorder;
    beforeEach(async () => {
      sim = twoUnitBus();
      const port = await sim.listen(0);
      ({ link, client } = await openLink({ where: `127.0.0.1:${port}`, open: tcpOpener({ host: '127.0.0.1', port, connectTimeoutMs: 1000 }), silenceMs: interFrameSilenceMs(115_200), drainMs: 100, silentTimeoutsToReopen: 3 }));
    });
    afterEach(async () => {
      link.close();
      await sim.stop();
    });
    busBehaviour(() => ({ sim: () => sim, link: () => link, client: () => client }));

    it('a line silent for 3 requests in a row (every unit mute, or a dead connection) is taken down and opened again', async () => {
      sim.mute(1);
      sim.mute(2);
      try {
        for (const unit of [1, 2]) await assert.rejects(readHolding(link, unit, 0, 1, 100), (err: unknown) => err instanceof BifrostError && err.code === ErrorCodes.Timeout);
        assert.deepEqual(client.events, ['up'], 'two silent timeouts: still open');
        await assert.rejects(readHolding(link, 1, 0, 1, 100), (err: unknown) => err instanceof BifrostError && err.code === ErrorCodes.Timeout);
        await waitFor('link down', () => client.events.some((e) => e.startsWith('down')));
        assert.match(client.events[1]!, /not a byte came back for 3 requests in a row \(100 ms each\); the connection is taken for dead and opened again/);
      } finally {
        sim.mute(1, false);
        sim.mute(2, false);
      }
      await waitFor(`link open again (${client.events.join('; ')})`, () => link.state === 'open');
      assert.deepEqual(await readHolding(link, 2, 1, 1), [201]);
    });

    it('a new connection after a timeout: an answer later than the drain comes on the closed one, never taken for the next', async () => {
      link.close();
      const port = Number(link.where.split(':')[1]);
      ({ link, client } = await openLink({ where: `127.0.0.1:${port}`, open: tcpOpener({ host: '127.0.0.1', port, connectTimeoutMs: 1000 }), silenceMs: interFrameSilenceMs(115_200), drainMs: 20, newConnectionAfterTimeout: true }));
      // The first answer comes 450 ms late: after its 150 ms timeout and the 150 ms the unit is then let be.
      sim.answerDelayMs = 450;
      await assert.rejects(readHolding(link, 1, 0, 1, 150), (err: unknown) => err instanceof BifrostError && err.code === ErrorCodes.Timeout);
      // The next is in flight when the late one would arrive.
      sim.unit(1).holdings[0] = 777;
      sim.answerDelayMs = 300;
      assert.deepEqual(await readHolding(link, 1, 0, 1, 600), [777]);
      assert.deepEqual(client.events, ['up'], 'the link stayed open');
      sim.answerDelayMs = 0;
    });

    it('a mute unit beside one that answers never takes the line down', async () => {
      sim.mute(2);
      try {
        for (let i = 0; i < 4; i++) {
          await assert.rejects(readHolding(link, 2, 0, 1, 100));
          await assert.rejects(readHolding(link, 2, 0, 1, 100));
          assert.deepEqual(await readHolding(link, 1, 0, 1), [100]);
        }
      } finally {
        sim.mute(2, false);
      }
      assert.deepEqual(client.events, ['up']);
      assert.equal(link.stats.timeouts, 8);
    });

    it('goes down when the server closes the connection, fails what waited, and opens again', async () => {
      const waiting = readHolding(link, 1, 0, 1, 2000);
      sim.answerDelayMs = 500;
      await new Promise((r) => setTimeout(r, 50));
      await sim.stop();
      await assert.rejects(waiting, (err: unknown) => err instanceof BifrostError && err.code === ErrorCodes.DeviceUnavailable);
      await waitFor('link down', () => client.events.some((e) => e.startsWith('down')));
      await sim.listen(Number(link.where.split(':')[1]));
      await waitFor(`link open again (${client.events.join('; ')})`, () => link.state === 'open');
      assert.deepEqual(client.events.map((e) => e.split(':')[0]), ['up', 'down', 'up']);
      sim.answerDelayMs = 0;
      assert.deepEqual(await readHolding(link, 2, 1, 1), [201]);
    });
  });

  it('a serial port that does not exist: the link goes down saying which port and why', async () => {
    const missing = path.join(os.tmpdir(), 'bifrost-no-such-tty');
    const link = new ModbusRtuLink({ where: missing, open: serialOpener({ path: missing, baudRate: 9600 }), silenceMs: interFrameSilenceMs(9600) }, quiet);
    const client = new Recorder();
    link.attach(client);
    try {
      await waitFor('link down', () => link.state === 'down');
      assert.match(link.downReason ?? '', new RegExp(`^serial port ${missing} does not exist \\(`));
      assert.match(client.events[0]!, /^down: serial port .* does not exist/);
      await assert.rejects(readHolding(link, 1, 0, 1), /is not open, cannot do reading holding 0\+1: serial port .* does not exist/);
    } finally {
      link.close();
    }
  });

  const hasSocat = spawnSync('socat', ['-V']).status === 0;
  const withSocat = hasSocat ? describe : describe.skip;
  withSocat(hasSocat ? 'over a pty pair (socat) at 115200 baud' : 'over a pty pair: SKIPPED, socat is not installed (apt-get install socat)', () => {
    let dir: string;
    let socat: ChildProcess;
    let a: string;
    let b: string;
    beforeEach(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-rtu-'));
      a = path.join(dir, 'a');
      b = path.join(dir, 'b');
      socat = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
      await waitFor('socat ptys', () => existsSync(a) && existsSync(b), 5000);
    });
    afterEach(async () => {
      await ptysClosed([a, b]);
      const exited = new Promise((r) => socat.once('exit', r));
      socat.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    });

    const line = () => ({ where: a, open: serialOpener({ path: a, baudRate: 115_200, parity: 'none' }), silenceMs: interFrameSilenceMs(115_200, 'none') });

    describe('our RTU simulator on the other end', () => {
      let sim: RtuSimulator;
      let link: ModbusRtuLink;
      let client: Recorder;
      let port: Duplex;
      beforeEach(async () => {
        sim = twoUnitBus();
        port = await serialOpener({ path: b, baudRate: 115_200, parity: 'none' })();
        sim.serve(port);
        ({ link, client } = await openLink({ ...line(), drainMs: 100 }));
      });
      afterEach(async () => {
        link.close();
        await sim.stop();
      });
      busBehaviour(() => ({ sim: () => sim, link: () => link, client: () => client }));

      it('a port another process holds: the clear error', async () => {
        const second = new ModbusRtuLink({ where: b, open: serialOpener({ path: b, baudRate: 115_200 }), silenceMs: 1.75 }, quiet);
        second.attach(new Recorder());
        try {
          await waitFor('second link down', () => second.state === 'down');
          assert.match(second.downReason ?? '', new RegExp(`^serial port ${b} is in use by another process \\(`));
        } finally {
          second.close();
        }
      });
    });

    it('reads pymodbus\'s serial server (units 1 and 2) as an independent peer', async function () {
      const banks = path.join(dir, 'banks.json');
      writeFileSync(banks, JSON.stringify({ units: { 1: { hr: [11, 12, 13] }, 2: { hr: [21, 22, 23] } } }));
      const script = path.resolve(__dirname, '..', 'peers', 'pymodbus_rtu_server.py');
      let stderr = '';
      const py = spawn('/usr/bin/python3', [script, b, '115200', banks], { stdio: ['ignore', 'ignore', 'pipe'], cwd: path.dirname(script) });
      py.stderr!.on('data', (d) => (stderr += d));
      const exited = new Promise((r) => py.once('exit', r));
      const { link } = await openLink(line());
      try {
        // The peer opens its port a moment after it starts: ask until it answers.
        await waitFor(`pymodbus to answer (${stderr.trim() || 'no output'})`, () => readHolding(link, 1, 0, 1, 200).then(() => true, () => false), 15_000);
        const values = await Promise.all([readHolding(link, 1, 0, 3), readHolding(link, 2, 0, 3), readHolding(link, 1, 1, 2), readHolding(link, 2, 2, 1)]);
        assert.deepEqual(values, [[11, 12, 13], [21, 22, 23], [12, 13], [23]]);
        await link.exec(2, 1000, 'user', 'writing', (r) => r.writeRegisters(1, [99, 98], true));
        assert.deepEqual(await readHolding(link, 2, 0, 3), [21, 99, 98]);
        await assert.rejects(readHolding(link, 3, 0, 1, 200), /no answer within 200 ms/);
      } finally {
        link.close();
        py.kill('SIGTERM');
        await exited;
      }
    });
  });
});
