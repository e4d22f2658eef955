/**
 * What a variable is, read in batches: its attributes, its DataType (built-in base and enum
 * members) and its engineering information (EngineeringUnits and EURange properties).
 */
import { AttributeIds, NodeClass, type ClientSession, type DataValue, type NodeId } from 'node-opcua-client';
import { BifrostError } from '../errors';
import { ErrorCodes, type ValueKind } from '../protocol';
import { readAll } from './batches';
import { describeDataTypes, propertiesOf } from './dataTypes';
import { valueKindOf } from './encode';
import { formatNodeId } from './nodeIds';
import { describeStatus } from './statusCodes';

/** What the driver needs to know of a variable to show, convert and write its values. */
export interface VariableMeta {
  /** Canonical NodeId string (`ns=2;s=Tank.Level`). */
  nodeId: string;
  /** The DataType's browse name (`Double`, `Int64`, `MyStructure`). */
  dataType: string;
  /** The DataType's NodeId string. */
  dataTypeId: string;
  /**
   * The built-in type values travel as (`Double` for a Duration, `Int32` for an enumeration,
   * `ExtensionObject` for a structure, `Variant` for abstract types). Absent: `dataType`.
   */
  builtInType?: string;
  /** -1 scalar, 1 one-dimensional array, … (OPC UA ValueRank). */
  valueRank: number;
  /** The maximum length of each dimension (0: any), where the server says. */
  arrayDimensions?: number[];
  valueKind: ValueKind;
  /** CurrentRead / CurrentWrite of UserAccessLevel. */
  readable: boolean;
  writable: boolean;
  historizing: boolean;
  description?: string;
  engineeringUnits?: string;
  euRange?: { low: number; high: number };
  /** Enumerations: value and name of each member. */
  enumValues?: { value: number; label: string }[];
}

const ATTRIBUTES = [
  AttributeIds.NodeClass,
  AttributeIds.DataType,
  AttributeIds.ValueRank,
  AttributeIds.ArrayDimensions,
  AttributeIds.UserAccessLevel,
  AttributeIds.Historizing,
  AttributeIds.Description,
] as const;
const CURRENT_READ = 1;
const CURRENT_WRITE = 2;

/** One meta per node, in order; an Error for a node that does not exist or is not a variable. */
export async function describeVariables(session: ClientSession, nodeIds: readonly NodeId[]): Promise<(VariableMeta | Error)[]> {
  const values = await readAll(
    session,
    nodeIds.flatMap((nodeId) => ATTRIBUTES.map((attributeId) => ({ nodeId, attributeId }))),
  );
  const rows = nodeIds.map((nodeId, i) => ({ nodeId, values: values.slice(i * ATTRIBUTES.length, (i + 1) * ATTRIBUTES.length) }));
  const out: (VariableMeta | Error)[] = [];
  const variables: { index: number; nodeId: NodeId; dataTypeId: NodeId }[] = [];
  rows.forEach(({ nodeId, values: [nodeClass, dataType] }, index) => {
    const id = formatNodeId(nodeId);
    if (!nodeClass.statusCode.isGood()) {
      out.push(new BifrostError(ErrorCodes.BadTagRef, `${id}: ${describeStatus(nodeClass.statusCode)}`));
    } else if (nodeClass.value.value !== NodeClass.Variable) {
      out.push(new BifrostError(ErrorCodes.BadTagRef, `${id} is ${article(NodeClass[nodeClass.value.value as number] ?? 'unknown')} node, not a variable: only variables have values`));
    } else if (!dataType.statusCode.isGood() || !dataType.value.value) {
      out.push(new BifrostError(ErrorCodes.BadTagRef, `${id}: the server does not say its DataType (${describeStatus(dataType.statusCode)})`));
    } else {
      out.push(new Error('pending'));
      variables.push({ index, nodeId, dataTypeId: dataType.value.value as NodeId });
    }
  });
  if (variables.length === 0) return out;

  const [types, engineering] = await Promise.all([
    describeDataTypes(session, variables.map((v) => v.dataTypeId)),
    engineeringOf(session, variables.map((v) => v.nodeId)),
  ]);
  variables.forEach(({ index, nodeId }, k) => {
    const [, , valueRank, arrayDimensions, userAccessLevel, historizing, description] = rows[index].values;
    const type = types[k];
    const access = good(userAccessLevel) ? Number(userAccessLevel.value.value) : 0;
    const meta: VariableMeta = {
      nodeId: formatNodeId(nodeId),
      dataType: type.name,
      dataTypeId: type.id,
      builtInType: type.builtInType,
      valueRank: good(valueRank) ? Number(valueRank.value.value) : -1,
      valueKind: 'unknown',
      readable: (access & CURRENT_READ) !== 0,
      writable: (access & CURRENT_WRITE) !== 0,
      historizing: good(historizing) && historizing.value.value === true,
    };
    const dims = good(arrayDimensions) ? arrayDimensions.value.value : undefined;
    if (dims && (dims as ArrayLike<number>).length > 0) meta.arrayDimensions = Array.from(dims as ArrayLike<number>);
    const text = good(description) ? (description.value.value as { text?: string | null } | null)?.text : undefined;
    if (text) meta.description = text;
    if (type.enumValues) meta.enumValues = type.enumValues;
    meta.valueKind = valueKindOf(meta);
    Object.assign(meta, engineering[k]);
    out[index] = meta;
  });
  return out;
}

function good(dv: DataValue): boolean {
  return dv.statusCode.isGood() && dv.value?.value !== null && dv.value?.value !== undefined;
}

function article(word: string): string {
  return /^[AEIOU]/i.test(word) ? `an ${word}` : `a ${word}`;
}

export interface Engineering {
  engineeringUnits?: string;
  euRange?: { low: number; high: number };
}

/** EngineeringUnits (its display name, else its description) and EURange, where the node has them. */
export async function engineeringOf(session: ClientSession, nodes: readonly NodeId[]): Promise<Engineering[]> {
  const props = await propertiesOf(session, nodes, ['EngineeringUnits', 'EURange']);
  const toRead = props.flatMap((p) => p.filter((x): x is NodeId => x !== undefined));
  const values = await readAll(session, toRead.map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value })));
  let k = 0;
  return props.map(([units, range]) => {
    const out: Engineering = {};
    const unitsValue = units ? values[k++] : undefined;
    const rangeValue = range ? values[k++] : undefined;
    const eu = unitsValue && good(unitsValue) ? (unitsValue.value.value as { displayName?: { text?: string | null }; description?: { text?: string | null } }) : undefined;
    const unitText = eu?.displayName?.text || eu?.description?.text;
    if (unitText) out.engineeringUnits = unitText;
    const r = rangeValue && good(rangeValue) ? (rangeValue.value.value as { low?: number; high?: number }) : undefined;
    if (r && typeof r.low === 'number' && typeof r.high === 'number') out.euRange = { low: r.low, high: r.high };
    return out;
  });
}
