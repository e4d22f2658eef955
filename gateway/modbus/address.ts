/**
 * Modbus addresses: parsing the forms people write (`holding:100:float32:CDAB`, `40101`,
 * `holding:7.3`, inline objects) into one validated, 0-based shape with a canonical key.
 *
 * The key omits defaults and carries everything that changes the decoded value, so two refs that
 * read the same thing get the same key, and `resolveAddress(key)` gives back an equal address.
 * Scale and offset, which only inline objects set, travel in the key as `*scale` and `+offset`
 * (`holding:100:int16*0.1-40`).
 */
import type { ByteOrder, ModbusAddress, ModbusArea, ModbusDataType } from '../protocol';

export interface ResolvedAddress {
  area: ModbusArea;
  /** 0-based (the PDU address). */
  address: number;
  type: ModbusDataType;
  /** 'ABCD' when irrelevant (16-bit types, bool, string). */
  byteOrder: ByteOrder;
  /** Registers (input/holding) or bits (coil/discrete) the value spans. */
  count: number;
  /** Registers of a string. */
  length?: number;
  /** 0-15, for a bool inside a register. */
  bit?: number;
  scale: number;
  offset: number;
  /** Canonical compact string, e.g. 'holding:100:float32:CDAB'. */
  key: string;
}

export class AddressError extends Error {
  override name = 'AddressError';
}

const MAX_ADDRESS = 65535;
const MAX_STRING_REGISTERS = 125;

const AREAS = new Map<string, ModbusArea>([
  ['coil', 'coil'], ['co', 'coil'], ['0x', 'coil'],
  ['discrete', 'discrete'], ['di', 'discrete'], ['1x', 'discrete'],
  ['input', 'input'], ['ir', 'input'], ['3x', 'input'],
  ['holding', 'holding'], ['hr', 'holding'], ['4x', 'holding'],
]);

/** Registers each fixed-size type spans; string spans its `length`. */
const REGISTERS = new Map<ModbusDataType, number>([
  ['bool', 1], ['int16', 1], ['uint16', 1],
  ['int32', 2], ['uint32', 2], ['float32', 2],
  ['int64', 4], ['uint64', 4], ['float64', 4],
  ['string', 0],
]);

const BYTE_ORDERS: readonly ByteOrder[] = ['ABCD', 'BADC', 'CDAB', 'DCBA'];

/** Leading digit of the classic 1-based notation. */
const CLASSIC_PREFIX = new Map<string, ModbusArea>([
  ['0', 'coil'], ['1', 'discrete'], ['3', 'input'], ['4', 'holding'],
]);

const AREA_HELP = 'use coil, discrete, input or holding (or co, di, ir, hr, 0x, 1x, 3x, 4x)';
const TYPE_HELP = 'use bool, int16, uint16, int32, uint32, float32, int64, uint64, float64 or string';
const BYTE_ORDER_HELP = 'use ABCD, BADC, CDAB or DCBA';

/** What a ref says before validation; fields are still unchecked. */
type Draft = ModbusAddress;

export function resolveAddress(ref: string | ModbusAddress): ResolvedAddress {
  if (typeof ref === 'string') return validate(parseString(ref));
  if (typeof ref === 'object' && ref !== null && !Array.isArray(ref)) return validate(fromObject(ref));
  throw new AddressError(
    `an address must be a string such as "holding:100" or "40101", or an object with area and address; got ${describeInput(ref)}`,
  );
}

export function formatAddress(a: ResolvedAddress | ModbusAddress): string {
  return isResolved(a) ? keyOf(a) : resolveAddress(a).key;
}

/** Areas a master can write: coils and holding registers. */
export function isWritableArea(area: ModbusArea): boolean {
  return area === 'coil' || area === 'holding';
}

// ---------------------------------------------------------------------------------------------
// Strings
// ---------------------------------------------------------------------------------------------

