/**
 * Sparkplug B payloads to and from bytes, with each metric's value in the field and form its
 * datatype says (Sparkplug 3.0, "Payload"): signed 8-, 16- and 32-bit integers in `int_value` as
 * their 32-bit two's complement, Int64 in `long_value` as its 64-bit two's complement, unsigned
 * ones as they are, DateTime as milliseconds in `long_value`, arrays packed little-endian in
 * `bytes_value`. A value that does not fit its datatype is refused, never rounded or cut.
 * (The published JS library decodes negative Int8/16/32 and large UInt32 wrongly; these are
 * the cases the tests hold this module to.)
 */
import * as protobuf from 'protobufjs';
import { SPARKPLUG_B_PROTO } from './schema';

/** Sparkplug 3.0's datatype numbers. */
export const DATA_TYPES = {
  Unknown: 0,
  Int8: 1,
  Int16: 2,
  Int32: 3,
  Int64: 4,
  UInt8: 5,
  UInt16: 6,
  UInt32: 7,
  UInt64: 8,
  Float: 9,
  Double: 10,
  Boolean: 11,
  String: 12,
  DateTime: 13,
  Text: 14,
  UUID: 15,
  DataSet: 16,
  Bytes: 17,
  File: 18,
  Template: 19,
  PropertySet: 20,
  PropertySetList: 21,
  Int8Array: 22,
  Int16Array: 23,
  Int32Array: 24,
  Int64Array: 25,
  UInt8Array: 26,
  UInt16Array: 27,
  UInt32Array: 28,
  UInt64Array: 29,
  FloatArray: 30,
  DoubleArray: 31,
  BooleanArray: 32,
  StringArray: 33,
  DateTimeArray: 34,
} as const;

export type DataTypeName = keyof typeof DATA_TYPES;
const NAME_OF = new Map<number, DataTypeName>(Object.entries(DATA_TYPES).map(([k, v]) => [v, k as DataTypeName]));

/** What a metric holds: a number or bigint for numeric types, an array for array types. */
export type MetricValue = number | bigint | boolean | string | Uint8Array | readonly number[] | readonly bigint[] | readonly string[];

/** A property of a metric (`engUnit`, `Quality`): scalar types only. */
export interface PropertyValue {
  type: DataTypeName;
  value: number | bigint | boolean | string | null;
}

export interface Metric {
  name?: string;
  alias?: bigint;
  /** Milliseconds since the epoch. */
  timestamp?: number;
  datatype: DataTypeName;
  /** null: `is_null` set, no value. */
  value: MetricValue | null;
  isHistorical?: boolean;
  isTransient?: boolean;
  properties?: Record<string, PropertyValue>;
}

export interface Payload {
  timestamp?: number;
  seq?: number;
  metrics: Metric[];
  uuid?: string;
  body?: Uint8Array;
}

/** A value that the datatype cannot carry as it is. */
export class SparkplugValueError extends Error {}

const root = protobuf.parse(SPARKPLUG_B_PROTO, { keepCase: true }).root;
const PayloadType = root.lookupType('org.eclipse.tahu.protobuf.Payload');

type Wire = Record<string, unknown>;

export function decodePayload(bytes: Uint8Array): Payload {
  const m = PayloadType.toObject(PayloadType.decode(bytes), { longs: String, bytes: Buffer, defaults: false, oneofs: true }) as Wire;
  const out: Payload = { metrics: ((m['metrics'] as Wire[] | undefined) ?? []).map(decodeMetric) };
  if (m['timestamp'] !== undefined) out.timestamp = Number(m['timestamp']);
  if (m['seq'] !== undefined) out.seq = Number(m['seq']);
  if (m['uuid'] !== undefined) out.uuid = m['uuid'] as string;
  if (m['body'] !== undefined) out.body = new Uint8Array(m['body'] as Buffer);
  return out;
}

/**
 * Written field by field with protobufjs's Writer, in the order of the .proto (the bytes its
 * reflection encoder would make; a test holds it to that): building an object for `fromObject`
 * first, with every 64-bit field as a decimal string, cost more than all the rest of publishing.
 */
