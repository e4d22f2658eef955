/**
 * Modbus RTU devices through the built gateway: two units on one bus (a socat pty pair, our RTU
 * simulator on the other end) share one link, a silent unit turns bad while its neighbour keeps
 * its values, RTU frames over TCP to a serial server, and the configuration problems of a bus.
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import type { GatewayProcess } from '../../tools/gatewayClient';
import type { ConfigLoadResult, DeviceListResult, ModbusRtuDeviceConfig, ModbusTagConfig, SubscribeResult, TagsReadResult } from '../../gateway/protocol';
import { serialOpener } from '../../gateway/modbus/rtuStreams';
import { RtuSimulator } from '../../gateway/sim/rtuSimulator';
import { ptysClosed, startGateway, ValueLog, waitFor } from './harness';

const TAGS: ModbusTagConfig[] = [
  { name: 'a', area: 'holding', address: 0 },
  { name: 'b', area: 'holding', address: 1 },
];

/** Unit 1 holds 100 + address, unit 2 holds 200 + address: a value says which unit answered. */
function twoUnitBus(): RtuSimulator {
  const sim = new RtuSimulator([1, 2], { holdings: 10 });
  for (const unit of [1, 2]) sim.unit(unit).holdings.forEach((_, i, a) => (a[i] = unit * 100 + i));
  return sim;
}

function rtuDevice(id: string, extra: Partial<ModbusRtuDeviceConfig>): ModbusRtuDeviceConfig {
  return { id, protocol: 'modbus-rtu', baudRate: 115_200, parity: 'none', timeoutMs: 300, pollIntervalMs: 100, tags: TAGS, ...extra };
}

