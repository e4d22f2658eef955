/**
 * Modbus RTU discovery on the serial ports a person named: never on a port they did not name.
 * Each port is scanned on its own (a serial line carries one request at a time; ports run in
 * parallel with each other): for each line setting (baud rate × parity, 8 data bits, 1 stop
 * bit), the port is opened, every unit id gets a one-register read (FC3 holding 0; an exception
 * answer proves a unit too), and the units that answered are asked for their identification
 * (FC43/14, FC17 where refused). Once units answered at one setting, the port's other settings
 * are not tried (`stopAtFirst`, default true): a bus runs at one setting, and a device that
 * answers at several is rare and would only be listed twice.
 *
 * Bytes that arrive at a setting where no frame is valid are worth saying (wrong baud rate or
 * parity, most likely): they become a note of the scan.
 */
import type { Duplex } from 'node:stream';
import type { DiscoveredRtuItem, DiscoveryMessage, SerialDiscoverParams, SerialParityName } from '../protocol';
import { ErrorCodes } from '../protocol';
import { BifrostError, errorMessage } from '../errors';
import { FC_REPORT_SERVER_ID, ReadDeviceIdCode } from '../modbus/deviceIdentification';
import { readPdu } from '../modbus/pdu';
import { RtuClient, RtuFailure } from '../modbus/rtuClient';
import { interFrameSilenceMs } from '../modbus/rtuFrame';
import { serialOpener } from '../modbus/rtuStreams';
import { BadAnswer, FIRST_REGULAR_OBJECT, describeServerId, idRequest, identityOf, parseIdAnswer, readIdStream } from './identification';

export const DEFAULT_BAUD_RATES = [9600, 19_200, 38_400, 57_600, 115_200];
export const DEFAULT_PARITIES: SerialParityName[] = ['even', 'none'];
/**
 * Unit ids 1-10 by default: buses are numbered from 1 when commissioned, and ten ids at the
 * default ten settings keep a scan of a silent port to about 16 s. `"all"` asks 1-247.
 */
export const DEFAULT_SERIAL_UNIT_IDS = Array.from({ length: 10 }, (_, i) => i + 1);
/** A scan that could take longer than this is refused: the request says what to reduce. */
export const MAX_SERIAL_SCAN_MS = 10 * 60_000;
const MAX_PORTS = 64;
/** Quiet time after a silent unit before the next request: a late answer must not be taken for the next. */
const DRAIN_MS = 50;
/** What a device may take to answer beyond the bytes' time on the line. */
const TURNAROUND_MS = 100;
/** Opening and closing a port, for the estimate. */
const OPEN_CLOSE_MS = 20;
/** An FC3 request and its answer (8 + 7 bytes); an identification answer may take 256 bytes. */
const READ_BYTES = 15;
const ID_ANSWER_BYTES = 256;
/** Gateway path unavailable / gateway target device failed to respond: no unit there. */
const GATEWAY_EXCEPTIONS = new Set([0x0a, 0x0b]);

export interface LineSetting {
  baudRate: number;
  parity: SerialParityName;
}

export interface SerialPlan {
  ports: string[];
  settings: LineSetting[];
  unitIds: number[];
  /** Set by the client; otherwise derived from each setting's baud rate (requestTimeoutMs). */
  timeoutMs: number | undefined;
  stopAtFirst: boolean;
}

export interface SerialSink {
  found(items: DiscoveredRtuItem[]): void;
  /** `n` more unit probes finished (or skipped: a port that failed, settings not tried). */
  probed(n: number): void;
  error(e: DiscoveryMessage): void;
  note(n: DiscoveryMessage): void;
}

