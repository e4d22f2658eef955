/**
 * A Modbus TCP client on a bare socket: MBAP framing, one request in flight, every answer
 * checked against the request it answers. It exists for scale: a gateway holds thousands of these
 * connections, and modbus-serial's client costs about 20 KB and 60 µs of CPU per request and
 * connection (measured: 5,000 connections at one request a second each took 30 % of a core and
 * 120 MB before any polling of ours); this one costs a socket and a few hundred bytes.
 * Serial lines (Modbus RTU) have their own framing and link: rtuFrame.ts, rtuLink.ts.
 *
 * It never queues: the link in front of it sends the next request only after the previous one
 * settled, and drops the connection on a timeout or a garbled answer, so a late answer is never
 * taken for the next request's.
 */
import * as net from 'node:net';
import type { ModbusArea } from '../protocol';
import { writeCoilsPdu, writeRegistersPdu, writeSinglePdu } from './pdu';

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

/** How an answer is read: its data as registers or bits, or an echo of the request (writes). */
const enum Answer {
  Registers,
  Bits,
  Echo,
}

interface InFlight {
  tid: number;
  unitId: number;
  fc: number;
  answer: Answer;
  /** Registers or bits asked for; for an echo, the request's PDU to compare with. */
  count: number;
  echo: Buffer | null;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  timeoutMs: number;
  /** When it times out (Date.now() ms). */
  deadline: number;
}

/**
 * Where every connection's socket reads into. An answer is taken out of it before the next read
 * (parsed at once, or its first bytes copied when incomplete), so one buffer serves all sockets:
 * no buffer, and none of the stream machinery, per answer.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/** One function for every socket: a closure per connection costs memory at 10,000 devices. */
