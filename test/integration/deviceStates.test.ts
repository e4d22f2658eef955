/**
 * What the gateway says about devices and readings in the cases between "works" and "fails": a
 * disabled device, a float register holding NaN or an infinity, a subscription that ends, and
 * device ids the configuration and the demo plant both claim.
 */
import { strict as assert } from 'node:assert';
import type { GatewayProcess } from '../../tools/gatewayClient';
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';
import type { ConfigLoadResult, DemoStartResult, DeviceInfo, DeviceListResult, ModbusTcpDeviceConfig, SubscribeResult, TagsReadResult } from '../../gateway/protocol';
import { ErrorCodes } from '../../gateway/protocol';
import { DEMO_BOILER_ID, DEMO_TANK_ID } from '../../gateway/sim/demoPlant';
import { rpcError, startGateway, tcpDevice, ValueLog, waitFor } from './harness';

describe('device states between working and failing', function () {
  this.timeout(30_000);
  let gw: GatewayProcess;
  let sim: ModbusTcpSimulator;
  let values: ValueLog;

  const list = async () => (await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list')).devices;
  const byId = async (id: string): Promise<DeviceInfo | undefined> => (await list()).find((d) => d.id === id);

  beforeEach(async () => {
    sim = new ModbusTcpSimulator();
    await sim.start();
    gw = await startGateway();
    values = new ValueLog(gw.connection);
  });
  afterEach(async () => {
    await gw.close();
    await sim.stop();
  });

  it('lists a device with "enabled": false, never connects to it, and says why it reads nothing', async () => {
    await gw.connection.sendRequest('bifrost/config/load', {
      devices: [tcpDevice('off', sim.port, { enabled: false, allowWrites: true }), tcpDevice('on', sim.port)],
    });
    // The enabled twin on the same simulator shows how long connecting takes.
    await waitFor('the enabled device connected', async () => (await byId('on'))?.status === 'connected');
    const off = (await byId('off'))!;
    assert.deepEqual([off.enabled, off.status, off.lastError], [false, 'disconnected', 'off: disabled in the configuration']);
    assert.equal(sim.connectionCount, 1, 'only the enabled device connected');

    const read = await gw.connection.sendRequest<TagsReadResult>('bifrost/tags/read', { deviceId: 'off', tags: ['holding:0'] });
    assert.deepEqual(read.results.map((r) => [r.quality, r.value, r.error]), [['bad', null, 'off: disabled in the configuration']]);
    const err = await rpcError(gw.connection.sendRequest('bifrost/tags/write', { deviceId: 'off', tag: 'holding:0', value: 1 }));
    assert.equal(err.code, ErrorCodes.DeviceUnavailable);
    assert.equal(err.message, 'off: not connected, cannot do writing holding register 0: off: disabled in the configuration');
    const sub = await gw.connection.sendRequest<SubscribeResult>('bifrost/subscribe', { deviceId: 'off', tags: ['holding:0'], intervalMs: 100 });
    const bad = await waitFor('a reading of the disabled device', () => values.latest(sub.subscriptionId, 'holding:0'));
    assert.deepEqual([bad.quality, bad.value, bad.error], ['bad', null, 'off: disabled in the configuration']);
    assert.equal(sim.connectionCount, 1);
  });

  it('reports a float holding NaN or an infinity as uncertain, without a value, with the reason', async () => {
    const f32 = Buffer.alloc(4);
    const put32 = (address: number, v: number) => {
      f32.writeFloatBE(v);
      sim.holdings[address] = f32.readUInt16BE(0);
      sim.holdings[address + 1] = f32.readUInt16BE(2);
    };
    put32(0, NaN);
    put32(2, Infinity);
    put32(4, -Infinity);
    put32(6, 21.5);
    const f64 = Buffer.alloc(8);
    f64.writeDoubleBE(-Infinity);
    for (let i = 0; i < 4; i++) sim.holdings[10 + i] = f64.readUInt16BE(2 * i);
    await gw.connection.sendRequest('bifrost/config/load', { devices: [tcpDevice('plc1', sim.port)] });
    await waitFor('connected', async () => (await byId('plc1'))?.status === 'connected');

    const tags = ['holding:0:float32', 'holding:2:float32', 'holding:4:float32', 'holding:6:float32', 'holding:10:float64'];
    const expected = [
      ['uncertain', null, 'plc1: holding:0:float32 holds NaN, not a finite number'],
      ['uncertain', null, 'plc1: holding:2:float32 holds Infinity, not a finite number'],
      ['uncertain', null, 'plc1: holding:4:float32 holds -Infinity, not a finite number'],
      ['good', 21.5, undefined],
      ['uncertain', null, 'plc1: holding:10:float64 holds -Infinity, not a finite number'],
    ];
    const read = await gw.connection.sendRequest<TagsReadResult>('bifrost/tags/read', { deviceId: 'plc1', tags });
    assert.deepEqual(read.results.map((r) => [r.quality, r.value, r.error]), expected);

    // A subscription tells the same, and a finite value again turns the tag good.
    const sub = await gw.connection.sendRequest<SubscribeResult>('bifrost/subscribe', { deviceId: 'plc1', tags, intervalMs: 100 });
    await waitFor('every tag read once', () => tags.every((t) => values.latest(sub.subscriptionId, t)));
    assert.deepEqual(tags.map((t) => { const r = values.latest(sub.subscriptionId, t)!; return [r.quality, r.value, r.error]; }), expected);
    put32(0, 3.25);
    const good = await waitFor('a finite value again', () => {
      const r = values.latest(sub.subscriptionId, 'holding:0:float32');
      return r?.quality === 'good' ? r : undefined;
    });
    assert.deepEqual([good.value, good.error], [3.25, undefined]);
  });

  it('stops delivering to a subscription once unsubscribed, keeps the others, and forgets its id', async () => {
    await gw.connection.sendRequest('bifrost/config/load', { devices: [tcpDevice('plc1', sim.port)] });
    const opts = { deviceId: 'plc1', tags: ['holding:0'], intervalMs: 100, onChangeOnly: false };
    const gone = await gw.connection.sendRequest<SubscribeResult>('bifrost/subscribe', opts);
    const stays = await gw.connection.sendRequest<SubscribeResult>('bifrost/subscribe', opts);
    await waitFor('values for both', () => values.count(gone.subscriptionId) >= 2 && values.count(stays.subscriptionId) >= 2);

    assert.equal(await gw.connection.sendRequest('bifrost/unsubscribe', { subscriptionId: gone.subscriptionId }), null);
    // Notifications sent before the answer have arrived by now; nothing may follow them.
    const delivered = values.count(gone.subscriptionId);
    const staysBefore = values.count(stays.subscriptionId);
    await waitFor('five more scans of the other subscription', () => values.count(stays.subscriptionId) >= staysBefore + 5);
    assert.equal(values.count(gone.subscriptionId), delivered, 'values after the unsubscribe');

    const again = await rpcError(gw.connection.sendRequest('bifrost/unsubscribe', { subscriptionId: gone.subscriptionId }));
    assert.equal(again.code, ErrorCodes.UnknownSubscription);
    assert.match(again.message, new RegExp(gone.subscriptionId));
  });

  it('gives a device id claimed by the configuration and the demo plant to whichever had it first, and reports the other', async () => {
    // The demo plant runs first: a configured "demo-tank" is refused, where it is written.
    const demo = await gw.connection.sendRequest<DemoStartResult>('bifrost/demo/start');
    const demoPort = (demo.devices.find((d) => d.id === DEMO_TANK_ID) as ModbusTcpDeviceConfig).port;
    const res = await gw.connection.sendRequest<ConfigLoadResult>('bifrost/config/load', {
      devices: [tcpDevice('plc1', sim.port), tcpDevice(DEMO_TANK_ID, sim.port)],
    });
    assert.deepEqual(res.devices, ['plc1']);
    assert.deepEqual(res.problems, [
      {
        path: '/devices/1/id',
        message: `device id "${DEMO_TANK_ID}" is already used by the demo plant; this device is not started`,
        severity: 'error',
        device: DEMO_TANK_ID,
        skipped: 'device',
        entry: '/devices/1',
      },
    ]);
    const tank = (await byId(DEMO_TANK_ID))!;
    assert.deepEqual([tank.source, tank.endpoint], ['demo', `127.0.0.1:${demoPort} unit 1`]);

    // The configuration first: the demo plant leaves out its device of that id, and says so.
    await gw.connection.sendRequest('bifrost/demo/stop');
    await gw.connection.sendRequest('bifrost/config/load', { devices: [tcpDevice(DEMO_BOILER_ID, sim.port)] });
    const second = await gw.connection.sendRequest<DemoStartResult>('bifrost/demo/start');
    assert.deepEqual(second.devices.map((d) => d.id), [DEMO_TANK_ID], 'the answer lists the demo devices that run');
    const boiler = (await byId(DEMO_BOILER_ID))!;
    assert.deepEqual([boiler.source, boiler.endpoint], ['config', `127.0.0.1:${sim.port} unit 1`]);
    assert.equal((await byId(DEMO_TANK_ID))?.source, 'demo');
    await waitFor('the clash in the log', () => gw.stderr().includes(`demo: device id "${DEMO_BOILER_ID}" is already used by the configuration; this device is not started`));
    assert.deepEqual((await gw.connection.sendRequest<DemoStartResult>('bifrost/demo/start')).devices.map((d) => d.id), [DEMO_TANK_ID], 'asked again, the same');
  });
});
