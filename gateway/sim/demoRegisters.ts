/**
 * Tag values in a simulator's banks, through each tag's own address, type and byte order: how the
 * demo plant puts its process into registers (and reads back what clients wrote). Integers are
 * rounded and clamped to the type's range, as a device's firmware would.
 */
import type { ByteOrder, ModbusArea, ModbusDataType, TagConfig } from '../protocol';
import { clamp } from './demoProcess';
import type { ModbusTcpSimulator } from './modbusServer';

/** The plant's tags always give a numeric address and an area, so the plant can reach its banks. */
export interface PlantTag extends TagConfig {
  area: ModbusArea;
  address: number;
}


type SimValue = number | boolean | bigint | string;

export class SimulatedDevice {
  private readonly tags = new Map<string, PlantTag>();

  constructor(
    readonly sim: ModbusTcpSimulator,
    tags: PlantTag[],
  ) {
    for (const tag of tags) this.tags.set(tag.name, tag);
  }

  write(name: string, value: SimValue): void {
    writeTag(this.sim, this.tag(name), value);
  }

  read(name: string): SimValue {
    return readTag(this.sim, this.tag(name));
  }

  private tag(name: string): PlantTag {
    const tag = this.tags.get(name);
    if (!tag) throw new Error(`Demo plant has no tag '${name}'.`);
    return tag;
  }
}

const WORDS: Record<Exclude<ModbusDataType, 'bool' | 'string'>, number> = {
  int16: 1,
  uint16: 1,
  int32: 2,
  uint32: 2,
  float32: 2,
  int64: 4,
  uint64: 4,
  float64: 4,
};

function writeTag(sim: ModbusTcpSimulator, tag: PlantTag, value: SimValue): void {
  if (tag.area === 'coil' || tag.area === 'discrete') {
    (tag.area === 'coil' ? sim.coils : sim.discretes)[tag.address] = value ? 1 : 0;
    return;
  }
  const bank = tag.area === 'holding' ? sim.holdings : sim.inputs;
  const type = tag.type ?? 'uint16';
  if (type === 'bool') {
    const mask = 1 << (tag.bit ?? 0);
    bank[tag.address] = value ? bank[tag.address] | mask : bank[tag.address] & ~mask;
  } else if (type === 'string') {
    const bytes = new Uint8Array((tag.length ?? 1) * 2);
    const text = String(value);
    for (let i = 0; i < bytes.length && i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0x7f;
    storeWords(bank, tag.address, bytes, 'ABCD');
  } else {
    storeWords(bank, tag.address, encodeNumber(type, toRaw(tag, value)), tag.byteOrder ?? 'ABCD');
  }
}

function readTag(sim: ModbusTcpSimulator, tag: PlantTag): SimValue {
  if (tag.area === 'coil' || tag.area === 'discrete') {
    return (tag.area === 'coil' ? sim.coils : sim.discretes)[tag.address] !== 0;
  }
  const bank = tag.area === 'holding' ? sim.holdings : sim.inputs;
  const type = tag.type ?? 'uint16';
  if (type === 'bool') return ((bank[tag.address] >> (tag.bit ?? 0)) & 1) === 1;
  if (type === 'string') {
    const bytes = loadWords(bank, tag.address, tag.length ?? 1, 'ABCD');
    return String.fromCharCode(...bytes).replace(/\0+$/, '');
  }
  const raw = decodeNumber(type, loadWords(bank, tag.address, WORDS[type], tag.byteOrder ?? 'ABCD'));
  return typeof raw === 'bigint' ? raw : raw * (tag.scale ?? 1) + (tag.offset ?? 0);
}

function toRaw(tag: PlantTag, value: SimValue): number | bigint {
  if (typeof value === 'bigint') return value;
  const v = typeof value === 'number' ? value : Number(value);
  return (v - (tag.offset ?? 0)) / (tag.scale ?? 1);
}

/** Big-endian bytes of a value; integers are rounded and clamped to the type's range. */
function encodeNumber(type: keyof typeof WORDS, raw: number | bigint): Uint8Array {
  const bytes = new Uint8Array(WORDS[type] * 2);
  const dv = new DataView(bytes.buffer);
  const n = typeof raw === 'bigint' ? Number(raw) : raw;
  switch (type) {
    case 'int16':
      dv.setInt16(0, clamp(Math.round(n), -0x8000, 0x7fff));
      break;
    case 'uint16':
      dv.setUint16(0, clamp(Math.round(n), 0, 0xffff));
      break;
    case 'int32':
      dv.setInt32(0, clamp(Math.round(n), -0x80000000, 0x7fffffff));
      break;
    case 'uint32':
      dv.setUint32(0, clamp(Math.round(n), 0, 0xffffffff));
      break;
    case 'float32':
      dv.setFloat32(0, n);
      break;
    case 'float64':
      dv.setFloat64(0, n);
      break;
    case 'int64':
      dv.setBigInt64(0, typeof raw === 'bigint' ? raw : BigInt(Math.round(n)));
      break;
    case 'uint64':
      dv.setBigUint64(0, typeof raw === 'bigint' ? raw : BigInt(Math.max(0, Math.round(n))));
      break;
  }
  return bytes;
}

function decodeNumber(type: keyof typeof WORDS, bytes: Uint8Array): number | bigint {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (type) {
    case 'int16':
      return dv.getInt16(0);
    case 'uint16':
      return dv.getUint16(0);
    case 'int32':
      return dv.getInt32(0);
    case 'uint32':
      return dv.getUint32(0);
    case 'float32':
      return dv.getFloat32(0);
    case 'float64':
      return dv.getFloat64(0);
    case 'int64':
      return dv.getBigInt64(0);
    case 'uint64':
      return dv.getBigUint64(0);
  }
}

/** Word order reversed for CDAB/DCBA, bytes swapped inside each register for BADC/DCBA. */
const reversesWords = (order: ByteOrder) => order === 'CDAB' || order === 'DCBA';
const swapsBytes = (order: ByteOrder) => order === 'BADC' || order === 'DCBA';

function storeWords(bank: Uint16Array, address: number, bytes: Uint8Array, order: ByteOrder): void {
  const n = bytes.length / 2;
  for (let i = 0; i < n; i++) {
    const src = reversesWords(order) ? n - 1 - i : i;
    const hi = bytes[2 * src];
    const lo = bytes[2 * src + 1];
    bank[address + i] = swapsBytes(order) ? (lo << 8) | hi : (hi << 8) | lo;
  }
}

function loadWords(bank: Uint16Array, address: number, n: number, order: ByteOrder): Uint8Array {
  const bytes = new Uint8Array(n * 2);
  for (let i = 0; i < n; i++) {
    const dst = reversesWords(order) ? n - 1 - i : i;
    const word = bank[address + i];
    const hi = swapsBytes(order) ? word & 0xff : word >> 8;
    const lo = swapsBytes(order) ? word >> 8 : word & 0xff;
    bytes[2 * dst] = hi;
    bytes[2 * dst + 1] = lo;
  }
  return bytes;
}
