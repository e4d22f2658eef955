/**
 * The register inspector's requests: the raw registers (or bits) of a range of a Modbus device
 * (`bifrost/modbus/readRange`), and which of its addresses exist (`bifrost/modbus/probe`).
 *
 * Both go through the device's RegisterAccess: its queue (so they never collide with polling),
 * its request limits, and its hole memory, which they consult and teach.
 */
import { ErrorCodes, type ModbusArea, type ModbusProbeResult, type ModbusRangeError, type ModbusReadRangeResult } from '../protocol';
import { BifrostError, errorMessage, preview } from '../errors';
import type { ResolvedAddress } from './address';
import { isSplittableModbusError, modbusCodeOf, readSplitting, type ReadData } from './holes';
import { planReads, type AddressRange } from './planner';
import type { RegisterAccess } from './registerAccess';
import { exceptionFor } from './tcpLink';

export const MAX_INSPECT_REGISTERS = 4000;
export const MAX_INSPECT_BITS = 32000;
const AREAS: readonly ModbusArea[] = ['holding', 'input', 'coil', 'discrete'];

export interface InspectRange {
  area: ModbusArea;
  start: number;
  count: number;
}

const isBitArea = (area: ModbusArea) => area === 'coil' || area === 'discrete';

/** The area, start and count of a readRange or probe request, checked; InvalidParams says what is wrong. */
export function inspectRangeOf(p: Record<string, unknown>): InspectRange {
  const { area, start, count } = p;
  if (typeof area !== 'string' || !AREAS.includes(area as ModbusArea)) {
    throw invalid(`"area" must be one of ${AREAS.map((a) => `"${a}"`).join(', ')} (got ${describe(area)})`);
  }
  if (typeof start !== 'number' || !Number.isInteger(start) || start < 0 || start > 65535) {
    throw invalid(`"start" must be a whole number from 0 to 65535, the 0-based address of the first ${unit(area as ModbusArea)} (got ${describe(start)})`);
  }
  const max = isBitArea(area as ModbusArea) ? MAX_INSPECT_BITS : MAX_INSPECT_REGISTERS;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > max) {
    throw invalid(`"count" must be a whole number from 1 to ${max}, the ${unit(area as ModbusArea)}s to read at most at once in the ${area} area (got ${describe(count)})`);
  }
  if (start + count > 65536) {
    throw invalid(`${area} ${start}-${start + count - 1} runs past the last address, 65535: "start" + "count" must be at most 65536 (got ${start + count})`);
  }
  return { area: area as ModbusArea, start, count };
}

/** The device's access, or DeviceUnavailable saying why it cannot be read now. */
function ready(access: RegisterAccess): RegisterAccess {
  const why = access.unavailable();
  if (why !== undefined) throw new BifrostError(ErrorCodes.DeviceUnavailable, why);
  return access;
}

/**
 * Reads every address of the range, in the requests the planner chooses for this device (its
 * request size, the holes it learnt). A request the device refuses (exception 2 or 3) is split
 * in halves and retried until each failure is a single address, or a range the device was
 * already known to refuse (asked once as a whole): those are null, with their error.
 */
export async function readRange(device: RegisterAccess, range: InspectRange): Promise<ModbusReadRangeResult> {
  const access = ready(device);
  const { area, start, count } = range;
  const bits = isBitArea(area);
  const addrs = rangeAddresses(area, start, count, bits ? access.limits.maxBits : access.limits.maxRegisters, access.holes.unreadable(area));
  let requests = 0;
  const read = (a: ModbusArea, s: number, c: number): Promise<ReadData> => {
    requests++;
    return access.read(a, s, c);
  };
  const values: (number | null)[] = new Array<number | null>(count).fill(null);
  const errors: ModbusRangeError[] = [];
  const learned = access.holes.size;
  let split = false;
  for (const req of planReads(addrs, access.limits, { cost: access.cost, holes: access.holes })) {
    const parts = await readSplitting(req, addrs, read, access.holes);
    if (parts.length > 1) split = true;
    for (const part of parts) {
      if ('data' in part) {
        const data = part.data;
        for (let i = 0; i < part.req.count; i++) {
          const v = data[i];
          values[part.req.start - start + i] = typeof v === 'boolean' ? (v ? 1 : 0) : (v ?? null);
        }
      } else {
        addError(errors, access.deviceId, part.req.start, part.req.count, part.error);
      }
    }
  }
  if (split || access.holes.size !== learned) access.holesChanged();
  errors.sort((x, y) => x.start - y.start);
  return { area, start, count, values, errors: mergeErrors(errors, access.deviceId, area), requests, timestamp: Date.now() };
}

/**
 * One address per register (or bit) of the range, except that a run the device is known to
 * refuse is one address (at most `maxSpan` long): the planner reads such an address alone, so a
 * known hole costs one request, not one per register, and never fails its neighbours.
 */
