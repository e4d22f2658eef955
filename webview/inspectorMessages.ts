/**
 * Messages between the extension host and the register inspector's webview. The host owns the
 * reading (a timer that asks the gateway for the range, one read at a time); the webview shows
 * what it gets and asks for a different range, a probe or a tag.
 *
 * Shared by the extension and the webview: no Node, DOM or vscode imports here.
 */

export type InspectorArea = 'holding' | 'input' | 'coil' | 'discrete';
export const INSPECTOR_AREAS: readonly InspectorArea[] = ['holding', 'input', 'coil', 'discrete'];

export type InspectorByteOrder = 'ABCD' | 'BADC' | 'CDAB' | 'DCBA';
export const INSPECTOR_BYTE_ORDERS: readonly InspectorByteOrder[] = ['ABCD', 'BADC', 'CDAB', 'DCBA'];

/** How often the host reads the range; 0: not on its own (Refresh reads once). */
export const POLL_INTERVALS_MS: readonly number[] = [0, 250, 1000, 5000];
export const DEFAULT_POLL_MS = 1000;
export const DEFAULT_COUNT = 100;

/**
 * Addresses the panel shows at most: the gateway reads up to 4000 registers in one readRange,
 * and a table longer than that is no longer something a person reads.
 */
export const MAX_COUNT = 4000;
/** The last address of every area (addresses are 0-based, like the PDU). */
export const LAST_ADDRESS = 65535;

/** Data types a tag made from a row can have: registers as numbers, bits as bool. */
export type InspectorTagType = 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64' | 'bool';
export const REGISTER_TAG_TYPES: readonly InspectorTagType[] = ['uint16', 'int16', 'uint32', 'int32', 'float32', 'float64'];

/** What is read and how often. */
export interface InspectorRange {
  area: InspectorArea;
  start: number;
  count: number;
}

export interface InspectorSettings extends InspectorRange {
  intervalMs: number;
  paused: boolean;
}

export interface InspectorDevice {
  id: string;
  name: string;
  /** `Modbus TCP · 127.0.0.1:502 · unit 1`, for people. */
  description: string;
  /** Tags can be added to it (a device of bifrost.json on the local gateway); why not otherwise. */
  addTagRefusal?: string;
}

/** A part of the range that could not be read (the gateway's ModbusRangeError). */
export interface InspectorRangeError {
  start: number;
  count: number;
  message: string;
  exception?: number;
}

/** One read of the range: a register 0-65535 or a bit 0/1 per address, null where refused. */
export interface InspectorRead extends InspectorRange {
  values: (number | null)[];
  errors: InspectorRangeError[];
  requests: number;
  timestamp: number;
}

export interface InspectorProbe extends InspectorRange {
  present: [number, number][];
  absent: [number, number][];
  failed: InspectorRangeError[];
  requests: number;
}

export type ToInspector =
  /** The device and the settings the panel starts with (and after a reload of the page). */
  | { type: 'init'; device: InspectorDevice; settings: InspectorSettings; last?: InspectorRead }
  | { type: 'read'; read: InspectorRead }
  /** The whole read failed (device down, request refused): the last good values stay, stale. */
  | { type: 'readFailed'; range: InspectorRange; error: string; timestamp: number }
  | { type: 'probing'; range: InspectorRange }
  | { type: 'probe'; probe: InspectorProbe }
  | { type: 'probeFailed'; range: InspectorRange; error: string }
  /** How adding a tag ended (the host also says so in a notification). */
  | { type: 'tagAdded'; name: string; address: number; area: InspectorArea }
  | { type: 'tagFailed'; error: string };

/** A tag to make from a row: the registers at `address` as `type`, in `byteOrder` when wider than one. */
export interface InspectorTagRequest {
  area: InspectorArea;
  address: number;
  type: InspectorTagType;
  byteOrder: InspectorByteOrder;
}

export type FromInspector =
  | { type: 'ready' }
  /** New range or interval: the host reads it at once (after a read in flight answers), then polls. */
  | { type: 'settings'; settings: InspectorSettings }
  /** Read once now (with polling off, or to not wait for the next poll). */
  | { type: 'refresh' }
  | { type: 'probe'; range: InspectorRange }
  | { type: 'addTag'; tag: InspectorTagRequest };

/** Registers a value of `type` takes. */
export function registersOf(type: InspectorTagType): 1 | 2 | 4 {
  switch (type) {
    case 'int32':
    case 'uint32':
    case 'float32':
      return 2;
    case 'float64':
      return 4;
    default:
      return 1;
  }
}

export function isBitArea(area: InspectorArea): boolean {
  return area === 'coil' || area === 'discrete';
}

/** What is wrong with a range, for people; undefined when the host can read it. */
export function checkRange(r: InspectorRange): string | undefined {
  if (!INSPECTOR_AREAS.includes(r.area)) return `Unknown area "${String(r.area)}".`;
  if (!Number.isInteger(r.start) || r.start < 0 || r.start > LAST_ADDRESS) return `The start address must be a whole number from 0 to ${LAST_ADDRESS}.`;
  if (!Number.isInteger(r.count) || r.count < 1 || r.count > MAX_COUNT) return `The count must be a whole number from 1 to ${MAX_COUNT}.`;
  if (r.start + r.count > LAST_ADDRESS + 1) return `${r.start} + ${r.count} runs past the last address, ${LAST_ADDRESS}: at most ${LAST_ADDRESS + 1 - r.start} from ${r.start}.`;
  return undefined;
}

/** The checks both sides make on a message from the webview. */
export function isFromInspector(m: unknown): m is FromInspector {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  switch (o.type) {
    case 'ready':
    case 'refresh':
      return true;
    case 'settings': {
      const s = o.settings as Partial<InspectorSettings> | undefined;
      return isRange(s) && typeof s?.intervalMs === 'number' && POLL_INTERVALS_MS.includes(s.intervalMs) && typeof s?.paused === 'boolean';
    }
    case 'probe':
      return isRange(o.range);
    case 'addTag': {
      const t = o.tag as Partial<InspectorTagRequest> | undefined;
      return (
        typeof t === 'object' &&
        t !== null &&
        INSPECTOR_AREAS.includes(t.area as InspectorArea) &&
        Number.isInteger(t.address) &&
        ['int16', 'uint16', 'int32', 'uint32', 'float32', 'float64', 'bool'].includes(t.type as string) &&
        INSPECTOR_BYTE_ORDERS.includes(t.byteOrder as InspectorByteOrder)
      );
    }
    default:
      return false;
  }
}

function isRange(r: unknown): boolean {
  if (typeof r !== 'object' || r === null) return false;
  const o = r as Partial<InspectorRange>;
  return typeof o.area === 'string' && typeof o.start === 'number' && typeof o.count === 'number' && checkRange(o as InspectorRange) === undefined;
}