export function encodePayload(p: Payload): Uint8Array {
  const w = protobuf.Writer.create();
  if (p.timestamp !== undefined) w.uint32(F.payloadTimestamp).uint64(checkedTimestamp(p.timestamp, 'the payload timestamp'));
  p.metrics.forEach((m, i) => {
    w.uint32(F.payloadMetric).fork();
    writeMetric(w, m, i);
    w.ldelim();
  });
  if (p.seq !== undefined) {
    if (!Number.isInteger(p.seq) || p.seq < 0 || p.seq > 255) throw new SparkplugValueError(`seq ${p.seq} is not 0-255`);
    w.uint32(F.payloadSeq).uint64(p.seq);
  }
  if (p.uuid !== undefined) w.uint32(F.payloadUuid).string(p.uuid);
  if (p.body !== undefined) w.uint32(F.payloadBody).bytes(p.body);
  return w.finish();
}

/** Throws the SparkplugValueError that `value` would meet in a payload, if any: without encoding one. */
export function checkMetricValue(datatype: DataTypeName, value: MetricValue | null, what = 'the value'): void {
  if (value !== null) encodeValue(datatype, value, what);
}

/** Field keys (number << 3 | wire type) of the messages written here. */
const key = (field: number, wireType: 0 | 1 | 2 | 5) => (field << 3) | wireType;
const F = {
  payloadTimestamp: key(1, 0),
  payloadMetric: key(2, 2),
  payloadSeq: key(3, 0),
  payloadUuid: key(4, 2),
  payloadBody: key(5, 2),
  name: key(1, 2),
  alias: key(2, 0),
  timestamp: key(3, 0),
  datatype: key(4, 0),
  isHistorical: key(5, 0),
  isTransient: key(6, 0),
  isNull: key(7, 0),
  properties: key(9, 2),
  propertyKey: key(1, 2),
  propertyValue: key(2, 2),
  propertyType: key(1, 0),
  propertyIsNull: key(2, 0),
};

/** A value as the wire carries it: which member of the oneof, and its form there. */
type Encoded =
  | { kind: 'int'; v: number }
  | { kind: 'long'; v: bigint | number }
  | { kind: 'float' | 'double'; v: number }
  | { kind: 'boolean'; v: boolean }
  | { kind: 'string'; v: string }
  | { kind: 'bytes'; v: Uint8Array };

/** The oneof's first field number: a metric's value fields start at 10, a property's at 3 (bytes only in a metric). */
const ONEOF_ORDER = { int: 0, long: 1, float: 2, double: 3, boolean: 4, string: 5, bytes: 6 } as const;

function writeEncoded(w: protobuf.Writer, first: number, e: Encoded): void {
  const field = first + ONEOF_ORDER[e.kind];
  switch (e.kind) {
    case 'int':
      w.uint32(key(field, 0)).uint32(e.v);
      return;
    case 'long':
      // protobufjs takes a number up to 2^53 as it is, larger ones as a decimal string.
      w.uint32(key(field, 0)).uint64(typeof e.v === 'bigint' ? (e.v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(e.v) : e.v.toString()) : e.v);
      return;
    case 'float':
      w.uint32(key(field, 5)).float(e.v);
      return;
    case 'double':
      w.uint32(key(field, 1)).double(e.v);
      return;
    case 'boolean':
      w.uint32(key(field, 0)).bool(e.v);
      return;
    case 'string':
      w.uint32(key(field, 2)).string(e.v);
      return;
    case 'bytes':
      w.uint32(key(field, 2)).bytes(e.v);
      return;
  }
}

function writeMetric(w: protobuf.Writer, metric: Metric, index: number): void {
  const what = `metric ${metric.name ?? (metric.alias !== undefined ? `alias ${metric.alias}` : `#${index}`)}`;
  const type = DATA_TYPES[metric.datatype];
  if (type === undefined) throw new SparkplugValueError(`${what}: unknown datatype ${JSON.stringify(metric.datatype)}`);
  // Checked before anything is written: a refused value leaves no half-written metric behind (the whole payload fails anyway).
  const value = metric.value === null ? null : encodeValue(metric.datatype, metric.value, what);
  if (metric.name !== undefined) w.uint32(F.name).string(metric.name);
  if (metric.alias !== undefined) w.uint32(F.alias).uint64(u64(metric.alias, `${what}: alias`));
  if (metric.timestamp !== undefined) w.uint32(F.timestamp).uint64(checkedTimestamp(metric.timestamp, `${what}: timestamp`));
  w.uint32(F.datatype).uint32(type);
  if (metric.isHistorical) w.uint32(F.isHistorical).bool(true);
  if (metric.isTransient) w.uint32(F.isTransient).bool(true);
  if (value === null) w.uint32(F.isNull).bool(true);
  if (metric.properties) {
    w.uint32(F.properties).fork();
    writeProperties(w, metric.properties, what);
    w.ldelim();
  }
  if (value !== null) writeEncoded(w, 10, value);
}

