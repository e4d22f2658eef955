/**
 * The demo plant's OPC UA server, checked with a bare node-opcua client: loopback only, browse,
 * every built-in type, security and logins, a setpoint shared with the Modbus device, the purge
 * method, the level's history, and a clean stop. The plant runs on a clock the test moves.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import ModbusRTU from 'modbus-serial';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import {
  AttributeIds,
  BrowseDirection,
  ClientSession,
  DataType,
  HistoryData,
  MessageSecurityMode,
  OPCUAClient,
  SecurityPolicy,
  StatusCodes,
  UserTokenType,
  type UserIdentityInfo,
} from 'node-opcua-client';
import { DEMO_BOILER_ID, startDemoPlant, type RunningDemoPlant } from '../../gateway/sim/demoPlant';
import { DEMO_OPCUA_BUILTIN_TYPES, DEMO_OPCUA_NODES as N, DEMO_OPCUA_USER, demoTypeNode, opcuaDemoDevice } from '../../gateway/sim/demoOpcUaNodes';
import type { DemoOpcUaServer } from '../../gateway/sim/opcuaServer';

const tempDirs = () => new Set(fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('bifrost-demo-opcua-')));

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function refused(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host }, () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', () => resolve(true));
  });
}

describe('demo plant: OPC UA server', function () {
  this.timeout(90_000);
  let plant: RunningDemoPlant;
  let server: DemoOpcUaServer;
  let clock = 1_700_000_000_000;
  let clientPki: string;
  let tempBefore: Set<string>;
  const clients: OPCUAClient[] = [];
  let modbus: ModbusRTU;

  /** Moves the plant's clock by `seconds`, one tick per second. */
  function advance(seconds: number): void {
    for (let i = 0; i < seconds; i++) {
      clock += 1000;
      plant.tick();
    }
  }

  async function connect(mode: MessageSecurityMode, policy: SecurityPolicy, user: UserIdentityInfo = { type: UserTokenType.Anonymous }): Promise<ClientSession> {
    const clientCertificateManager = new OPCUACertificateManager({ rootFolder: clientPki, automaticallyAcceptUnknownCertificate: false });
    const client = OPCUAClient.create({
      applicationName: 'bifrost-demo-test',
      endpointMustExist: false,
      securityMode: mode,
      securityPolicy: policy,
      clientCertificateManager,
      connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
      requestedSessionTimeout: 30_000,
    });
    clients.push(client);
    await client.connect(server.endpointUrl);
    return client.createSession(user);
  }

  const read = async (s: ClientSession, nodeId: string, attributeId = AttributeIds.Value) => s.read({ nodeId, attributeId });

  before(async () => {
    tempBefore = tempDirs();
    clientPki = fs.mkdtempSync(path.join(os.tmpdir(), 'bifrost-test-opcua-client-'));
    plant = await startDemoPlant({ tickMs: 0, now: () => clock });
    const started = await plant.opcua;
    assert.ok(started, 'the plant starts its OPC UA server by default');
    server = started;
    // The client trusts the demo's certificate as a person would: by putting it in its trusted store.
    fs.mkdirSync(path.join(clientPki, 'trusted', 'certs'), { recursive: true });
    fs.writeFileSync(path.join(clientPki, 'trusted', 'certs', 'bifrost-demo.der'), server.certificateDer);
    modbus = new ModbusRTU();
    const boiler = plant.devices.find((d) => d.id === DEMO_BOILER_ID)!;
    await modbus.connectTCP('127.0.0.1', { port: boiler.port! });
    modbus.setID(boiler.unitId!);
    modbus.setTimeout(5000);
  });

  after(async () => {
    for (const c of clients) await c.disconnect().catch(() => undefined);
    if (modbus?.isOpen) await new Promise<void>((r) => modbus.close(() => r()));
    await plant?.stop();
    fs.rmSync(clientPki, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1 only, on a port of its own', async () => {
    const url = new URL(server.endpointUrl);
    assert.equal(url.protocol, 'opc.tcp:');
    assert.equal(url.hostname, '127.0.0.1');
    const port = Number(url.port);
    assert.ok(port > 0 && !plant.devices.some((d) => d.port === port));
    assert.equal(await refused(port, '127.0.0.1'), false, 'answers on 127.0.0.1');
    assert.equal(await refused(port, '127.0.0.2'), true, 'another loopback address is refused: the socket is bound to 127.0.0.1');
    assert.match(server.certificatePem, /^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n$/);
    assert.deepEqual(Buffer.from(server.certificatePem.replace(/-----[A-Z ]+-----|\n/g, ''), 'base64'), server.certificateDer);
  });

  it('browses Plant/Tank and Plant/Boiler, with engineering units and ranges', async () => {
    const s = await connect(MessageSecurityMode.None, SecurityPolicy.None);
    const names = async (nodeId: string) =>
      (await s.browse({ nodeId, browseDirection: BrowseDirection.Forward, referenceTypeId: 'HierarchicalReferences', includeSubtypes: true, resultMask: 63 })).references!.map((r) => r.browseName.name);
    assert.ok((await names('i=85')).includes('Plant'));
    assert.ok((await names('i=85')).includes('Types'));
    assert.deepEqual((await names(N.plant)).sort(), ['Boiler', 'Tank']);
    const tank = await names(N.tank);
    for (const n of ['Level', 'InletFlow', 'PumpRunning', 'PumpMode']) assert.ok(tank.includes(n), `Tank has ${n}: ${tank.join(', ')}`);
    const boiler = await names(N.boiler);
    for (const n of ['Temperature', 'Setpoint', 'StartPurge', 'EnergyTotal']) assert.ok(boiler.includes(n), `Boiler has ${n}: ${boiler.join(', ')}`);

    const paths = await s.translateBrowsePath([
      { startingNode: N.tankLevel, relativePath: { elements: [{ referenceTypeId: 'i=46', isInverse: false, includeSubtypes: true, targetName: { namespaceIndex: 0, name: 'EURange' } }] } },
      { startingNode: N.tankLevel, relativePath: { elements: [{ referenceTypeId: 'i=46', isInverse: false, includeSubtypes: true, targetName: { namespaceIndex: 0, name: 'EngineeringUnits' } }] } },
    ]);
    const [range, units] = await Promise.all(paths.map((p) => read(s, p.targets![0]!.targetId.toString())));
    assert.deepEqual({ low: range!.value.value.low, high: range!.value.value.high }, { low: 0, high: 100 });
    assert.equal(units!.value.value.displayName.text, '%');

    const level = await read(s, N.tankLevel);
    assert.equal(level.statusCode, StatusCodes.Good);
    assert.equal(level.value.dataType, DataType.Double);
    assert.ok(level.value.value > 40 && level.value.value < 60, `level ${level.value.value}`);
    assert.equal(level.sourceTimestamp?.getTime(), clock, 'stamped with the plant clock');
  });

  it('reads every built-in type, as scalar, array and read-only copy, and writes the writable ones', async () => {
    const s = await connect(MessageSecurityMode.None, SecurityPolicy.None);
    for (const type of DEMO_OPCUA_BUILTIN_TYPES) {
      const [scalar, array, ro] = await Promise.all((['scalar', 'array', 'readOnly'] as const).map((k) => read(s, demoTypeNode(type, k))));
      for (const dv of [scalar!, array!, ro!]) assert.equal(dv.statusCode, StatusCodes.Good, type);
      assert.equal(scalar!.value.dataType, DataType[type], `${type} scalar`);
      assert.equal(array!.value.dataType, DataType[type], `${type} array`);
      assert.equal(array!.value.value.length, 3, `${type} array length`);
      assert.equal(JSON.stringify(ro!.value.value), JSON.stringify(scalar!.value.value), `${type} read-only copy`);
    }
    // Values checked against their definitions, not against the server's own tables.
    assert.deepEqual((await read(s, demoTypeNode('UInt64', 'scalar'))).value.value, [0x200000, 1], 'UInt64 2^53 + 1 as [high, low]');
    assert.equal((await read(s, demoTypeNode('String', 'scalar'))).value.value, 'Grüße aus dem Kesselhaus ✓');
    assert.equal((await read(s, demoTypeNode('DateTime', 'scalar'))).value.value.toISOString(), '2024-01-02T03:04:05.678Z');
    assert.deepEqual([...(await read(s, demoTypeNode('ByteString', 'scalar'))).value.value], [0xde, 0xad, 0xbe, 0xef]);
    assert.equal((await read(s, demoTypeNode('LocalizedText', 'scalar'))).value.value.text, 'Boiler room');

    const written = await s.write({ nodeId: demoTypeNode('Int16', 'scalar'), attributeId: AttributeIds.Value, value: { value: { dataType: DataType.Int16, value: 1234 } } });
    assert.equal(written, StatusCodes.Good);
    assert.equal((await read(s, demoTypeNode('Int16', 'scalar'))).value.value, 1234);
    const arr = await s.write({ nodeId: demoTypeNode('Double', 'array'), attributeId: AttributeIds.Value, value: { value: { dataType: DataType.Double, arrayType: 1, value: [1, 2] } } });
    assert.equal(arr, StatusCodes.Good);
    assert.deepEqual([...(await read(s, demoTypeNode('Double', 'array'))).value.value], [1, 2]);
    const ro = await s.write({ nodeId: demoTypeNode('Int16', 'readOnly'), attributeId: AttributeIds.Value, value: { value: { dataType: DataType.Int16, value: 1 } } });
    assert.equal(ro, StatusCodes.BadNotWritable);
    assert.equal((await read(s, demoTypeNode('Int16', 'readOnly'))).value.value, -30000);
  });

  it('takes the demo login over SignAndEncrypt Basic256Sha256 and refuses a wrong password', async () => {
    const login = { type: UserTokenType.UserName, userName: DEMO_OPCUA_USER.username, password: DEMO_OPCUA_USER.password } as const;
    const s = await connect(MessageSecurityMode.SignAndEncrypt, SecurityPolicy.Basic256Sha256, login);
    assert.equal((await read(s, N.boilerTemperature)).statusCode, StatusCodes.Good);
    await assert.rejects(connect(MessageSecurityMode.SignAndEncrypt, SecurityPolicy.Basic256Sha256, { ...login, password: 'wrong' }), /BadUserAccessDenied|BadIdentityTokenRejected|BadIdentityTokenInvalid/);
    const signed = await connect(MessageSecurityMode.Sign, SecurityPolicy.Basic256Sha256);
    assert.equal((await read(signed, N.tankLevel)).statusCode, StatusCodes.Good);
  });

  it('shares the boiler setpoint with the Modbus holding register, both ways', async () => {
    const s = await connect(MessageSecurityMode.None, SecurityPolicy.None);
    const modbusSetpoint = async () => Buffer.from((await modbus.readHoldingRegisters(0, 2)).buffer).readFloatBE(0);
    assert.equal(await modbusSetpoint(), 70);
    const status = await s.write({ nodeId: N.boilerSetpoint, attributeId: AttributeIds.Value, value: { value: { dataType: DataType.Double, value: 55.5 } } });
    assert.equal(status, StatusCodes.Good);
    assert.equal(await until('the Modbus register to follow', async () => ((await modbusSetpoint()) === 55.5 ? 55.5 : undefined)), 55.5);
    const outOfRange = await s.write({ nodeId: N.boilerSetpoint, attributeId: AttributeIds.Value, value: { value: { dataType: DataType.Double, value: 500 } } });
    assert.equal(outOfRange, StatusCodes.BadOutOfRange);
    assert.equal(await modbusSetpoint(), 55.5, 'a refused write changes nothing');

    const b = Buffer.alloc(4);
    b.writeFloatBE(62.25);
    await modbus.writeRegisters(0, [b.readUInt16BE(0), b.readUInt16BE(2)]);
    const seen = await until('OPC UA to show the Modbus write', async () => {
      const v = (await read(s, N.boilerSetpoint)).value.value as number;
      return v === 62.25 ? v : undefined;
    });
    assert.equal(seen, 62.25);
    advance(300);
    const temperature = await until('a fresh temperature', async () => {
      const dv = await read(s, N.boilerTemperature);
      return dv.sourceTimestamp?.getTime() === clock ? (dv.value.value as number) : undefined;
    });
    assert.ok(Math.abs(temperature - 62.25) <= 1.5, `the process follows the setpoint: ${temperature}`);
  });

  it('runs Boiler.StartPurge: the burner stays off, a second purge is refused', async () => {
    const s = await connect(MessageSecurityMode.None, SecurityPolicy.None);
    const call = (durationS: number, reason: string) =>
      s.call({
        objectId: N.boiler,
        methodId: N.boilerStartPurge,
        inputArguments: [
          { dataType: DataType.UInt32, value: durationS },
          { dataType: DataType.String, value: reason },
        ],
      });
    const args = await s.getArgumentDefinition(N.boilerStartPurge);
    assert.deepEqual(args.inputArguments.map((a) => a.name), ['durationS', 'reason']);
    assert.deepEqual(args.outputArguments.map((a) => a.name), ['accepted', 'message']);

    const first = await call(30, 'burner service');
    assert.equal(first.statusCode, StatusCodes.Good);
    assert.deepEqual(first.outputArguments!.map((v) => v.value), [true, 'purging for 30 s: burner service']);
    const second = await call(30, 'again');
    assert.equal(second.outputArguments![0]!.value, false);
    assert.match(second.outputArguments![1]!.value as string, /already running \(30 s left\)/);
    const tooLong = await call(0, 'zero');
    assert.deepEqual(tooLong.outputArguments!.map((v) => v.value), [false, 'a purge lasts 1-600 s, not 0 s']);

    advance(10);
    await until('Purging to show', async () => ((await read(s, N.boilerPurging)).value.value === true ? true : undefined));
    assert.equal((await read(s, N.boilerLastPurgeReason)).value.value, 'burner service');
    assert.equal((await modbus.readCoils(0, 1)).data[0], false, 'the Modbus burner_on coil shows the burner off');
    advance(25);
    await until('the purge to end', async () => ((await read(s, N.boilerPurging)).value.value === false ? true : undefined));
  });

  it('switches the pump by its enumeration: Off stops it on the Modbus side too', async () => {
    const s = await connect(MessageSecurityMode.None, SecurityPolicy.None);
    const dataType = (await read(s, N.tankPumpMode, AttributeIds.DataType)).value.value.toString();
    assert.equal((await read(s, dataType, AttributeIds.BrowseName)).value.value.name, 'PumpModeEnum', 'a DataType of its own');
    const strings = await s.translateBrowsePath({
      startingNode: dataType,
      relativePath: { elements: [{ referenceTypeId: 'i=46', isInverse: false, includeSubtypes: true, targetName: { namespaceIndex: 0, name: 'EnumValues' } }] },
    });
    const enumValues = await read(s, strings.targets![0]!.targetId.toString());
    assert.deepEqual(enumValues.value.value.map((e: { displayName: { text: string } }) => e.displayName.text), ['Off', 'Manual', 'Auto']);
    assert.equal((await read(s, N.tankPumpMode)).value.value, 2);
    assert.equal(await s.write({ nodeId: N.tankPumpMode, attributeId: AttributeIds.Value, value: { value: { dataType: DataType.Int32, value: 7 } } }), StatusCodes.BadOutOfRange);
    assert.equal(await s.write({ nodeId: N.tankPumpMode, attributeId: AttributeIds.Value, value: { value: { dataType: DataType.Int32, value: 0 } } }), StatusCodes.Good);
    const tank = plant.devices.find((d) => d.id !== DEMO_BOILER_ID)!;
    const c = new ModbusRTU();
    await c.connectTCP('127.0.0.1', { port: tank.port! });
    c.setID(tank.unitId!);
    try {
      await until('the mode to reach the process', async () => (plant.process.tank.pumpMode === 'Off' ? true : undefined));
      advance(5);
      assert.equal((await c.readCoils(0, 1)).data[0], false, 'pump_running is off');
      assert.equal(await s.write({ nodeId: N.tankPumpMode, attributeId: AttributeIds.Value, value: { value: { dataType: DataType.Int32, value: 2 } } }), StatusCodes.Good);
    } finally {
      await new Promise<void>((r) => c.close(() => r()));
    }
  });

  it('keeps the tank level history: a history read of the last minutes returns the values', async () => {
    const s = await connect(MessageSecurityMode.None, SecurityPolicy.None);
    const from = clock;
    advance(120);
    await until('the last tick to reach the server', async () => ((await read(s, N.tankLevel)).sourceTimestamp?.getTime() === clock ? true : undefined));
    const history = await s.readHistoryValue({ nodeId: N.tankLevel }, new Date(from + 1), new Date(clock));
    assert.equal(history.statusCode, StatusCodes.Good);
    const values = (history.historyData as HistoryData).dataValues!;
    assert.equal(values.length, 120, 'one sample per tick');
    const times = values.map((v) => v.sourceTimestamp!.getTime());
    assert.deepEqual(times, [...Array(120).keys()].map((i) => from + 1000 * (i + 1)));
    for (const v of values) assert.ok(v.value.value > 0 && v.value.value <= 100, `level ${v.value.value}`);
    assert.notEqual(values[0]!.value.value, values[119]!.value.value, 'the level moved');
  });

  it('gives the device config the gateway loads for it', () => {
    const d = opcuaDemoDevice(server.endpointUrl);
    assert.equal(d.protocol, 'opcua');
    assert.equal(d.endpointUrl, server.endpointUrl);
    assert.deepEqual([d.securityMode, d.securityPolicy], ['SignAndEncrypt', 'Basic256Sha256']);
    const rw = d.tags!.filter((t) => t.access === 'readwrite').map((t) => t.nodeId);
    assert.ok(rw.includes(N.boilerSetpoint) && rw.includes(N.tankPumpMode));
  });

  it('stops: the port is free, no session or temp folder is left', async () => {
    const port = Number(new URL(server.endpointUrl).port);
    for (const c of clients.splice(0)) await c.disconnect();
    await plant.stop();
    assert.equal(await refused(port, '127.0.0.1'), true);
    const left = [...tempDirs()].filter((d) => !tempBefore.has(d));
    assert.deepEqual(left, [], 'the server removed its temp PKI');
    // The port can be taken again.
    const again = net.createServer();
    await new Promise<void>((resolve, reject) => again.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
    await new Promise<void>((r) => again.close(() => r()));
  });
});
