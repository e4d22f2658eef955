/**
 * A fast Modbus TCP slave on raw `net`, used as the device in tests, benchmarks and the demo plant.
 *
 * Frames are parsed straight from the socket buffer and answered synchronously from typed-array
 * banks with one Buffer per response, so a request costs a few microseconds and benchmarks
 * measure the gateway, not the simulator. Nothing is logged on the hot path.
 */
import * as net from 'node:net';
import type { ModbusArea } from '../protocol';
import {
  FC_ENCAPSULATED,
  FC_REPORT_SERVER_ID,
  IDENTITY_OBJECTS,
  MAX_OBJECT_BYTES,
  MEI_DEVICE_IDENTIFICATION,
  ReadDeviceIdCode,
  type DeviceIdentity,
} from '../modbus/deviceIdentification';

export interface SimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (the default) picks a free port; later restarts reuse the port that was bound. */
  port?: number;
  /** Bank sizes, 0-65536; default 65536 each. */
  coils?: number;
  discretes?: number;
  inputs?: number;
  holdings?: number;
  /** Answer only these unit ids (requests for others get no answer); default any. */
  unitIds?: number[];
  /**
   * Addresses this device does not have, as many real devices have gaps in their map: any read
   * or write touching one answers exception 2 (illegal data address). Default none.
   */
  holes?: readonly SimHole[];
  /**
   * What the device answers to Read Device Identification (FC43/14) and Report Server ID (FC17).
   * Null or absent: both answer exception 1, as many real devices do.
   */
  identity?: DeviceIdentity | null;
}

/** A run of addresses a device does not have, inclusive. */
export interface SimHole {
  area: ModbusArea;
  start: number;
  end: number;
}

const HOLE_AREAS: readonly ModbusArea[] = ['coil', 'discrete', 'input', 'holding'];

/**
 * Parses a hole map as the command line takes it: `holding:10-19,input:5,coil:100-199`
 * (0-based addresses, inclusive ranges).
 */
export function parseHoleMap(text: string): SimHole[] {
  const holes: SimHole[] = [];
  for (const part of text.split(',')) {
    const m = /^\s*(coil|discrete|input|holding):(\d+)(?:-(\d+))?\s*$/.exec(part);
    if (!m) throw new RangeError(`'${part.trim()}' is not a hole: write area:address or area:first-last, area one of ${HOLE_AREAS.join(', ')} (e.g. holding:10-19,input:5)`);
    const start = Number(m[2]);
    const end = m[3] === undefined ? start : Number(m[3]);
    holes.push(checkHole({ area: m[1] as ModbusArea, start, end }));
  }
  return holes;
}

function checkHole(h: SimHole): SimHole {
  if (!HOLE_AREAS.includes(h.area)) throw new RangeError(`Hole area must be one of ${HOLE_AREAS.join(', ')}, got ${String(h.area)}.`);
  if (!Number.isInteger(h.start) || !Number.isInteger(h.end) || h.start < 0 || h.end > 65535 || h.start > h.end) {
    throw new RangeError(`Hole ${h.area}:${h.start}-${h.end} must be a range of addresses 0-65535, first <= last.`);
  }
  return h;
}

/**
 * Injected misbehaviour, applied to every request while set. The request itself is still carried
 * out (a write is applied, as when a real device's reply is lost on the way back), except under
 * `{ exception }`, where nothing is applied, as the Modbus specification says for exceptions.
 * - `garbage`: bytes that are no Modbus answer at all (protocol id is never 0).
 * - `short-frame`: a consistent MBAP frame whose PDU lacks its tail (e.g. fewer register bytes
 *   than its byte count announces).
 * - `wrong-transaction-id`: the correct answer under another transaction id.
 * - `silent`: no answer.
 * - `{ exception: n }`: exception response with code n.
 */
export type SimFault = null | 'garbage' | 'short-frame' | 'wrong-transaction-id' | 'silent' | { exception: number };

export type WritableArea = 'coil' | 'holding';

/** Modbus exception codes this simulator produces by itself. */
export const ModbusException = {
  IllegalFunction: 1,
  IllegalDataAddress: 2,
  IllegalDataValue: 3,
} as const;

