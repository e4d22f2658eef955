/**
 * A Modbus RTU master on one duplex byte stream (a serial port, or a TCP connection to a serial
 * server): one request at a time, the inter-frame silence kept before each request, every answer
 * checked for CRC, unit id and function code. It never queues (the link in front of it does), and
 * unlike the TCP client it keeps the stream after a timeout or a bad answer: the bus is shared by
 * every unit on it, so one silent unit must not cut off the others. Instead the line is drained:
 * the next request waits until it has been quiet for a while, and bytes that arrive while nothing
 * is asked are counted and thrown away. An RTU answer carries no transaction id: a late answer
 * that came after the next request to the same unit went out would be taken for that request's
 * (a value of another register shown as this one's). So after a request to a unit got no answer
 * of its own (a timeout, or another unit's answer in its place), the next request to that unit
 * waits as long as the timeout again; other units' requests go on. An answer later than twice
 * the timeout cannot be told apart: the timeout has to suit the slowest unit.
 */
import type { Duplex } from 'node:stream';
import type { SerialBusStats } from '../protocol';
import { RtuResponseParser, rtuFrame } from './rtuFrame';
import { ModbusExceptionReply } from './tcpClient';

/** Counters of one bus, for statistics (DeviceInfo.bus) and tests. */
export type RtuStats = SerialBusStats;

export function newRtuStats(): RtuStats {
  return { requests: 0, answers: 0, timeouts: 0, crcErrors: 0, wrongUnit: 0, garbage: 0, broadcasts: 0, lateBytes: 0 };
}

export type RtuFailureKind = 'timeout' | 'crc-error' | 'wrong-unit' | 'garbage' | 'bad-answer' | 'closed';

/** A request that got no usable answer; `kind` says why, the message says what came. */
export class RtuFailure extends Error {
  override name = 'RtuFailure';
  constructor(
    readonly kind: RtuFailureKind,
    message: string,
  ) {
    super(message);
  }
}

export interface RtuClientOptions {
  /** The inter-frame silence (interFrameSilenceMs). */
  silenceMs: number;
  /**
   * After a timeout or a bad answer, how long the line must be quiet before the next request, so
   * that the rest of a late answer is not read as the next one's. Default 20 ms or the silence.
   */
  drainMs?: number;
  /** How long after a broadcast before the next request (the units' turnaround); default 100 ms. */
  broadcastDelayMs?: number;
}

