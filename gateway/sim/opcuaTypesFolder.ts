/**
 * The demo OPC UA server's "Types" folder: one variable of every built-in type, a
 * one-dimensional array of each, and a read-only copy of each, with fixed, recognisable values
 * (a UInt64 beyond 2^53, text outside ASCII) for clients to test their decoding against.
 */
import type { Namespace, UAObject } from 'node-opcua-address-space';
import { coerceNodeId } from 'node-opcua-nodeid';
import { StatusCodes } from 'node-opcua-status-code';
import { DataType, Variant, VariantArrayType } from 'node-opcua-variant';
import { DEMO_OPCUA_BUILTIN_TYPES, DEMO_OPCUA_NODES, demoTypeNode, type DemoBuiltinType } from './demoOpcUaNodes';

/** node-opcua carries 64-bit integers as [high, low] 32-bit words. */
function words64(v: bigint): [number, number] {
  const u = BigInt.asUintN(64, v);
  return [Number(u >> 32n), Number(u & 0xffffffffn)];
}

/** The scalar value of each type, and the array's three elements. */
export const DEMO_TYPE_VALUES: Record<DemoBuiltinType, { scalar: unknown; array: unknown[] }> = {
  Boolean: { scalar: true, array: [true, false, true] },
  SByte: { scalar: -100, array: [-128, 0, 127] },
  Byte: { scalar: 200, array: [0, 128, 255] },
  Int16: { scalar: -30000, array: [-32768, 0, 32767] },
  UInt16: { scalar: 60000, array: [0, 1, 65535] },
  Int32: { scalar: -2_000_000_000, array: [-2147483648, 0, 2147483647] },
  UInt32: { scalar: 4_000_000_000, array: [0, 1, 4294967295] },
  Int64: { scalar: words64(-9_007_199_254_740_993n), array: [words64(-(2n ** 63n)), words64(0n), words64(2n ** 63n - 1n)] },
  // 2^53 + 1: a double cannot hold it, so a client that loses precision shows ...992.
  UInt64: { scalar: words64(9_007_199_254_740_993n), array: [words64(0n), words64(2n ** 53n + 1n), words64(2n ** 64n - 1n)] },
  Float: { scalar: 3.25, array: [-1.5, 0, 1e10] },
  Double: { scalar: Math.PI, array: [-0.5, 0, 6.02214076e23] },
  String: { scalar: 'Grüße aus dem Kesselhaus ✓', array: ['alpha', '', 'γ'] },
  DateTime: { scalar: new Date('2024-01-02T03:04:05.678Z'), array: [new Date('2000-01-01T00:00:00.000Z'), new Date('2024-01-02T03:04:05.678Z'), new Date('2038-01-19T03:14:08.000Z')] },
  Guid: { scalar: '72962B91-FA75-4AE6-8D28-B404DC7DAF63', array: ['00000000-0000-0000-0000-000000000000', '72962B91-FA75-4AE6-8D28-B404DC7DAF63', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF'] },
  ByteString: { scalar: Buffer.from([0xde, 0xad, 0xbe, 0xef]), array: [Buffer.from([]), Buffer.from([1, 2, 3]), Buffer.from('Bifrost')] },
  NodeId: { scalar: coerceNodeId(DEMO_OPCUA_NODES.tankLevel), array: [coerceNodeId('i=85'), coerceNodeId(DEMO_OPCUA_NODES.boilerSetpoint), coerceNodeId('ns=1;i=42')] },
  StatusCode: { scalar: StatusCodes.UncertainLastUsableValue, array: [StatusCodes.Good, StatusCodes.BadSensorFailure, StatusCodes.UncertainLastUsableValue] },
  QualifiedName: { scalar: { namespaceIndex: 1, name: 'Tank' }, array: [{ namespaceIndex: 0, name: 'Objects' }, { namespaceIndex: 1, name: 'Boiler' }, { namespaceIndex: 1, name: 'Types' }] },
  LocalizedText: { scalar: { locale: 'en', text: 'Boiler room' }, array: [{ locale: 'en', text: 'Tank' }, { locale: 'de', text: 'Kessel' }, { locale: 'fr', text: 'Pompe' }] },
};

export function addTypesFolder(ns: Namespace, objectsFolder: UAObject): void {
  const folder = ns.addFolder(objectsFolder, { nodeId: DEMO_OPCUA_NODES.types, browseName: 'Types', description: 'One variable of every built-in type, an array of each, and read-only copies' });
  const readOnly = ns.addFolder(folder, { nodeId: `${DEMO_OPCUA_NODES.types}.ReadOnly`, browseName: 'ReadOnly', description: 'The same values, not writable' });
  for (const type of DEMO_OPCUA_BUILTIN_TYPES) {
    const dataType = DataType[type];
    const { scalar, array } = DEMO_TYPE_VALUES[type];
    const writable = { accessLevel: 'CurrentRead | CurrentWrite', userAccessLevel: 'CurrentRead | CurrentWrite' } as const;
    ns.addVariable({
      componentOf: folder,
      nodeId: demoTypeNode(type, 'scalar'),
      browseName: type,
      description: `A writable ${type}`,
      dataType: type,
      ...writable,
      value: new Variant({ dataType, arrayType: VariantArrayType.Scalar, value: scalar }),
    });
    ns.addVariable({
      componentOf: folder,
      nodeId: demoTypeNode(type, 'array'),
      browseName: `${type}Array`,
      description: `A writable one-dimensional array of ${type}`,
      dataType: type,
      valueRank: 1,
      arrayDimensions: [0],
      ...writable,
      value: new Variant({ dataType, arrayType: VariantArrayType.Array, value: array }),
    });
    ns.addVariable({
      componentOf: readOnly,
      nodeId: demoTypeNode(type, 'readOnly'),
      browseName: type,
      description: `A read-only ${type}`,
      dataType: type,
      accessLevel: 'CurrentRead',
      userAccessLevel: 'CurrentRead',
      value: new Variant({ dataType, arrayType: VariantArrayType.Scalar, value: scalar }),
    });
  }
}
