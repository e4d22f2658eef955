/**
 * A node-opcua server for the session-services tests: a variable of every built-in type the
 * services convert (scalar and one-dimensional array), enumerations (EnumStrings and EnumValues),
 * a standard structure, read-only and user-read-only variables, an analog item with EURange and
 * EngineeringUnits, a historizing variable with history, and methods. Listens on 127.0.0.1 and a
 * free port; a read answers at most MAX_NODES_PER_READ nodes, so the services must split.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPCUAServer } from 'node-opcua-server';
import { nodesets } from 'node-opcua-nodesets';
import { DataType, LocalizedText, QualifiedName, StatusCodes, Variant, VariantArrayType, resolveNodeId } from 'node-opcua-client';
import { standardUnits } from 'node-opcua-data-access';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';

export const MAX_NODES_PER_READ = 5;
export const HISTORY_COUNT = 30;
/** The first history value's source timestamp; one value a second after it. */
export const HISTORY_START = Date.UTC(2026, 0, 1, 8, 0, 0);

/** Scalar values the server starts with, by type name; arrays hold [first, second] of each. */
export const SAMPLES = {
  Boolean: [true, false],
  SByte: [-128, 127],
  Byte: [0, 255],
  Int16: [-32768, 32767],
  UInt16: [0, 65535],
  Int32: [-2147483648, 2147483647],
  UInt32: [0, 4294967295],
  // [high, low] words: 2^53 + 1 (beyond exact doubles) and -5.
  Int64: [
    [0x200000, 1],
    [0xffffffff, 0xfffffffb],
  ],
  UInt64: [
    [0xffffffff, 0xffffffff],
    [0, 42],
  ],
  Float: [0.1, -2.5],
  Double: [3.141592653589793, -1e300],
  String: ['Tank 1', 'ünïcødé'],
  DateTime: [new Date(Date.UTC(2026, 11, 1, 10, 0, 0, 123)), new Date(Date.UTC(2000, 0, 1))],
  ByteString: [Buffer.from([0, 1, 2, 250]), Buffer.from('hi')],
  Guid: ['72962B91-FA75-4AE6-8D28-B404DC7DAF63', '00000000-0000-0000-0000-000000000001'],
  LocalizedText: [{ text: 'Hallo', locale: 'de' }, { text: 'Hello', locale: 'en' }],
  QualifiedName: [{ namespaceIndex: 1, name: 'Level' }, { namespaceIndex: 0, name: 'Server' }],
  NodeId: ['ns=1;s=Types.Double', 'i=85'],
  StatusCode: [StatusCodes.BadOutOfRange, StatusCodes.Good],
} as const;

export type SampleType = keyof typeof SAMPLES;
export const SAMPLE_TYPES = Object.keys(SAMPLES) as SampleType[];

export interface ValuesPeer {
  endpointUrl: string;
  port: number;
  namespaceUri: string;
  /** The server's own namespace index. */
  ns: number;
  stop(): Promise<void>;
}

/** The sample as node-opcua's Variant takes it. */
function sampleValue(type: SampleType, i: number): unknown {
  const v = SAMPLES[type][i];
  if (type === 'NodeId') return resolveNodeId(v as string);
  if (type === 'QualifiedName') return new QualifiedName(v as { namespaceIndex: number; name: string });
  if (type === 'LocalizedText') return new LocalizedText(v as { text: string; locale: string });
  return v;
}

