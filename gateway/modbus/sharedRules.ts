/**
 * What every Modbus device has whatever its transport (TCP, RTU): the read and write settings,
 * the tag rules and address grammar, and the validation of tags into ResolvedTags.
 */
import type { ModbusAddress } from '../protocol';
import type { EditorSnippet, FieldRule } from '../core/configRules';
import type { ProblemSink, ValidationInput } from '../core/driver';
import { AddressError, resolveAddress, type ResolvedAddress } from './address';
import { MODBUS_DEFAULTS, type ModbusCommonSettings } from './settings';
import type { ResolvedTag } from './tags';
import { preview } from '../errors';

const ADDRESS_KEYS = ['area', 'type', 'byteOrder', 'length', 'bit'] as const;

/** Editors check address strings by this shape; the gateway parses them fully (address.ts). */
const ADDRESS_STRING_SHAPE =
  String.raw`^\s*(?:[A-Za-z0-9]+:\d+(?:\.\d+)?|\d{5,6}(?:\.\d+)?)(?:\s*:\s*[A-Za-z0-9]+){0,2}(?:\*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)?(?:[+-](?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)?\s*$`;

/** The read planning and write settings, after the transport's own; `plannedBy` says why gaps are bridged on it. */
export function readWriteRules(plannedBy: string): FieldRule[] {
  return [
    {
      key: 'maxGap',
      kind: 'integer',
      min: 0,
      max: 124,
      description:
        `Largest gap (in registers, or bits for coils and discrete inputs) a read may bridge to serve neighbouring tags in one request. Default: planned by cost (${plannedBy}). 0 reads only contiguous tags together.`,
    },
    {
      key: 'maxRegistersPerRead',
      kind: 'integer',
      min: 1,
      max: 125,
      default: MODBUS_DEFAULTS.maxRegisters,
      description: 'Most registers asked for in one read request. Default and maximum 125; lower it for devices that refuse long reads.',
    },
    {
      key: 'maxBitsPerRead',
      kind: 'integer',
      min: 1,
      max: 2000,
      default: MODBUS_DEFAULTS.maxBits,
      description: 'Most coils or discrete inputs asked for in one read request. Default and maximum 2000.',
    },
    {
      key: 'writeMultiple',
      kind: 'boolean',
      default: false,
      description: 'Write single coils and registers with function codes 15 and 16 too, for devices without function codes 5 and 6.',
    },
  ];
}

export const TAG_RULES: readonly FieldRule[] = [
  {
    key: 'address',
    kind: 'custom',
    required: true,
    missing: 'every tag needs an "address": a register/bit number with "area", or a string such as "holding:100:float32" or "40101"',
    description:
      'Where the value is. Either a 0-based number together with "area" (and optionally "type", "byteOrder", "length", "bit"), or one address string that says everything: "holding:100:float32:CDAB", "input:3:int16", "holding:7.3" (bit 3), "holding:200:string:10", or the classic 1-based form "40101".',
    schema: {
      type: ['integer', 'string'],
      minimum: 0,
      maximum: 65535,
      pattern: ADDRESS_STRING_SHAPE,
      patternErrorMessage: 'Write an address such as "holding:100", "holding:100:float32:CDAB", "holding:7.3", "holding:200:string:10" or the classic "40101".',
      defaultSnippets: [
        { label: 'register number', body: 0 },
        { label: 'address string', body: 'holding:${1:0}:${2:uint16}' },
      ],
    },
    // The grammar is checked where the address is resolved (validate), with its own messages.
    check: (v) => (typeof v === 'number' || typeof v === 'string' ? undefined : `"address" must be a number or an address string (got ${preview(v)})`),
  },
  {
    key: 'area',
    kind: 'enum',
    values: ['coil', 'discrete', 'input', 'holding'],
    valueDescriptions: [
      'Coils (function codes 1, 5, 15): single read/write bits; classic addresses 00001-09999.',
      'Discrete inputs (function code 2): single read-only bits; classic addresses 10001-19999.',
      'Input registers (function code 4): read-only 16-bit registers; classic addresses 30001-39999.',
      'Holding registers (function codes 3, 6, 16): read/write 16-bit registers; classic addresses 40001-49999.',
    ],
    description: 'The Modbus data area the address is in.',
  },
  {
    key: 'type',
    kind: 'enum',
    values: ['bool', 'int16', 'uint16', 'int32', 'uint32', 'float32', 'int64', 'uint64', 'float64', 'string'],
    valueDescriptions: [
      'A single bit: a coil, a discrete input, or one bit of a register (needs "bit").',
      'Signed 16-bit integer, one register (-32768 to 32767).',
      'Unsigned 16-bit integer, one register (0 to 65535). The default for registers.',
      'Signed 32-bit integer, two registers.',
      'Unsigned 32-bit integer, two registers (0 to 4294967295).',
      'IEEE 754 single-precision float, two registers.',
      'Signed 64-bit integer, four registers. Values beyond ±2^53 travel as decimal strings.',
      'Unsigned 64-bit integer, four registers. Values beyond 2^53 travel as decimal strings.',
      'IEEE 754 double-precision float, four registers.',
      'ASCII text, two characters per register (needs "length").',
    ],
    description: 'How the register contents are decoded. Default: bool for coils and discrete inputs, uint16 for registers.',
  },
  {
    key: 'byteOrder',
    kind: 'enum',
    values: ['ABCD', 'BADC', 'CDAB', 'DCBA'],
    valueDescriptions: [
      'Big-endian: most significant register first, bytes as sent (the Modbus standard).',
      'Registers in order, the two bytes inside each register swapped.',
      'Word-swapped: least significant register first (common on many PLCs).',
      'Little-endian: registers reversed and bytes swapped.',
    ],
    editor: { default: 'ABCD' },
    description:
      'Byte order of 32- and 64-bit values, named after the four bytes of a 32-bit value as they appear on the wire (A = most significant). For 64-bit types the same names mean the same swaps across four registers.',
  },
  { key: 'length', kind: 'integer', min: 1, max: 125, description: 'For type "string": the number of registers the text occupies (2 ASCII characters each).' },
  { key: 'bit', kind: 'integer', min: 0, max: 15, description: 'For type "bool" on an input or holding register: the bit inside the register, 0 = least significant.' },
  {
    key: 'scale',
    kind: 'number',
    nonZero: true,
    editor: { default: 1 },
    description: 'Engineering value = raw × scale + offset (numeric types only). E.g. 0.1 for a register holding tenths of a degree.',
  },
  { key: 'offset', kind: 'number', editor: { default: 0 }, description: 'Engineering value = raw × scale + offset (numeric types only).' },
];

