/**
 * Modbus RTU slaves on one bus, for tests and the demo: each unit id is a ModbusTcpSimulator with
 * banks of its own (its request execution, holes, identity and faults), reached through RTU
 * frames on a byte stream: a serial port (or one end of a pty pair) given to serve(), or the TCP
 * connections of listen(), which acts as a serial server.
 *
 * Like a real slave it frames requests by their function code, drops a request whose CRC is wrong
 * without answering, answers nothing to a broadcast (unit 0, carried out by every unit) and stays
 * silent for unit ids it does not have. Bytes that fit no request are dropped after a pause.
 */
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { MAX_RTU_FRAME, crcMatches, requestFrameLength, rtuFrame } from '../modbus/rtuFrame';
import { ModbusTcpSimulator, type SimulatorOptions } from './modbusServer';

export type RtuUnitOptions = Omit<SimulatorOptions, 'host' | 'port' | 'unitIds'>;

export interface LinePace {
  baudRate: number;
  /** 11 with a parity bit or 2 stop bits, 10 for 8N1. */
  bitsPerChar: number;
  /** The inter-frame silence (interFrameSilenceMs). */
  silenceMs: number;
}

/** After this long without a byte, what was received and fits no request is dropped. */
const RESYNC_GAP_MS = 20;

export class RtuSimulator {
  private readonly units = new Map<number, ModbusTcpSimulator>();
  private readonly muted = new Set<number>();
  private readonly streams = new Set<Duplex>();
  private server: net.Server | null = null;
  /** The next this many answers go out with a wrong CRC (a noisy line). */
  corruptNextAnswers = 0;
  /** Every answer goes out with a wrong CRC while set. */
  corruptAllAnswers = false;
  /**
   * Each answer's unit id and PDU (`answer`: unit id then PDU) replaced by what this returns,
   * framed with a right CRC: a device that answers nonsense well framed (fuzzing).
   */
  replaceAnswer: ((unit: number, request: Buffer, answer: Buffer) => Buffer) | null = null;
  /** The next answer to a request this says yes to goes out with a wrong CRC (then it is cleared). */
  corruptNextAnswerIf: ((unit: number, pdu: Buffer) => boolean) | null = null;
  /** Answers go out this long after the request (a slow device); 0 = at once. */
  answerDelayMs = 0;
  /** A unit's own delay in place of answerDelayMs: one slow unit on a bus of quick ones. */
  readonly unitAnswerDelayMs = new Map<number, number>();
  /**
   * Answers go out as late as on a real line of this speed: after the request's and the answer's
   * characters and the inter-frame silence before the answer. A pty passes bytes at once, so
   * without this a master there never waits for the line.
   */
  pace: LinePace | null = null;
  /** Milliseconds paced answers went out later than due, summed (timer lateness). */
  paceLateMs = 0;
  /**
   * While an array: every time from an answer going out to the first byte of the next request
   * is pushed, in ms (the master's turnaround, its silence included).
   */
  turnaroundsMs: number[] | null = null;
  private answeredAt = -1;
  /** Well-framed requests with a good CRC, any unit. */
  requestCount = 0;
  /** Requests dropped because their CRC was wrong. */
  badRequestCount = 0;
  /** Bytes that arrived and bytes sent, any stream: what the traffic cost on a line. */
  receivedBytes = 0;
  sentBytes = 0;

  /** The unit ids on the bus, each with its own banks made from `opts`. */
  constructor(unitIds: readonly number[], opts: RtuUnitOptions = {}) {
    for (const id of unitIds) {
      if (!Number.isInteger(id) || id < 1 || id > 247) throw new RangeError(`RTU unit ids must be integers 1-247, got ${String(id)}.`);
      this.units.set(id, new ModbusTcpSimulator({ ...opts, unitIds: [id] }));
    }
  }

  /** The device behind unit `id`: its banks, faults and counters. */
  unit(id: number): ModbusTcpSimulator {
    const sim = this.units.get(id);
    if (!sim) throw new RangeError(`unit ${id} is not on this simulated bus (units: ${[...this.units.keys()].join(', ')})`);
    return sim;
  }

  /** A muted unit hears requests but never answers (as if unplugged from the bus). */
  mute(id: number, muted = true): void {
    this.unit(id);
    if (muted) this.muted.add(id);
    else this.muted.delete(id);
  }

