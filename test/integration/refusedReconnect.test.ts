/**
 * How soon a device is retried: a refused connection (nothing listens on the port) is cheap to
 * ask again, so it is retried within about 2 s however long the outage lasts; a device that
 * accepts TCP and then says nothing is retried ever more slowly. Both against real sockets.
 */
import { strict as assert } from 'node:assert';
import type { GatewayProcess } from '../../tools/gatewayClient';
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';
import type { DeviceStatusNotification } from '../../gateway/protocol';
import { delay, freePort, startGateway, tcpDevice, waitFor } from './harness';

/** The reconnect delays the gateway logged (at debug) for one endpoint, in order. */
function reconnectDelays(gw: GatewayProcess, port: number): number[] {
  const re = new RegExp(`^\\[debug\\] 127\\.0\\.0\\.1:${port}: reconnecting in (\\d+) ms$`, 'gm');
  return [...gw.stderr().matchAll(re)].map((m) => Number(m[1]));
}

describe('reconnecting after refused connections and silent devices', function () {
  this.timeout(60_000);
  let gw: GatewayProcess;
  let statuses: DeviceStatusNotification[];
  const sims: ModbusTcpSimulator[] = [];

  beforeEach(async () => {
    gw = await startGateway(['--log-level', 'debug']);
    statuses = [];
    gw.connection.onNotification('bifrost/deviceStatus', (n: DeviceStatusNotification) => {
      statuses.push({ ...n, timestamp: Date.now() });
    });
  });

  afterEach(async () => {
    await gw.close();
    await Promise.all(sims.splice(0).map((s) => s.stop()));
  });

  it('retries a refused connection within about 2 s through a long outage, and connects soon after the port opens', async () => {
    const port = await freePort();
    await gw.connection.sendRequest('bifrost/config/load', { devices: [tcpDevice('plc', port, { timeoutMs: 1000 })] });
    const refused = await waitFor('the refusal', () => statuses.find((s) => s.id === 'plc' && s.status === 'error'));
    assert.equal(refused.lastError, `plc: connection refused by 127.0.0.1:${port} (nothing listens there?)`);

    // Longer than the timeout backoff needs to reach delays of 4-8 s.
    await delay(10_000);
    const during = reconnectDelays(gw, port);
    assert.ok(during.length >= 6, `retried ${during.length} times in 10 s: ${during.join(', ')}`);
    assert.ok(Math.max(...during) <= 2000, `every retry of a refused connection within 2 s, got ${during.join(', ')} ms`);

    const sim = new ModbusTcpSimulator({ port });
    sims.push(sim);
    sim.holdings[0] = 7;
    await sim.start();
    const reopenedAt = Date.now();
    const connected = await waitFor('connected after the port opened', () => statuses.find((s) => s.id === 'plc' && s.status === 'connected'), 15_000);
    // Generous: the next retry is at most 2 s away, the rest is a loaded machine.
    assert.ok(connected.timestamp - reopenedAt < 4500, `connected ${connected.timestamp - reopenedAt} ms after the port opened`);
    assert.equal(connected.lastError, null);
    assert.ok(sim.connectionCount >= 1);
  });

  it('keeps the long backoff for a device that accepts the connection but never answers', async () => {
    const sim = new ModbusTcpSimulator();
    sims.push(sim);
    await sim.start();
    sim.fault = 'silent';
    await gw.connection.sendRequest('bifrost/config/load', { devices: [tcpDevice('mute', sim.port, { timeoutMs: 200 })] });
    // Delays double from 250 ms: the sixth is drawn from 4-8 s, beyond what a refusal ever waits.
    const delays = await waitFor('six reconnect delays', () => {
      const d = reconnectDelays(gw, sim.port);
      return d.length >= 6 ? d : undefined;
    }, 30_000);
    assert.ok(delays[5]! > 2000, `the sixth retry of a silent device waits longer than 2 s, got ${delays.join(', ')} ms`);
    const error = statuses.filter((s) => s.id === 'mute' && s.status === 'error').at(-1);
    assert.match(error?.lastError ?? '', /^mute: no answer within 200 ms /);
    assert.ok(!statuses.some((s) => s.id === 'mute' && s.status === 'connected'), 'a device that never answered is never connected');
  });
});