/** What the rules cannot say field by field, for editors; validate() below enforces the same. */
export const TAG_SCHEMA: readonly Record<string, unknown>[] = [
  {
    if: { properties: { address: { type: 'string' } }, required: ['address'] },
    then: {
      not: { anyOf: ADDRESS_KEYS.map((k) => ({ required: [k] })) },
      errorMessage: 'An address string already holds area, type, byte order, length and bit: put everything in "address" (e.g. "holding:100:float32:CDAB") or use a number there.',
    },
  },
  { if: { properties: { address: { type: 'integer' } }, required: ['address'] }, then: { required: ['area'] } },
  {
    if: { properties: { area: { enum: ['coil', 'discrete'] } }, required: ['area'] },
    then: {
      properties: { type: { const: 'bool', errorMessage: 'A coil or discrete input holds a single bit: its type can only be bool.' } },
      not: { anyOf: ['bit', 'byteOrder', 'scale', 'offset', 'length'].map((k) => ({ required: [k] })) },
      errorMessage: 'A coil or discrete input is a single bit: bit, byteOrder, length, scale and offset do not apply.',
    },
  },
  { if: { properties: { area: { enum: ['input', 'holding'] }, type: { const: 'bool' } }, required: ['area', 'type'] }, then: { required: ['bit'] } },
  { if: { properties: { type: { const: 'string' }, address: { type: 'integer' } }, required: ['type', 'address'] }, then: { required: ['length'] } },
  {
    if: { properties: { type: { enum: ['bool', 'string'] } }, required: ['type'] },
    then: { not: { anyOf: [{ required: ['scale'] }, { required: ['offset'] }] }, errorMessage: 'Scale and offset apply only to numeric types.' },
  },
  {
    if: { properties: { type: { enum: ['bool', 'int16', 'uint16', 'string'] } }, required: ['type'] },
    then: { properties: { byteOrder: { const: 'ABCD', errorMessage: 'A byte order applies only to 32- and 64-bit types.' } } },
  },
  { if: { required: ['length'] }, then: { properties: { type: { const: 'string' } }, required: ['type'] } },
  {
    if: { required: ['bit'] },
    then: {
      properties: { area: { enum: ['input', 'holding'] }, type: { const: 'bool' } },
      not: { anyOf: [{ required: ['scale'] }, { required: ['offset'] }] },
      errorMessage: 'A bit is a bool: scale and offset do not apply.',
    },
  },
];

