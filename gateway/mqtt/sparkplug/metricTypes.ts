/**
 * Which Sparkplug datatype a tag is published as, from the type its driver names (Modbus
 * `float32`, OPC UA `Double`) and, failing that, its value kind; and its readings as metric values
 * of that datatype. A reading that the datatype cannot carry is not sent as something else: the
 * caller publishes it as null and says why.
 */
import type { TagInfo, TagValue } from '../../protocol';
import type { DataTypeName, MetricValue } from './payload';

const BY_DATA_TYPE: Record<string, DataTypeName> = {
  // Modbus
  bool: 'Boolean',
  int16: 'Int16',
  uint16: 'UInt16',
  int32: 'Int32',
  uint32: 'UInt32',
  int64: 'Int64',
  uint64: 'UInt64',
  float32: 'Float',
  float64: 'Double',
  string: 'String',
  // OPC UA built-in types
  boolean: 'Boolean',
  sbyte: 'Int8',
  byte: 'UInt8',
  float: 'Float',
  double: 'Double',
  datetime: 'DateTime',
  guid: 'UUID',
  bytestring: 'Bytes',
  localizedtext: 'String',
};

const ARRAY_OF: Partial<Record<DataTypeName, DataTypeName>> = {
  Int8: 'Int8Array',
  Int16: 'Int16Array',
  Int32: 'Int32Array',
  Int64: 'Int64Array',
  UInt8: 'UInt8Array',
  UInt16: 'UInt16Array',
  UInt32: 'UInt32Array',
  UInt64: 'UInt64Array',
  Float: 'FloatArray',
  Double: 'DoubleArray',
  String: 'StringArray',
  DateTime: 'DateTimeArray',
};

/** The datatype a tag's metric is born with, or undefined when Sparkplug has none for it (structures). */
export function metricType(tag: Pick<TagInfo, 'dataType' | 'valueKind'>): DataTypeName | undefined {
  const named = BY_DATA_TYPE[tag.dataType.toLowerCase().replace(/\[\]$/, '')];
  if (tag.valueKind === 'array') return named ? ARRAY_OF[named] : undefined;
  if (named) return named;
  switch (tag.valueKind) {
    case 'boolean':
      return 'Boolean';
    case 'integer':
      return 'Int64';
    case 'number':
      return 'Double';
    case 'string':
      return 'String';
    default:
      return undefined;
  }
}

/** A reading's value as the metric's datatype takes it (64-bit decimal strings as bigints, times as ms). */
export function metricValue(type: DataTypeName, value: TagValue): MetricValue | null {
  if (value === null) return null;
  if ((type === 'Int64' || type === 'UInt64') && typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  if (type === 'DateTime' && typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? (value as MetricValue) : ms;
  }
  if ((type === 'Int64Array' || type === 'UInt64Array') && Array.isArray(value)) return value.map((v) => (typeof v === 'string' || typeof v === 'number' ? BigInt(v) : (v as unknown as bigint)));
  return value as MetricValue;
}

/**
 * A metric value from a DCMD as the value of a write: 64-bit integers as exact decimal strings,
 * times as ISO text; undefined for what a write does not take from Sparkplug (bytes, data sets).
 */
export function writeValue(type: DataTypeName, value: MetricValue): TagValue | undefined {
  if (typeof value === 'bigint') return value.toString();
  if (type === 'DateTime') return typeof value === 'number' ? new Date(value).toISOString() : undefined;
  if (type === 'DateTimeArray') return Array.isArray(value) ? (value as number[]).map((v) => new Date(Number(v)).toISOString()) : undefined;
  if (Array.isArray(value)) return (value as (number | bigint | string)[]).map((v) => (typeof v === 'bigint' ? v.toString() : v));
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') return value;
  return undefined;
}