export async function startValuesPeer(): Promise<ValuesPeer> {
  const pkiRoot = mkdtempSync(join(tmpdir(), 'bifrost-opcua-values-'));
  const serverCertificateManager = new OPCUACertificateManager({ rootFolder: join(pkiRoot, 'server'), automaticallyAcceptUnknownCertificate: false });
  const userCertificateManager = new OPCUACertificateManager({ rootFolder: join(pkiRoot, 'user'), automaticallyAcceptUnknownCertificate: false });
  const server = new OPCUAServer({
    host: '127.0.0.1',
    hostname: '127.0.0.1',
    port: 0,
    nodeset_filename: [nodesets.standard],
    serverCertificateManager,
    userCertificateManager,
    serverCapabilities: {
      maxHistoryContinuationPoints: 10,
      operationLimits: { maxNodesPerRead: MAX_NODES_PER_READ },
    },
  });
  await server.initialize();
  const addressSpace = server.engine.addressSpace;
  if (!addressSpace) throw new Error('the test server has no address space');
  const namespace = addressSpace.getOwnNamespace();
  const ns = namespace.index;

  const types = namespace.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: 'Types', nodeId: 's=Types' });
  const arrays = namespace.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: 'Arrays', nodeId: 's=Arrays' });
  for (const type of SAMPLE_TYPES) {
    const dataType = DataType[type];
    namespace.addVariable({
      componentOf: types,
      browseName: type,
      nodeId: `s=Types.${type}`,
      dataType: type,
      accessLevel: 'CurrentRead | CurrentWrite',
      userAccessLevel: 'CurrentRead | CurrentWrite',
      value: new Variant({ dataType, arrayType: VariantArrayType.Scalar, value: sampleValue(type, 0) }),
    });
    namespace.addVariable({
      componentOf: arrays,
      browseName: type,
      nodeId: `s=Arrays.${type}`,
      dataType: type,
      valueRank: 1,
      arrayDimensions: [0],
      accessLevel: 'CurrentRead | CurrentWrite',
      userAccessLevel: 'CurrentRead | CurrentWrite',
      value: new Variant({ dataType, arrayType: VariantArrayType.Array, value: [sampleValue(type, 0), sampleValue(type, 1)] }),
    });
  }

  // Plant/Tank: the browse-path targets, an analog item, read-only variables, enumerations.
  const plant = namespace.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: 'Plant', nodeId: 's=Plant' });
  const tank = namespace.addObject({ componentOf: plant, browseName: 'Tank', nodeId: 's=Plant.Tank' });
  namespace.addAnalogDataItem({
    componentOf: tank,
    browseName: 'Level',
    nodeId: 's=Plant.Tank.Level',
    description: 'Fill level of tank 1',
    dataType: 'Double',
    engineeringUnitsRange: { low: 0, high: 100 },
    engineeringUnits: standardUnits.percent,
    accessLevel: 'CurrentRead | CurrentWrite',
    userAccessLevel: 'CurrentRead | CurrentWrite',
    value: new Variant({ dataType: DataType.Double, value: 42.5 }),
  });
  namespace.addVariable({
    componentOf: tank,
    browseName: 'SerialNumber',
    nodeId: 's=Plant.Tank.SerialNumber',
    dataType: 'String',
    accessLevel: 'CurrentRead',
    userAccessLevel: 'CurrentRead',
    value: new Variant({ dataType: DataType.String, value: 'SN-0001' }),
  });
  namespace.addVariable({
    componentOf: tank,
    browseName: 'Setpoint',
    nodeId: 's=Plant.Tank.Setpoint',
    dataType: 'Double',
    accessLevel: 'CurrentRead | CurrentWrite',
    userAccessLevel: 'CurrentRead',
    value: new Variant({ dataType: DataType.Double, value: 50 }),
  });
  // A write the server refuses with its own status.
  namespace.addVariable({
    componentOf: tank,
    browseName: 'Limited',
    nodeId: 's=Plant.Tank.Limited',
    dataType: 'Double',
    minimumSamplingInterval: 100,
    accessLevel: 'CurrentRead | CurrentWrite',
    userAccessLevel: 'CurrentRead | CurrentWrite',
    value: {
      get: () => new Variant({ dataType: DataType.Double, value: 1 }),
      set: () => StatusCodes.BadOutOfRange,
    },
  });

  const pumpMode = namespace.addEnumerationType({ browseName: 'PumpMode', enumeration: ['Off', 'Manual', 'Auto'] });
  const alarmLevel = namespace.addEnumerationType({
    browseName: 'AlarmLevel',
    enumeration: [
      { displayName: 'Low', value: 10 },
      { displayName: 'High', value: 20 },
    ],
  });
  namespace.addVariable({
    componentOf: tank,
    browseName: 'Mode',
    nodeId: 's=Plant.Tank.Mode',
    dataType: pumpMode,
    accessLevel: 'CurrentRead | CurrentWrite',
    userAccessLevel: 'CurrentRead | CurrentWrite',
    value: new Variant({ dataType: DataType.Int32, value: 2 }),
  });
  namespace.addVariable({
    componentOf: tank,
    browseName: 'Alarm',
    nodeId: 's=Plant.Tank.Alarm',
    dataType: alarmLevel,
    accessLevel: 'CurrentRead | CurrentWrite',
    userAccessLevel: 'CurrentRead | CurrentWrite',
    value: new Variant({ dataType: DataType.Int32, value: 20 }),
  });
  // A standard structure (Range, ns=0): decoded from its binary encoding by the client.
  namespace.addVariable({
    componentOf: tank,
    browseName: 'Band',
    nodeId: 's=Plant.Tank.Band',
    dataType: 'Range',
    accessLevel: 'CurrentRead | CurrentWrite',
    userAccessLevel: 'CurrentRead | CurrentWrite',
    value: new Variant({ dataType: DataType.ExtensionObject, value: addressSpace.constructExtensionObject(addressSpace.findDataType('Range')!, { low: 1, high: 9 }) }),
  });
  // A subtype of a built-in type: Duration is a Double.
  namespace.addVariable({
    componentOf: tank,
    browseName: 'Cycle',
    nodeId: 's=Plant.Tank.Cycle',
    dataType: 'Duration',
    accessLevel: 'CurrentRead | CurrentWrite',
    userAccessLevel: 'CurrentRead | CurrentWrite',
    value: new Variant({ dataType: DataType.Double, value: 250 }),
  });
  // A variable with no value yet.
  namespace.addVariable({
    componentOf: tank,
    browseName: 'Empty',
    nodeId: 's=Plant.Tank.Empty',
    dataType: 'Double',
    accessLevel: 'CurrentRead | CurrentWrite',
    userAccessLevel: 'CurrentRead | CurrentWrite',
  });

  // History: HISTORY_COUNT values, one a second from HISTORY_START.
  const temperature = namespace.addVariable({
    componentOf: tank,
    browseName: 'Temperature',
    nodeId: 's=Plant.Tank.Temperature',
    dataType: 'Double',
    accessLevel: 'CurrentRead | HistoryRead',
    userAccessLevel: 'CurrentRead | HistoryRead',
  });
  addressSpace.installHistoricalDataNode(temperature, { maxOnlineValues: 1000 });
  for (let i = 0; i < HISTORY_COUNT; i++) {
    temperature.setValueFromSource(new Variant({ dataType: DataType.Double, value: 20 + i }), StatusCodes.Good, new Date(HISTORY_START + i * 1000));
  }

  // Methods on the tank.
  const scale = namespace.addMethod(tank, {
    browseName: 'Scale',
    nodeId: 's=Plant.Tank.Scale',
    description: 'Multiplies a value by a factor',
    inputArguments: [
      { name: 'value', dataType: DataType.Double, description: 'what to scale' },
      { name: 'factor', dataType: DataType.Int16 },
    ],
    outputArguments: [
      { name: 'result', dataType: DataType.Double },
      { name: 'label', dataType: DataType.String },
    ],
  });
  scale.bindMethod(async (inputArguments: Variant[], _context: unknown) => {
    const value = inputArguments[0].value as number;
    const factor = inputArguments[1].value as number;
    if (factor === 0) return { statusCode: StatusCodes.BadInvalidArgument };
    return {
      statusCode: StatusCodes.Good,
      outputArguments: [
        new Variant({ dataType: DataType.Double, value: value * factor }),
        new Variant({ dataType: DataType.String, value: `${value} x ${factor}` }),
      ],
    };
  });

  await server.start();
  const port = server.endpoints[0].port;
  return {
    endpointUrl: `opc.tcp://127.0.0.1:${port}`,
    port,
    namespaceUri: namespace.namespaceUri,
    ns,
    async stop() {
      await server.shutdown(0);
      rmSync(pkiRoot, { recursive: true, force: true });
    },
  };
}
