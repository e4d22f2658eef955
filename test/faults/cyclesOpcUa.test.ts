/**
 * An OPC UA server that goes down and comes back, again and again: after every return the
 * subscribed values are good and current on one session, and after all of them the gateway holds
 * what it held before (no socket, descriptor or timer left from an earlier session).
 */
import { strict as assert } from 'node:assert';
import { rmSync } from 'node:fs';
import type { OpcUaDeviceConfig, SubscribeResult } from '../../gateway/protocol';
import { OpcUaPeer, tempPki } from '../integration/opcuaDriverPeer';
import { delay, ValueLog, waitFor } from '../integration/harness';
import { describeHeld, grown, watchedGateway, type Held } from './leaks';

const CYCLES = Number(process.env['BIFROST_OPCUA_CYCLES'] ?? process.env['BIFROST_CYCLES'] ?? 100);

describe('cycles: an OPC UA server restarted', function () {
  this.timeout(CYCLES * 15_000 + 60_000);
  let watched: Awaited<ReturnType<typeof watchedGateway>>;
  const peer = new OpcUaPeer();
  const pki = tempPki();

  before(async () => {
    watched = await watchedGateway();
    await peer.start();
  });

  after(async () => {
    await watched?.close();
    await peer.stop();
    rmSync(pki, { recursive: true, force: true });
  });

  it(`${CYCLES} times: good values after each restart on one session, no descriptor, socket or timer left behind`, async () => {
    const { gw } = watched;
    const values = new ValueLog(gw.connection);
    const device: OpcUaDeviceConfig = {
      id: 'plc',
      protocol: 'opcua',
      endpointUrl: peer.endpointUrl,
      securityMode: 'None',
      securityPolicy: 'None',
      timeoutMs: 5000,
      tags: [{ name: 'counter', nodeId: 'ns=1;s=Tank.Counter' }],
    };
    await gw.connection.sendRequest('bifrost/config/load', { devices: [device] });
    const sub = await gw.connection.sendRequest<SubscribeResult>('bifrost/subscribe', { deviceId: 'plc', tags: ['counter'], intervalMs: 200 });
    const latest = () => values.latest(sub.subscriptionId, 'counter');
    const port = peer.port;

    const times: number[] = [];
    const cycle = async (i: number) => {
      const t0 = performance.now();
      await peer.kill();
      await waitFor(`bad quality after stop ${i}`, () => latest()?.quality === 'bad', 30_000);
      // The counter is tenths of a second since the epoch: a good value above this is from the new server.
      const restartedAt = Math.floor(Date.now() / 100);
      await peer.start(port);
      await waitFor(`current values after restart ${i}`, () => latest()?.quality === 'good' && (latest()?.value as number) > restartedAt, 60_000);
      times.push(performance.now() - t0);
    };

    await waitFor('a first good value', () => latest()?.quality === 'good', 30_000);
    await cycle(0);
    await delay(500);
    const before: Held = await watched.held();
    for (let i = 1; i <= CYCLES; i++) await cycle(i);
    await delay(500);
    const after: Held = await watched.held();

    const growth = grown(before, after, 2);
    assert.deepEqual(growth, [], `after ${CYCLES} restarts: before ${describeHeld(before)}; after ${describeHeld(after)}`);
    await waitFor('one session on the server', () => peer.sessions === 1, 10_000);
    times.sort((a, b) => a - b);
    console.log(`      held before: ${describeHeld(before)}; after ${CYCLES} restarts: ${describeHeld(after)}; restart → values median ${Math.round(times[times.length >> 1]!)} ms`);
  });
});
