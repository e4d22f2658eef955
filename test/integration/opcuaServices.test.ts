/**
 * The OPC UA session services against a real node-opcua server (test/integration/opcuaValuesPeer.ts)
 * through a bare node-opcua client session: reads and writes of every type, refusals, attributes,
 * paths, methods and history.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageSecurityMode, OPCUAClient, SecurityPolicy, type ClientSession } from 'node-opcua-client';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import { isBifrostError } from '../../gateway/errors';
import { ErrorCodes, type TagValue } from '../../gateway/protocol';
import {
  callMethod,
  describeMethod,
  describeVariables,
  parseNodeId,
  readAttributes,
  readHistory,
  readValues,
  resolveNode,
  writeSpecOf,
  writeValue,
  type VariableMeta,
} from '../../gateway/opcua/services';
import { HISTORY_COUNT, HISTORY_START, MAX_NODES_PER_READ, SAMPLE_TYPES, startValuesPeer, type ValuesPeer } from './opcuaValuesPeer';

/** What each sample reads as (opcuaValuesPeer's SAMPLES), scalar = first, array = both. */
const EXPECTED: Record<string, [TagValue, TagValue]> = {
  Boolean: [true, false],
  SByte: [-128, 127],
  Byte: [0, 255],
  Int16: [-32768, 32767],
  UInt16: [0, 65535],
  Int32: [-2147483648, 2147483647],
  UInt32: [0, 4294967295],
  Int64: ['9007199254740993', -5],
  UInt64: ['18446744073709551615', 42],
  Float: [0.1, -2.5],
  Double: [3.141592653589793, -1e300],
  String: ['Tank 1', 'ünïcødé'],
  DateTime: ['2026-12-01T10:00:00.123Z', '2000-01-01T00:00:00.000Z'],
  ByteString: ['AAEC+g==', 'aGk='],
  Guid: ['72962B91-FA75-4AE6-8D28-B404DC7DAF63', '00000000-0000-0000-0000-000000000001'],
  LocalizedText: ['Hallo', 'Hello'],
  QualifiedName: ['1:Level', 'Server'],
  NodeId: ['ns=1;s=Types.Double', 'i=85'],
  StatusCode: ['BadOutOfRange', 'Good'],
};

/** A value of each type to write (different from the sample), and what reads back. */
const WRITES: Record<string, [TagValue, TagValue?]> = {
  Boolean: [false],
  SByte: [-5],
  Byte: [7],
  Int16: [-1234],
  UInt16: [4321],
  Int32: [-100000],
  UInt32: [3000000000],
  Int64: ['-9223372036854775808'],
  UInt64: ['18446744073709551614'],
  Float: [1.1],
  Double: [-0.25],
  String: ['Tank 2'],
  DateTime: ['2026-06-01T12:30:00+02:00', '2026-06-01T10:30:00.000Z'],
  ByteString: ['/wA='],
  Guid: ['a5b5c5d5-0000-4000-8000-000000000001', 'A5B5C5D5-0000-4000-8000-000000000001'],
  LocalizedText: ['Tschüss'],
  QualifiedName: ['1:Other'],
  NodeId: ['ns=1;s=Plant'],
  StatusCode: ['BadNotWritable'],
};

async function rejection(promise: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await promise;
  } catch (err) {
    assert.ok(isBifrostError(err), `expected a BifrostError, got ${String(err)}`);
    return { code: err.code, message: err.message };
  }
  assert.fail('expected a rejection');
}