  isMuted(id: number): boolean {
    return this.muted.has(id);
  }

  /** Answers RTU requests arriving on `stream` until it closes or stop(). */
  serve(stream: Duplex): void {
    this.streams.add(stream);
    const buf = Buffer.allocUnsafe(MAX_RTU_FRAME * 2);
    let length = 0;
    let lastByteAt = 0;
    stream.on('data', (chunk: Buffer) => {
      const now = performance.now();
      this.receivedBytes += chunk.length;
      if (this.answeredAt >= 0) {
        this.turnaroundsMs?.push(now - this.answeredAt);
        this.answeredAt = -1;
      }
      if (length > 0 && now - lastByteAt > RESYNC_GAP_MS) length = 0;
      lastByteAt = now;
      for (let i = 0; i < chunk.length; ) {
        const take = Math.min(chunk.length - i, buf.length - length);
        chunk.copy(buf, length, i, i + take);
        length += take;
        i += take;
        length = this.consume(stream, buf, length);
      }
    });
    stream.on('error', () => undefined);
    stream.on('close', () => this.streams.delete(stream));
  }

  /** Listens as a serial server (RTU frames over TCP); resolves the bound port. */
  listen(port = 0, host = '127.0.0.1'): Promise<number> {
    const server = net.createServer({ noDelay: true }, (socket) => this.serve(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host }, () => {
        server.off('error', reject);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  }

  /** Stops listening and closes every stream served. */
  async stop(): Promise<void> {
    for (const s of this.streams) s.destroy();
    this.streams.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Answers the complete requests at the start of buf[0, length); returns what is left. */
  private consume(stream: Duplex, buf: Buffer, length: number): number {
    for (;;) {
      const need = requestFrameLength(buf, length);
      if (need < 0 || need > MAX_RTU_FRAME) return 0; // not a request this can frame: drop it
      if (need === 0 || length < need) return length === buf.length ? 0 : length;
      if (crcMatches(buf, 0, need)) this.handle(stream, buf.subarray(0, need));
      else this.badRequestCount++;
      buf.copyWithin(0, need, length);
      length -= need;
    }
  }

  private handle(stream: Duplex, frame: Buffer): void {
    this.requestCount++;
    const unit = frame[0]!;
    const pdu = frame.subarray(1, frame.length - 2);
    if (unit === 0) {
      // Every unit carries a broadcast out; none answers it.
      for (const [id, sim] of this.units) sim.answerPdu(id, pdu);
      return;
    }
    const sim = this.units.get(unit);
    if (!sim || this.muted.has(unit)) return;
    const real = sim.answerPdu(unit, pdu);
    if (!real) return;
    const answer = this.replaceAnswer ? this.replaceAnswer(unit, pdu, real) : real;
    const out = rtuFrame(answer[0]!, answer.subarray(1));
    const picked = this.corruptNextAnswerIf?.(unit, pdu) === true;
    if (picked) this.corruptNextAnswerIf = null;
    if (this.corruptAllAnswers || this.corruptNextAnswers > 0 || picked) {
      if (this.corruptNextAnswers > 0 && !picked) this.corruptNextAnswers--;
      out[out.length - 1]! ^= 0x5a;
    }
    this.sentBytes += out.length;
    const pace = this.pace;
    const delayMs = (this.unitAnswerDelayMs.get(unit) ?? this.answerDelayMs) + (pace ? ((frame.length + out.length) * pace.bitsPerChar * 1000) / pace.baudRate + pace.silenceMs : 0);
    if (delayMs > 0) {
      const due = performance.now() + delayMs;
      const send = () => {
        const early = due - performance.now();
        // Node's timers keep whole milliseconds of a cached clock: they can fire early or a
        // millisecond late, so a paced answer sleeps to within a millisecond and spins the rest.
        if (pace && early > 1) setTimeout(send, early - 1);
        else if (pace && early > 0) setImmediate(send);
        else {
          if (pace) this.paceLateMs -= early;
          this.answer(stream, out);
        }
      };
      setTimeout(send, pace ? Math.max(0, delayMs - 1) : delayMs);
    } else {
      this.answer(stream, out);
    }
  }

  private answer(stream: Duplex, out: Buffer): void {
    if (stream.destroyed) return;
    stream.write(out);
    this.answeredAt = performance.now();
  }
}

