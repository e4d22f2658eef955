/**
 * Subscriptions that share a scan group, counted at the device: a tag is read once per scan
 * however many subscriptions (or how many times one subscription) name it, and leaving lets go
 * of exactly what was taken. A removed device's notice names each key once.
 */
import { strict as assert } from 'node:assert';
import type { GatewayProcess } from '../../tools/gatewayClient';
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';
import type { DeviceListResult, SubscribeResult, TagReading } from '../../gateway/protocol';
import { startGateway, tcpDevice, ValueLog, waitFor } from './harness';

const FC_READ_HOLDING = 3;
const FC_READ_INPUT = 4;

describe('scan groups', function () {
  this.timeout(20_000);
  let gw: GatewayProcess;
  let sim: ModbusTcpSimulator;
  let values: ValueLog;
  const device = () => tcpDevice('plc', sim.port, { tags: [{ name: 'a', area: 'holding', address: 0 }, { name: 'b', area: 'input', address: 0 }] });
  const subscribe = (tags: string[], onChangeOnly = true) => gw.connection.sendRequest<SubscribeResult>('bifrost/subscribe', { deviceId: 'plc', tags, intervalMs: 50, onChangeOnly });
  const count = (fc: number) => sim.functionCodeCounts[fc]!;
  const readings = (id: string, tag: string): TagReading[] => (values.batches.get(id) ?? []).flatMap((b) => b.filter((r) => r.tag === tag));

  beforeEach(async () => {
    sim = new ModbusTcpSimulator();
    await sim.start();
    gw = await startGateway();
    values = new ValueLog(gw.connection);
    await gw.connection.sendRequest('bifrost/config/load', { devices: [device()] });
    await waitFor('connected', async () => (await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list')).devices[0]?.status === 'connected');
  });
  afterEach(async () => {
    await gw.close();
    await sim.stop();
  });

  it('a subscription naming a tag twice, unsubscribed, leaves every tag read as often as before it came', async () => {
    // One reading of "a" per scan: its notifications count the scans.
    const stays = await subscribe(['a'], false);
    await waitFor('scans', () => readings(stays.subscriptionId, 'a').length >= 3);
    const inputsBefore = count(FC_READ_INPUT);

    const twice = await subscribe(['a', 'b', 'b']);
    assert.deepEqual(twice.tags, ['a', 'b', 'b']);
    await waitFor('"b" polled', () => count(FC_READ_INPUT) >= inputsBefore + 3);
    await gw.connection.sendRequest('bifrost/unsubscribe', { subscriptionId: twice.subscriptionId });

    const inputs = count(FC_READ_INPUT);
    const holdings = count(FC_READ_HOLDING);
    const scans = readings(stays.subscriptionId, 'a').length;
    await waitFor('ten more scans', () => readings(stays.subscriptionId, 'a').length >= scans + 10);
    const moreScans = readings(stays.subscriptionId, 'a').length - scans;
    // A scan already under way when the answer came may still read "b" once.
    assert.ok(count(FC_READ_INPUT) - inputs <= 1, `"b" is no longer read (${count(FC_READ_INPUT) - inputs} reads in ${moreScans} scans)`);
    const holdingReads = count(FC_READ_HOLDING) - holdings;
    assert.ok(Math.abs(holdingReads - moreScans) <= 1, `"a" is read once per scan (${holdingReads} reads in ${moreScans} scans)`);
  });

  it('a removed device reports each key of a subscription bad once, even a key named twice', async () => {
    const twice = await subscribe(['b', 'a', 'b']);
    const once = await subscribe(['a']);
    await waitFor('first values', () => values.count(twice.subscriptionId) > 0 && values.count(once.subscriptionId) > 0);
    const seen = new Map([twice, once].map((s) => [s.subscriptionId, values.count(s.subscriptionId)]));

    // The notices are sent before the answer to the load, on the same stream.
    await gw.connection.sendRequest('bifrost/config/load', { devices: [] });
    const after = (id: string) => (values.batches.get(id) ?? []).slice(seen.get(id));
    const [notice, ...more] = after(twice.subscriptionId);
    assert.deepEqual(more, [], 'one notice');
    assert.deepEqual(notice!.map((r) => r.tag).sort(), ['a', 'b']);
    assert.ok(notice!.every((r) => r.quality === 'bad' && r.value === null && r.error === 'plc: device removed from the configuration'), JSON.stringify(notice));
    assert.deepEqual(after(once.subscriptionId).map((batch) => batch.map((r) => [r.tag, r.quality])), [[['a', 'bad']]]);
  });
});