const MBAP_HEADER = 7; // transaction id, protocol id, length, unit id
const MAX_PDU = 253;
const MAX_LENGTH_FIELD = MAX_PDU + 1; // unit id + largest PDU
/** Function, MEI type, code, conformity level, more follows, next object id, object count. */
const ID_RESPONSE_HEADER = 7;
const MAX_READ_BITS = 2000;
const MAX_READ_REGISTERS = 125;
const MAX_WRITE_BITS = 1968;
const MAX_WRITE_REGISTERS = 123;
const MAX_RW_WRITE_REGISTERS = 121;
const BANK_MAX = 65536;

export class ModbusTcpSimulator {
  readonly coils: Uint8Array;
  readonly discretes: Uint8Array;
  readonly inputs: Uint16Array;
  readonly holdings: Uint16Array;
  fault: SimFault = null;
  /** Function codes this device answers with exception 1, like a device without FC5/FC6. */
  readonly unsupportedFunctionCodes = new Set<number>();
  /** Requests executed, by function code (for tests that care which one a client used). */
  readonly functionCodeCounts = new Uint32Array(256);
  onWrite?: (area: WritableArea, address: number, count: number) => void;
  /** Called for every well-formed read (FC1-4, and FC23's read), before it is answered, hole or not. */
  onRead?: (area: ModbusArea, address: number, count: number) => void;

  private readonly host: string;
  private boundPort: number;
  /** Indexed by unit id: 1 = answer. Null = answer every unit. */
  private readonly unitFilter: Uint8Array | null;
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private requests = 0;
  private garbageSeed = 0x2545f491;
  /** Per area, holes before each address (length 65537), or null: no hole in that area. */
  private holesBefore: Record<ModbusArea, Uint32Array | null> = { coil: null, discrete: null, input: null, holding: null };
  private identityValue: DeviceIdentity | null = null;
  /** Identity object values by object id (sparse: absent optional objects are holes). */
  private identityObjects: Buffer[] = [];