function writeProperties(w: protobuf.Writer, props: Record<string, PropertyValue>, what: string): void {
  const keys = Object.keys(props);
  for (const k of keys) w.uint32(F.propertyKey).string(k);
  for (const k of keys) {
    const p = props[k]!;
    const type = DATA_TYPES[p.type];
    if (type === undefined) throw new SparkplugValueError(`${what}: property ${k}: unknown datatype ${JSON.stringify(p.type)}`);
    const value = p.value === null ? null : encodeValue(p.type, p.value, `${what}: property ${k}`);
    if (value?.kind === 'bytes') throw new SparkplugValueError(`${what}: property ${k}: a property cannot be ${p.type}`);
    w.uint32(F.propertyValue).fork();
    w.uint32(F.propertyType).uint32(type);
    if (value === null) w.uint32(F.propertyIsNull).bool(true);
    else writeEncoded(w, 3, value);
    w.ldelim();
  }
}

function decodeMetric(w: Wire): Metric {
  const datatype = NAME_OF.get(Number(w['datatype'] ?? 0)) ?? 'Unknown';
  const metric: Metric = { datatype, value: null };
  if (w['name'] !== undefined) metric.name = w['name'] as string;
  if (w['alias'] !== undefined) metric.alias = BigInt(w['alias'] as string);
  if (w['timestamp'] !== undefined) metric.timestamp = Number(w['timestamp']);
  if (w['is_historical']) metric.isHistorical = true;
  if (w['is_transient']) metric.isTransient = true;
  if (w['properties']) metric.properties = decodeProperties(w['properties'] as Wire);
  const field = w['value'] as string | undefined;
  if (!w['is_null'] && field !== undefined) metric.value = decodeValue(datatype, w[field]);
  return metric;
}

/** The oneof field and its wire value for `value` as `type`. */
function encodeValue(type: DataTypeName, value: MetricValue, what: string): Encoded {
  switch (type) {
    case 'Int8':
    case 'Int16':
    case 'Int32': {
      const bits = type === 'Int8' ? 8 : type === 'Int16' ? 16 : 32;
      const n = integer(value, -(2 ** (bits - 1)), 2 ** (bits - 1) - 1, type, what);
      return { kind: 'int', v: n >>> 0 };
    }
    case 'UInt8':
    case 'UInt16':
    case 'UInt32': {
      const bits = type === 'UInt8' ? 8 : type === 'UInt16' ? 16 : 32;
      return { kind: 'int', v: integer(value, 0, 2 ** bits - 1, type, what) };
    }
    case 'Int64':
      return { kind: 'long', v: BigInt.asUintN(64, big(value, -(2n ** 63n), 2n ** 63n - 1n, type, what)) };
    case 'UInt64':
      return { kind: 'long', v: big(value, 0n, 2n ** 64n - 1n, type, what) };
    case 'DateTime':
      return { kind: 'long', v: checkedTimestamp(value, what) };
    case 'Float':
    case 'Double': {
      if (typeof value !== 'number') throw new SparkplugValueError(`${what}: a ${type} takes a number, not ${describe(value)}`);
      if (type === 'Float' && Number.isFinite(value) && Math.fround(value) !== value) {
        throw new SparkplugValueError(`${what}: ${value} is not exactly a 32-bit float (nearest ${Math.fround(value)}): send it as a Double`);
      }
      return { kind: type === 'Float' ? 'float' : 'double', v: value };
    }
    case 'Boolean':
      if (typeof value !== 'boolean') throw new SparkplugValueError(`${what}: a Boolean takes true or false, not ${describe(value)}`);
      return { kind: 'boolean', v: value };
    case 'String':
    case 'Text':
    case 'UUID':
      if (typeof value !== 'string') throw new SparkplugValueError(`${what}: a ${type} takes a string, not ${describe(value)}`);
      return { kind: 'string', v: value };
    case 'Bytes':
    case 'File':
      if (!(value instanceof Uint8Array)) throw new SparkplugValueError(`${what}: ${type} takes bytes, not ${describe(value)}`);
      return { kind: 'bytes', v: value };
    default: {
      const packed = packArray(type, value, what);
      if (!packed) throw new SparkplugValueError(`${what}: datatype ${type} is not written by this gateway`);
      return { kind: 'bytes', v: packed };
    }
  }
}