describe('Modbus RTU devices', function () {
  this.timeout(30_000);
  let gw: GatewayProcess;
  const list = async () => (await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list')).devices;
  const device = async (id: string) => (await list()).find((d) => d.id === id)!;
  const load = (devices: ModbusRtuDeviceConfig[]) => gw.connection.sendRequest<ConfigLoadResult>('bifrost/config/load', { devices });

  beforeEach(async () => {
    gw = await startGateway();
  });
  afterEach(() => gw.close());

  const hasSocat = spawnSync('socat', ['-V']).status === 0;
  const withSocat = hasSocat ? describe : describe.skip;
  withSocat(hasSocat ? 'on a serial bus (a socat pty pair, our RTU simulator at the far end)' : 'on a serial bus: SKIPPED, socat is not installed (apt-get install socat)', () => {
    let dir: string;
    let socat: ChildProcess;
    let a: string;
    let b: string;
    let sim: RtuSimulator;
    let far: Duplex;
    beforeEach(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-rtudrv-'));
      a = path.join(dir, 'a');
      b = path.join(dir, 'b');
      socat = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
      await waitFor('socat ptys', () => existsSync(a) && existsSync(b), 5000);
      sim = twoUnitBus();
      far = await serialOpener({ path: b, baudRate: 115_200, parity: 'none' })();
      sim.serve(far);
    });
    afterEach(async () => {
      await sim.stop();
      await ptysClosed([b]);
      const exited = new Promise((r) => socat.once('exit', r));
      socat.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    });

    it('two units on one port share one link: both connected, each polled for its own values', async () => {
      const res = await load([rtuDevice('unit1', { serialPath: a, unitId: 1 }), rtuDevice('unit2', { serialPath: a, unitId: 2 })]);
      assert.deepEqual([res.devices, res.problems], [['unit1', 'unit2'], []]);
      // The port is opened with a lock: a second link on it would fail "in use" and never connect.
      await waitFor('both connected', async () => (await list()).every((d) => d.status === 'connected'));
      const values = new ValueLog(gw.connection);
      const subs = await Promise.all(
        ['unit1', 'unit2'].map((deviceId) => gw.connection.sendRequest<SubscribeResult>('bifrost/subscribe', { deviceId, tags: ['a', 'b'], intervalMs: 50, onChangeOnly: false })),
      );
      await waitFor('scans of both', () => subs.every((s) => values.count(s.subscriptionId) >= 5));
      assert.deepEqual(subs.map((s) => [values.latest(s.subscriptionId, 'a')?.value, values.latest(s.subscriptionId, 'b')?.value]), [[100, 101], [200, 201]]);
      assert.equal(sim.badRequestCount, 0, 'no frame reached the bus garbled or interleaved');
      assert.ok(sim.requestCount >= 10);
      const infos = await list();
      assert.deepEqual(infos.map((d) => [d.endpoint, d.stats.timeouts, d.stats.reconnects]), [[`${a} unit 1`, 0, 0], [`${a} unit 2`, 0, 0]]);
    });

    it('the bus counters (frames, CRC errors, timeouts) are the line\'s, shown alike by every device on it', async () => {
      await load([rtuDevice('unit1', { serialPath: a, unitId: 1 }), rtuDevice('unit2', { serialPath: a, unitId: 2 })]);
      await waitFor('both connected', async () => (await list()).every((d) => d.status === 'connected'));
      const values = new ValueLog(gw.connection);
      const sub = await gw.connection.sendRequest<SubscribeResult>('bifrost/subscribe', { deviceId: 'unit2', tags: ['a'], intervalMs: 50, onChangeOnly: false });
      await waitFor('a good value', () => values.latest(sub.subscriptionId, 'a')?.quality === 'good');
      const before = (await device('unit2')).bus!;
      assert.equal(before.crcErrors, 0);
      sim.corruptNextAnswers = 1;
      const bad = await waitFor('the garbled answer read as bad', () => values.batches.get(sub.subscriptionId)?.flat().find((r) => r.quality === 'bad'));
      assert.match(bad.error ?? '', /CRC error/);
      await waitFor('good again', () => values.latest(sub.subscriptionId, 'a')?.quality === 'good');
      const [one, two] = await Promise.all([device('unit1'), device('unit2')]);
      assert.equal(two.bus!.crcErrors, 1);
      assert.equal(two.bus!.timeouts, 0);
      assert.ok(two.bus!.answers > before.answers && two.bus!.requests >= two.bus!.answers + 1, JSON.stringify(two.bus));
      // One line, one set of counters: unit 1, never polled itself, shows the line's (read a scan or two apart).
      assert.equal(one.bus!.crcErrors, 1);
      assert.ok(Math.abs(one.bus!.requests - two.bus!.requests) <= 2, `${one.bus!.requests} / ${two.bus!.requests}`);
    });

    it('a reload with other line settings reopens the port with them (the termios of the pty shows the new speed), and the units answer again', async () => {
      /** The line settings of the gateway's end, as the kernel holds them. */
      const termios = () => spawnSync('stty', ['-F', a, '-a'], { encoding: 'utf8' }).stdout;
      await load([rtuDevice('unit1', { serialPath: a, unitId: 1 }), rtuDevice('unit2', { serialPath: a, unitId: 2 })]);
      await waitFor('both connected', async () => (await list()).every((d) => d.status === 'connected'));
      assert.match(termios(), /speed 115200 baud/);
      const res = await load([
        rtuDevice('unit1', { serialPath: a, unitId: 1, baudRate: 9600, parity: 'even' }),
        rtuDevice('unit2', { serialPath: a, unitId: 2, baudRate: 9600, parity: 'even' }),
      ]);
      assert.deepEqual(res.problems, []);
      // The speed only: Linux's pty driver clears PARENB whatever is asked (a pty carries 8 bits).
      await waitFor('the port at 9600 baud', () => /speed 9600 baud/.test(termios()), 10_000);
      const read = await waitFor('both units read at the new settings', async () => {
        const r = await Promise.all(['unit1', 'unit2'].map((deviceId) => gw.connection.sendRequest<TagsReadResult>('bifrost/tags/read', { deviceId, tags: ['a'] })));
        return r.every((x) => x.results[0]?.quality === 'good') ? r : undefined;
      });
      assert.deepEqual(read.map((r) => r.results[0]!.value), [100, 200]);
      // Only one link holds the port: the old one was closed, or the new one would be "in use".
      assert.deepEqual((await list()).map((d) => d.status), ['connected', 'connected']);
    });

    it('a unit that stops answering turns bad with the reason; the other keeps its values; it comes back', async () => {
      await load([rtuDevice('unit1', { serialPath: a, unitId: 1 }), rtuDevice('unit2', { serialPath: a, unitId: 2 })]);
      await waitFor('both connected', async () => (await list()).every((d) => d.status === 'connected'));
      const values = new ValueLog(gw.connection);
      const [s1, s2] = await Promise.all(
        ['unit1', 'unit2'].map((deviceId) => gw.connection.sendRequest<SubscribeResult>('bifrost/subscribe', { deviceId, tags: ['a'], intervalMs: 50, onChangeOnly: false })),
      );
      await waitFor('first values', () => values.latest(s2!.subscriptionId, 'a')?.value === 200);
      sim.mute(2);
      const bad = await waitFor('unit 2 bad', () => {
        const r = values.latest(s2!.subscriptionId, 'a');
        return r?.quality === 'bad' ? r : undefined;
      });
      assert.match(bad.error ?? '', /^unit2: no answer within 300 ms reading holding register 0 \(unit 2 on .*\)$/);
      const silent = await waitFor('unit 2 in error', async () => {
        const d = await device('unit2');
        return d.status === 'error' ? d : undefined;
      });
      assert.match(silent.lastError ?? '', /^unit2: no answer within 300 ms/);
      const before = values.count(s1!.subscriptionId);
      await waitFor('unit 1 still scanned', () => values.count(s1!.subscriptionId) >= before + 3);
      assert.deepEqual([values.latest(s1!.subscriptionId, 'a')?.quality, values.latest(s1!.subscriptionId, 'a')?.value], ['good', 100]);
      assert.equal((await device('unit1')).status, 'connected');

      sim.mute(2, false);
      await waitFor('unit 2 back', async () => (await device('unit2')).status === 'connected' && values.latest(s2!.subscriptionId, 'a')?.value === 200);
      assert.equal((await device('unit2')).stats.reconnects, 1);
    });
  });

  it('RTU over TCP to a serial server: two units on one connection', async () => {
    const sim = twoUnitBus();
    let connections = 0;
    const server = net.createServer((socket) => {
      connections++;
      sim.serve(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const res = await load([1, 2].map((unitId) => rtuDevice(`unit${unitId}`, { transport: 'tcp', host: '127.0.0.1', port, unitId })));
      assert.deepEqual([res.devices, res.problems], [['unit1', 'unit2'], []]);
      await waitFor('both connected', async () => (await list()).every((d) => d.status === 'connected'));
      const read = async (deviceId: string) => (await gw.connection.sendRequest<TagsReadResult>('bifrost/tags/read', { deviceId, tags: ['a', 'b'] })).results.map((r) => r.value);
      assert.deepEqual(await Promise.all([read('unit1'), read('unit2')]), [[100, 101], [200, 201]]);
      assert.equal(connections, 1, 'the serial server saw one client');
      assert.equal((await device('unit2')).endpoint, `127.0.0.1:${port} unit 2`);
    } finally {
      await sim.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('reports what is wrong with a bus device, and starts the rest', async () => {
    const res = await load([
      rtuDevice('nopath', {}),
      rtuDevice('parity', { serialPath: '/dev/ttyUSB9', parity: 'mark' as 'none' }),
      rtuDevice('slow', { serialPath: '/dev/ttyUSB9', baudRate: 300 }),
      rtuDevice('first', { serialPath: '/dev/ttyUSB7', baudRate: 19200 }),
      rtuDevice('second', { serialPath: '/dev/ttyUSB7', baudRate: 9600, unitId: 2 }),
      rtuDevice('broadcast', { serialPath: '/dev/ttyUSB8', unitId: 0 }),
      rtuDevice('tcpnohost', { transport: 'tcp', port: 4001 }),
    ]);
    assert.deepEqual(res.devices, ['first']);
    const byPath = Object.fromEntries(res.problems.map((p) => [p.path, p.message]));
    assert.deepEqual(Object.keys(byPath), ['/devices/0/serialPath', '/devices/1/parity', '/devices/2/baudRate', '/devices/4/baudRate', '/devices/5/unitId', '/devices/6/host']);
    assert.match(byPath['/devices/0/serialPath']!, /needs a "serialPath" \(e\.g\. "\/dev\/ttyUSB0" or "COM3"\), or "transport": "tcp"/);
    assert.match(byPath['/devices/1/parity']!, /"none", "even" or "odd"/);
    assert.match(byPath['/devices/2/baudRate']!, /1200/);
    assert.match(byPath['/devices/2/baudRate']!, /921600/);
    assert.equal(
      byPath['/devices/4/baudRate'],
      'this device is on serial port /dev/ttyUSB7 like device "first" but with other line settings (baudRate 9600 where "first" has 19200): the devices on one port share its line and must use the same settings; this device is not started',
    );
    assert.match(byPath['/devices/5/unitId']!, /247/);
    assert.match(byPath['/devices/6/host']!, /"transport": "tcp" needs a "host"/);
    assert.ok(res.problems.every((p) => p.severity === 'error' && p.skipped === 'device'));
  });
});