export const TAG_SNIPPETS: readonly EditorSnippet[] = [
  { label: 'Holding register (uint16)', body: { name: '$1', area: 'holding', address: '^${2:0}', unit: '$3' } },
  {
    label: 'Float in two registers',
    body: { name: '$1', area: 'holding', address: '^${2:0}', type: 'float32', byteOrder: '${3|ABCD,CDAB,BADC,DCBA|}', unit: '$4' },
  },
  { label: 'Scaled integer', body: { name: '$1', area: 'input', address: '^${2:0}', type: 'int16', scale: '^${3:0.1}', unit: '$4' } },
  { label: 'Coil', body: { name: '$1', area: 'coil', address: '^${2:0}' } },
  { label: 'Address string', body: { name: '$1', address: '${2:holding:0:uint16}' } },
];

/** The settings every Modbus device has, from the shared rules' values and the tags. */
export function validateModbusCommon({ values, tags }: ValidationInput, p: ProblemSink): ModbusCommonSettings {
  const maxRegisters = values['maxRegistersPerRead'] as number;
  const maxBits = values['maxBitsPerRead'] as number;
  const maxGap = values['maxGap'] as number | undefined;
  const resolved: ResolvedTag[] = [];
  for (const { at: tagAt, values: t } of tags) {
    const address = resolveTagAddress(t, tagAt, p);
    if (!address) continue;
    const isBits = address.area === 'coil' || address.area === 'discrete';
    const limit = isBits ? maxBits : maxRegisters;
    if (address.count > limit) {
      p.error(tagAt, `tag "${t['name'] as string}" spans ${address.count} ${isBits ? 'bits' : 'registers'}, more than this device reads at once (${limit})`);
      continue;
    }
    const tag: ResolvedTag = { key: t['name'] as string, address, access: t['access'] as ResolvedTag['access'], configured: true };
    if (typeof t['unit'] === 'string') tag.unit = t['unit'];
    if (typeof t['description'] === 'string') tag.description = t['description'];
    if (t['deadband'] !== undefined) tag.deadband = t['deadband'] as ResolvedTag['deadband'];
    resolved.push(tag);
  }
  return {
    unitId: values['unitId'] as number,
    writeMultiple: values['writeMultiple'] as boolean,
    limits: {
      maxRegisters,
      maxBits,
      // Unset: planned by cost alone; set: it also caps how many unused addresses a read bridges.
      maxRegisterGap: maxGap,
      maxBitGap: maxGap,
    },
    tags: resolved,
  };
}

/** A tag's address is either the fields of ModbusAddress or one address string in `address`. */
function resolveTagAddress(entry: Record<string, unknown>, at: string, p: ProblemSink): ResolvedAddress | null {
  const raw = entry['address'];
  try {
    if (typeof raw === 'string') {
      const extra = ADDRESS_KEYS.filter((k) => entry[k] !== undefined);
      if (extra.length > 0) {
        p.error(`${at}/${extra[0]}`, `"${extra[0]}" cannot be combined with an address string; put everything in "address" (e.g. "holding:100:float32:CDAB") or use a number there`);
        return null;
      }
      const base = resolveAddress(raw);
      if (entry['scale'] === undefined && entry['offset'] === undefined) return base;
      if (base.scale !== 1 || base.offset !== 0) {
        const key = entry['scale'] !== undefined ? 'scale' : 'offset';
        p.error(`${at}/${key}`, `the address string already sets the scale and offset ("${raw}"); give them in one place only`);
        return null;
      }
      return resolveAddress({ ...addressFields(base), scale: entry['scale'] as number, offset: entry['offset'] as number });
    }
    if (entry['area'] === undefined) {
      p.error(`${at}/area`, 'a numeric "address" needs an "area": "coil", "discrete", "input" or "holding"');
      return null;
    }
    const obj: Record<string, unknown> = { address: raw };
    for (const k of [...ADDRESS_KEYS, 'scale', 'offset'] as const) if (entry[k] !== undefined) obj[k] = entry[k];
    return resolveAddress(obj as unknown as ModbusAddress);
  } catch (err) {
    if (err instanceof AddressError) {
      p.error(`${at}/address`, err.message);
      return null;
    }
    throw err;
  }
}

function addressFields(a: ResolvedAddress): ModbusAddress {
  const out: ModbusAddress = { area: a.area, address: a.address, type: a.type, byteOrder: a.byteOrder };
  if (a.length !== undefined) out.length = a.length;
  if (a.bit !== undefined) out.bit = a.bit;
  return out;
}
