/**
 * TagValues → OPC UA variants by the target's DataType and ValueRank, refused before anything is
 * sent when they do not fit: the one source of the write rules, for writes, method inputs and the
 * WriteSpec clients check input against. Nothing is rounded or coerced, with one exception a
 * float type cannot avoid: a Float takes the float32 nearest to the number (as the Modbus float32
 * does), and the answer carries that float32 back, shortest form, so a person sees what is stored.
 */
import { DataType, LocalizedText, QualifiedName, StatusCodes, Variant, VariantArrayType, type ClientSession } from 'node-opcua-client';
import { BifrostError, preview } from '../errors';
import { ErrorCodes, type TagValue, type ValueKind, type WriteSpec } from '../protocol';
import { parseNodeId } from './nodeIds';
import { scalarToTagValue, structureToTagValue } from './values';

/** What the encoder needs to know of the target (a variable, or a method argument). */
export interface EncodeTarget {
  /** Named in messages: the node id, or `input factor of ns=1;s=Scale`. */
  subject: string;
  /** The DataType's browse name (`Double`, `PumpMode`). */
  dataType: string;
  dataTypeId: string;
  /** The built-in type values travel as; absent: `dataType` when it names one. */
  builtInType?: string;
  valueRank: number;
  arrayDimensions?: number[];
  enumValues?: { value: number; label: string }[];
}

export class EncodeError extends BifrostError {
  constructor(message: string) {
    super(ErrorCodes.BadValue, message);
  }
}

const FLOAT32_MAX = 3.4028234663852886e38;
const INTEGER_RANGES: Partial<Record<DataType, [bigint, bigint]>> = {
  [DataType.SByte]: [-128n, 127n],
  [DataType.Byte]: [0n, 255n],
  [DataType.Int16]: [-32768n, 32767n],
  [DataType.UInt16]: [0n, 65535n],
  [DataType.Int32]: [-2147483648n, 2147483647n],
  [DataType.UInt32]: [0n, 4294967295n],
  [DataType.Int64]: [-(2n ** 63n), 2n ** 63n - 1n],
  [DataType.UInt64]: [0n, 2n ** 64n - 1n],
};
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The built-in type of a target: an enumeration travels as Int32, a structure as ExtensionObject. */
export function builtInOf(target: Pick<EncodeTarget, 'builtInType' | 'dataType' | 'enumValues'>): DataType {
  const name = target.builtInType ?? (target.enumValues ? 'Int32' : target.dataType);
  const builtIn = (DataType as unknown as Record<string, DataType | undefined>)[name];
  return typeof builtIn === 'number' ? builtIn : DataType.Variant;
}

/** Built-in types whose values travel as text (ISO dates, base64, node ids, status names, …). */
const TEXT_TYPES: ReadonlySet<DataType> = new Set([
  DataType.String,
  DataType.XmlElement,
  DataType.Guid,
  DataType.DateTime,
  DataType.ByteString,
  DataType.NodeId,
  DataType.ExpandedNodeId,
  DataType.StatusCode,
  DataType.QualifiedName,
  DataType.LocalizedText,
]);

/** How clients should treat values of the target. */
export function valueKindOf(target: Pick<EncodeTarget, 'builtInType' | 'dataType' | 'enumValues' | 'valueRank'>): ValueKind {
  if (target.valueRank >= 0) return 'array';
  const builtIn = builtInOf(target);
  if (TEXT_TYPES.has(builtIn)) return 'string';
  switch (builtIn) {
    case DataType.Boolean:
      return 'boolean';
    case DataType.SByte:
    case DataType.Byte:
    case DataType.Int16:
    case DataType.UInt16:
    case DataType.Int32:
    case DataType.UInt32:
    case DataType.Int64:
    case DataType.UInt64:
      return 'integer';
    case DataType.Float:
    case DataType.Double:
      return 'number';
    case DataType.ExtensionObject:
      return 'structure';
    default:
      return 'unknown';
  }
}

/**
 * What a write may carry. Scalars get the rules of their type; arrays, structures and values of
 * an abstract type (BaseDataType, Number) are `json`. Enumerations list their members.
 */
export function writeSpecOfTarget(target: EncodeTarget): WriteSpec {
  if (target.valueRank !== -1) return { kind: 'json' };
  if (target.enumValues) return { kind: 'enum', values: target.enumValues.map((e) => ({ value: e.value, label: e.label })) };
  const builtIn = builtInOf(target);
  const range = INTEGER_RANGES[builtIn];
  if (range) return { kind: 'integer', min: range[0].toString(), max: range[1].toString() };
  if (TEXT_TYPES.has(builtIn)) return { kind: 'string' };
  switch (builtIn) {
    case DataType.Boolean:
      return { kind: 'boolean' };
    case DataType.Float:
      return { kind: 'number', min: -FLOAT32_MAX, max: FLOAT32_MAX };
    case DataType.Double:
      return { kind: 'number', min: -Number.MAX_VALUE, max: Number.MAX_VALUE };
    default:
      return { kind: 'json' };
  }
}