/** Checks `serial` of a discover request; the errors say what was wrong and what is expected. */
export function serialPlan(v: unknown): SerialPlan {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid('"serial" must be an object: {"ports": ["/dev/ttyUSB0"]}');
  const s = v as Partial<Record<keyof SerialDiscoverParams, unknown>>;
  const known = ['ports', 'baudRates', 'parities', 'unitIds', 'timeoutMs', 'stopAtFirst'];
  for (const key of Object.keys(s)) if (!known.includes(key)) throw invalid(`"serial": unknown field "${key}" (expected ${known.map((k) => `"${k}"`).join(', ')})`);
  if (!Array.isArray(s.ports) || s.ports.length === 0) throw invalid('"serial.ports" must name the serial ports to scan, e.g. ["/dev/ttyUSB0"] or ["COM3"]: discovery opens no port it is not given (bifrost/serialPorts lists them)');
  if (s.ports.length > MAX_PORTS) throw invalid(`"serial.ports" names ${s.ports.length} ports; at most ${MAX_PORTS} are scanned at once`);
  const ports = new Set<string>();
  s.ports.forEach((p, i) => {
    if (typeof p !== 'string' || p.trim() === '') throw invalid(`"serial.ports[${i}]" must be a serial port's path, e.g. "/dev/ttyUSB0" or "COM3" (got ${JSON.stringify(p)})`);
    ports.add(p);
  });
  const baudRates = list(s.baudRates, 'serial.baudRates', DEFAULT_BAUD_RATES, (b) => typeof b === 'number' && Number.isInteger(b) && b >= 1200 && b <= 921_600, 'a baud rate, a whole number from 1200 to 921600');
  const parities = list(s.parities, 'serial.parities', DEFAULT_PARITIES, (p): p is SerialParityName => p === 'none' || p === 'even' || p === 'odd', '"none", "even" or "odd"');
  let unitIds: number[];
  if (s.unitIds === undefined) unitIds = DEFAULT_SERIAL_UNIT_IDS;
  else if (s.unitIds === 'all') unitIds = Array.from({ length: 247 }, (_, i) => i + 1);
  else unitIds = list(s.unitIds, 'serial.unitIds', DEFAULT_SERIAL_UNIT_IDS, (u) => typeof u === 'number' && Number.isInteger(u) && u >= 1 && u <= 247, 'a unit id from 1 to 247 (0 is the broadcast address, which no unit answers), or "all"');
  const timeoutMs = s.timeoutMs;
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 10 || timeoutMs > 10_000)) {
    throw invalid(`"serial.timeoutMs" must be a whole number from 10 to 10000 (got ${JSON.stringify(timeoutMs)}); leave it out for 100 ms plus the frames' time at each baud rate`);
  }
  const stopAtFirst = s.stopAtFirst ?? true;
  if (typeof stopAtFirst !== 'boolean') throw invalid(`"serial.stopAtFirst" must be true or false (got ${JSON.stringify(stopAtFirst)})`);
  const settings = baudRates.flatMap((baudRate) => parities.map((parity) => ({ baudRate, parity })));
  const plan: SerialPlan = { ports: [...ports], settings, unitIds, timeoutMs, stopAtFirst };
  const worst = serialWorstCaseMs(plan);
  if (worst > MAX_SERIAL_SCAN_MS) {
    throw invalid(
      `this serial scan could take up to ${minutes(worst)} (${settings.length} line settings × ${unitIds.length} unit ids, ${Math.round(worst / (settings.length * unitIds.length))} ms for each silent unit), more than the ${minutes(MAX_SERIAL_SCAN_MS)} one scan may take: name fewer unit ids, baud rates or parities, or a shorter "timeoutMs"`,
    );
  }
  return plan;
}

/** Unit probes of the plan (a port's probes × ports), for progress. */
export function serialProbes(plan: SerialPlan): number {
  return plan.ports.length * plan.settings.length * plan.unitIds.length;
}

/**
 * How long the scan takes at worst: when every unit keeps silent at every setting (units that
 * answer cost less, plus their identification). Ports run in parallel: this is one port's time.
 */
export function serialWorstCaseMs(plan: SerialPlan): number {
  let ms = 0;
  for (const s of plan.settings) ms += OPEN_CLOSE_MS + plan.unitIds.length * (requestTimeoutMs(s, plan.timeoutMs) + DRAIN_MS + interFrameSilenceMs(s.baudRate, s.parity));
  return Math.ceil(ms);
}

/** How long a unit may take to answer a one-register read: the turnaround plus the bytes' time. */
export function requestTimeoutMs(s: LineSetting, explicit?: number): number {
  return explicit ?? TURNAROUND_MS + Math.ceil(bytesMs(s, READ_BYTES));
}

function bytesMs(s: LineSetting, bytes: number): number {
  const bitsPerChar = s.parity === 'none' ? 10 : 11;
  return (bytes * bitsPerChar * 1000) / s.baudRate;
}

