/**
 * An OPC UA server that stops answering on an open session: a read or a write fails once the
 * device's timeoutMs is over (node-opcua alone waits 15 s, and never less than 5 s), as a timeout
 * (1007), and the device is good again once the link answers.
 */
import { strict as assert } from 'node:assert';
import type { DeviceListResult, OpcUaDeviceConfig, TagsReadResult, TagsWriteResult } from '../../gateway/protocol';
import type { GatewayProcess } from '../../tools/gatewayClient';
import { FaultProxy, opcuaFrames } from '../faults/faultProxy';
import { startGateway, waitFor } from './harness';
import { OpcUaPeer } from './opcuaDriverPeer';

/** Far below node-opcua's 15 s and its floor of 5 s; the bound leaves room for a loaded machine. */
const TIMEOUT_MS = 1000;
const BOUND_MS = 4000;

describe('OPC UA driver: a request without an answer', function () {
  this.timeout(90_000);
  const peer = new OpcUaPeer();
  let proxy: FaultProxy;
  let gw: GatewayProcess;

  before(async () => {
    await peer.start();
    proxy = new FaultProxy({ targetPort: peer.port, codec: opcuaFrames });
    await proxy.start();
    gw = await startGateway();
  });
  after(async () => {
    await gw?.close();
    await proxy?.close();
    await peer.stop();
  });

  it(`fails after the device's timeoutMs (not node-opcua's 15 s, nor its 5 s floor) as a timeout, and recovers once the link answers`, async () => {
    const device: OpcUaDeviceConfig = {
      id: 'plc',
      protocol: 'opcua',
      endpointUrl: `opc.tcp://127.0.0.1:${proxy.port}/UA/Test`,
      securityMode: 'None',
      securityPolicy: 'None',
      timeoutMs: TIMEOUT_MS,
      allowWrites: true,
      tags: [{ name: 'setpoint', nodeId: 'ns=1;s=Tank.Setpoint', access: 'readwrite' }],
    };
    await gw.connection.sendRequest('bifrost/config/load', { devices: [device] });
    const status = async () => (await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list')).devices[0]!.status;
    await waitFor('plc connected', async () => (await status()) === 'connected', 30_000);
    const good = await gw.connection.sendRequest<TagsReadResult>('bifrost/tags/read', { deviceId: 'plc', tags: ['setpoint'] });
    assert.equal(good.results[0]!.quality, 'good');
    assert.ok(proxy.accepted > 0, 'the device connected through the proxy');

    proxy.set({ kind: 'stall' });
    let t = Date.now();
    // Device problems do not fail a read: the reading is bad, with the reason.
    const read = (await gw.connection.sendRequest<TagsReadResult>('bifrost/tags/read', { deviceId: 'plc', tags: ['setpoint'] })).results[0]!;
    const readMs = Date.now() - t;
    assert.deepEqual([read.quality, read.value], ['bad', null], JSON.stringify(read));
    assert.ok(readMs < BOUND_MS, `the read failed after ${readMs} ms (${read.error}), timeoutMs is ${TIMEOUT_MS}`);
    assert.match(read.error ?? '', /no answer within 1000 ms/);

    t = Date.now();
    const written = await gw.connection.sendRequest<TagsWriteResult>('bifrost/tags/write', { deviceId: 'plc', tag: 'setpoint', value: 11 }).then(
      () => 'done',
      (e: { code: number; message: string }) => `error ${e.code} ${e.message}`,
    );
    const writeMs = Date.now() - t;
    assert.ok(written.startsWith('error 1007 '), written);
    assert.ok(writeMs < BOUND_MS, `the write failed after ${writeMs} ms (${written})`);

    proxy.clear();
    await waitFor('a good read again', async () => {
      const r = await gw.connection.sendRequest<TagsReadResult>('bifrost/tags/read', { deviceId: 'plc', tags: ['setpoint'] }).catch(() => null);
      return r?.results[0]?.quality === 'good';
    }, 45_000);
  });

  it('answers a read at once with bad readings while the device has no session, the reason in error', async () => {
    const status = async () => (await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list')).devices[0]!.status;
    await waitFor('plc connected', async () => (await status()) === 'connected', 30_000);
    proxy.set({ kind: 'drop' });
    try {
      await waitFor('plc lost its session', async () => (await status()) !== 'connected', 15_000);
      const { results } = await gw.connection.sendRequest<TagsReadResult>('bifrost/tags/read', { deviceId: 'plc', tags: ['setpoint', 'ns=1;s=Tank.Level'] });
      assert.deepEqual(results.map((r) => [r.tag, r.quality, r.value]), [['setpoint', 'bad', null], ['ns=1;s=Tank.Level', 'bad', null]]);
      assert.match(results[0]!.error ?? '', /^plc: cannot read: /);
      // A ref that is no tag is still the caller's mistake.
      const refused = await gw.connection.sendRequest('bifrost/tags/read', { deviceId: 'plc', tags: ['no such tag'] }).then(
        () => 'answered',
        (e: { code: number }) => e.code,
      );
      assert.equal(refused, 1002);
    } finally {
      proxy.clear();
    }
  });
});