function decodeValue(type: DataTypeName, v: unknown): MetricValue | null {
  switch (type) {
    case 'Int8':
    case 'Int16': {
      // Sign-extended to 32 bits on the wire: anything else is not a value of the type (and
      // wrapping it would make a wrong one).
      const n = (v as number) | 0;
      const bits = type === 'Int8' ? 8 : 16;
      if (n < -(2 ** (bits - 1)) || n >= 2 ** (bits - 1)) throw new SparkplugValueError(`${(v as number) >>> 0} on the wire is not an ${type}`);
      return n;
    }
    case 'Int32':
      return (v as number) | 0;
    case 'UInt8':
    case 'UInt16': {
      const n = (v as number) >>> 0;
      if (n >= 2 ** (type === 'UInt8' ? 8 : 16)) throw new SparkplugValueError(`${n} on the wire is not an ${type}`);
      return n;
    }
    case 'UInt32':
      return (v as number) >>> 0;
    case 'Int64':
      return BigInt.asIntN(64, BigInt(v as string));
    case 'UInt64':
      return BigInt(v as string);
    case 'DateTime':
      return Number(v);
    case 'Float':
    case 'Double':
    case 'Boolean':
    case 'String':
    case 'Text':
    case 'UUID':
      return v as MetricValue;
    case 'Bytes':
    case 'File':
      return new Uint8Array(v as Buffer);
    default:
      return v instanceof Uint8Array ? (unpackArray(type, v) ?? new Uint8Array(v)) : null;
  }
}

interface ArrayLayout {
  size: number;
  write(view: DataView, at: number, v: number | bigint): void;
  read(view: DataView, at: number): number | bigint;
  check(v: unknown, what: string): number | bigint;
}

const intLayout = (size: 1 | 2 | 4, signed: boolean, name: DataTypeName): ArrayLayout => {
  const bits = size * 8;
  const [min, max] = signed ? [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1] : [0, 2 ** bits - 1];
  return {
    size,
    check: (v, what) => integer(v as MetricValue, min, max, name, what),
    write: (view, at, v) => {
      const n = v as number;
      if (size === 1 && signed) view.setInt8(at, n);
      else if (size === 1) view.setUint8(at, n);
      else if (size === 2 && signed) view.setInt16(at, n, true);
      else if (size === 2) view.setUint16(at, n, true);
      else if (signed) view.setInt32(at, n, true);
      else view.setUint32(at, n, true);
    },
    read: (view, at) => (size === 1 ? (signed ? view.getInt8(at) : view.getUint8(at)) : size === 2 ? (signed ? view.getInt16(at, true) : view.getUint16(at, true)) : signed ? view.getInt32(at, true) : view.getUint32(at, true)),
  };
};

const ARRAYS: Partial<Record<DataTypeName, ArrayLayout>> = {
  Int8Array: intLayout(1, true, 'Int8'),
  Int16Array: intLayout(2, true, 'Int16'),
  Int32Array: intLayout(4, true, 'Int32'),
  UInt8Array: intLayout(1, false, 'UInt8'),
  UInt16Array: intLayout(2, false, 'UInt16'),
  UInt32Array: intLayout(4, false, 'UInt32'),
  Int64Array: {
    size: 8,
    check: (v, what) => big(v as MetricValue, -(2n ** 63n), 2n ** 63n - 1n, 'Int64', what),
    write: (view, at, v) => view.setBigInt64(at, v as bigint, true),
    read: (view, at) => view.getBigInt64(at, true),
  },
  UInt64Array: {
    size: 8,
    check: (v, what) => big(v as MetricValue, 0n, 2n ** 64n - 1n, 'UInt64', what),
    write: (view, at, v) => view.setBigUint64(at, v as bigint, true),
    read: (view, at) => view.getBigUint64(at, true),
  },
  DateTimeArray: {
    size: 8,
    check: (v, what) => BigInt(checkedTimestamp(v as MetricValue, what)),
    write: (view, at, v) => view.setBigInt64(at, v as bigint, true),
    read: (view, at) => Number(view.getBigInt64(at, true)),
  },
  FloatArray: {
    size: 4,
    check: (v, what) => {
      if (typeof v !== 'number') throw new SparkplugValueError(`${what}: a FloatArray holds numbers, not ${describe(v as MetricValue)}`);
      if (Number.isFinite(v) && Math.fround(v) !== v) throw new SparkplugValueError(`${what}: ${v} is not exactly a 32-bit float: send a DoubleArray`);
      return v;
    },
    write: (view, at, v) => view.setFloat32(at, v as number, true),
    read: (view, at) => view.getFloat32(at, true),
  },
  DoubleArray: {
    size: 8,
    check: (v, what) => {
      if (typeof v !== 'number') throw new SparkplugValueError(`${what}: a DoubleArray holds numbers, not ${describe(v as MetricValue)}`);
      return v;
    },
    write: (view, at, v) => view.setFloat64(at, v as number, true),
    read: (view, at) => view.getFloat64(at, true),
  },
};

