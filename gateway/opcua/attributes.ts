/**
 * Every attribute of a node as text for people, as UaExpert's Attributes pane shows them.
 * Attributes the node does not have (BadAttributeIdInvalid) are left out.
 */
import { AttributeIds, NodeClass, StatusCodes, type ClientSession, type DataValue, type NodeId } from 'node-opcua-client';
import type { NodeAttribute, NodeAttributesResult } from '../protocol';
import { readAll } from './batches';
import { describeDataTypes } from './dataTypes';
import { engineeringOf } from './meta';
import { formatNodeId } from './nodeIds';
import { qualifiedNameText, variantToTagValue } from './values';

const SHOWN = [
  'NodeId',
  'NodeClass',
  'BrowseName',
  'DisplayName',
  'Description',
  'WriteMask',
  'UserWriteMask',
  'EventNotifier',
  'Value',
  'DataType',
  'ValueRank',
  'ArrayDimensions',
  'AccessLevel',
  'UserAccessLevel',
  'MinimumSamplingInterval',
  'Historizing',
  'Executable',
  'UserExecutable',
] as const;

const ACCESS_FLAGS: [number, string][] = [
  [0x01, 'CurrentRead'],
  [0x02, 'CurrentWrite'],
  [0x04, 'HistoryRead'],
  [0x08, 'HistoryWrite'],
  [0x10, 'SemanticChange'],
  [0x20, 'StatusWrite'],
  [0x40, 'TimestampWrite'],
];
const EVENT_NOTIFIER_FLAGS: [number, string][] = [
  [0x01, 'SubscribeToEvents'],
  [0x04, 'HistoryRead'],
  [0x08, 'HistoryWrite'],
];
const WRITE_MASK_FLAGS = [
  'AccessLevel', 'ArrayDimensions', 'BrowseName', 'ContainsNoLoops', 'DataType', 'Description', 'DisplayName', 'EventNotifier', 'Executable',
  'Historizing', 'InverseName', 'IsAbstract', 'MinimumSamplingInterval', 'NodeClass', 'NodeId', 'Symmetric', 'UserAccessLevel', 'UserExecutable',
  'UserWriteMask', 'ValueRank', 'WriteMask', 'ValueForVariableType', 'DataTypeDefinition', 'RolePermissions', 'AccessRestrictions', 'AccessLevelEx',
];
const VALUE_RANKS: Record<number, string> = { [-3]: 'ScalarOrOneDimension', [-2]: 'Any', [-1]: 'Scalar', 0: 'OneOrMoreDimensions', 1: 'OneDimension' };

export function flagNames(value: number, flags: [number, string][]): string {
  const names = flags.filter(([bit]) => (value & bit) !== 0).map(([, name]) => name);
  return names.length > 0 ? names.join(', ') : 'None';
}

function writeMaskNames(value: number): string {
  const names = WRITE_MASK_FLAGS.filter((_, bit) => (value & (1 << bit)) !== 0);
  return names.length > 0 ? names.join(', ') : 'None';
}

export async function readAttributes(session: ClientSession, nodeId: NodeId): Promise<NodeAttributesResult> {
  const values = await readAll(session, SHOWN.map((name) => ({ nodeId, attributeId: AttributeIds[name] })));
  const byName = new Map<string, DataValue>(SHOWN.map((name, i) => [name, values[i]]));
  const dataTypeId = byName.get('DataType');
  const dataType = dataTypeId?.statusCode.isGood() && dataTypeId.value.value ? (await describeDataTypes(session, [dataTypeId.value.value as NodeId]))[0] : undefined;
  const attributes: NodeAttribute[] = [];
  for (const name of SHOWN) {
    const dv = byName.get(name)!;
    if (dv.statusCode.equals(StatusCodes.BadAttributeIdInvalid)) continue;
    if (!dv.statusCode.isGood()) {
      attributes.push({ name, value: '', status: dv.statusCode.name });
      continue;
    }
    attributes.push({ name, value: formatAttribute(name, dv, dataType?.name) });
  }
  const result: NodeAttributesResult = { ref: formatNodeId(nodeId), attributes };
  const nodeClass = byName.get('NodeClass')?.value.value;
  if (nodeClass === NodeClass.Variable) Object.assign(result, (await engineeringOf(session, [nodeId]))[0]);
  return result;
}

function formatAttribute(name: (typeof SHOWN)[number], dv: DataValue, dataTypeName: string | undefined): string {
  const v = dv.value.value as unknown;
  switch (name) {
    case 'NodeId':
      return formatNodeId(v as NodeId);
    case 'NodeClass':
      return NodeClass[v as number] ?? String(v);
    case 'BrowseName':
      return qualifiedNameText(v as { namespaceIndex: number; name: string | null });
    case 'DisplayName':
    case 'Description':
      return (v as { text?: string | null } | null)?.text ?? '';
    case 'WriteMask':
    case 'UserWriteMask':
      return `${v} (${writeMaskNames(Number(v))})`;
    case 'EventNotifier':
      return flagNames(Number(v), EVENT_NOTIFIER_FLAGS);
    case 'AccessLevel':
    case 'UserAccessLevel':
      return flagNames(Number(v), ACCESS_FLAGS);
    case 'DataType':
      return dataTypeName ? `${dataTypeName} (${formatNodeId(v as NodeId)})` : formatNodeId(v as NodeId);
    case 'ValueRank':
      return VALUE_RANKS[Number(v)] ? `${v} (${VALUE_RANKS[Number(v)]})` : `${v} (${v} dimensions)`;
    case 'ArrayDimensions':
      return v ? JSON.stringify(Array.from(v as ArrayLike<number>)) : '';
    case 'MinimumSamplingInterval':
      return `${v} ms`;
    case 'Value': {
      const value = variantToTagValue(dv.value);
      return typeof value === 'string' ? value : JSON.stringify(value);
    }
    default:
      return String(v);
  }
}