export interface Encoded {
  variant: Variant;
  /** The value as the server will hold it, converted back (float32 rounding shows here). */
  written: TagValue;
}

/** Encodes `value` for the target; EncodeError (BadValue) naming the target, its type and why. */
export async function encodeForTarget(target: EncodeTarget, value: TagValue, session?: ClientSession): Promise<Encoded> {
  const builtIn = builtInOf(target);
  const typeName = target.dataType;
  const fail = (why: string): never => {
    throw new EncodeError(`cannot write ${shown(value)} to ${target.subject} (${typeName}): ${why}`);
  };
  const rank = target.valueRank;
  const isArray = Array.isArray(value);
  if (isArray) {
    if (rank === -1) fail('it holds a single value, not an array');
    if (rank > 1) fail(`it is a ${rank}-dimensional array; only one-dimensional arrays can be written`);
    const max = target.arrayDimensions?.[0] ?? 0;
    if (max > 0 && value.length > max) fail(`at most ${max} elements fit, got ${value.length}`);
  } else if (rank >= 0) {
    fail('it holds an array: write a JSON array');
  }

  const elements: TagValue[] = isArray ? value : [value];
  const encoded: unknown[] = [];
  for (let i = 0; i < elements.length; i++) {
    const element = elements[i];
    const failElement = (why: string): never => fail(isArray ? `element ${i} (${shown(element)}): ${why}` : why);
    if (Array.isArray(element)) failElement('nested arrays are not one-dimensional');
    encoded.push(await encodeScalar(builtIn, target, element, failElement, session));
  }
  let dataType = builtIn;
  if (dataType === DataType.Variant) {
    // An abstract type (BaseDataType, Number): the JSON value picks Boolean, Double or String.
    dataType = abstractTypeOf(elements, fail);
  }
  const variant = new Variant({ dataType, arrayType: isArray ? VariantArrayType.Array : VariantArrayType.Scalar, value: isArray ? encoded : encoded[0] });
  const back = encoded.map((e) => (dataType === DataType.ExtensionObject ? structureToTagValue(e) : scalarToTagValue(dataType, e)));
  return { variant, written: isArray ? back : back[0] };
}

function abstractTypeOf(elements: TagValue[], fail: (why: string) => never): DataType {
  const kinds = new Set(elements.map((e) => typeof e));
  if (kinds.size > 1) fail('the elements mix types');
  const kind = kinds.values().next().value ?? 'number';
  if (kind === 'boolean') return DataType.Boolean;
  if (kind === 'number') return DataType.Double;
  if (kind === 'string') return DataType.String;
  return fail('a value of an abstract type is a boolean, a number or a string');
}

async function encodeScalar(builtIn: DataType, target: EncodeTarget, value: TagValue, fail: (why: string) => never, session?: ClientSession): Promise<unknown> {
  if (value === null) return fail('null cannot be written');
  const range = INTEGER_RANGES[builtIn];
  if (target.enumValues) return encodeEnum(target.enumValues, value, fail);
  if (range) return encodeInteger(builtIn, range, value, fail);
  switch (builtIn) {
    case DataType.Boolean:
      if (value === true || value === 1) return true;
      if (value === false || value === 0) return false;
      return fail(`expected true/false (or 1/0), got ${kindOf(value)}`);
    case DataType.Float: {
      const v = requireNumber(value, fail);
      if (Math.abs(v) > FLOAT32_MAX) return fail(`out of range for Float (±${FLOAT32_MAX})`);
      if (v !== 0 && Math.fround(v) === 0) return fail('too small for Float: it would be stored as 0');
      return Math.fround(v);
    }
    case DataType.Double:
      return requireNumber(value, fail);
    case DataType.String:
    case DataType.XmlElement:
      return requireString(value, fail);
    case DataType.DateTime: {
      if (typeof value === 'number') {
        if (!Number.isFinite(value)) return fail('not a time');
        return new Date(value);
      }
      const text = requireString(value, fail);
      const m = ISO_DATE.exec(text);
      if (!m) return fail('not an ISO 8601 date and time with a time zone (2026-12-01T10:00:00Z), nor milliseconds since 1970');
      const date = new Date(text);
      // Date rolls 2026-02-30 over into March: a day or time out of its range is refused instead.
      const [year, month, day, hour, minute, second = '0', zoneHour = '0', zoneMinute = '0'] = m.slice(1);
      const daysInMonth = new Date(Date.UTC(Number(year), Number(month), 0)).getUTCDate();
      const valid = Number(month) >= 1 && Number(month) <= 12 && Number(day) >= 1 && Number(day) <= daysInMonth && Number(hour) <= 23 && Number(minute) <= 59 && Number(second) <= 59 && Number(zoneHour) <= 23 && Number(zoneMinute) <= 59;
      if (!valid || Number.isNaN(date.getTime())) return fail('not a valid date (no such day or time)');
      return date;
    }
    case DataType.ByteString: {
      const text = requireString(value, fail);
      if (!BASE64.test(text)) return fail('not base64 (A-Z, a-z, 0-9, +, / in groups of four, = padding)');
      return Buffer.from(text, 'base64');
    }
    case DataType.Guid: {
      const text = requireString(value, fail);
      if (!GUID.test(text)) return fail('not a GUID (72962B91-FA75-4AE6-8D28-B404DC7DAF63)');
      return text.toUpperCase();
    }
    case DataType.LocalizedText:
      if (typeof value === 'string') return new LocalizedText({ text: value, locale: null });
      if (typeof value === 'object' && !Array.isArray(value) && typeof value.text === 'string' && (value.locale === undefined || typeof value.locale === 'string')) {
        return new LocalizedText({ text: value.text, locale: (value.locale as string | undefined) ?? null });
      }
      return fail(`expected a string (or {"text", "locale"}), got ${kindOf(value)}`);
    case DataType.QualifiedName: {
      const text = requireString(value, fail);
      const m = /^(\d+):(.*)$/.exec(text);
      if (m && Number(m[1]) > 65535) return fail('the namespace index is above 65535');
      if ((m ? m[2] : text) === '') return fail('the name is empty');
      return m ? new QualifiedName({ namespaceIndex: Number(m[1]), name: m[2] }) : new QualifiedName({ namespaceIndex: 0, name: text });
    }
    case DataType.NodeId:
    case DataType.ExpandedNodeId: {
      const text = requireString(value, fail);
      try {
        return parseNodeId(text, session);
      } catch (err) {
        return fail((err as Error).message);
      }
    }
    case DataType.StatusCode: {
      if (typeof value === 'string') {
        const code = (StatusCodes as unknown as Record<string, unknown>)[value];
        if (code && typeof code === 'object' && 'value' in code) return code;
        return fail('not a status code name (Good, BadOutOfRange, …)');
      }
      return fail(`expected a status code name, got ${kindOf(value)}`);
    }
    case DataType.ExtensionObject:
      return encodeStructure(target, value, fail, session);
    case DataType.Variant:
      if (typeof value === 'object') return fail('a value of an abstract type is a boolean, a number or a string');
      return value;
    default:
      return fail(`writing ${DataType[builtIn]} values is not supported`);
  }
}

