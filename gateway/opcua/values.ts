/**
 * OPC UA values → the contract's TagValues, by the variant's built-in type: the one place that
 * decides how a node-opcua value looks to clients (readings, method outputs, history, attributes).
 */
import { DataType, VariantArrayType, type NodeId, type Variant } from 'node-opcua-client';
import { formatNodeId } from './nodeIds';
import type { TagValue } from '../protocol';

const TWO_32 = 4294967296n;
/** OPC UA's null DateTime is 1601-01-01T00:00:00Z (0 in its 100 ns ticks). */
const OPCUA_NULL_DATE = Date.UTC(1601, 0, 1);

/** The 64-bit integer node-opcua keeps as [high, low] words; a number within ±2^53, a decimal string beyond. */
export function int64ToTagValue(words: readonly number[], signed: boolean): TagValue {
  const unsigned = (BigInt(words[0] >>> 0) * TWO_32) | BigInt(words[1] >>> 0);
  const n = signed ? BigInt.asIntN(64, unsigned) : unsigned;
  return n >= -BigInt(Number.MAX_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
}

/**
 * The shortest decimal that reads back as the same float32: a Float holding 0.1 shows 0.1, not
 * 0.10000000149011612 (both are that float32; the first is what the person wrote).
 */
export function float32ToNumber(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(x.toPrecision(digits));
    if (Math.fround(candidate) === x) return candidate;
  }
  return x;
}

/** A variant's value as a TagValue; null for a null variant. */
export function variantToTagValue(variant: Variant | null | undefined): TagValue {
  if (!variant || variant.dataType === DataType.Null) return null;
  const { dataType, arrayType, value } = variant;
  if (arrayType === VariantArrayType.Scalar) return scalarToTagValue(dataType, value);
  const items = Array.from((value ?? []) as ArrayLike<unknown>, (v) => scalarToTagValue(dataType, v));
  if (arrayType === VariantArrayType.Matrix && variant.dimensions && variant.dimensions.length > 1) return nest(items, variant.dimensions);
  return items;
}

/** Flat row-major items → nested arrays by dimensions. */
function nest(items: TagValue[], dimensions: readonly number[]): TagValue[] {
  if (dimensions.length <= 1) return items;
  const inner = dimensions.slice(1).reduce((a, b) => a * b, 1);
  const out: TagValue[] = [];
  for (let i = 0; i < dimensions[0]; i++) out.push(nest(items.slice(i * inner, (i + 1) * inner), dimensions.slice(1)));
  return out;
}

export function scalarToTagValue(dataType: DataType, value: unknown): TagValue {
  if (value === null || value === undefined) return null;
  switch (dataType) {
    case DataType.Boolean:
      return value === true;
    case DataType.SByte:
    case DataType.Byte:
    case DataType.Int16:
    case DataType.UInt16:
    case DataType.Int32:
    case DataType.UInt32:
    case DataType.Double:
      return value as number;
    case DataType.Float:
      return float32ToNumber(value as number);
    case DataType.Int64:
    case DataType.UInt64:
      return int64ToTagValue(value as number[], dataType === DataType.Int64);
    case DataType.String:
    case DataType.XmlElement:
    case DataType.Guid:
      return String(value);
    case DataType.DateTime:
      return dateToTagValue(value as Date);
    case DataType.ByteString:
      return Buffer.isBuffer(value) ? value.toString('base64') : null;
    case DataType.NodeId:
    case DataType.ExpandedNodeId:
      return formatNodeId(value as NodeId);
    case DataType.StatusCode:
      return (value as { name: string }).name;
    case DataType.QualifiedName:
      return qualifiedNameText(value as { namespaceIndex: number; name: string | null });
    case DataType.LocalizedText:
      // The text only, the locale is dropped: the server already picked the text for the
      // session's locales, and a reading's value is plain.
      return (value as { text: string | null }).text ?? null;
    case DataType.ExtensionObject:
      return structureToTagValue(value);
    case DataType.Variant:
      return variantToTagValue(value as Variant);
    case DataType.DataValue:
      return variantToTagValue((value as { value?: Variant }).value);
    default:
      return jsonOf(value);
  }
}

/** ISO 8601; OPC UA's null date is null. */
export function dateToTagValue(date: Date): TagValue {
  const ms = date.getTime();
  if (Number.isNaN(ms) || ms <= OPCUA_NULL_DATE) return null;
  return date.toISOString();
}

/** `name` in namespace 0, `ns:name` elsewhere (the browse-path form). */
export function qualifiedNameText(q: { namespaceIndex: number; name: string | null }): string {
  const name = q.name ?? '';
  return q.namespaceIndex === 0 ? name : `${q.namespaceIndex}:${name}`;
}

interface StructureField {
  name: string;
  fieldType: string;
  isArray?: boolean;
}

/**
 * A decoded structure as JSON, field by field, each converted like a value of its type. A
 * structure the client could not decode (the server gave no definition) comes as its type id and
 * binary body in base64.
 */
export function structureToTagValue(value: unknown): TagValue {
  if (value === null || typeof value !== 'object') return null;
  const o = value as { schema?: { fields?: StructureField[] }; encodingDefaultBinary?: unknown; buffer?: Buffer; nodeId?: unknown };
  const fields = o.schema?.fields;
  if (!fields) {
    if (Buffer.isBuffer(o.buffer)) return { typeId: String(o.nodeId), body: o.buffer.toString('base64') };
    return jsonOf(value);
  }
  const out: { [field: string]: TagValue } = {};
  for (const field of fields) {
    const name = lowerFirst(field.name);
    const v = (value as Record<string, unknown>)[name] ?? (value as Record<string, unknown>)[field.name];
    out[name] = field.isArray && v != null ? Array.from(v as ArrayLike<unknown>, (x) => fieldToTagValue(field.fieldType, x)) : fieldToTagValue(field.fieldType, v);
  }
  return out;
}

function lowerFirst(name: string): string {
  // node-opcua names structure fields in lowerCamelCase (`EngineeringUnits` → `engineeringUnits`).
  return name.length > 0 ? name[0].toLowerCase() + name.slice(1) : name;
}

function fieldToTagValue(fieldType: string, v: unknown): TagValue {
  if (v === null || v === undefined) return null;
  const builtIn = (DataType as unknown as Record<string, DataType | undefined>)[fieldType];
  if (builtIn !== undefined && typeof builtIn === 'number') return scalarToTagValue(builtIn, v);
  if (typeof v === 'object') return structureToTagValue(v);
  return jsonOf(v);
}

/** Anything else by its JSON shape: numbers, strings, booleans, arrays and plain objects. */
function jsonOf(value: unknown): TagValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (value instanceof Date) return dateToTagValue(value);
  if (Array.isArray(value) || ArrayBuffer.isView(value)) return Array.from(value as ArrayLike<unknown>, jsonOf);
  if (typeof value === 'object') {
    const own = value as { toString?: () => string; constructor?: { name?: string } };
    if (own.constructor && own.constructor !== Object && typeof own.toString === 'function' && !('schema' in (value as object))) {
      const text = own.toString();
      if (text !== '[object Object]') return text;
    }
    const out: { [field: string]: TagValue } = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) if (typeof v !== 'function') out[k] = jsonOf(v);
    return out;
  }
  return null;
}