/** Scans every port of the plan, each on its own; resolves when all are done (or aborted and closed). */
export async function scanSerial(plan: SerialPlan, signal: AbortSignal, sink: SerialSink): Promise<void> {
  await Promise.all(plan.ports.map((p) => scanPort(p, plan, signal, sink)));
}

async function scanPort(path: string, plan: SerialPlan, signal: AbortSignal, sink: SerialSink): Promise<void> {
  const perSetting = plan.unitIds.length;
  for (let i = 0; i < plan.settings.length; i++) {
    const rest = (plan.settings.length - i) * perSetting;
    if (signal.aborted) return;
    const setting = plan.settings[i]!;
    const at = `${setting.baudRate}/${setting.parity}`;
    let stream: Duplex;
    try {
      stream = await serialOpener({ path, baudRate: setting.baudRate, parity: setting.parity, dataBits: 8, stopBits: 1 })();
    } catch (err) {
      // A port that does not exist, is in use or may not be opened fails the same at every setting.
      sink.error({ target: path, message: errorMessage(err) });
      sink.probed(rest);
      return;
    }
    const outcome = await scanSetting(path, stream, setting, plan, signal, sink);
    if (outcome.closed !== undefined && !signal.aborted) {
      sink.error({ target: path, message: `${path} closed while scanning at ${at}: ${outcome.closed}` });
      sink.probed(rest - outcome.probed);
      return;
    }
    if (outcome.found > 0 && plan.stopAtFirst) {
      sink.probed(rest - perSetting);
      return;
    }
    if (outcome.found === 0 && outcome.validFrames === 0 && outcome.bytes > 0) {
      sink.note({ target: path, message: `${outcome.bytes} bytes came at ${at} but no valid frame: wrong baud rate or parity?` });
    }
  }
}

interface SettingOutcome {
  found: number;
  probed: number;
  /** Answers and exception answers with a good CRC, from the unit asked. */
  validFrames: number;
  bytes: number;
  /** Why the port closed by itself, if it did. */
  closed?: string;
}