  constructor(opts: SimulatorOptions = {}) {
    this.host = opts.host ?? '127.0.0.1';
    const port = opts.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new RangeError(`Simulator port must be an integer 0-65535 (0 = any free port), got ${String(opts.port)}.`);
    }
    this.boundPort = port;
    this.coils = new Uint8Array(bankSize('coils', opts.coils));
    this.discretes = new Uint8Array(bankSize('discretes', opts.discretes));
    this.inputs = new Uint16Array(bankSize('inputs', opts.inputs));
    this.holdings = new Uint16Array(bankSize('holdings', opts.holdings));
    if (opts.unitIds) {
      this.unitFilter = new Uint8Array(256);
      for (const id of opts.unitIds) {
        if (!Number.isInteger(id) || id < 0 || id > 255) throw new RangeError(`Unit ids must be integers 0-255, got ${String(id)}.`);
        this.unitFilter[id] = 1;
      }
    } else {
      this.unitFilter = null;
    }
    if (opts.holes) this.setHoles(opts.holes);
    this.setIdentity(opts.identity ?? null);
  }

  /** The identity configured, or null. */
  get identity(): DeviceIdentity | null {
    return this.identityValue;
  }

  /** Replaces the identity (null: FC43 and FC17 answer exception 1). */
  setIdentity(identity: DeviceIdentity | null): void {
    if (identity === null) {
      this.identityValue = null;
      this.identityObjects = [];
      return;
    }
    const objects: Buffer[] = [];
    IDENTITY_OBJECTS.forEach((field, id) => {
      const value = identity[field];
      const required = id < 3;
      if (value === undefined && !required) return;
      if (typeof value !== 'string' || !/^[\x20-\x7e]*$/.test(value) || value.length > MAX_OBJECT_BYTES || (required && value === '')) {
        throw new RangeError(
          `Simulator identity '${field}' must be ${required ? 'a non-empty' : 'a'} string of printable ASCII, at most ${MAX_OBJECT_BYTES} characters, got ${JSON.stringify(value)}.`,
        );
      }
      objects[id] = Buffer.from(value, 'latin1');
    });
    this.identityValue = { ...identity };
    this.identityObjects = objects;
  }

  /** Replaces the hole map: from now on any request touching one of these answers exception 2. */
  setHoles(holes: readonly SimHole[]): void {
    const next: Record<ModbusArea, Uint32Array | null> = { coil: null, discrete: null, input: null, holding: null };
    const marks = new Map<ModbusArea, Uint8Array>();
    for (const h of holes) {
      checkHole(h);
      let m = marks.get(h.area);
      if (!m) marks.set(h.area, (m = new Uint8Array(BANK_MAX)));
      m.fill(1, h.start, h.end + 1);
    }
    for (const [area, m] of marks) {
      const before = new Uint32Array(BANK_MAX + 1);
      for (let i = 0; i < BANK_MAX; i++) before[i + 1] = before[i]! + m[i]!;
      next[area] = before;
    }
    this.holesBefore = next;
  }

  /** Whether address..address+count-1 of an area includes a hole. */
  private touchesHole(area: ModbusArea, address: number, count: number): boolean {
    const before = this.holesBefore[area];
    return before !== null && before[Math.min(BANK_MAX, address + count)]! > before[address]!;
  }

  /** The bound port (after start), or the requested one before. */
  get port(): number {
    return this.boundPort;
  }

  /** Complete request frames received, answered or not (faults, other unit ids). */
  get requestCount(): number {
    return this.requests;
  }

  /** Open client sockets. */
  get connectionCount(): number {
    return this.sockets.size;
  }

  /** Starts listening; resolves the bound port. Calling it while running returns the same port. */
  start(): Promise<number> {
    if (this.server) return Promise.resolve(this.boundPort);
    const server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server = server;
    return new Promise<number>((resolve, reject) => {
      const onError = (err: Error) => {
        this.server = null;
        reject(new Error(`Modbus simulator could not listen on ${this.host}:${this.boundPort}: ${err.message}`));
      };
      server.once('error', onError);
      server.listen({ host: this.host, port: this.boundPort }, () => {
        server.off('error', onError);
        // A running listener has nothing sensible to do with later errors; keep it alive.
        server.on('error', () => undefined);
        this.boundPort = (server.address() as net.AddressInfo).port;
        resolve(this.boundPort);
      });
    });
  }

  /** Closes the listener and destroys every client socket, like a device losing power. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    let pending: Buffer | null = null;
    socket.on('data', (chunk: Buffer) => {
      const buf = pending ? Buffer.concat([pending, chunk]) : chunk;
      pending = null;
      const consumed = this.consume(socket, buf);
      if (consumed < 0) {
        socket.destroy();
      } else if (consumed < buf.length) {
        // Copy so that the rest of a large chunk is not kept alive by a few bytes.
        pending = Buffer.from(buf.subarray(consumed));
      }
    });
    // Resets and aborts from clients are normal; the socket just goes.
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
  }

  /** Answers every complete frame in `buf`; returns the bytes consumed, or -1 for a malformed stream. */
  private consume(socket: net.Socket, buf: Buffer): number {
    let off = 0;
    let corked = false;
    while (buf.length - off >= 6) {
      const protocolId = (buf[off + 2] << 8) | buf[off + 3];
      const length = (buf[off + 4] << 8) | buf[off + 5];
      if (protocolId !== 0 || length < 2 || length > MAX_LENGTH_FIELD) {
        if (corked) socket.uncork();
        return -1;
      }
      const end = off + 6 + length;
      if (end > buf.length) break;
      if (!corked && end < buf.length) {
        // Several frames in one chunk: gather their answers into one write.
        socket.cork();
        corked = true;
      }
      const answer = this.answer(buf, off, end);
      if (answer) socket.write(answer);
      off = end;
    }
    if (corked) socket.uncork();
    return off;
  }

  /**
   * Answers one request PDU for `unit` as this device would over TCP (unit filter, faults, holes):
   * the answer's unit id and PDU, or null for no answer. For serial framings (RtuSimulator).
   */
  answerPdu(unit: number, pdu: Uint8Array): Buffer | null {
    const adu = Buffer.allocUnsafe(MBAP_HEADER + pdu.length);
    adu.writeUInt16BE(0, 0);
    adu.writeUInt16BE(0, 2);
    adu.writeUInt16BE(pdu.length + 1, 4);
    adu[6] = unit;
    adu.set(pdu, MBAP_HEADER);
    const response = this.answer(adu, 0, adu.length);
    return response && response.subarray(MBAP_HEADER - 1);
  }

  /** The response ADU for the frame at buf[start, end), or null for no answer. */
  private answer(buf: Buffer, start: number, end: number): Buffer | null {
    this.requests++;
    const tid = (buf[start] << 8) | buf[start + 1];
    const unit = buf[start + 6];
    if (this.unitFilter && this.unitFilter[unit] === 0) return null;
    const fault = this.fault;
    const fc = buf[start + MBAP_HEADER];
    if (fault !== null && typeof fault === 'object') return exceptionAdu(tid, unit, fc, fault.exception);
    const response = this.execute(tid, unit, buf, start + MBAP_HEADER, end);
    if (fault === null) return response;
    switch (fault) {
      case 'silent':
        return null;
      case 'wrong-transaction-id':
        response.writeUInt16BE(tid ^ 0x8000, 0);
        return response;
      case 'short-frame':
        return shortened(response);
      case 'garbage':
        return this.garbage();
    }
  }

  /** Executes the PDU at buf[p, end) and builds the response ADU. */
  private execute(tid: number, unit: number, buf: Buffer, p: number, end: number): Buffer {
    const fc = buf[p]!;
    const len = end - p;
    this.functionCodeCounts[fc]!++;
    if (this.unsupportedFunctionCodes.has(fc)) return exceptionAdu(tid, unit, fc, ModbusException.IllegalFunction);
    switch (fc) {
      case 1:
      case 2:
        return this.readBits(tid, unit, fc, buf, p, len, fc === 1 ? 'coil' : 'discrete');
      case 3:
      case 4:
        return this.readRegisters(tid, unit, fc, buf, p, len, fc === 3 ? 'holding' : 'input');
      case 5:
        return this.writeSingleCoil(tid, unit, buf, p, len);
      case 6:
        return this.writeSingleRegister(tid, unit, buf, p, len);
      case 15:
        return this.writeMultipleCoils(tid, unit, buf, p, len);
      case 16:
        return this.writeMultipleRegisters(tid, unit, buf, p, len);
      case 22:
        return this.maskWriteRegister(tid, unit, buf, p, len);
      case 23:
        return this.readWriteRegisters(tid, unit, buf, p, len);
      case FC_ENCAPSULATED:
        return this.readDeviceIdentification(tid, unit, buf, p, len);
      case FC_REPORT_SERVER_ID:
        return this.reportServerId(tid, unit, len);
      default:
        return exceptionAdu(tid, unit, fc, ModbusException.IllegalFunction);
    }
  }

  private readBits(tid: number, unit: number, fc: number, buf: Buffer, p: number, len: number, area: 'coil' | 'discrete'): Buffer {
    if (len !== 5) return exceptionAdu(tid, unit, fc, ModbusException.IllegalDataValue);
    const bank = area === 'coil' ? this.coils : this.discretes;
    const address = (buf[p + 1] << 8) | buf[p + 2];
    const count = (buf[p + 3] << 8) | buf[p + 4];
    if (count < 1 || count > MAX_READ_BITS) return exceptionAdu(tid, unit, fc, ModbusException.IllegalDataValue);
    this.onRead?.(area, address, count);
    if (address + count > bank.length || this.touchesHole(area, address, count)) return exceptionAdu(tid, unit, fc, ModbusException.IllegalDataAddress);
    const byteCount = (count + 7) >> 3;
    const out = adu(tid, unit, 2 + byteCount);
    out[7] = fc;
    out[8] = byteCount;
    out.fill(0, 9);
    for (let i = 0; i < count; i++) {
      if (bank[address + i] !== 0) out[9 + (i >> 3)] |= 1 << (i & 7);
    }
    return out;
  }

  private readRegisters(tid: number, unit: number, fc: number, buf: Buffer, p: number, len: number, area: 'input' | 'holding'): Buffer {
    if (len !== 5) return exceptionAdu(tid, unit, fc, ModbusException.IllegalDataValue);
    const bank = area === 'holding' ? this.holdings : this.inputs;
    const address = (buf[p + 1] << 8) | buf[p + 2];
    const count = (buf[p + 3] << 8) | buf[p + 4];
    if (count < 1 || count > MAX_READ_REGISTERS) return exceptionAdu(tid, unit, fc, ModbusException.IllegalDataValue);
    this.onRead?.(area, address, count);
    if (address + count > bank.length || this.touchesHole(area, address, count)) return exceptionAdu(tid, unit, fc, ModbusException.IllegalDataAddress);
    const out = adu(tid, unit, 2 + count * 2);
    out[7] = fc;
    out[8] = count * 2;
    putRegisters(out, 9, bank, address, count);
    return out;
  }

  private writeSingleCoil(tid: number, unit: number, buf: Buffer, p: number, len: number): Buffer {
    if (len !== 5) return exceptionAdu(tid, unit, 5, ModbusException.IllegalDataValue);
    const address = (buf[p + 1] << 8) | buf[p + 2];
    const value = (buf[p + 3] << 8) | buf[p + 4];
    if (value !== 0xff00 && value !== 0x0000) return exceptionAdu(tid, unit, 5, ModbusException.IllegalDataValue);
    if (address >= this.coils.length || this.touchesHole('coil', address, 1)) return exceptionAdu(tid, unit, 5, ModbusException.IllegalDataAddress);
    this.coils[address] = value === 0xff00 ? 1 : 0;
    this.notifyWrite('coil', address, 1);
    return echo(tid, unit, buf, p, 5);
  }

  private writeSingleRegister(tid: number, unit: number, buf: Buffer, p: number, len: number): Buffer {
    if (len !== 5) return exceptionAdu(tid, unit, 6, ModbusException.IllegalDataValue);
    const address = (buf[p + 1] << 8) | buf[p + 2];
    if (address >= this.holdings.length || this.touchesHole('holding', address, 1)) return exceptionAdu(tid, unit, 6, ModbusException.IllegalDataAddress);
    this.holdings[address] = (buf[p + 3] << 8) | buf[p + 4];
    this.notifyWrite('holding', address, 1);
    return echo(tid, unit, buf, p, 5);
  }

  private writeMultipleCoils(tid: number, unit: number, buf: Buffer, p: number, len: number): Buffer {
    if (len < 6) return exceptionAdu(tid, unit, 15, ModbusException.IllegalDataValue);
    const address = (buf[p + 1] << 8) | buf[p + 2];
    const count = (buf[p + 3] << 8) | buf[p + 4];
    const byteCount = buf[p + 5];
    if (count < 1 || count > MAX_WRITE_BITS || byteCount !== (count + 7) >> 3 || len !== 6 + byteCount) {
      return exceptionAdu(tid, unit, 15, ModbusException.IllegalDataValue);
    }
    if (address + count > this.coils.length || this.touchesHole('coil', address, count)) return exceptionAdu(tid, unit, 15, ModbusException.IllegalDataAddress);
    for (let i = 0; i < count; i++) this.coils[address + i] = (buf[p + 6 + (i >> 3)] >> (i & 7)) & 1;
    this.notifyWrite('coil', address, count);
    return echo(tid, unit, buf, p, 5);
  }

  private writeMultipleRegisters(tid: number, unit: number, buf: Buffer, p: number, len: number): Buffer {
    if (len < 6) return exceptionAdu(tid, unit, 16, ModbusException.IllegalDataValue);
    const address = (buf[p + 1] << 8) | buf[p + 2];
    const count = (buf[p + 3] << 8) | buf[p + 4];
    const byteCount = buf[p + 5];
    if (count < 1 || count > MAX_WRITE_REGISTERS || byteCount !== count * 2 || len !== 6 + byteCount) {
      return exceptionAdu(tid, unit, 16, ModbusException.IllegalDataValue);
    }
    if (address + count > this.holdings.length || this.touchesHole('holding', address, count)) return exceptionAdu(tid, unit, 16, ModbusException.IllegalDataAddress);
    takeRegisters(buf, p + 6, this.holdings, address, count);
    this.notifyWrite('holding', address, count);
    return echo(tid, unit, buf, p, 5);
  }

  private maskWriteRegister(tid: number, unit: number, buf: Buffer, p: number, len: number): Buffer {
    if (len !== 7) return exceptionAdu(tid, unit, 22, ModbusException.IllegalDataValue);
    const address = (buf[p + 1] << 8) | buf[p + 2];
    if (address >= this.holdings.length || this.touchesHole('holding', address, 1)) return exceptionAdu(tid, unit, 22, ModbusException.IllegalDataAddress);
    const andMask = (buf[p + 3] << 8) | buf[p + 4];
    const orMask = (buf[p + 5] << 8) | buf[p + 6];
    this.holdings[address] = (this.holdings[address] & andMask) | (orMask & ~andMask);
    this.notifyWrite('holding', address, 1);
    return echo(tid, unit, buf, p, 7);
  }

  private readWriteRegisters(tid: number, unit: number, buf: Buffer, p: number, len: number): Buffer {
    if (len < 10) return exceptionAdu(tid, unit, 23, ModbusException.IllegalDataValue);
    const readAddress = (buf[p + 1] << 8) | buf[p + 2];
    const readCount = (buf[p + 3] << 8) | buf[p + 4];
    const writeAddress = (buf[p + 5] << 8) | buf[p + 6];
    const writeCount = (buf[p + 7] << 8) | buf[p + 8];
    const byteCount = buf[p + 9];
    if (
      readCount < 1 || readCount > MAX_READ_REGISTERS ||
      writeCount < 1 || writeCount > MAX_RW_WRITE_REGISTERS ||
      byteCount !== writeCount * 2 || len !== 10 + byteCount
    ) {
      return exceptionAdu(tid, unit, 23, ModbusException.IllegalDataValue);
    }
    const bank = this.holdings;
    this.onRead?.('holding', readAddress, readCount);
    if (
      readAddress + readCount > bank.length || writeAddress + writeCount > bank.length ||
      this.touchesHole('holding', readAddress, readCount) || this.touchesHole('holding', writeAddress, writeCount)
    ) {
      return exceptionAdu(tid, unit, 23, ModbusException.IllegalDataAddress);
    }
    // The specification orders the write before the read.
    takeRegisters(buf, p + 10, bank, writeAddress, writeCount);
    this.notifyWrite('holding', writeAddress, writeCount);
    const out = adu(tid, unit, 2 + readCount * 2);
    out[7] = 23;
    out[8] = readCount * 2;
    putRegisters(out, 9, bank, readAddress, readCount);
    return out;
  }

  /**
   * FC43 / MEI 14 (Modbus Application Protocol v1.1b3, 6.21). Stream codes 1-3 list the objects of
   * their category from the object id asked for (an id outside it restarts at 0, as the
   * specification says); objects that do not fit one PDU are left for a next request, announced by
   * "more follows" and the next object id. This device has no extended objects, so code 3 answers
   * the regular set. Code 4 answers one object.
   */
  private readDeviceIdentification(tid: number, unit: number, buf: Buffer, p: number, len: number): Buffer {
    const objects = this.identityObjects;
    if (objects.length === 0) return exceptionAdu(tid, unit, FC_ENCAPSULATED, ModbusException.IllegalFunction);
    if (len !== 4) return exceptionAdu(tid, unit, FC_ENCAPSULATED, ModbusException.IllegalDataValue);
    // Other MEI types (13, CANopen) are functions this device does not have.
    if (buf[p + 1] !== MEI_DEVICE_IDENTIFICATION) return exceptionAdu(tid, unit, FC_ENCAPSULATED, ModbusException.IllegalFunction);
    const code = buf[p + 2]!;
    const asked = buf[p + 3]!;
    if (code < ReadDeviceIdCode.Basic || code > ReadDeviceIdCode.Specific) return exceptionAdu(tid, unit, FC_ENCAPSULATED, ModbusException.IllegalDataValue);
    let ids: number[];
    let more = false;
    let next = 0;
    if (code === ReadDeviceIdCode.Specific) {
      if (objects[asked] === undefined) return exceptionAdu(tid, unit, FC_ENCAPSULATED, ModbusException.IllegalDataAddress);
      ids = [asked];
    } else {
      const last = code === ReadDeviceIdCode.Basic ? 2 : IDENTITY_OBJECTS.length - 1;
      const first = asked <= last && objects[asked] !== undefined ? asked : 0;
      ids = [];
      let room = MAX_PDU - ID_RESPONSE_HEADER;
      for (let id = first; id <= last; id++) {
        const value = objects[id];
        if (value === undefined) continue;
        if (2 + value.length > room) {
          more = true;
          next = id;
          break;
        }
        ids.push(id);
        room -= 2 + value.length;
      }
    }
    let pduLength = ID_RESPONSE_HEADER;
    for (const id of ids) pduLength += 2 + objects[id]!.length;
    const out = adu(tid, unit, pduLength);
    out[7] = FC_ENCAPSULATED;
    out[8] = MEI_DEVICE_IDENTIFICATION;
    out[9] = code;
    out[10] = this.conformityLevel();
    out[11] = more ? 0xff : 0x00;
    out[12] = next;
    out[13] = ids.length;
    let at = 14;
    for (const id of ids) {
      const value = objects[id]!;
      out[at++] = id;
      out[at++] = value.length;
      value.copy(out, at);
      at += value.length;
    }
    return out;
  }

  /** Regular identification when any regular object is set, else basic; both with individual access (0x80). */
  private conformityLevel(): number {
    const hasRegular = this.identityObjects.length > 3;
    return 0x80 | (hasRegular ? ReadDeviceIdCode.Regular : ReadDeviceIdCode.Basic);
  }

  /**
   * FC17: byte count, server id (this device uses the unit id it was asked as), run indicator
   * (0xFF, running), then the product name, or the vendor name, as additional data.
   */
  private reportServerId(tid: number, unit: number, len: number): Buffer {
    const identity = this.identityValue;
    if (!identity) return exceptionAdu(tid, unit, FC_REPORT_SERVER_ID, ModbusException.IllegalFunction);
    if (len !== 1) return exceptionAdu(tid, unit, FC_REPORT_SERVER_ID, ModbusException.IllegalDataValue);
    const data = Buffer.from(identity.productName ?? identity.vendorName, 'latin1');
    const out = adu(tid, unit, 4 + data.length);
    out[7] = FC_REPORT_SERVER_ID;
    out[8] = 2 + data.length;
    out[9] = unit;
    out[10] = 0xff;
    data.copy(out, 11);
    return out;
  }

  private notifyWrite(area: WritableArea, address: number, count: number): void {
    const hook = this.onWrite;
    if (!hook) return;
    try {
      hook(area, address, count);
    } catch (err) {
      // A failing observer must not take the device down; say so where logs go.
      process.emitWarning(`Modbus simulator onWrite handler failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** 9-16 pseudo-random bytes whose protocol id is never 0, so no client can take them for an answer. */
  private garbage(): Buffer {
    let x = this.garbageSeed;
    const next = () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return x >>> 0;
    };
    const out = Buffer.allocUnsafe(9 + (next() % 8));
    for (let i = 0; i < out.length; i++) out[i] = next() & 0xff;
    out[2] |= 0x80;
    this.garbageSeed = x;
    return out;
  }
}

function bankSize(name: string, size: number | undefined): number {
  if (size === undefined) return BANK_MAX;
  if (!Number.isInteger(size) || size < 0 || size > BANK_MAX) {
    throw new RangeError(`Simulator bank size '${name}' must be an integer 0-${BANK_MAX}, got ${String(size)}.`);
  }
  return size;
}

/** A response ADU with its MBAP header filled in and room for a PDU of `pduLength` bytes. */
function adu(tid: number, unit: number, pduLength: number): Buffer {
  const out = Buffer.allocUnsafe(MBAP_HEADER + pduLength);
  out[0] = tid >> 8;
  out[1] = tid & 0xff;
  out[2] = 0;
  out[3] = 0;
  out[4] = (pduLength + 1) >> 8;
  out[5] = (pduLength + 1) & 0xff;
  out[6] = unit;
  return out;
}

function exceptionAdu(tid: number, unit: number, fc: number, code: number): Buffer {
  const out = adu(tid, unit, 2);
  out[7] = (fc | 0x80) & 0xff;
  out[8] = code & 0xff;
  return out;
}

/** A response that repeats the first `n` bytes of the request PDU (the write confirmations). */
function echo(tid: number, unit: number, buf: Buffer, p: number, n: number): Buffer {
  const out = adu(tid, unit, n);
  buf.copy(out, MBAP_HEADER, p, p + n);
  return out;
}

function putRegisters(out: Buffer, at: number, bank: Uint16Array, address: number, count: number): void {
  for (let i = 0; i < count; i++) {
    const v = bank[address + i];
    out[at++] = v >> 8;
    out[at++] = v & 0xff;
  }
}

function takeRegisters(buf: Buffer, at: number, bank: Uint16Array, address: number, count: number): void {
  for (let i = 0; i < count; i++, at += 2) bank[address + i] = (buf[at] << 8) | buf[at + 1];
}

/** The same answer with the last bytes of its PDU cut off and its length field made to agree. */
function shortened(response: Buffer): Buffer {
  const pduLength = response.length - MBAP_HEADER;
  const keep = Math.max(1, pduLength - Math.max(2, pduLength >> 1));
  const out = response.subarray(0, MBAP_HEADER + keep);
  out[4] = (keep + 1) >> 8;
  out[5] = (keep + 1) & 0xff;
  return out;
}