function encodeEnum(members: { value: number; label: string }[], value: TagValue, fail: (why: string) => never): number {
  const listed = members.map((m) => `${m.value} (${m.label})`).join(', ');
  const found = typeof value === 'string' ? members.find((m) => m.label === value || String(m.value) === value.trim()) : typeof value === 'number' ? members.find((m) => m.value === value) : undefined;
  if (!found) return fail(`not one of the enumeration's members: ${listed}`);
  return found.value;
}

function encodeInteger(builtIn: DataType, [min, max]: [bigint, bigint], value: TagValue, fail: (why: string) => never): unknown {
  const name = DataType[builtIn];
  let n: bigint;
  if (typeof value === 'string') {
    const text = value.trim();
    if (!/^[+-]?\d+$/.test(text)) return fail(`expected an integer (a number or a decimal string) for ${name}, got ${kindOf(value)}`);
    n = BigInt(text);
  } else if (typeof value === 'number') {
    if (!Number.isFinite(value)) return fail(`expected a finite number for ${name}`);
    if (!Number.isInteger(value)) return fail(`not a whole number; ${name} holds whole numbers`);
    n = BigInt(value);
  } else {
    return fail(`expected an integer (a number or a decimal string) for ${name}, got ${kindOf(value)}`);
  }
  if (n < min || n > max) return fail(`out of range for ${name} (${min}..${max})`);
  if (builtIn === DataType.Int64 || builtIn === DataType.UInt64) {
    const words = BigInt.asUintN(64, n);
    return [Number(words >> 32n), Number(words & 0xffffffffn)];
  }
  return Number(n);
}

async function encodeStructure(target: EncodeTarget, value: TagValue, fail: (why: string) => never, session?: ClientSession): Promise<unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(`expected a JSON object with the structure's fields, got ${kindOf(value)}`);
  if (!session) return fail('a structure is built with the server\'s type definitions, and there is no session');
  try {
    return await session.constructExtensionObject(parseNodeId(target.dataTypeId), value as Record<string, unknown>);
  } catch (err) {
    return fail(`the server's definition of ${target.dataType} does not take it (${(err as Error).message})`);
  }
}

function requireNumber(value: TagValue, fail: (why: string) => never): number {
  if (typeof value !== 'number') return fail(`expected a number, got ${kindOf(value)}`);
  if (!Number.isFinite(value)) return fail('expected a finite number');
  return value;
}

function requireString(value: TagValue, fail: (why: string) => never): string {
  if (typeof value !== 'string') return fail(`expected a string, got ${kindOf(value)}`);
  return value;
}

function kindOf(value: TagValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return typeof value === 'string' ? `the string ${JSON.stringify(value)}` : `${typeof value} ${String(value)}`;
}

function shown(value: TagValue): string {
  return preview(value);
}