/** One line setting on an open port: every unit id asked, the port closed (and its close awaited) at the end. */
async function scanSetting(path: string, stream: Duplex, setting: LineSetting, plan: SerialPlan, signal: AbortSignal, sink: SerialSink): Promise<SettingOutcome> {
  const outcome: SettingOutcome = { found: 0, probed: 0, validFrames: 0, bytes: 0 };
  const closedStream = new Promise<void>((resolve) => (stream.destroyed && stream.closed ? resolve() : stream.once('close', () => resolve())));
  stream.on('data', (chunk: Buffer) => (outcome.bytes += chunk.length));
  const client = new RtuClient(stream, { silenceMs: interFrameSilenceMs(setting.baudRate, setting.parity), drainMs: DRAIN_MS });
  client.onClosed((reason) => (outcome.closed = reason));
  // Cancel closes the port at once: what is in flight fails as closed.
  const onAbort = () => client.destroy();
  signal.addEventListener('abort', onAbort, { once: true });
  const timeoutMs = requestTimeoutMs(setting, plan.timeoutMs);
  const idTimeoutMs = timeoutMs + Math.ceil(bytesMs(setting, ID_ANSWER_BYTES));
  const ask = (unitId: number, pdu: Buffer, ms: number) => askUnit(client, unitId, pdu, ms, outcome);
  try {
    for (const unitId of plan.unitIds) {
      if (signal.aborted || outcome.closed !== undefined) break;
      const read = await ask(unitId, readPdu(3, 0, 1), timeoutMs);
      if (read.kind === 'closed') break;
      outcome.probed++;
      sink.probed(1);
      let proof: Pick<DiscoveredRtuItem, 'evidence' | 'exception' | 'note'>;
      if (read.kind === 'answer' && read.pdu.length === 4 && read.pdu[1] === 2) proof = { evidence: 'register-read' };
      else if (read.kind === 'exception' && !GATEWAY_EXCEPTIONS.has(read.code)) proof = { evidence: 'exception-reply', exception: read.code };
      else continue;
      const item: DiscoveredRtuItem = { protocol: 'modbus-rtu', serialPath: path, baudRate: setting.baudRate, parity: setting.parity, dataBits: 8, stopBits: 1, unitId, ...proof };
      const id = await identify((pdu) => ask(unitId, pdu, idTimeoutMs), unitId);
      if (signal.aborted) break;
      if (id.identity) {
        item.identity = id.identity;
        item.evidence = 'device-identification';
        delete item.exception;
      }
      if (id.note !== undefined) item.note = id.note;
      outcome.found++;
      sink.found([item]);
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    client.destroy();
    await closedStream;
  }
  return outcome;
}

type Reply = { kind: 'answer'; pdu: Buffer } | { kind: 'exception'; code: number } | { kind: 'timeout' } | { kind: 'garbled'; why: string } | { kind: 'closed'; why: string };

async function askUnit(client: RtuClient, unitId: number, pdu: Buffer, timeoutMs: number, outcome: SettingOutcome): Promise<Reply> {
  if (!client.isOpen) return { kind: 'closed', why: 'the port was closed' };
  client.timeoutMs = timeoutMs;
  try {
    const answer = await client.transact(unitId, pdu);
    outcome.validFrames++;
    return { kind: 'answer', pdu: answer };
  } catch (err) {
    const code = (err as { modbusCode?: number } | null)?.modbusCode;
    if (typeof code === 'number') {
      outcome.validFrames++;
      return { kind: 'exception', code };
    }
    if (err instanceof RtuFailure) {
      if (err.kind === 'timeout') return { kind: 'timeout' };
      if (err.kind === 'closed') return { kind: 'closed', why: err.message };
    }
    return { kind: 'garbled', why: errorMessage(err) };
  }
}

/** A unit that answered FC3: its identification, or Report Server ID's answer as a note, when it gives them. */
async function identify(ask: (pdu: Buffer) => Promise<Reply>, unitId: number): Promise<{ identity?: DiscoveredRtuItem['identity']; note?: string }> {
  try {
    const basic = await ask(idRequest(ReadDeviceIdCode.Basic, 0));
    if (basic.kind === 'answer') {
      const objects = new Map<number, string>();
      const first = parseIdAnswer(basic.pdu, ReadDeviceIdCode.Basic);
      const next = (code: number) => async (objectId: number) => {
        const r = await ask(idRequest(code, objectId));
        return r.kind === 'answer' ? r.pdu : null;
      };
      const done = await readIdStream(next(ReadDeviceIdCode.Basic), unitId, ReadDeviceIdCode.Basic, first, objects);
      if (done && (first.conformity & 0x7f) >= ReadDeviceIdCode.Regular) {
        const regular = await ask(idRequest(ReadDeviceIdCode.Regular, FIRST_REGULAR_OBJECT));
        if (regular.kind === 'answer') await readIdStream(next(ReadDeviceIdCode.Regular), unitId, ReadDeviceIdCode.Regular, parseIdAnswer(regular.pdu, ReadDeviceIdCode.Regular), objects);
      }
      return identityOf(objects);
    }
    if (basic.kind !== 'exception') return {};
    const report = await ask(Buffer.from([FC_REPORT_SERVER_ID]));
    return report.kind === 'answer' ? { note: describeServerId(report.pdu) } : {};
  } catch (err) {
    if (err instanceof BadAnswer) return { note: `its identification answer does not parse: ${err.message}` };
    throw err;
  }
}

function list<T>(v: unknown, field: string, fallback: T[], ok: (x: unknown) => boolean, what: string): T[] {
  if (v === undefined) return fallback;
  if (!Array.isArray(v) || v.length === 0) throw invalid(`"${field}" must be a non-empty array, each ${what}; leave it out for ${JSON.stringify(fallback)}`);
  const out = new Set<T>();
  v.forEach((x, i) => {
    if (!ok(x)) throw invalid(`"${field}[${i}]" is ${JSON.stringify(x)}: expected ${what}`);
    out.add(x as T);
  });
  return [...out];
}

function minutes(ms: number): string {
  const min = ms / 60_000;
  return min >= 1 ? `${min.toFixed(1)} min` : `${Math.ceil(ms / 1000)} s`;
}

function invalid(message: string): BifrostError {
  return new BifrostError(ErrorCodes.InvalidParams, message);
}
