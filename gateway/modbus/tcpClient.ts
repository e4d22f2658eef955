/**
 * A Modbus TCP client on a bare socket: MBAP framing, one request in flight, every answer
 * checked against the request it answers. It exists for scale: a gateway holds thousands of these
 * connections, and modbus-serial's client costs about 20 KB and 60 µs of CPU per request and
 * connection (measured: 5,000 connections at one request a second each took 30 % of a core and
 * 120 MB before any polling of ours); this one costs a socket and a few hundred bytes.
 * Serial lines keep using modbus-serial, which owns the serial port handling.
 *
 * It never queues: the link in front of it sends the next request only after the previous one
 * settled, and drops the connection on a timeout or a garbled answer, so a late answer is never
 * taken for the next request's.
 */
import * as net from 'node:net';
import type { ModbusArea } from '../protocol';

/** An exception answer: `modbusCode` is the exception code (as modbus-serial names it too). */
export class ModbusExceptionReply extends Error {
  override name = 'ModbusExceptionReply';
  constructor(readonly modbusCode: number) {
    super(`Modbus exception ${modbusCode}`);
  }
}

/** No answer in time. */
export class ModbusTimeout extends Error {
  override name = 'ModbusTimeout';
  readonly errno = 'ETIMEDOUT';
}

/** The connection is not open (never was, or closed). */
export class PortNotOpenError extends Error {
  override name = 'PortNotOpenError';
}

/** An answer that does not fit the request: wrong transaction or unit id, wrong length, wrong function. */
export class BadFrame extends Error {
  override name = 'BadFrame';
}

const MBAP = 7;
/** Longest Modbus TCP frame: 7 bytes of header and a PDU of at most 253 bytes. */
const MAX_FRAME = 260;

interface InFlight {
  tid: number;
  unitId: number;
  fc: number;
  /** Checks the answer's PDU (after the function code) and returns what the caller gets. */
  parse(pdu: Buffer): unknown;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  timeoutMs: number;
  /** When it times out (Date.now() ms). */
  deadline: number;
}

export class ModbusTcpClient {
  private socket: net.Socket | null = null;
  private inFlight: InFlight | null = null;
  private tid = 0;
  /** Bytes of an answer that arrived in pieces. */
  private partial: Buffer | null = null;
  private closeListener: ((reason: string) => void) | null = null;
  private closeReason: string | null = null;
  /** For each request; the link sets it per device. */
  timeoutMs = 1000;
  /**
   * One timer per connection, not per request: it fires at the deadline of what was in flight
   * when it was set and is set again for whatever is in flight then, so a connection answering
   * within its timeout allocates a timer once per timeout instead of once per request.
   */
  private timer: NodeJS.Timeout | null = null;
  /** When the timer fires. */
  private timerAt = 0;
  private readonly onTimer = (): void => this.checkDeadline();

  get isOpen(): boolean {
    return this.socket !== null && !this.socket.destroyed;
  }

