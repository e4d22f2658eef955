/**
 * Inline refs ("holding:0:string:40") are parsed once for every device that names them; each
 * device still judges them against its own limits.
 */
import { strict as assert } from 'node:assert';
import type { GatewayProcess } from '../../tools/gatewayClient';
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';
import { ErrorCodes, type ConfigLoadResult, type ModbusTcpDeviceConfig, type TagsReadResult } from '../../gateway/protocol';
import { rpcError, startGateway, tcpDevice } from './harness';

describe('inline refs on several devices', function () {
  this.timeout(20_000);
  let gw: GatewayProcess;
  let sim: ModbusTcpSimulator;
  const read = (deviceId: string, tags: string[]) => gw.connection.sendRequest<TagsReadResult>('bifrost/tags/read', { deviceId, tags });

  before(async () => {
    sim = new ModbusTcpSimulator();
    await sim.start();
    gw = await startGateway();
    const res = await gw.connection.sendRequest<ConfigLoadResult>('bifrost/config/load', {
      devices: [tcpDevice('wide', sim.port), tcpDevice('narrow', sim.port, { maxRegistersPerRead: 10 } as Partial<ModbusTcpDeviceConfig>), tcpDevice('wide2', sim.port)],
    });
    assert.deepEqual(res.problems, []);
  });
  after(async () => {
    await gw.close();
    await sim.stop();
  });

  it('refuses a ref longer than a device reads at once on that device only, whichever device named it first', async () => {
    const long = 'holding:0:string:40'; // 40 registers
    let wide: TagsReadResult | undefined;
    for (let i = 0; i < 50 && wide?.results[0]?.quality !== 'good'; i++) {
      wide = await read('wide', [long]);
      if (wide.results[0]?.quality !== 'good') await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(wide!.results[0]!.quality, 'good', JSON.stringify(wide));
    assert.equal(wide!.results[0]!.tag, long);
    const refused = await rpcError(read('narrow', [long]));
    assert.equal(refused.code, ErrorCodes.BadTagRef);
    assert.match(refused.message, /^narrow: holding:0:string:40 spans 40 registers, more than this device reads at once \(10\)/);
    // A ref first refused elsewhere is still good where it fits.
    const other = 'holding:100:string:30';
    assert.match((await rpcError(read('narrow', [other]))).message, /^narrow: .* spans 30 registers/);
    const wide2 = await read('wide2', [other]);
    assert.deepEqual(wide2.results.map((r) => [r.tag, r.quality]), [[other, 'good']]);
  });
});