function rangeAddresses(area: ModbusArea, start: number, count: number, maxSpan: number, unreadable: readonly AddressRange[]): ResolvedAddress[] {
  const out: ResolvedAddress[] = [];
  const end = start + count - 1;
  const type = isBitArea(area) ? 'bool' : 'uint16';
  const push = (address: number, n: number) => out.push({ area, address, count: n, type, byteOrder: 'ABCD', scale: 1, offset: 0, key: `${area}:${address}` });
  let h = 0;
  for (let a = start; a <= end; ) {
    while (h < unreadable.length && unreadable[h]!.end < a) h++;
    const hole = unreadable[h];
    if (hole && hole.start <= a) {
      const n = Math.min(hole.end, end, a + maxSpan - 1) - a + 1;
      push(a, n);
      a += n;
    } else {
      push(a, 1);
      a++;
    }
  }
  return out;
}

function addError(errors: ModbusRangeError[], deviceId: string, start: number, count: number, err: unknown): void {
  const e: ModbusRangeError = { start, count, message: errorMessage(err) };
  const code = modbusCodeOf(err);
  if (code !== undefined) e.exception = code;
  else if (!errorMessage(err).startsWith(`${deviceId}:`)) e.message = `${deviceId}: ${e.message}`;
  errors.push(e);
}

/** Adjacent failures with the same exception become one entry naming their whole range. */
function mergeErrors(errors: ModbusRangeError[], deviceId: string, area: ModbusArea): ModbusRangeError[] {
  const out: ModbusRangeError[] = [];
  for (const e of errors) {
    const last = out[out.length - 1];
    if (last && last.exception !== undefined && last.exception === e.exception && last.start + last.count === e.start) {
      last.count += e.count;
      last.message = `${deviceId}: ${exceptionFor(last.exception, reading(area, last.start, last.count)).message}`;
      continue;
    }
    out.push({ ...e });
  }
  return out;
}

/**
 * Which addresses of the range exist. Reads the range in the largest blocks the device takes;
 * a block refused with exception 2 (or 3) is split in halves, recursively, and a single address
 * refused with exception 2 is absent. A map with k holes in n addresses costs about
 * n / maxSpan + 2 k log2(maxSpan) requests, not n. Any other failure (a timeout, another
 * exception) leaves its block unknown: `failed`. What it finds teaches the device's hole memory.
 */
export async function probe(device: RegisterAccess, range: InspectRange): Promise<ModbusProbeResult> {
  const access = ready(device);
  const { area, start, count } = range;
  const limit = isBitArea(area) ? access.limits.maxBits : access.limits.maxRegisters;
  const maxSpan = Math.max(1, Math.min(limit, access.holes.maxCount(area) ?? limit));
  const present: [number, number][] = [];
  const absent: [number, number][] = [];
  const failed: ModbusRangeError[] = [];
  let requests = 0;
  const learned = access.holes.size;

  const add = (list: [number, number][], first: number, last: number) => {
    const prev = list[list.length - 1];
    if (prev && prev[1] + 1 === first) prev[1] = last;
    else list.push([first, last]);
  };

  /** True when the whole block answered with values. */
  const block = async (first: number, n: number): Promise<boolean> => {
    const last = first + n - 1;
    try {
      requests++;
      await access.read(area, first, n);
    } catch (err) {
      const code = modbusCodeOf(err);
      if (n > 1 && isSplittableModbusError(err)) {
        const half = Math.ceil(n / 2);
        const left = await block(first, half);
        const right = await block(first + half, n - half);
        // Both halves read: the whole was refused for its length, as holes.ts learns it.
        if (left && right && code === 3 && n > access.holes.longestRead(area)) access.holes.learnTooLong(area, n);
        return false;
      }
      if (code === 2) {
        add(absent, first, last);
        access.holes.learnUnreadable(area, first, last);
      } else {
        addError(failed, access.deviceId, first, n, err);
      }
      return false;
    }
    add(present, first, last);
    access.holes.learnReadable(area, first, last);
    return true;
  };

  for (let first = start; first < start + count; first += maxSpan) await block(first, Math.min(maxSpan, start + count - first));
  if (access.holes.size !== learned) access.holesChanged();
  return { present, absent, failed: mergeErrors(failed, access.deviceId, area), requests };
}

function reading(area: ModbusArea, start: number, count: number): string {
  const one = count === 1;
  const noun = isBitArea(area) ? (area === 'coil' ? (one ? 'coil' : 'coils') : one ? 'discrete input' : 'discrete inputs') : `${area} register${one ? '' : 's'}`;
  return `reading ${noun} ${one ? start : `${start}-${start + count - 1}`}`;
}

function unit(area: ModbusArea): string {
  return isBitArea(area) ? 'bit' : 'register';
}

function invalid(message: string): BifrostError {
  return new BifrostError(ErrorCodes.InvalidParams, message);
}

function describe(v: unknown): string {
  return preview(v);
}
