/**
 * The demo plant's serial bus through the built gateway: two RTU units on a socat pty pair that
 * follow the tank's fill pump, one of them muted and unmuted with bifrost/demo/mute, and nothing
 * left running (socat, the pty links) once the demo stops.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { GatewayProcess } from '../../tools/gatewayClient';
import type { DeviceInfo, DeviceListResult, SubscribeResult, TagsReadResult } from '../../gateway/protocol';
import { DEMO_DRIVE_ID, DEMO_METER_ID } from '../../gateway/sim/demoRtuBus';
import { rpcError, startGateway, ValueLog, waitFor } from './harness';

const hasSocat = spawnSync('socat', ['-V']).status === 0;
const withSocat = hasSocat ? describe : describe.skip;

withSocat(hasSocat ? 'demo plant: the serial bus' : 'demo plant: the serial bus: SKIPPED, socat is not installed (apt-get install socat)', function () {
  this.timeout(40_000);
  let gw: GatewayProcess;
  const list = async () => (await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list')).devices;
  const read = (deviceId: string, tags: string[]) => gw.connection.sendRequest<TagsReadResult>('bifrost/tags/read', { deviceId, tags });

  beforeEach(async () => {
    gw = await startGateway();
  });
  afterEach(() => gw.close());

  it('runs two units on one pty bus that follow the fill pump; a muted unit turns bad while its neighbour stays good', async () => {
    await gw.connection.sendRequest('bifrost/demo/start');
    const units = await waitFor(
      'both units connected',
      async () => {
        const devices = (await list()).filter((d) => d.protocol === 'modbus-rtu');
        return devices.length === 2 && devices.every((d) => d.status === 'connected') ? devices : undefined;
      },
      15_000,
    );
    assert.deepEqual(units.map((d) => [d.id, d.source]), [[DEMO_DRIVE_ID, 'demo'], [DEMO_METER_ID, 'demo']]);
    const busPath = /^(.*) unit 1$/.exec(units[0]!.endpoint)![1]!;
    assert.equal(units[1]!.endpoint, `${busPath} unit 2`, 'both units on the same port');
    assert.ok(existsSync(busPath));

    // The drive runs exactly when the tank's pump does; the meter measures what the drive draws.
    const [tank, drive, meter] = await Promise.all([read('demo-tank', ['pump_running']), read(DEMO_DRIVE_ID, ['running', 'output_frequency', 'motor_power']), read(DEMO_METER_ID, ['active_power', 'voltage_l1'])]);
    assert.ok([...drive.results, ...meter.results].every((r) => r.quality === 'good'), JSON.stringify([drive, meter]));
    const running = drive.results[0]!.value as boolean;
    assert.equal(running, tank.results[0]!.value, 'drive running = tank pump running');
    const hz = drive.results[1]!.value as number;
    assert.ok(running ? hz > 20 && hz <= 55 : hz === 0, `output frequency ${hz} Hz`);
    assert.ok(Math.abs((meter.results[0]!.value as number) - (drive.results[2]!.value as number)) < 1.5, 'meter and drive agree on the power (within a tick)');
    assert.ok(Math.abs((meter.results[1]!.value as number) - 230) < 5);

    const values = new ValueLog(gw.connection);
    const [sDrive, sMeter] = await Promise.all(
      [DEMO_DRIVE_ID, DEMO_METER_ID].map((deviceId) => gw.connection.sendRequest<SubscribeResult>('bifrost/subscribe', { deviceId, tags: ['running', 'active_power'].filter((t) => (deviceId === DEMO_DRIVE_ID) === (t === 'running')), intervalMs: 100, onChangeOnly: false })),
    );
    assert.deepEqual(await gw.connection.sendRequest('bifrost/demo/mute', { deviceId: DEMO_METER_ID, muted: true }), { deviceId: DEMO_METER_ID, muted: true });
    const bad = await waitFor('meter bad', () => {
      const r = values.latest(sMeter!.subscriptionId, 'active_power');
      return r?.quality === 'bad' ? r : undefined;
    });
    assert.match(bad.error ?? '', /^demo-meter: no answer within 300 ms reading input registers/);
    const driveCount = values.count(sDrive!.subscriptionId);
    await waitFor('drive scans go on', () => values.count(sDrive!.subscriptionId) >= driveCount + 5);
    assert.equal(values.latest(sDrive!.subscriptionId, 'running')?.quality, 'good');

    await gw.connection.sendRequest('bifrost/demo/mute', { deviceId: DEMO_METER_ID, muted: false });
    await waitFor('meter good again', () => values.latest(sMeter!.subscriptionId, 'active_power')?.quality === 'good', 15_000);

    await gw.connection.sendRequest('bifrost/demo/stop');
    assert.deepEqual(await list(), []);
    await waitFor('the pty links gone', () => !existsSync(busPath) && !existsSync(path.dirname(busPath)));
    const socats = spawnSync('pgrep', ['-f', `socat .*${path.dirname(busPath)}`], { encoding: 'utf8' }).stdout.trim();
    assert.equal(socats, '', 'socat stopped');
  });

  it('a gateway killed with SIGKILL takes its socat with it: no process keeps the pty pair', async () => {
    await gw.connection.sendRequest('bifrost/demo/start');
    const drive = await waitFor('the drive listed', async () => (await list()).find((d) => d.id === DEMO_DRIVE_ID), 15_000);
    const busDir = path.dirname(/^(.*) unit 1$/.exec(drive.endpoint)![1]!);
    const socats = () => spawnSync('pgrep', ['-f', `socat .*${busDir}`], { encoding: 'utf8' }).stdout.trim();
    assert.notEqual(socats(), '', 'socat runs while the demo does');
    gw.child.kill('SIGKILL');
    await waitFor('socat gone', () => socats() === '', 5_000);
  });

  it('refuses to mute what is not a unit of the bus, and says when no demo runs', async () => {
    assert.match((await rpcError(gw.connection.sendRequest('bifrost/demo/mute', { deviceId: DEMO_METER_ID, muted: true }))).message, /the demo plant is not running/);
    await gw.connection.sendRequest('bifrost/demo/start');
    await waitFor('bus devices', async () => (await list()).some((d: DeviceInfo) => d.id === DEMO_METER_ID), 15_000);
    const e = await rpcError(gw.connection.sendRequest('bifrost/demo/mute', { deviceId: 'demo-tank', muted: true }));
    assert.deepEqual([e.code, e.message], [-32602, '"demo-tank" is not on the demo serial bus (its units: demo-drive, demo-meter)']);
    assert.equal((await rpcError(gw.connection.sendRequest('bifrost/demo/mute', { deviceId: DEMO_METER_ID }))).code, -32602);
  });
});