  /** Resolves once connected; rejects with the socket's error (code ECONNREFUSED, …) or after `timeoutMs`. */
  connect(host: string, port: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection({ host, port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.on('error', () => undefined); // 'close' follows and says it
        socket.on('data', (chunk: Buffer) => this.onData(chunk));
        socket.on('close', () => this.onClose());
        this.socket = socket;
        resolve();
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      });
    });
  }

  /** Called once when the connection closes by itself (not by destroy()), with why. */
  onClosed(listener: (reason: string) => void): void {
    this.closeListener = listener;
  }

  destroy(): void {
    const s = this.socket;
    this.socket = null;
    s?.destroy();
    this.stopTimer();
    this.failInFlight(new PortNotOpenError('the connection was closed'));
  }

  readRegisters(unitId: number, area: ModbusArea, start: number, count: number): Promise<number[]> {
    const fc = area === 'holding' ? 3 : 4;
    return this.request(unitId, fc, pdu5(fc, start, count), (pdu) => {
      checkByteCount(pdu, count * 2, `${count} registers`);
      const out = new Array<number>(count);
      for (let i = 0; i < count; i++) out[i] = pdu.readUInt16BE(1 + 2 * i);
      return out;
    }) as Promise<number[]>;
  }

  readBits(unitId: number, area: ModbusArea, start: number, count: number): Promise<boolean[]> {
    const fc = area === 'coil' ? 1 : 2;
    return this.request(unitId, fc, pdu5(fc, start, count), (pdu) => {
      checkByteCount(pdu, Math.ceil(count / 8), `${count} bits`);
      const out = new Array<boolean>(count);
      for (let i = 0; i < count; i++) out[i] = ((pdu[1 + (i >> 3)]! >> (i & 7)) & 1) === 1;
      return out;
    }) as Promise<boolean[]>;
  }

  writeCoil(unitId: number, address: number, value: boolean): Promise<void> {
    const pdu = pdu5(5, address, value ? 0xff00 : 0x0000);
    return this.request(unitId, 5, pdu, (answer) => expectEcho(answer, pdu)) as Promise<void>;
  }

  writeRegister(unitId: number, address: number, value: number): Promise<void> {
    const pdu = pdu5(6, address, value);
    return this.request(unitId, 6, pdu, (answer) => expectEcho(answer, pdu)) as Promise<void>;
  }

  writeCoils(unitId: number, address: number, values: boolean[]): Promise<void> {
    const bytes = Math.ceil(values.length / 8);
    const pdu = Buffer.alloc(6 + bytes);
    pdu[0] = 15;
    pdu.writeUInt16BE(address, 1);
    pdu.writeUInt16BE(values.length, 3);
    pdu[5] = bytes;
    values.forEach((v, i) => {
      if (v) pdu[6 + (i >> 3)] |= 1 << (i & 7);
    });
    return this.request(unitId, 15, pdu, (answer) => expectEcho(answer, pdu.subarray(0, 5))) as Promise<void>;
  }

  writeRegisters(unitId: number, address: number, values: number[]): Promise<void> {
    const pdu = Buffer.allocUnsafe(6 + 2 * values.length);
    pdu[0] = 16;
    pdu.writeUInt16BE(address, 1);
    pdu.writeUInt16BE(values.length, 3);
    pdu[5] = 2 * values.length;
    values.forEach((v, i) => pdu.writeUInt16BE(v, 6 + 2 * i));
    return this.request(unitId, 16, pdu, (answer) => expectEcho(answer, pdu.subarray(0, 5))) as Promise<void>;
  }

  private request(unitId: number, fc: number, pdu: Buffer, parse: (pdu: Buffer) => unknown): Promise<unknown> {
    const socket = this.socket;
    if (!socket || socket.destroyed) return Promise.reject(new PortNotOpenError('not connected'));
    if (this.inFlight) return Promise.reject(new Error('a request is already in flight on this connection'));
    this.tid = (this.tid + 1) & 0xffff;
    const frame = Buffer.allocUnsafe(MBAP + pdu.length);
    frame.writeUInt16BE(this.tid, 0);
    frame.writeUInt16BE(0, 2);
    frame.writeUInt16BE(pdu.length + 1, 4);
    frame[6] = unitId;
    pdu.copy(frame, MBAP);
    return new Promise((resolve, reject) => {
      const timeoutMs = this.timeoutMs;
      const deadline = Date.now() + timeoutMs;
      this.inFlight = { tid: this.tid, unitId, fc, parse, resolve, reject, timeoutMs, deadline };
      // A timer set for a longer timeout (another unit on a shared link) would fire too late.
      if (!this.timer || this.timerAt > deadline) this.armTimer(deadline);
      socket.write(frame);
    });
  }

  private armTimer(at: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(this.onTimer, Math.max(0, at - Date.now()));
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private checkDeadline(): void {
    this.timer = null;
    const pending = this.inFlight;
    if (!pending) return;
    if (Date.now() >= pending.deadline) this.failInFlight(new ModbusTimeout(`timed out after ${pending.timeoutMs} ms`));
    else this.armTimer(pending.deadline);
  }

  private onData(chunk: Buffer): void {
    let data = this.partial ? Buffer.concat([this.partial, chunk]) : chunk;
    this.partial = null;
    while (data.length >= MBAP) {
      const length = data.readUInt16BE(4);
      const total = 6 + length;
      if (length < 2 || total > MAX_FRAME || data.readUInt16BE(2) !== 0) return this.garbled(`not a Modbus TCP frame (length ${length}, protocol ${data.readUInt16BE(2)})`);
      if (data.length < total) break;
      this.onFrame(data.subarray(0, total));
      data = data.subarray(total);
    }
    if (data.length > 0) this.partial = Buffer.from(data);
  }

  private onFrame(frame: Buffer): void {
    const pending = this.inFlight;
    const tid = frame.readUInt16BE(0);
    if (!pending) return this.garbled(`an answer (transaction ${tid}) came when nothing was asked`);
    if (tid !== pending.tid) return this.garbled(`answer to transaction ${tid}, ${pending.tid} was asked`);
    if (frame[6] !== pending.unitId) return this.garbled(`answer from unit ${frame[6]}, unit ${pending.unitId} was asked`);
    const fc = frame[7]!;
    const pdu = frame.subarray(8);
    this.settle();
    if (fc === (pending.fc | 0x80)) {
      pending.reject(pdu.length === 1 ? new ModbusExceptionReply(pdu[0]!) : new BadFrame(`an exception answer of ${pdu.length + 1} bytes`));
      return;
    }
    if (fc !== pending.fc) {
      pending.reject(new BadFrame(`answer with function code ${fc}, ${pending.fc} was asked`));
      return;
    }
    try {
      pending.resolve(pending.parse(pdu));
    } catch (err) {
      pending.reject(err);
    }
  }

  /**
   * Anything out of step: what is in flight fails now (and the link resets the connection); with
   * nothing in flight the connection is dropped here, since the next answer could not be trusted.
   */
  private garbled(why: string): void {
    this.partial = null;
    if (this.inFlight) {
      this.failInFlight(new BadFrame(why));
      return;
    }
    this.closeReason = `the device sent what nobody asked for (${why})`;
    this.socket?.destroy();
  }

  private settle(): void {
    this.inFlight = null;
  }

  private failInFlight(err: Error): void {
    const pending = this.inFlight;
    this.settle();
    pending?.reject(err);
  }

  private onClose(): void {
    if (this.socket === null) return;
    this.socket = null;
    const reason = this.closeReason ?? 'the device closed the connection';
    this.stopTimer();
    this.failInFlight(new PortNotOpenError(reason));
    this.closeListener?.(reason);
  }
}

function pdu5(fc: number, a: number, b: number): Buffer {
  const pdu = Buffer.allocUnsafe(5);
  pdu[0] = fc;
  pdu.writeUInt16BE(a, 1);
  pdu.writeUInt16BE(b, 3);
  return pdu;
}

/** A read answer is a byte count and that many bytes, as many as the request needs. */
function checkByteCount(pdu: Buffer, expected: number, asked: string): void {
  const said = pdu.length > 0 ? pdu[0]! : -1;
  if (said !== expected) throw new BadFrame(`the answer counts ${Math.max(said, 0)} data bytes; ${asked} take ${expected}`);
  if (pdu.length !== 1 + said) throw new BadFrame(`the answer carries ${pdu.length - 1} of the ${said} data bytes it announces`);
}

function expectEcho(answer: Buffer, asked: Buffer): void {
  // The answer's PDU comes without its function code; `asked` starts with it.
  if (answer.length !== asked.length - 1 || !answer.equals(asked.subarray(1))) {
    throw new BadFrame(`the device's confirmation does not match the write (${answer.toString('hex')})`);
  }
}