function ignoreError(): void {}

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
  /** Bound once: every socket read lands here (the stream's 'data' events are not used). */
  private readonly onRead = (n: number, buf: Uint8Array): boolean => {
    this.onData(buf as Buffer, n);
    return true;
  };
  /** The frame of a read request, reused while the socket has taken the previous one whole. */
  private readFrame: Buffer | null = null;

  /** Why this client closed the connection itself (an answer nobody asked for), if it did. */
  get closedBecause(): string | null {
    return this.closeReason;
  }

  get isOpen(): boolean {
    return this.socket !== null && !this.socket.destroyed;
  }

  /** Resolves once connected; rejects with the socket's error (code ECONNREFUSED, …) or after `timeoutMs`. */
  connect(host: string, port: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection({
        host,
        port,
        noDelay: true,
        onread: { buffer: READ_BUFFER, callback: this.onRead },
      });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.on('error', ignoreError); // 'close' follows and says it
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
    return this.read(unitId, area === 'holding' ? 3 : 4, Answer.Registers, start, count) as Promise<number[]>;
  }

  readBits(unitId: number, area: ModbusArea, start: number, count: number): Promise<boolean[]> {
    return this.read(unitId, area === 'coil' ? 1 : 2, Answer.Bits, start, count) as Promise<boolean[]>;
  }

  /** Reads build their frame in place, in a buffer the connection reuses: they are most requests. */
  private read(unitId: number, fc: number, answer: Answer, start: number, count: number): Promise<unknown> {
    let frame = this.readFrame;
    this.readFrame = null;
    frame ??= Buffer.allocUnsafe(MBAP + 5);
    frame[MBAP] = fc;
    frame.writeUInt16BE(start, MBAP + 1);
    frame.writeUInt16BE(count, MBAP + 3);
    const sent = this.send(unitId, fc, frame, answer, count, null);
    // Taken whole by the socket (the usual case), the frame is free for the next read.
    if (this.socket && this.socket.writableLength === 0) this.readFrame = frame;
    return sent;
  }

  writeCoil(unitId: number, address: number, value: boolean): Promise<void> {
    const pdu = writeSinglePdu(5, address, value ? 0xff00 : 0x0000);
    return this.request(unitId, 5, pdu, pdu) as Promise<void>;
  }

  writeRegister(unitId: number, address: number, value: number): Promise<void> {
    const pdu = writeSinglePdu(6, address, value);
    return this.request(unitId, 6, pdu, pdu) as Promise<void>;
  }

  writeCoils(unitId: number, address: number, values: boolean[]): Promise<void> {
    const pdu = writeCoilsPdu(address, values);
    return this.request(unitId, 15, pdu, pdu.subarray(0, 5)) as Promise<void>;
  }

  writeRegisters(unitId: number, address: number, values: number[]): Promise<void> {
    const pdu = writeRegistersPdu(address, values);
    return this.request(unitId, 16, pdu, pdu.subarray(0, 5)) as Promise<void>;
  }

  /** A write: its PDU framed, and its answer checked against `echo`. */
  private request(unitId: number, fc: number, pdu: Buffer, echo: Buffer): Promise<unknown> {
    const frame = Buffer.allocUnsafe(MBAP + pdu.length);
    pdu.copy(frame, MBAP);
    return this.send(unitId, fc, frame, Answer.Echo, 0, echo);
  }

  /** Sends `frame` (its PDU already in place after the MBAP header, which this fills in). */
  private send(unitId: number, fc: number, frame: Buffer, answer: Answer, count: number, echo: Buffer | null): Promise<unknown> {
    const socket = this.socket;
    // Closed by us for an answer nobody asked for, the socket's close is still a tick away: say why.
    if (!socket || socket.destroyed) return Promise.reject(new PortNotOpenError(this.closeReason ?? 'not connected'));
    if (this.inFlight) return Promise.reject(new Error('a request is already in flight on this connection'));
    this.tid = (this.tid + 1) & 0xffff;
    frame.writeUInt16BE(this.tid, 0);
    frame.writeUInt16BE(0, 2);
    frame.writeUInt16BE(frame.length - 6, 4);
    frame[6] = unitId;
    return new Promise((resolve, reject) => {
      const timeoutMs = this.timeoutMs;
      const deadline = Date.now() + timeoutMs;
      this.inFlight = { tid: this.tid, unitId, fc, answer, count, echo, resolve, reject, timeoutMs, deadline };
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

  /** `n` new bytes at the start of `buf` (the shared READ_BUFFER: nothing may keep a view of it). */
  private onData(buf: Buffer, n: number): void {
    let data = buf;
    let end = n;
    if (this.partial) {
      data = Buffer.concat([this.partial, buf.subarray(0, n)]);
      end = data.length;
      this.partial = null;
    }
    let at = 0;
    while (end - at >= MBAP) {
      const length = data.readUInt16BE(at + 4);
      const total = 6 + length;
      const protocol = data.readUInt16BE(at + 2);
      if (length < 2 || total > MAX_FRAME || protocol !== 0) return this.garbled(`not a Modbus TCP frame (length ${length}, protocol ${protocol})`);
      if (end - at < total) break;
      this.onFrame(data, at, at + total);
      if (this.socket === null) return; // the frame closed the connection
      at += total;
    }
    if (at < end) this.partial = Buffer.from(data.subarray(at, end));
  }

  /** The frame at data[at, end). */
  private onFrame(data: Buffer, at: number, end: number): void {
    const pending = this.inFlight;
    const tid = data.readUInt16BE(at);
    if (!pending) return this.garbled(`an answer (transaction ${tid}) came when nothing was asked`);
    if (tid !== pending.tid) return this.garbled(`answer to transaction ${tid}, ${pending.tid} was asked`);
    if (data[at + 6] !== pending.unitId) return this.garbled(`answer from unit ${data[at + 6]}, unit ${pending.unitId} was asked`);
    const fc = data[at + 7]!;
    // The PDU after its function code.
    const pdu = at + 8;
    const pduLength = end - pdu;
    this.settle();
    if (fc === (pending.fc | 0x80)) {
      pending.reject(pduLength === 1 ? new ModbusExceptionReply(data[pdu]!) : new BadFrame(`an exception answer of ${pduLength + 1} bytes`));
      return;
    }
    if (fc !== pending.fc) {
      pending.reject(new BadFrame(`answer with function code ${fc}, ${pending.fc} was asked`));
      return;
    }
    try {
      pending.resolve(parseAnswer(pending, data, pdu, end));
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

/** What the caller gets from an answer's PDU (after the function code) at data[at, end). */
function parseAnswer(asked: InFlight, data: Buffer, at: number, end: number): unknown {
  const count = asked.count;
  switch (asked.answer) {
    case Answer.Registers: {
      checkByteCount(data, at, end, count * 2, `${count} registers`);
      const out = new Array<number>(count);
      for (let i = 0; i < count; i++) out[i] = data.readUInt16BE(at + 1 + 2 * i);
      return out;
    }
    case Answer.Bits: {
      checkByteCount(data, at, end, Math.ceil(count / 8), `${count} bits`);
      const out = new Array<boolean>(count);
      for (let i = 0; i < count; i++) out[i] = ((data[at + 1 + (i >> 3)]! >> (i & 7)) & 1) === 1;
      return out;
    }
    case Answer.Echo:
      expectEcho(data.subarray(at, end), asked.echo!);
      return undefined;
  }
}

/** A read answer is a byte count and that many bytes, as many as the request needs. */
function checkByteCount(data: Buffer, at: number, end: number, expected: number, asked: string): void {
  const length = end - at;
  const said = length > 0 ? data[at]! : -1;
  if (said !== expected) throw new BadFrame(`the answer counts ${Math.max(said, 0)} data bytes; ${asked} take ${expected}`);
  if (length !== 1 + said) throw new BadFrame(`the answer carries ${length - 1} of the ${said} data bytes it announces`);
}

function expectEcho(answer: Buffer, asked: Buffer): void {
  // The answer's PDU comes without its function code; `asked` starts with it.
  if (answer.length !== asked.length - 1 || !answer.equals(asked.subarray(1))) {
    throw new BadFrame(`the device's confirmation does not match the write (${answer.toString('hex')})`);
  }
}