describe('OPC UA session services (node-opcua server on 127.0.0.1)', function () {
  this.timeout(60000);
  let peer: ValuesPeer;
  let client: OPCUAClient;
  let session: ClientSession;
  let pki: string;
  const id = (s: string) => `ns=${peer.ns};s=${s}`;
  const metas = new Map<string, VariableMeta>();

  async function metaOf(s: string): Promise<VariableMeta> {
    const cached = metas.get(s);
    if (cached) return cached;
    const [meta] = await describeVariables(session, [parseNodeId(id(s))]);
    if (meta instanceof Error) throw meta;
    metas.set(s, meta);
    return meta;
  }

  before(async () => {
    peer = await startValuesPeer();
    pki = mkdtempSync(join(tmpdir(), 'bifrost-opcua-client-'));
    client = OPCUAClient.create({
      endpointMustExist: false,
      securityMode: MessageSecurityMode.None,
      securityPolicy: SecurityPolicy.None,
      connectionStrategy: { maxRetry: 0, initialDelay: 100 },
      clientCertificateManager: new OPCUACertificateManager({ rootFolder: pki, automaticallyAcceptUnknownCertificate: false }),
    });
    await client.connect(peer.endpointUrl);
    session = await client.createSession();
    await session.readNamespaceArray();
  });

  after(async () => {
    await session?.close().catch(() => undefined);
    await client?.disconnect().catch(() => undefined);
    await peer?.stop();
    if (pki) rmSync(pki, { recursive: true, force: true });
  });

  describe('describeVariables', () => {
    it('describes every type, in more reads than the server takes at once, with errors in place', async () => {
      const names = [...SAMPLE_TYPES.map((t) => `Types.${t}`), ...SAMPLE_TYPES.map((t) => `Arrays.${t}`)];
      const nodes = [...names.map((n) => parseNodeId(id(n))), parseNodeId(id('Nope')), parseNodeId(id('Plant'))];
      assert.ok(nodes.length * 7 > MAX_NODES_PER_READ);
      const metasRead = await describeVariables(session, nodes);
      assert.equal(metasRead.length, nodes.length);
      metasRead.slice(0, names.length).forEach((m, i) => {
        assert.ok(!(m instanceof Error), `${names[i]}: ${m instanceof Error ? m.message : ''}`);
        const type = names[i].split('.')[1];
        assert.equal(m.dataType, type);
        assert.equal(m.dataTypeId, `i=${['Boolean', 'SByte', 'Byte', 'Int16', 'UInt16', 'Int32', 'UInt32', 'Int64', 'UInt64', 'Float', 'Double', 'String', 'DateTime', 'Guid', 'ByteString', 'XmlElement', 'NodeId', 'ExpandedNodeId', 'StatusCode', 'QualifiedName', 'LocalizedText'].indexOf(type) + 1}`);
        assert.equal(m.valueRank, names[i].startsWith('Arrays.') ? 1 : -1);
        assert.equal(m.writable, true);
      });
      const int64 = metasRead[SAMPLE_TYPES.indexOf('Int64')] as VariableMeta;
      assert.equal(int64.valueKind, 'integer');
      assert.equal((metasRead[names.indexOf('Arrays.Double')] as VariableMeta).valueKind, 'array');
      const missing = metasRead[names.length] as Error;
      assert.match(missing.message, new RegExp(`^ns=${peer.ns};s=Nope: BadNodeIdUnknown \\(the node does not exist on the server\\)$`));
      assert.match((metasRead[names.length + 1] as Error).message, /s=Plant is an Object node, not a variable/);
    });

    it('tells access, history, description, engineering units and range', async () => {
      const [level, serial, setpoint, temperature] = await describeVariables(session, ['Plant.Tank.Level', 'Plant.Tank.SerialNumber', 'Plant.Tank.Setpoint', 'Plant.Tank.Temperature'].map((s) => parseNodeId(id(s))));
      assert.ok(!(level instanceof Error) && !(serial instanceof Error) && !(setpoint instanceof Error) && !(temperature instanceof Error));
      assert.deepEqual(level.euRange, { low: 0, high: 100 });
      assert.equal(level.engineeringUnits, '%');
      assert.equal(level.description, 'Fill level of tank 1');
      assert.equal(serial.writable, false);
      assert.equal(serial.readable, true);
      assert.equal(setpoint.writable, false, 'UserAccessLevel is what counts');
      assert.equal(temperature.historizing, true);
      assert.equal(level.historizing, false);
      assert.equal(serial.euRange, undefined);
    });

    it('resolves subtypes and enumerations to their built-in type', async () => {
      const cycle = await metaOf('Plant.Tank.Cycle');
      assert.equal(cycle.dataType, 'Duration');
      assert.equal(cycle.builtInType, 'Double');
      assert.equal(cycle.valueKind, 'number');
      const mode = await metaOf('Plant.Tank.Mode');
      assert.equal(mode.dataType, 'PumpMode');
      assert.equal(mode.builtInType, 'Int32');
      assert.deepEqual(mode.enumValues, [
        { value: 0, label: 'Off' },
        { value: 1, label: 'Manual' },
        { value: 2, label: 'Auto' },
      ]);
      const alarm = await metaOf('Plant.Tank.Alarm');
      assert.deepEqual(alarm.enumValues, [
        { value: 10, label: 'Low' },
        { value: 20, label: 'High' },
      ]);
      assert.deepEqual(writeSpecOf(alarm), { kind: 'enum', values: alarm.enumValues });
      const band = await metaOf('Plant.Tank.Band');
      assert.equal(band.builtInType, 'ExtensionObject');
      assert.equal(band.valueKind, 'structure');
    });
  });

  describe('readValues', () => {
    it('reads every type, scalar and array, in order across several requests', async () => {
      const items = SAMPLE_TYPES.flatMap((t) => [
        { key: `s.${t}`, nodeId: parseNodeId(id(`Types.${t}`)) },
        { key: `a.${t}`, nodeId: parseNodeId(id(`Arrays.${t}`)) },
      ]);
      const before = Date.now();
      const readings = await readValues(session, items);
      assert.equal(readings.length, items.length);
      for (const t of SAMPLE_TYPES) {
        const scalar = readings.find((r) => r.tag === `s.${t}`)!;
        const array = readings.find((r) => r.tag === `a.${t}`)!;
        assert.deepEqual(scalar.value, EXPECTED[t][0], `scalar ${t}`);
        assert.deepEqual(array.value, EXPECTED[t], `array ${t}`);
        assert.equal(scalar.quality, 'good');
        assert.equal(scalar.status, undefined);
        assert.ok(scalar.timestamp >= before);
        assert.equal(typeof scalar.serverTimestamp, 'number');
        assert.equal(typeof scalar.sourceTimestamp, 'number');
      }
    });

    it('reads an enumeration as its value, a structure as JSON, no value as null, and a missing node as bad', async () => {
      const readings = await readValues(session, [
        { key: 'mode', nodeId: parseNodeId(id('Plant.Tank.Mode')) },
        { key: 'band', nodeId: parseNodeId(id('Plant.Tank.Band')) },
        { key: 'empty', nodeId: parseNodeId(id('Plant.Tank.Empty')) },
        { key: 'nope', nodeId: parseNodeId(id('Nope')) },
      ]);
      assert.equal(readings[0].value, 2);
      assert.deepEqual(readings[1].value, { low: 1, high: 9 });
      assert.equal(readings[2].value, null);
      assert.deepEqual([readings[3].value, readings[3].quality, readings[3].status], [null, 'bad', 'BadNodeIdUnknown']);
      assert.equal(readings[3].error, 'BadNodeIdUnknown (the node does not exist on the server)');
    });
  });

  describe('writeValue', () => {
    for (const t of SAMPLE_TYPES) {
      it(`writes ${t}, scalar and array, and reads back what it answered`, async () => {
        const [value, expected = value] = WRITES[t];
        const scalar = await metaOf(`Types.${t}`);
        const written = await writeValue(session, scalar, value);
        const array = await metaOf(`Arrays.${t}`);
        const writtenArray = await writeValue(session, array, [value, EXPECTED[t][0]]);
        const [back, backArray] = await readValues(session, [
          { key: 's', nodeId: parseNodeId(scalar.nodeId) },
          { key: 'a', nodeId: parseNodeId(array.nodeId) },
        ]);
        if (t === 'Float') {
          assert.equal(written, 1.1);
        } else {
          assert.deepEqual(written, expected);
        }
        assert.deepEqual(back.value, written);
        assert.deepEqual(writtenArray, [written, EXPECTED[t][0]]);
        assert.deepEqual(backArray.value, writtenArray);
      });
    }

    it('writes numbers within ±2^53 to 64-bit types as numbers, and an enumeration by label or value', async () => {
      const int64 = await metaOf('Types.Int64');
      assert.equal(await writeValue(session, int64, -42), -42);
      const mode = await metaOf('Plant.Tank.Mode');
      assert.equal(await writeValue(session, mode, 'Manual'), 1);
      const [read] = await readValues(session, [{ key: 'm', nodeId: parseNodeId(mode.nodeId) }]);
      assert.equal(read.value, 1);
      assert.equal(await writeValue(session, mode, 0), 0);
    });

    it('writes a subtype (Duration) and a structure', async () => {
      const cycle = await metaOf('Plant.Tank.Cycle');
      assert.equal(await writeValue(session, cycle, 125.5), 125.5);
      const band = await metaOf('Plant.Tank.Band');
      assert.deepEqual(await writeValue(session, band, { low: -1, high: 2.5 }), { low: -1, high: 2.5 });
      const [read] = await readValues(session, [{ key: 'b', nodeId: parseNodeId(band.nodeId) }]);
      assert.deepEqual(read.value, { low: -1, high: 2.5 });
    });

    const refusals: [string, TagValue, RegExp][] = [
      ['Types.Int16', 40000, /^cannot write 40000 to ns=1;s=Types\.Int16 \(Int16\): out of range for Int16 \(-32768\.\.32767\)$/],
      ['Types.Int32', 1.5, /not a whole number; Int32 holds whole numbers$/],
      ['Types.Byte', -1, /out of range for Byte \(0\.\.255\)$/],
      ['Types.Int64', '9223372036854775808', /out of range for Int64 \(-9223372036854775808\.\.9223372036854775807\)$/],
      ['Types.UInt64', -1, /out of range for UInt64 \(0\.\.18446744073709551615\)$/],
      ['Types.Double', '72', /expected a number, got the string "72"$/],
      ['Types.Float', 1e39, /out of range for Float/],
      ['Types.Float', 1e-50, /too small for Float: it would be stored as 0$/],
      ['Types.Boolean', 'yes', /expected true\/false \(or 1\/0\)/],
      ['Types.Int16', [1, 2], /it holds a single value, not an array$/],
      ['Arrays.Int16', 1, /it holds an array: write a JSON array$/],
      ['Arrays.Int16', [1, 99999], /element 1 \(99999\): out of range for Int16/],
      ['Arrays.Int16', [[1]], /nested arrays are not one-dimensional$/],
      ['Types.DateTime', '2026-13-01', /not an ISO 8601 date and time with a time zone/],
      ['Types.DateTime', '2026-06-01T10:00:00', /not an ISO 8601 date and time with a time zone/],
      ['Types.ByteString', 'not base64!', /not base64/],
      ['Types.Guid', '1234', /not a GUID/],
      ['Types.NodeId', 'Tank.Level', /is not an OPC UA node id/],
      ['Types.StatusCode', 'Fine', /not a status code name/],
      ['Types.String', null, /null cannot be written$/],
      ['Plant.Tank.Mode', 7, /not one of the enumeration's members: 0 \(Off\), 1 \(Manual\), 2 \(Auto\)$/],
      ['Plant.Tank.Band', 'wide', /expected a JSON object with the structure's fields/],
    ];
    for (const [node, value, message] of refusals) {
      it(`refuses ${JSON.stringify(value)} for ${node} before sending`, async () => {
        const meta = await metaOf(node);
        const [before] = await readValues(session, [{ key: 'x', nodeId: parseNodeId(meta.nodeId) }]);
        const err = await rejection(writeValue(session, meta, value));
        assert.equal(err.code, ErrorCodes.BadValue);
        assert.match(err.message.replace(`ns=${peer.ns};`, 'ns=1;'), message);
        const [after] = await readValues(session, [{ key: 'x', nodeId: parseNodeId(meta.nodeId) }]);
        assert.deepEqual(after.value, before.value, 'nothing was written');
      });
    }

    it('reports the server\'s refusals by status name', async () => {
      const notWritable = await rejection(writeValue(session, await metaOf('Plant.Tank.SerialNumber'), 'SN-2'));
      assert.equal(notWritable.code, ErrorCodes.WriteRefused);
      assert.match(notWritable.message, /SerialNumber: BadNotWritable \(the variable is read-only on the server\)$/);
      const denied = await rejection(writeValue(session, await metaOf('Plant.Tank.Setpoint'), 60));
      assert.match(denied.message, /Setpoint: BadUserAccessDenied \(the server does not let this user do that\)$/);
      const range = await rejection(writeValue(session, await metaOf('Plant.Tank.Limited'), 5));
      assert.equal(range.code, ErrorCodes.BadValue);
      assert.match(range.message, /BadOutOfRange/);
      const mismatch = await rejection(writeValue(session, { ...(await metaOf('Types.Int32')), dataType: 'String', builtInType: 'String' }, 'x'));
      assert.match(mismatch.message, /BadTypeMismatch \(the server expects another data type\)$/);
    });
  });

  describe('readAttributes', () => {
    it('lists a variable\'s attributes for people, with engineering information', async () => {
      const result = await readAttributes(session, parseNodeId(id('Plant.Tank.Level')));
      const byName = Object.fromEntries(result.attributes.map((a) => [a.name, a.value]));
      assert.equal(result.ref, id('Plant.Tank.Level'));
      assert.equal(byName.NodeClass, 'Variable');
      assert.equal(byName.BrowseName, `${peer.ns}:Level`);
      assert.equal(byName.DisplayName, 'Level');
      assert.equal(byName.Description, 'Fill level of tank 1');
      assert.equal(byName.DataType, 'Double (i=11)');
      assert.equal(byName.ValueRank, '-1 (Scalar)');
      assert.equal(byName.AccessLevel, 'CurrentRead, CurrentWrite');
      assert.equal(byName.Value, '42.5');
      assert.equal(byName.Historizing, 'false');
      assert.ok('MinimumSamplingInterval' in byName && 'WriteMask' in byName);
      assert.ok(!('EventNotifier' in byName) && !('Executable' in byName), 'attributes a variable does not have are left out');
      assert.deepEqual(result.euRange, { low: 0, high: 100 });
      assert.equal(result.engineeringUnits, '%');
    });

    it('lists an object\'s and a method\'s own attributes', async () => {
      const tank = Object.fromEntries((await readAttributes(session, parseNodeId(id('Plant.Tank')))).attributes.map((a) => [a.name, a.value]));
      assert.equal(tank.EventNotifier, 'None');
      assert.ok(!('Value' in tank));
      const method = Object.fromEntries((await readAttributes(session, parseNodeId(id('Plant.Tank.Scale')))).attributes.map((a) => [a.name, a.value]));
      assert.equal(method.NodeClass, 'Method');
      assert.equal(method.Executable, 'true');
      assert.equal(method.UserExecutable, 'true');
    });
  });

  describe('resolveNode', () => {
    it('resolves a node id, with its ancestors below Objects', async () => {
      const result = await resolveNode(session, id('Plant.Tank.Level'));
      assert.deepEqual(result.ancestors, [id('Plant'), id('Plant.Tank')]);
      assert.deepEqual(result.item, { ref: id('Plant.Tank.Level'), name: 'Level', nodeClass: 'variable', hasChildren: true, dataType: 'Double', writable: true });
    });

    it('resolves browse paths by plain names and by qualified names', async () => {
      const plain = await resolveNode(session, '/Plant/Tank/Mode');
      assert.equal(plain.item.ref, id('Plant.Tank.Mode'));
      assert.equal(plain.item.dataType, 'PumpMode');
      assert.deepEqual(plain.ancestors, [id('Plant'), id('Plant.Tank')]);
      const qualified = await resolveNode(session, `/${peer.ns}:Plant/${peer.ns}:Tank`);
      assert.equal(qualified.item.ref, id('Plant.Tank'));
      assert.equal(qualified.item.nodeClass, 'object');
      assert.deepEqual(qualified.ancestors, [id('Plant')]);
      const server = await resolveNode(session, '/Server');
      assert.equal(server.item.ref, 'i=2253');
    });

    it('says which part of a path is missing, and refuses bad node ids', async () => {
      const missing = await rejection(resolveNode(session, '/Plant/Pump/Speed'));
      assert.equal(missing.code, ErrorCodes.BadTagRef);
      assert.equal(missing.message, 'no node has the path "/Plant/Pump"');
      const wrongNs = await rejection(resolveNode(session, '/3:Plant'));
      assert.match(wrongNs.message, /^no node has the path "\/3:Plant"/);
      const badId = await rejection(resolveNode(session, 'Plant.Tank'));
      assert.match(badId.message, /is not an OPC UA node id/);
    });

    it('resolves nsu= node ids with the session\'s namespace array', async () => {
      const result = await resolveNode(session, `nsu=${peer.namespaceUri};s=Plant.Tank`);
      assert.equal(result.item.ref, id('Plant.Tank'));
      const unknown = await rejection(resolveNode(session, 'nsu=urn:nowhere;s=X'));
      assert.match(unknown.message, /the server has no namespace "urn:nowhere"/);
    });
  });

  describe('methods', () => {
    it('describes a method: its object, arguments and executability', async () => {
      const d = await describeMethod(session, parseNodeId(id('Plant.Tank.Scale')));
      assert.equal(d.objectId, id('Plant.Tank'));
      assert.equal(d.name, 'Scale');
      assert.equal(d.description, 'Multiplies a value by a factor');
      assert.equal(d.executable, true);
      assert.deepEqual(d.inputs, [
        { name: 'value', dataType: 'Double', valueKind: 'number', valueRank: -1, description: 'what to scale' },
        { name: 'factor', dataType: 'Int16', valueKind: 'integer', valueRank: -1 },
      ]);
      assert.deepEqual(d.outputs.map((o) => [o.name, o.dataType]), [
        ['result', 'Double'],
        ['label', 'String'],
      ]);
    });

    it('calls it and converts the outputs', async () => {
      const result = await callMethod(session, parseNodeId(id('Plant.Tank')), parseNodeId(id('Plant.Tank.Scale')), [2.5, 3]);
      assert.deepEqual(result, { status: 'Good', outputs: [7.5, '2.5 x 3'] });
    });

    it('refuses inputs that do not fit before calling, and names the server\'s bad status', async () => {
      const object = parseNodeId(id('Plant.Tank'));
      const method = parseNodeId(id('Plant.Tank.Scale'));
      const range = await rejection(callMethod(session, object, method, [1, 40000]));
      assert.equal(range.code, ErrorCodes.BadValue);
      assert.match(range.message, /^cannot write 40000 to input factor of ns=\d+;s=Plant\.Tank\.Scale \(Int16\): out of range for Int16/);
      const count = await rejection(callMethod(session, object, method, [1]));
      assert.match(count.message, /Scale \(ns=\d+;s=Plant\.Tank\.Scale\) takes 2 input\(s\), got 1: value \(Double\), factor \(Int16\)$/);
      const bad = await rejection(callMethod(session, object, method, [1, 0]));
      assert.match(bad.message, /BadInvalidArgument/);
    });
  });

  describe('readHistory', () => {
    const start = new Date(HISTORY_START - 1000);
    const end = new Date(HISTORY_START + 3600_000);

    it('reads raw history oldest first, following the server\'s continuation points', async () => {
      const result = await readHistory(session, { key: 'temp', nodeId: parseNodeId(id('Plant.Tank.Temperature')), start, end, maxValues: 1000, pageSize: 7 });
      assert.equal(result.items.length, HISTORY_COUNT);
      assert.equal(result.continuation, undefined);
      assert.deepEqual(result.items.map((r) => r.value), Array.from({ length: HISTORY_COUNT }, (_, i) => 20 + i));
      assert.deepEqual(result.items.map((r) => r.sourceTimestamp), Array.from({ length: HISTORY_COUNT }, (_, i) => HISTORY_START + i * 1000));
      assert.ok(result.items.every((r) => r.tag === 'temp' && r.quality === 'good'));
    });

    it('stops at maxValues with a continuation that resumes where it stopped', async () => {
      const nodeId = parseNodeId(id('Plant.Tank.Temperature'));
      const seen: TagValue[] = [];
      let continuation: string | undefined;
      let pages = 0;
      do {
        const result = await readHistory(session, { key: 'temp', nodeId, start, end, maxValues: 12, continuation, pageSize: 5 });
        assert.ok(result.items.length <= 12);
        seen.push(...result.items.map((r) => r.value));
        continuation = result.continuation;
        pages++;
      } while (continuation && pages < 10);
      assert.equal(pages, 3);
      assert.deepEqual(seen, Array.from({ length: HISTORY_COUNT }, (_, i) => 20 + i));
    });

    it('refuses a continuation of another node, and names a node without history', async () => {
      const first = await readHistory(session, { key: 't', nodeId: parseNodeId(id('Plant.Tank.Temperature')), start, end, maxValues: 2 });
      assert.ok(first.continuation);
      const other = await rejection(readHistory(session, { key: 'l', nodeId: parseNodeId(id('Plant.Tank.Level')), start, end, maxValues: 2, continuation: first.continuation }));
      assert.match(other.message, /the continuation belongs to ns=\d+;s=Plant\.Tank\.Temperature, not to this node/);
      const none = await rejection(readHistory(session, { key: 'l', nodeId: parseNodeId(id('Plant.Tank.Level')), start, end, maxValues: 2 }));
      assert.match(none.message, /^ns=\d+;s=Plant\.Tank\.Level: cannot read history: Bad/);
    });
  });
});