function parseString(input: string): Draft {
  const text = input.trim();
  if (text === '') throw new AddressError('the address is empty; write e.g. holding:100 or 40101');
  const { main, scale, offset } = splitScaleSuffix(text);
  const parts = main.split(':').map((p) => p.trim());
  const draft = /^\d+(\.|$)/.test(parts[0]) ? parseClassic(parts) : parseCompact(text, parts);
  if (scale !== undefined) draft.scale = scale;
  if (offset !== undefined) draft.offset = offset;
  return draft;
}

const NUMBER = String.raw`(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?`;
const SCALE_SUFFIX = new RegExp(`^(?:\\*([+-]?${NUMBER}))?(?:([+-])(${NUMBER}))?$`, 'i');

/** Splits `…*scale+offset` off the end; the suffix starts inside the last part, never at its start. */
function splitScaleSuffix(text: string): { main: string; scale?: number; offset?: number } {
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  const at = tail.search(/[*+-]/);
  if (at <= 0 || tail.slice(0, at).trim() === '') return { main: text };
  const suffix = tail.slice(at).replace(/\s+/g, '');
  const m = SCALE_SUFFIX.exec(suffix);
  if (!m) {
    throw new AddressError(
      `cannot read "${suffix}" as scale and offset; write them as *scale+offset, e.g. holding:100:int16*0.1+20`,
    );
  }
  const main = text.slice(0, lastColon + 1 + at).trim();
  const scale = m[1] === undefined ? undefined : Number(m[1]);
  const offset = m[3] === undefined ? undefined : Number(m[2] + m[3]);
  return { main, scale, offset };
}

function parseCompact(text: string, parts: string[]): Draft {
  if (parts.length < 2) {
    throw new AddressError(`"${text}" is not an address; write area:address (e.g. holding:100) or the classic form 40101`);
  }
  const area = lookupArea(parts[0]);
  const { address, bit } = parseAddressAndBit(parts[1]);
  const draft: Draft = { area, address };
  if (bit !== undefined) draft.bit = bit;
  parseTypeParts(parts.slice(2), draft, 'area:address[:type[:byteOrder]]');
  return draft;
}

/** Classic 1-based notation: 5 digits (40101) or 6 digits (400101), then `.bit` or `:type[:order]`. */
function parseClassic(parts: string[]): Draft {
  const [number, bitText] = splitBit(parts[0]);
  if (!/^\d+$/.test(number)) throw new AddressError(`"${number}" is not a classic Modbus address`);
  if (number.length !== 5 && number.length !== 6) {
    throw new AddressError(
      `${number} is not a classic Modbus address: those have 5 or 6 digits (40101, 400101); for a 0-based address write e.g. holding:${Number(number)}`,
    );
  }
  const area = CLASSIC_PREFIX.get(number[0]);
  if (!area) {
    throw new AddressError(
      `${number} is not a classic Modbus address: those start with 0 (coil), 1 (discrete input), 3 (input register) or 4 (holding register), not ${number[0]}`,
    );
  }
  const n = Number(number.slice(1));
  const highest = number.length === 5 ? 9999 : 65536;
  if (n < 1 || n > highest) {
    const first = number[0] + '1'.padStart(number.length - 1, '0');
    const last = number[0] + String(highest).padStart(number.length - 1, '0');
    throw new AddressError(`${number} is not a classic Modbus address: ${number.length}-digit ${area} addresses run from ${first} to ${last}`);
  }
  const draft: Draft = { area, address: n - 1 };
  if (bitText !== undefined) draft.bit = parseBit(bitText);
  parseTypeParts(parts.slice(1), draft, '40101[:type[:byteOrder]]');
  return draft;
}

/** `:type`, then `:byteOrder`, or `:length` for a string. */
function parseTypeParts(rest: string[], draft: Draft, form: string): void {
  if (rest.length === 0) return;
  if (rest.length > 2) throw new AddressError(`too many parts after the address; the form is ${form}`);
  draft.type = lookupType(rest[0]);
  if (rest.length < 2) return;
  if (draft.type === 'string') {
    if (!/^\d+$/.test(rest[1])) {
      throw new AddressError(`a string's length is a number of registers, e.g. holding:200:string:10, not "${rest[1]}"`);
    }
    draft.length = Number(rest[1]);
  } else {
    draft.byteOrder = lookupByteOrder(rest[1]);
  }
}

