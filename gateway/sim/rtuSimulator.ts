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
  /** Answers go out this long after the request (a slow device); 0 = at once. */
  answerDelayMs = 0;
  /** Well-framed requests with a good CRC, any unit. */
  requestCount = 0;
  /** Requests dropped because their CRC was wrong. */
  badRequestCount = 0;

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
    const answer = sim.answerPdu(unit, pdu);
    if (!answer) return;
    const out = rtuFrame(answer[0]!, answer.subarray(1));
    if (this.corruptAllAnswers || this.corruptNextAnswers > 0) {
      if (this.corruptNextAnswers > 0) this.corruptNextAnswers--;
      out[out.length - 1]! ^= 0x5a;
    }
    if (this.answerDelayMs > 0) {
      setTimeout(() => {
        if (!stream.destroyed) stream.write(out);
      }, this.answerDelayMs);
    } else {
      stream.write(out);
    }
  }
}

