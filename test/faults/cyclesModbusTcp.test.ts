/**
 * A Modbus TCP device that loses power and comes back, again and again: after every return its
 * values are good and current, and after all of them the gateway holds what it held before (no
 * socket, descriptor or timer left from an earlier connection).
 */
import { strict as assert } from 'node:assert';
import type { SubscribeResult } from '../../gateway/protocol';
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';
import { tcpDevice, ValueLog, waitFor } from '../integration/harness';
import { describeHeld, grown, watchedGateway, type Held } from './leaks';

const CYCLES = Number(process.env['BIFROST_CYCLES'] ?? 100);

describe('cycles: a Modbus TCP device restarted', function () {
  this.timeout(CYCLES * 5_000 + 60_000);
  let watched: Awaited<ReturnType<typeof watchedGateway>>;
  let sim: ModbusTcpSimulator;

  before(async () => {
    watched = await watchedGateway();
    sim = new ModbusTcpSimulator();
    await sim.start();
  });

  after(async () => {
    await watched?.close();
    await sim?.stop();
  });

  it(`${CYCLES} times: good values after each restart, no descriptor, socket or timer left behind`, async () => {
    const { gw } = watched;
    const values = new ValueLog(gw.connection);
    await gw.connection.sendRequest('bifrost/config/load', { devices: [tcpDevice('plc', sim.port, { timeoutMs: 1000 })] });
    const sub = await gw.connection.sendRequest<SubscribeResult>('bifrost/subscribe', { deviceId: 'plc', tags: ['holding:0'], intervalMs: 100 });
    const latest = () => values.latest(sub.subscriptionId, 'holding:0');

    const cycle = async (i: number) => {
      await sim.stop();
      await waitFor(`bad quality after stop ${i}`, () => latest()?.quality === 'bad');
      sim.holdings[0] = i;
      await sim.start();
      await waitFor(`the value ${i} after restart ${i}`, () => latest()?.quality === 'good' && latest()?.value === i, 20_000);
    };

    // One cycle first: what a reconnect creates once (and keeps) is not a leak.
    sim.holdings[0] = 50_000;
    await waitFor('a first good value', () => latest()?.quality === 'good' && latest()?.value === 50_000);
    await cycle(0);
    const before: Held = await watched.held();
    for (let i = 1; i <= CYCLES; i++) await cycle(i);
    const after: Held = await watched.held();

    const growth = grown(before, after, 2);
    assert.deepEqual(growth, [], `after ${CYCLES} restarts: before ${describeHeld(before)}; after ${describeHeld(after)}`);
    assert.equal(sim.connectionCount, 1, 'one connection to the device');
    console.log(`      held before: ${describeHeld(before)}; after ${CYCLES} restarts: ${describeHeld(after)}`);
  });
});
