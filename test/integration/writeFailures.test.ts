/**
 * Writes that fail at the device, each with its code and message: not connected (1005), no
 * answer (1007), a garbled answer (1008), too many waiting (1010). A write is reported done only
 * when the device confirmed it, so each of these is an error, never a success.
 */
import { strict as assert } from 'node:assert';
import type { GatewayProcess } from '../../tools/gatewayClient';
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';
import type { DeviceListResult, DeviceStatusNotification } from '../../gateway/protocol';
import { ErrorCodes } from '../../gateway/protocol';
import { rpcError, startGateway, tcpDevice, waitFor } from './harness';

describe('writes that fail at the device', function () {
  this.timeout(30_000);
  let gw: GatewayProcess;
  let sim: ModbusTcpSimulator;
  let statuses: DeviceStatusNotification[];

  const device = async () => (await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list')).devices[0]!;
  const write = (value: number, tag = 'holding:5') => gw.connection.sendRequest('bifrost/tags/write', { deviceId: 'plc1', tag, value });

  async function load(timeoutMs: number): Promise<void> {
    await gw.connection.sendRequest('bifrost/config/load', { devices: [tcpDevice('plc1', sim.port, { allowWrites: true, timeoutMs })] });
    await waitFor('connected', async () => (await device()).status === 'connected');
  }

  beforeEach(async () => {
    sim = new ModbusTcpSimulator();
    await sim.start();
    gw = await startGateway();
    statuses = [];
    gw.connection.onNotification('bifrost/deviceStatus', (n: DeviceStatusNotification) => void statuses.push(n));
  });
  afterEach(async () => {
    await gw.close();
    await sim.stop();
  });

  it('1005 when the device is not connected, naming why', async () => {
    await load(300);
    await sim.stop();
    await waitFor('a refused reconnection', async () => /connection refused/.test((await device()).lastError ?? ''), 20_000);
    const err = await rpcError(write(7));
    assert.equal(err.code, ErrorCodes.DeviceUnavailable, err.message);
    assert.match(err.message, new RegExp(`^plc1: not connected, cannot do writing holding register 5: .*connection refused by 127\\.0\\.0\\.1:${sim.port}`));
  });

  it('1007 when the device does not answer, and the connection is made again', async () => {
    await load(300);
    const before = (await device()).stats;
    sim.fault = 'silent';
    const err = await rpcError(write(7));
    assert.equal(err.code, ErrorCodes.Timeout, err.message);
    assert.equal(err.message, 'plc1: no answer within 300 ms writing holding register 5');
    sim.fault = null;
    await waitFor('a new connection', () => statuses.some((s) => s.status === 'error') && sim.connectionCount === 1 && statuses.at(-1)?.status === 'connected');
    const after = (await device()).stats;
    assert.equal(after.timeouts - before.timeouts, 1);
    assert.ok(after.reconnects > before.reconnects, 'a late answer could be taken for the next request\'s: the connection was replaced');
    await write(8);
    assert.equal(sim.holdings[5], 8, 'writes work again');
  });

  it('1008 when the answer is not a Modbus answer, and the connection is reset', async () => {
    await load(300);
    sim.fault = 'garbage';
    const err = await rpcError(write(7));
    assert.equal(err.code, ErrorCodes.ProtocolError, err.message);
    assert.match(err.message, /^plc1: bad answer writing holding register 5 \(.+\); connection reset$/);
    sim.fault = null;
    await waitFor('connected again', async () => (await device()).status === 'connected');
    await write(9);
    assert.equal(sim.holdings[5], 9);
  });

  it('1010 for a write beyond the 64 that already wait; the waiting ones fail with 1005 when the connection goes', async () => {
    await load(3000);
    sim.fault = 'silent';
    // One in flight (it will time out), 64 waiting behind it, and one more.
    const results = await Promise.all(Array.from({ length: 66 }, (_, i) => rpcError(write(i, `holding:${i}`))));
    const byCode = new Map<number, string[]>();
    for (const r of results) byCode.set(r.code, [...(byCode.get(r.code) ?? []), r.message]);
    assert.deepEqual([...byCode.keys()].sort(), [ErrorCodes.DeviceUnavailable, ErrorCodes.Timeout, ErrorCodes.DeviceBusy].sort(), JSON.stringify([...byCode]));
    assert.deepEqual(byCode.get(ErrorCodes.DeviceBusy), [`plc1: 64 requests already waiting for 127.0.0.1:${sim.port}; try again later`]);
    assert.deepEqual(byCode.get(ErrorCodes.Timeout), ['plc1: no answer within 3000 ms writing holding register 0']);
    // Each waiting write says it was not sent, and why.
    assert.deepEqual(
      results.slice(1, 65).map((r) => [r.code, r.message]),
      Array.from({ length: 64 }, (_, i) => [
        ErrorCodes.DeviceUnavailable,
        `plc1: connection lost before writing holding register ${i + 1} (no answer within 3000 ms writing holding register 0)`,
      ]),
    );
    assert.deepEqual([...sim.holdings.subarray(1, 66)], new Array(65).fill(0), 'nothing but the first write reached the device');
    assert.equal(results[65]!.code, ErrorCodes.DeviceBusy, 'the last one asked is the one refused');
  });
});
