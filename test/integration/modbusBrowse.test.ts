/**
 * `bifrost/browse` on Modbus TCP devices: a flat list of the configured tags with their TagInfo
 * (data type, value kind, whether and what may be written, and why not), paged by continuation.
 */
import { strict as assert } from 'node:assert';
import type { GatewayProcess } from '../../tools/gatewayClient';
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';
import type { BrowseItem, BrowseResult, ConfigLoadResult, ModbusTagConfig } from '../../gateway/protocol';
import { freePort, rpcError, startGateway, tcpDevice } from './harness';

describe('Modbus browse', function () {
  this.timeout(20_000);
  let gw: GatewayProcess;
  let sim: ModbusTcpSimulator;
  const tags: ModbusTagConfig[] = [
    { name: 'level', address: 'holding:0:float32', unit: '%', description: 'Tank level' },
    { name: 'setpoint', address: 'holding:2:float32', access: 'readwrite' },
    { name: 'count', address: 'holding:4:int16', access: 'readwrite' },
    { name: 'pump', area: 'coil', address: 0, access: 'readwrite' },
    { name: 'batch', address: 'holding:10:string:4', access: 'readwrite' },
    { name: 'temp', address: 'input:0:int16*0.1', access: 'readwrite', unit: '°C' },
    { name: 'energy', address: 'holding:20:uint64', access: 'readwrite' },
  ];
  const browse = (params: object) => gw.connection.sendRequest<BrowseResult>('bifrost/browse', params);

  before(async () => {
    sim = new ModbusTcpSimulator();
    await sim.start();
    gw = await startGateway();
    const res = await gw.connection.sendRequest<ConfigLoadResult>('bifrost/config/load', {
      devices: [
        tcpDevice('plc', sim.port, { allowWrites: true, tags }),
        tcpDevice('ro', sim.port, { tags: [{ name: 'setpoint', address: 'holding:2:float32', access: 'readwrite' }] }),
        // Nothing listens there: the configured tags are listed all the same.
        tcpDevice('off', await freePort(), { tags: [{ name: 'x', area: 'holding', address: 0 }] }),
      ],
    });
    assert.deepEqual(res.problems, []);
  });
  after(async () => {
    await gw.close();
    await sim.stop();
  });

  it('lists the configured tags, flat, each with its TagInfo', async () => {
    const res = await browse({ deviceId: 'plc' });
    assert.equal(res.continuation, undefined);
    assert.deepEqual(res.items.map((i) => [i.ref, i.name, i.nodeClass, i.hasChildren]), tags.map((t) => [t.name, t.name, 'variable', false]));
    assert.ok(res.items.every((i) => i.dataType === i.tag!.dataType && i.writable === i.tag!.writable && i.tag!.name === i.ref));
    const info = (name: string) => res.items.find((i) => i.name === name)!.tag!;
    assert.deepEqual(
      res.items.map((i) => [i.name, i.tag!.address, i.tag!.dataType, i.tag!.valueKind, i.tag!.access, i.tag!.writable]),
      [
        ['level', 'holding:0:float32', 'float32', 'number', 'read', false],
        ['setpoint', 'holding:2:float32', 'float32', 'number', 'readwrite', true],
        ['count', 'holding:4:int16', 'int16', 'integer', 'readwrite', true],
        ['pump', 'coil:0', 'bool', 'boolean', 'readwrite', true],
        ['batch', 'holding:10:string:4', 'string', 'string', 'readwrite', true],
        ['temp', 'input:0:int16*0.1', 'int16', 'number', 'readwrite', false],
        ['energy', 'holding:20:uint64', 'uint64', 'integer', 'readwrite', true],
      ],
    );
    assert.deepEqual([info('level').unit, info('level').description, info('temp').unit], ['%', 'Tank level', '°C']);

    // Why not, in words a person can act on; and no writeSpec where nothing may be written.
    assert.equal(info('level').notWritableReason, 'tag "level" is read-only (its access is "read"); set "access": "readwrite" on the tag to allow writes');
    assert.equal(info('temp').notWritableReason, 'temp is in the input area, which Modbus does not let anyone write');
    for (const name of ['level', 'temp']) assert.equal(info(name).writeSpec, undefined, name);

    // What a write may carry, on every writable tag, and no reason against it.
    assert.deepEqual(info('pump').writeSpec, { kind: 'boolean' });
    assert.deepEqual(info('batch').writeSpec, { kind: 'string', maxLength: 8, ascii: true });
    for (const name of ['setpoint', 'count', 'energy']) {
      const spec = info(name).writeSpec;
      assert.ok(spec && (spec.kind === 'number' || spec.kind === 'integer'), `${name}: ${JSON.stringify(spec)}`);
    }
    for (const name of ['setpoint', 'count', 'pump', 'batch', 'energy']) assert.equal(info(name).notWritableReason, undefined, name);
  });

  it('says that nothing may be written to a device without allowWrites, whatever its tags allow', async () => {
    const [item] = (await browse({ deviceId: 'ro' })).items as [BrowseItem];
    assert.deepEqual([item.writable, item.tag!.access, item.tag!.writeSpec], [false, 'readwrite', undefined]);
    assert.equal(item.tag!.notWritableReason, 'writes are disabled for this device; set "allowWrites": true in its configuration to allow them');
  });

  it('lists the tags of a device that is not connected', async () => {
    assert.deepEqual((await browse({ deviceId: 'off' })).items.map((i) => i.ref), ['x']);
  });

  it('pages with continuation: every tag exactly once, in order', async () => {
    const pages: BrowseResult[] = [];
    let continuation: string | undefined;
    do {
      const page = await browse({ deviceId: 'plc', maxItems: 3, continuation });
      pages.push(page);
      continuation = page.continuation;
    } while (continuation !== undefined && pages.length < 10);
    assert.deepEqual(pages.map((p) => p.items.length), [3, 3, 1]);
    assert.deepEqual(pages.flatMap((p) => p.items.map((i) => i.ref)), tags.map((t) => t.name));
    assert.deepEqual(pages.flatMap((p) => p.items), (await browse({ deviceId: 'plc' })).items);
  });

  it('refuses a node (1002), a foreign continuation and a bad page size (-32602), and an unknown device (1001)', async () => {
    const cases: [object, number, RegExp][] = [
      [{ deviceId: 'plc', node: 'level' }, 1002, /^plc: a Modbus device has no nodes to browse into \("level"\); browse without "node" for its tags$/],
      [{ deviceId: 'plc', continuation: 'page-two' }, -32602, /"continuation" "page-two" does not come from a browse of plc/],
      [{ deviceId: 'plc', continuation: '99' }, -32602, /does not come from a browse of plc/],
      [{ deviceId: 'plc', maxItems: 0 }, -32602, /"maxItems" must be a whole number from 1 to 10000 \(got 0\)/],
      [{ deviceId: 'plc', node: 7 }, -32602, /"node" must be a string/],
      [{ deviceId: 'nobody' }, 1001, /unknown device "nobody"/],
    ];
    for (const [params, code, message] of cases) {
      const err = await rpcError(browse(params));
      assert.equal(err.code, code, `${JSON.stringify(params)}: ${err.message}`);
      assert.match(err.message, message);
    }
  });
});