function packArray(type: DataTypeName, value: MetricValue, what: string): Uint8Array | undefined {
  if (type === 'StringArray') {
    if (!Array.isArray(value) || !value.every((s) => typeof s === 'string')) throw new SparkplugValueError(`${what}: a StringArray holds strings`);
    // Each string UTF-8 and ended by a NUL: a string with a NUL in it cannot be told apart.
    if ((value as string[]).some((s) => s.includes('\0'))) throw new SparkplugValueError(`${what}: a StringArray cannot hold a string with a NUL character`);
    return Buffer.concat((value as string[]).map((s) => Buffer.from(`${s}\0`, 'utf8')));
  }
  const layout = ARRAYS[type];
  if (!layout) return undefined;
  if (!Array.isArray(value)) throw new SparkplugValueError(`${what}: a ${type} takes an array, not ${describe(value)}`);
  const items = (value as unknown[]).map((v, i) => layout.check(v, `${what}[${i}]`));
  const bytes = new Uint8Array(items.length * layout.size);
  const view = new DataView(bytes.buffer);
  items.forEach((v, i) => layout.write(view, i * layout.size, v));
  return bytes;
}

function unpackArray(type: DataTypeName, bytes: Uint8Array): MetricValue | undefined {
  if (type === 'StringArray') {
    const text = Buffer.from(bytes).toString('utf8');
    return text.endsWith('\0') ? text.slice(0, -1).split('\0') : text === '' ? [] : text.split('\0');
  }
  const layout = ARRAYS[type];
  if (!layout || bytes.length % layout.size !== 0) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: (number | bigint)[] = [];
  for (let at = 0; at < bytes.length; at += layout.size) out.push(layout.read(view, at));
  return out as number[] | bigint[];
}

function decodeProperties(w: Wire): Record<string, PropertyValue> {
  const keys = (w['keys'] as string[] | undefined) ?? [];
  const values = (w['values'] as Wire[] | undefined) ?? [];
  const out: Record<string, PropertyValue> = {};
  keys.forEach((k, i) => {
    const v = values[i] ?? {};
    const type = NAME_OF.get(Number(v['type'] ?? 0)) ?? 'Unknown';
    const field = v['value'] as string | undefined;
    const value = v['is_null'] || field === undefined ? null : decodeValue(type, v[field]);
    out[k] = { type, value: value as PropertyValue['value'] };
  });
  return out;
}

function integer(value: MetricValue, min: number, max: number, type: string, what: string): number {
  const n = typeof value === 'bigint' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new SparkplugValueError(`${what}: an ${type} takes a whole number, not ${describe(value)}`);
  if (n < min || n > max) throw new SparkplugValueError(`${what}: ${n} does not fit an ${type} (${min} to ${max})`);
  return n;
}

function big(value: MetricValue, min: bigint, max: bigint, type: string, what: string): bigint {
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
  else if (typeof value === 'string' && /^-?\d+$/.test(value)) n = BigInt(value);
  else throw new SparkplugValueError(`${what}: an ${type} takes a whole number (a bigint, a safe integer or a decimal string), not ${describe(value)}`);
  if (n < min || n > max) throw new SparkplugValueError(`${what}: ${n} does not fit an ${type}`);
  return n;
}

function checkedTimestamp(value: MetricValue, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new SparkplugValueError(`${what}: a time is whole milliseconds since 1970, not ${describe(value)}`);
  return value;
}

/** An unsigned 64-bit field as protobufjs's Writer takes it: a number up to 2^53, a decimal string beyond. */
function u64(v: bigint | number, what = 'a 64-bit field'): number | string {
  const n = BigInt(v);
  if (n < 0n || n > 2n ** 64n - 1n) throw new SparkplugValueError(`${what}: ${n} is not an unsigned 64-bit number`);
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
}

function describe(v: MetricValue | unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