interface InFlight {
  resolve(pdu: Buffer): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class RtuClient {
  /** For each request; the link sets it per device. */
  timeoutMs = 1000;
  readonly stats: RtuStats;
  private readonly parser = new RtuResponseParser();
  private inFlight: InFlight | null = null;
  /** When a byte last went over the line either way (performance.now() ms). */
  private lastActivity = 0;
  private draining = false;
  /** Every byte that came from the line, answers and noise alike. */
  bytesReceived = 0;
  /** Per unit whose answer may still come: no request to it before this (performance.now() ms). */
  private readonly lateAnswersUntil = new Map<number, number>();
  /** The unit of the request in flight. */
  private asked = 0;
  private open = true;
  private closeListener: ((reason: string) => void) | null = null;
  private readonly silenceMs: number;
  private readonly drainMs: number;
  private readonly broadcastDelayMs: number;

  constructor(
    private readonly stream: Duplex,
    opts: RtuClientOptions,
    stats: RtuStats = newRtuStats(),
  ) {
    this.stats = stats;
    this.silenceMs = opts.silenceMs;
    this.drainMs = Math.max(opts.silenceMs, opts.drainMs ?? 50);
    this.broadcastDelayMs = opts.broadcastDelayMs ?? 100;
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('error', (err: Error) => this.onClose(`the line failed: ${err.message}`));
    stream.on('close', () => this.onClose('the line was closed'));
  }

  /**
   * Takes over the waits of the client this one replaces (the same line on a new connection): a
   * late answer from the serial side may still come, on this connection now.
   */
  takeOver(previous: RtuClient): void {
    for (const [unit, until] of previous.lateAnswersUntil) this.lateAnswersUntil.set(unit, Math.max(until, this.lateAnswersUntil.get(unit) ?? 0));
    this.lastActivity = Math.max(this.lastActivity, previous.lastActivity);
    this.draining ||= previous.draining;
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Called once when the stream closes by itself (not by destroy()), with why. */
  onClosed(listener: (reason: string) => void): void {
    this.closeListener = listener;
  }

  destroy(): void {
    if (!this.open) return;
    this.open = false;
    this.stream.destroy();
    this.failInFlight(new RtuFailure('closed', 'the line was closed'));
  }

  /**
   * Sends `pdu` to `unit` and resolves the answer's PDU (function code and data). Unit 0 is a
   * broadcast: no unit answers it, so it resolves an empty buffer once sent and the turnaround
   * delay passed.
   */
  async transact(unit: number, pdu: Buffer): Promise<Buffer> {
    if (!this.open) throw new RtuFailure('closed', 'the line is not open');
    if (this.inFlight) throw new Error('a request is already in flight on this line');
    await this.waitForQuiet(unit);
    if (!this.open) throw new RtuFailure('closed', 'the line was closed');
    const frame = rtuFrame(unit, pdu);
    this.stats.requests++;
    if (unit === 0) {
      this.stats.broadcasts++;
      await new Promise<void>((resolve, reject) => this.stream.write(frame, (err) => (err ? reject(new RtuFailure('closed', err.message)) : resolve())));
      // Done once the units had their turnaround to carry it out: the bus is free again then.
      await new Promise((r) => setTimeout(r, this.broadcastDelayMs));
      this.lastActivity = performance.now();
      return Buffer.alloc(0);
    }
    this.parser.expect(unit, pdu[0]!);
    this.asked = unit;
    return new Promise<Buffer>((resolve, reject) => {
      const timeoutMs = this.timeoutMs;
      const timer = setTimeout(() => {
        this.stats.timeouts++;
        // The drain counts from now: a late answer is most likely to come soon after.
        this.lastActivity = performance.now();
        this.lateAnswersUntil.set(unit, this.lastActivity + timeoutMs);
        const got = this.parser.received;
        this.failInFlight(new RtuFailure('timeout', got.length === 0 ? `no answer within ${timeoutMs} ms` : `no complete answer within ${timeoutMs} ms (${got.length} bytes came: ${got.toString('hex')})`));
      }, timeoutMs);
      this.inFlight = { resolve, reject, timer };
      this.lastActivity = performance.now();
      this.stream.write(frame);
    });
  }

  /**
   * Waits until the line has been quiet for the silence (or the drain time after trouble), and
   * until a late answer of `unit` can no longer come.
   */
  private async waitForQuiet(unit: number): Promise<void> {
    for (;;) {
      const quiet = this.draining ? this.drainMs : this.silenceMs;
      const wait = Math.max(this.lastActivity + quiet, this.lateAnswersUntil.get(unit) ?? 0) - performance.now();
      if (wait <= 0) break;
      // Node's timers count whole milliseconds on a cached clock and fire up to a millisecond
      // late, which at 115,200 baud would stretch a 1.75 ms silence by half: sleep while more than
      // a millisecond is left, then yield to the event loop (I/O goes on) until the silence is over.
      await new Promise((r) => (wait > 1 ? setTimeout(r, Math.floor(wait)) : setImmediate(r)));
    }
    this.draining = false;
    this.lateAnswersUntil.delete(unit);
  }

  private onData(chunk: Buffer): void {
    this.bytesReceived += chunk.length;
    this.lastActivity = performance.now();
    const pending = this.inFlight;
    if (!pending) {
      this.stats.lateBytes += chunk.length;
      return;
    }
    const result = this.parser.push(chunk);
    switch (result.kind) {
      case 'incomplete':
        return;
      case 'frame':
        this.stats.answers++;
        this.settle();
        pending.resolve(result.pdu);
        return;
      case 'exception':
        this.stats.answers++;
        this.settle();
        pending.reject(new ModbusExceptionReply(result.code));
        return;
      case 'crc-error':
        this.stats.crcErrors++;
        this.trouble(new RtuFailure('crc-error', `the answer's CRC is wrong (${result.frame.toString('hex')})`));
        return;
      case 'wrong-unit':
        this.stats.wrongUnit++;
        // The unit asked may still answer, late.
        this.lateAnswersUntil.set(this.asked, performance.now() + this.timeoutMs);
        this.trouble(new RtuFailure('wrong-unit', `an answer from unit ${result.unit} came`));
        return;
      case 'garbage':
        this.stats.garbage++;
        this.trouble(new RtuFailure('garbage', `${result.why} (${this.parser.received.toString('hex')})`));
        return;
    }
  }

  /** A bad answer: the request fails, and the rest of what is on the line is drained. */
  private trouble(err: RtuFailure): void {
    this.failInFlight(err);
  }

  private settle(): void {
    const pending = this.inFlight;
    if (pending) clearTimeout(pending.timer);
    this.inFlight = null;
    // Bytes after a complete answer are noise (or the start of something nobody asked for).
    if (this.parser.extraBytes > 0) {
      this.stats.lateBytes += this.parser.extraBytes;
      this.draining = true;
    }
  }

  private failInFlight(err: Error): void {
    const pending = this.inFlight;
    this.settle();
    if (!pending) return;
    this.draining = true;
    pending.reject(err);
  }

  private onClose(reason: string): void {
    if (!this.open) return;
    this.open = false;
    this.stream.destroy();
    this.failInFlight(new RtuFailure('closed', reason));
    this.closeListener?.(reason);
  }
}
