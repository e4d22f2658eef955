/**
 * Devices that die, come back, answer garbage or never answer, and what the gateway makes of
 * them: bad quality with the reason, a reset connection, good again without a gateway restart,
 * and no effect on the other devices.
 */
import { strict as assert } from 'node:assert';
import type { GatewayProcess } from '../../tools/gatewayClient';
import { ModbusTcpSimulator, type SimFault } from '../../gateway/sim/modbusServer';
import type { DeviceListResult, DeviceStatusNotification, SubscribeResult, TagsReadResult } from '../../gateway/protocol';
import { delay, freePort, rpcError, startGateway, tcpDevice, ValueLog, waitFor } from './harness';

describe('devices that fail', function () {
  this.timeout(40_000);
  let gw: GatewayProcess;
  let values: ValueLog;
  let statuses: DeviceStatusNotification[];
  const sims: ModbusTcpSimulator[] = [];

  async function sim(): Promise<ModbusTcpSimulator> {
    const s = new ModbusTcpSimulator();
    await s.start();
    sims.push(s);
    return s;
  }

  beforeEach(async () => {
    gw = await startGateway();
    values = new ValueLog(gw.connection);
    statuses = [];
    gw.connection.onNotification('bifrost/deviceStatus', (n: DeviceStatusNotification) => {
      statuses.push(n);
    });
  });

  afterEach(async () => {
    await gw.close();
    await Promise.all(sims.splice(0).map((s) => s.stop()));
  });

  it('turns tags bad with the reason when the device dies, and good again when it returns, on the same gateway', async () => {
    const plc = await sim();
    plc.holdings[0] = 42;
    await gw.connection.sendRequest('bifrost/config/load', { devices: [tcpDevice('plc1', plc.port)] });
    const sub = await gw.connection.sendRequest<SubscribeResult>('bifrost/subscribe', { deviceId: 'plc1', tags: ['holding:0'], intervalMs: 100 });
    await waitFor('a good value', () => values.latest(sub.subscriptionId, 'holding:0')?.quality === 'good');
    const pid = gw.child.pid;

    await plc.stop();
    const bad = await waitFor('a bad reading', () => {
      const r = values.latest(sub.subscriptionId, 'holding:0');
      return r?.quality === 'bad' ? r : undefined;
    });
    assert.equal(bad.value, null, 'the last good value is never shown as current');
    assert.match(bad.error ?? '', /^plc1: /);
    await waitFor('status error', () => statuses.some((s) => s.id === 'plc1' && s.status === 'error'));
    const read = await gw.connection.sendRequest<TagsReadResult>('bifrost/tags/read', { deviceId: 'plc1', tags: ['holding:0'] });
    assert.equal(read.results[0]!.quality, 'bad');
    assert.match(read.results[0]!.error ?? '', /plc1: /);

    plc.holdings[0] = 43;
    await plc.start();
    const good = await waitFor('a good value again', () => {
      const r = values.latest(sub.subscriptionId, 'holding:0');
      return r?.quality === 'good' ? r : undefined;
    }, 20_000);
    assert.equal(good.value, 43);
    assert.equal(gw.child.pid, pid);
    const list = await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list');
    assert.equal(list.devices[0]!.status, 'connected');
    assert.ok(list.devices[0]!.stats.reconnects >= 1);
  });

  const faults: [SimFault, RegExp][] = [
    ['garbage', /^plc1: bad answer reading holding registers 0-1 \(not a Modbus TCP frame/],
    ['short-frame', /^plc1: bad answer reading holding registers 0-1 \(the answer carries [0-3] of the 4 data bytes it announces\); connection reset$/],
    ['wrong-transaction-id', /^plc1: bad answer reading holding registers 0-1 \(answer to transaction \d+, \d+ was asked\); connection reset$/],
    ['silent', /plc1: no answer within 300 ms reading holding registers 0-1/],
  ];
  for (const [fault, expected] of faults) {
    it(`survives a device that answers with ${fault}: clear error, reset connection, never a wrong value`, async () => {
      const plc = await sim();
      plc.holdings[0] = 7;
      plc.holdings[1] = 8;
      await gw.connection.sendRequest('bifrost/config/load', { devices: [tcpDevice('plc1', plc.port, { timeoutMs: 300 })] });
      await waitFor('connected', async () => (await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list')).devices[0]!.status === 'connected');
      const connectionsBefore = plc.connectionCount;
      assert.equal(connectionsBefore, 1);

      plc.fault = fault;
      const res = await gw.connection.sendRequest<TagsReadResult>('bifrost/tags/read', { deviceId: 'plc1', tags: ['holding:0', 'holding:1'] });
      for (const r of res.results) {
        assert.equal(r.quality, 'bad');
        assert.equal(r.value, null);
        assert.match(r.error ?? '', expected);
      }
      plc.fault = null;
      // The suspect connection was dropped and a new one made; values are right again.
      await waitFor('reconnected', async () => (await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list')).devices[0]!.status === 'connected');
      const ok = await gw.connection.sendRequest<TagsReadResult>('bifrost/tags/read', { deviceId: 'plc1', tags: ['holding:0', 'holding:1'] });
      assert.deepEqual(ok.results.map((r) => [r.quality, r.value]), [['good', 7], ['good', 8]]);
      const stats = (await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list')).devices[0]!.stats;
      assert.ok(stats.errors >= 1);
      assert.ok(stats.reconnects >= 1);
      assert.ok(statuses.some((s) => s.id === 'plc1' && s.status === 'error'));
    });
  }

  it('counts refused connects as failed connects, not as requests, and says why', async () => {
    const refused = await freePort();
    await gw.connection.sendRequest('bifrost/config/load', { devices: [tcpDevice('nobody-home', refused)] });
    const device = await waitFor('two refused connects counted', async () => {
      const d = (await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list')).devices[0]!;
      return (d.stats.connectFailures ?? 0) >= 2 ? d : undefined;
    }, 20_000);
    assert.equal(device.status, 'error');
    assert.match(device.lastError ?? '', /^nobody-home: connection refused by 127\.0\.0\.1:\d+/);
    assert.deepEqual([device.stats.requests, device.stats.reconnects], [0, 0], 'no request was sent, and nothing reconnected');
  });

  it('keeps scanning healthy devices at their rate while others are unreachable or mute', async () => {
    const healthy = await sim();
    const mute = await sim();
    mute.fault = 'silent';
    const refused = await freePort();
    await gw.connection.sendRequest('bifrost/config/load', {
      devices: [
        tcpDevice('healthy', healthy.port),
        tcpDevice('mute', mute.port, { timeoutMs: 1000 }),
        tcpDevice('refused', refused),
        // A routable-looking address that never answers a SYN (TEST-NET-1, RFC 5737).
        tcpDevice('blackhole', 502, { host: '192.0.2.1', timeoutMs: 1000 }),
      ],
    });
    const subs: Record<string, string> = {};
    for (const id of ['healthy', 'mute', 'refused', 'blackhole']) {
      const s = await gw.connection.sendRequest<SubscribeResult>('bifrost/subscribe', { deviceId: id, tags: ['holding:0', 'coil:0'], intervalMs: 100, onChangeOnly: false });
      subs[id] = s.subscriptionId;
    }
    await delay(3000);
    // 3 s at 100 ms is 30 scans; a healthy device slowed down by the others would deliver a few.
    const n = values.count(subs['healthy']!);
    assert.ok(n >= 15, `the healthy device delivered only ${n} batches in 3 s`);
    for (const id of ['mute', 'refused', 'blackhole']) {
      const r = values.latest(subs[id]!, 'holding:0');
      assert.equal(r?.quality, 'bad', `${id} should be bad`);
      assert.match(r?.error ?? '', new RegExp(`^${id}: `));
    }
    const list = await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list');
    const byId = Object.fromEntries(list.devices.map((d) => [d.id, d]));
    assert.equal(byId['healthy']!.status, 'connected');
    assert.equal(byId['healthy']!.stats.connectFailures, 0);
    assert.match(byId['refused']!.lastError ?? '', /connection refused/);
  });

  it('keeps the other devices untouched when the configuration changes one of them', async () => {
    const a = await sim();
    const b = await sim();
    await gw.connection.sendRequest('bifrost/config/load', { devices: [tcpDevice('a', a.port), tcpDevice('b', b.port)] });
    await waitFor('both connected', () => a.connectionCount === 1 && b.connectionCount === 1);
    const sub = await gw.connection.sendRequest<SubscribeResult>('bifrost/subscribe', { deviceId: 'b', tags: ['holding:0'], intervalMs: 100 });
    await gw.connection.sendRequest('bifrost/config/load', { devices: [tcpDevice('a', a.port), tcpDevice('b', b.port, { pollIntervalMs: 250 })] });
    b.holdings[0] = 99;
    // The subscription moved to the reconfigured device and keeps delivering.
    await waitFor('the new value through the moved subscription', () => values.latest(sub.subscriptionId, 'holding:0')?.value === 99);
    assert.equal(a.connectionCount, 1);
    // Moving to the reconfigured device never reported the tag bad: there was no outage.
    const readings = (values.batches.get(sub.subscriptionId) ?? []).flat();
    assert.deepEqual(readings.filter((r) => r.quality !== 'good'), []);
    assert.ok(!statuses.some((s) => s.id === 'b' && s.status === 'disconnected'), 'the replaced connection reports nothing');

    await gw.connection.sendRequest('bifrost/config/load', { devices: [tcpDevice('a', a.port)] });
    const gone = await waitFor('bad after removal', () => {
      const r = values.latest(sub.subscriptionId, 'holding:0');
      return r?.quality === 'bad' ? r : undefined;
    });
    assert.equal(gone.error, 'b: device removed from the configuration');
    await delay(300);
    const after = (values.batches.get(sub.subscriptionId) ?? []).flat().filter((r) => r.quality === 'bad');
    assert.equal(after.length, 1, 'the removal is told once');

    // A document that is not a configuration is refused whole; the running device stays.
    const err = await rpcError(gw.connection.sendRequest('bifrost/config/load', {}));
    assert.equal(err.code, 1011);
    assert.match(err.message, /configuration not loaded, the devices keep running as they were: the configuration needs a "devices" array/);
    const list = await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list');
    assert.deepEqual(list.devices.map((d) => d.id), ['a']);
  });
});