function parseAddressAndBit(part: string): { address: number; bit?: number } {
  const [number, bitText] = splitBit(part);
  if (number === '') throw new AddressError(`no address after the area; write e.g. holding:100`);
  if (!/^\d+$/.test(number)) {
    const asNumber = Number(number);
    if (Number.isInteger(asNumber) && asNumber < 0) throw new AddressError(outsideRange(asNumber));
    throw new AddressError(`the address "${number}" is not a whole number from 0 to ${MAX_ADDRESS}`);
  }
  const address = Number(number);
  return bitText === undefined ? { address } : { address, bit: parseBit(bitText) };
}

function splitBit(part: string): [string, string | undefined] {
  const dot = part.indexOf('.');
  return dot < 0 ? [part, undefined] : [part.slice(0, dot), part.slice(dot + 1)];
}

function parseBit(bitText: string): number {
  if (!/^\d+$/.test(bitText)) throw new AddressError(`the bit after "." must be a number from 0 to 15, not "${bitText}"`);
  return Number(bitText);
}

// ---------------------------------------------------------------------------------------------
// Objects
// ---------------------------------------------------------------------------------------------

function fromObject(o: ModbusAddress): Draft {
  if (typeof o.area !== 'string') throw new AddressError('the address needs an area: coil, discrete, input or holding');
  const area = lookupArea(o.area);
  if (typeof o.address !== 'number') {
    throw new AddressError(`the address needs a number "address" (0-based), got ${describeInput(o.address)}`);
  }
  const draft: Draft = { area, address: o.address };
  if (o.type !== undefined) draft.type = lookupType(requireString('type', o.type));
  if (o.byteOrder !== undefined) draft.byteOrder = lookupByteOrder(requireString('byteOrder', o.byteOrder));
  if (o.length !== undefined) draft.length = requireNumber('length', o.length);
  if (o.bit !== undefined) draft.bit = requireNumber('bit', o.bit);
  if (o.scale !== undefined) draft.scale = requireNumber('scale', o.scale);
  if (o.offset !== undefined) draft.offset = requireNumber('offset', o.offset);
  return draft;
}

function requireString(field: string, v: unknown): string {
  if (typeof v !== 'string') throw new AddressError(`"${field}" must be a string, got ${describeInput(v)}`);
  return v;
}

function requireNumber(field: string, v: unknown): number {
  if (typeof v !== 'number') throw new AddressError(`"${field}" must be a number, got ${describeInput(v)}`);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Validation, shared by strings and objects
// ---------------------------------------------------------------------------------------------

function validate(d: Draft): ResolvedAddress {
  const { area } = d;
  const bitArea = area === 'coil' || area === 'discrete';
  if (!Number.isInteger(d.address)) {
    throw new AddressError(Number.isFinite(d.address) ? `address ${d.address} is not a whole number` : `address ${d.address} is not a number`);
  }
  if (d.address < 0 || d.address > MAX_ADDRESS) throw new AddressError(outsideRange(d.address));
  const where = `${area}:${d.address}`;

  if (d.bit !== undefined) {
    if (bitArea) {
      throw new AddressError(`${where}.${d.bit}: a bit index applies only to input and holding registers; a ${area} is already a single bit`);
    }
    if (!Number.isInteger(d.bit) || d.bit < 0 || d.bit > 15) throw new AddressError(`${where}: bit ${d.bit} is outside 0..15`);
    if (d.type !== undefined && d.type !== 'bool') {
      throw new AddressError(`${where}.${d.bit}: a bit inside a register reads as bool, not ${d.type}`);
    }
  }
  const type: ModbusDataType = d.type ?? (bitArea || d.bit !== undefined ? 'bool' : 'uint16');
  if (bitArea && type !== 'bool') throw new AddressError(`${where}: a ${area} holds a single bit, so its type can only be bool, not ${type}`);
  if (!bitArea && type === 'bool' && d.bit === undefined) {
    throw new AddressError(`${where}: bool on a register needs a bit index, e.g. ${where}.0 for its lowest bit`);
  }

  let count = REGISTERS.get(type) ?? 1;
  if (type === 'string') {
    if (d.length === undefined) {
      throw new AddressError(`${where}: a string needs its length in registers (2 characters each), e.g. ${where}:string:10`);
    }
    if (!Number.isInteger(d.length) || d.length < 1 || d.length > MAX_STRING_REGISTERS) {
      throw new AddressError(`${where}: string length ${d.length} is outside 1..${MAX_STRING_REGISTERS} registers`);
    }
    count = d.length;
  } else if (d.length !== undefined) {
    throw new AddressError(`${where}: a length applies only to string, not ${type}`);
  }

  const wide = count > 1 && type !== 'string';
  if (d.byteOrder !== undefined && d.byteOrder !== 'ABCD' && !wide) {
    throw new AddressError(`${where}: byte order ${d.byteOrder} applies only to 32- and 64-bit types, not ${type}`);
  }
  const byteOrder: ByteOrder = wide ? (d.byteOrder ?? 'ABCD') : 'ABCD';

  const scaled = d.scale !== undefined || d.offset !== undefined;
  if (scaled && (type === 'bool' || type === 'string')) {
    throw new AddressError(`${where}: scale and offset apply only to numeric types, not ${type}`);
  }
  const scale = d.scale ?? 1;
  const offset = d.offset ?? 0;
  if (!Number.isFinite(scale) || scale === 0) throw new AddressError(`${where}: scale must be a finite number other than 0, got ${scale}`);
  if (!Number.isFinite(offset)) throw new AddressError(`${where}: offset must be a finite number, got ${offset}`);

  const resolved: ResolvedAddress = { area, address: d.address, type, byteOrder, count, scale, offset: offset === 0 ? 0 : offset, key: '' };
  if (type === 'string') resolved.length = count;
  if (d.bit !== undefined) resolved.bit = d.bit;
  resolved.key = keyOf(resolved);

  const last = d.address + count - 1;
  if (last > MAX_ADDRESS) {
    throw new AddressError(`${resolved.key} needs registers ${d.address}-${last}, beyond ${MAX_ADDRESS}`);
  }
  return resolved;
}

function keyOf(a: ResolvedAddress): string {
  let key = `${a.area}:${a.address}`;
  if (a.bit !== undefined) key += `.${a.bit}`;
  else if (a.type === 'string') key += `:string:${a.length ?? a.count}`;
  else if (a.type !== defaultType(a.area)) key += `:${a.type}`;
  if (a.byteOrder !== 'ABCD') key += `:${a.byteOrder}`;
  if (a.scale !== 1) key += `*${a.scale}`;
  if (a.offset !== 0) key += a.offset > 0 ? `+${a.offset}` : `${a.offset}`;
  return key;
}

function defaultType(area: ModbusArea): ModbusDataType {
  return area === 'coil' || area === 'discrete' ? 'bool' : 'uint16';
}

function isResolved(a: ResolvedAddress | ModbusAddress): a is ResolvedAddress {
  return typeof (a as ResolvedAddress).key === 'string' && typeof (a as ResolvedAddress).count === 'number';
}

function lookupArea(text: string): ModbusArea {
  const area = AREAS.get(text.trim().toLowerCase());
  if (!area) throw new AddressError(`unknown area "${text}"; ${AREA_HELP}`);
  return area;
}

function lookupType(text: string): ModbusDataType {
  const type = text.trim().toLowerCase() as ModbusDataType;
  if (!REGISTERS.has(type)) throw new AddressError(`unknown type "${text}"; ${TYPE_HELP}`);
  return type;
}

function lookupByteOrder(text: string): ByteOrder {
  const order = text.trim().toUpperCase() as ByteOrder;
  if (!BYTE_ORDERS.includes(order)) throw new AddressError(`unknown byte order "${text}"; ${BYTE_ORDER_HELP}`);
  return order;
}

function outsideRange(address: number): string {
  return `address ${address} is outside 0..${MAX_ADDRESS}`;
}

/** How a value a person gave is named in an error message. */
export function describeInput(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `string "${v.length > 40 ? v.slice(0, 40) + '…' : v}"`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}
