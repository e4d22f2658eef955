/**
 * A TCP man-in-the-middle for fault tests: it listens on 127.0.0.1 (a free port), forwards every
 * connection to a target, and misbehaves on command. Faults switch at runtime (`set`, `clear`)
 * and act on the answers (target → client) unless said otherwise. It works on bytes; answers are
 * cut into frames by a `FrameCodec` (one per protocol: `modbusTcpFrames` for MBAP,
 * `modbusRtuAnswerFrames` for RTU over TCP, `opcuaFrames` for OPC UA TCP chunks), so that
 * "every other answer" or "rewrite the transaction id" mean one protocol answer, not one TCP
 * segment.
 */
import * as net from 'node:net';
import { crc16 } from '../../gateway/modbus/rtuFrame';

/** How a byte stream of answers is cut into frames. */
export interface FrameCodec {
  /** Length of the complete frame at the start of `buf`, or 0 while it is incomplete. */
  frameLength(buf: Buffer): number;
}

/** Every chunk the target sends is one frame (protocols without framing, or unknown ones). */
export const chunkFrames: FrameCodec = { frameLength: (buf) => buf.length };

/** Modbus TCP: MBAP header tid(2) pid(2) len(2) uid(1); `len` counts the unit id and the PDU. */
export const modbusTcpFrames: FrameCodec = {
  frameLength(buf) {
    if (buf.length < 6) return 0;
    const total = 6 + buf.readUInt16BE(4);
    // Not a frame we can follow: hand on what there is, the client will judge it.
    if (total < 8 || total > 260) return buf.length;
    return buf.length >= total ? total : 0;
  },
};

/** A Modbus TCP answer with its transaction id changed by `delta`. */
export function modbusRewriteTid(delta = 1): (frame: Buffer) => Buffer {
  return (frame) => {
    const out = Buffer.from(frame);
    if (out.length >= 2) out.writeUInt16BE((out.readUInt16BE(0) + delta) & 0xffff, 0);
    return out;
  };
}

/** A Modbus TCP answer claiming to come from unit `unitId` (or unit id + 1 by default). */
export function modbusRewriteUid(unitId?: number): (frame: Buffer) => Buffer {
  return (frame) => {
    const out = Buffer.from(frame);
    if (out.length >= 7) out[6] = unitId ?? (out[6]! + 1) & 0xff;
    return out;
  };
}

/**
 * Modbus RTU answers (RTU over TCP, from a serial server): no length field, so the function code
 * says how long an answer is: unit(1) fc(1), then for reads a byte count and that many bytes, for
 * single and multiple writes 4 bytes, for an exception 1; then the CRC (2).
 */
export const modbusRtuAnswerFrames: FrameCodec = {
  frameLength(buf) {
    if (buf.length < 2) return 0;
    const fc = buf[1]!;
    let total: number;
    if (fc & 0x80) total = 5;
    else if (fc >= 1 && fc <= 4) {
      if (buf.length < 3) return 0;
      total = 5 + buf[2]!;
    } else if (fc === 5 || fc === 6 || fc === 15 || fc === 16) total = 8;
    // Not an answer we can follow: hand on what there is, the client will judge it.
    else return buf.length;
    return buf.length >= total ? total : 0;
  },
};

/** The CRC of an RTU frame made right again after its bytes were changed. */
function withRtuCrc(frame: Buffer): Buffer {
  const crc = crc16(frame, 0, frame.length - 2);
  frame[frame.length - 2] = crc & 0xff;
  frame[frame.length - 1] = crc >>> 8;
  return frame;
}

/** An RTU answer claiming to come from the next unit id, with a right CRC: another slave answering. */
export function modbusRtuRewriteUnit(): (frame: Buffer) => Buffer {
  return (frame) => {
    if (frame.length < 4) return frame;
    const out = Buffer.from(frame);
    out[0] = (out[0]! % 247) + 1;
    return withRtuCrc(out);
  };
}

/** An RTU answer with one bit of its last data byte flipped and the CRC left as it was: a noisy line. */
export function modbusRtuFlipBit(): (frame: Buffer) => Buffer {
  return (frame) => {
    if (frame.length < 4) return frame;
    const out = Buffer.from(frame);
    out[out.length - 3] = out[out.length - 3]! ^ 0x01;
    return out;
  };
}

/** An RTU read answer carrying one more register than asked (byte count and data), with a right CRC. */
export function modbusRtuExtraRegister(): (frame: Buffer) => Buffer {
  return (frame) => {
    if (frame.length < 5 || (frame[1]! !== 3 && frame[1]! !== 4)) return frame;
    const out = Buffer.concat([frame.subarray(0, frame.length - 2), Buffer.from([0x12, 0x34, 0, 0])]);
    out[2] = out[2]! + 2;
    return withRtuCrc(out);
  };
}

/**
 * OPC UA TCP (HEL, ACK, ERR, OPN, MSG, CLO): message type (3 bytes), chunk type (1), message size
 * (UInt32LE, the whole chunk with its 8-byte header).
 */
export const opcuaFrames: FrameCodec = {
  frameLength(buf) {
    if (buf.length < 8) return 0;
    const total = buf.readUInt32LE(4);
    // Not a chunk we can follow: hand on what there is, the client will judge it.
    if (total < 8 || total > 16 * 1024 * 1024) return buf.length;
    return buf.length >= total ? total : 0;
  },
};

/**
 * An OPC UA MSG chunk (security None) with its request id changed by `delta`: after the header
 * come the secure channel id (offset 8), the token id (12), the sequence number (16) and the
 * request id (20). Other chunks pass unchanged.
 */
export function opcuaRewriteRequestId(delta = 1): (frame: Buffer) => Buffer {
  return (frame) => {
    if (frame.length < 24 || frame.toString('latin1', 0, 3) !== 'MSG') return frame;
    const out = Buffer.from(frame);
    out.writeUInt32LE((out.readUInt32LE(20) + delta) >>> 0, 20);
    return out;
  };
}

export type Fault =
  /** Each answer held back `ms` plus up to `jitterMs` more; order is kept. */
  | { kind: 'latency'; ms: number; jitterMs?: number }
  /** Bytes both ways are held and nothing is forwarded; `clear()` lets the held bytes go on. */
  | { kind: 'stall' }
  /** Every connection is destroyed, and each new one as soon as it is accepted. */
  | { kind: 'drop' }
  /**
   * The peer is gone without a word: connections are accepted (new ones too) and kept open, but
   * nothing is forwarded or answered on them, ever (even after `clear()`, like a dead peer's).
   */
  | { kind: 'half-open' }
  /** The first `bytes` of an answer, then a TCP reset of the connection. */
  | { kind: 'reset-mid-frame'; bytes: number }
  /** Each answer replaced by as many pseudo-random bytes. */
  | { kind: 'garbage' }
  /** The first `bytes` of each answer; the rest never comes. */
  | { kind: 'truncate'; bytes: number }
  /** Each answer as `rewrite` makes it (e.g. modbusRewriteTid(), modbusRewriteUid()). */
  | { kind: 'rewrite'; name: string; rewrite: (frame: Buffer) => Buffer }
  /** Each answer sent twice, back to back in one write. */
  | { kind: 'duplicate' }
  /**
   * Each answer delivered `ms` late (meant: beyond the client's timeout), on the same connection
   * if it is still open. `firstOnly`: only the first answer on each connection open when the
   * fault was set; later answers and new connections are on time.
   */
  | { kind: 'late'; ms: number; firstOnly?: boolean }
  /** Answers one byte every `intervalMs`. */
  | { kind: 'drip'; intervalMs: number }
  /** Per connection, the 1st, 3rd, 5th … answer goes through; the 2nd, 4th … are dropped. */
  | { kind: 'every-other' };

export interface FaultProxyOptions {
  targetHost?: string;
  targetPort: number;
  codec?: FrameCodec;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket | null;
  /** Half-open: nothing is ever forwarded on this connection. */
  dead: boolean;
  /** Answer bytes not yet cut into a frame. */
  pending: Buffer;
  /** Answers seen on this connection since the fault was set (for every-other). */
  answers: number;
  /** The next answer is late (a `late` fault with `firstOnly`). */
  lateArmed: boolean;
  /** Deliveries in order: each waits for the one before. */
  chain: Promise<void>;
  /** While stalled: bytes held, per direction. */
  heldUp: Buffer[];
  heldDown: Buffer[];
}

export class FaultProxy {
  private server: net.Server | null = null;
  private readonly pairs = new Set<Pair>();
  private fault: Fault | null = null;
  private acceptedCount = 0;
  private lateCount = 0;
  private upstreamCount = 0;
  private seed = 0x9e3779b9;
  private readonly timers = new Set<NodeJS.Timeout>();
  private listenPort = 0;
  private readonly targetHost: string;
  private readonly codec: FrameCodec;

  constructor(private readonly opts: FaultProxyOptions) {
    this.targetHost = opts.targetHost ?? '127.0.0.1';
    this.codec = opts.codec ?? chunkFrames;
  }

  get port(): number {
    return this.listenPort;
  }

  /** Connections accepted since start. */
  get accepted(): number {
    return this.acceptedCount;
  }

  /** Answers held back by a `late` fault so far. */
  get lateAnswers(): number {
    return this.lateCount;
  }

  /** Client connections open now. */
  get open(): number {
    return this.pairs.size;
  }

  /** Connections to the target open now. */
  get upstreamOpen(): number {
    return this.upstreamCount;
  }

  get current(): Fault | null {
    return this.fault;
  }

  start(): Promise<number> {
    const server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        this.listenPort = (server.address() as net.AddressInfo).port;
        resolve(this.listenPort);
      });
    });
  }

  set(fault: Fault): void {
    this.fault = null;
    this.releaseStall();
    this.fault = fault;
    // "Every other" counts from the moment the fault is set.
    for (const p of this.pairs) {
      p.answers = 0;
      p.lateArmed = fault.kind === 'late' && fault.firstOnly === true;
    }
    if (fault.kind === 'drop') for (const p of [...this.pairs]) this.kill(p);
    if (fault.kind === 'half-open') for (const p of this.pairs) this.makeDead(p);
  }

  clear(): void {
    this.fault = null;
    this.releaseStall();
  }

  /** Stops listening and destroys every connection and timer. */
  async close(): Promise<void> {
    this.fault = null;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const p of [...this.pairs]) this.kill(p);
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  private accept(client: net.Socket): void {
    this.acceptedCount++;
    client.setNoDelay(true);
    const pair: Pair = { client, upstream: null, dead: false, pending: Buffer.alloc(0), answers: 0, lateArmed: false, chain: Promise.resolve(), heldUp: [], heldDown: [] };
    this.pairs.add(pair);
    client.on('error', () => {});
    client.on('close', () => this.kill(pair));
    // Always read, even when nothing is forwarded: unread bytes would hold back the client's FIN.
    client.on('data', (d: Buffer) => this.fromClient(pair, d));
    const fault = this.fault;
    if (fault?.kind === 'drop') {
      this.kill(pair);
      return;
    }
    if (fault?.kind === 'half-open') {
      this.makeDead(pair);
      return;
    }
    const upstream = net.connect({ host: this.targetHost, port: this.opts.targetPort, noDelay: true });
    pair.upstream = upstream;
    this.upstreamCount++;
    upstream.on('error', () => {});
    upstream.on('close', () => {
      this.upstreamCount--;
      if (pair.upstream === upstream) this.kill(pair);
    });
    upstream.on('data', (d: Buffer) => this.fromTarget(pair, d));
  }

  private makeDead(pair: Pair): void {
    pair.dead = true;
    pair.heldUp = [];
    pair.heldDown = [];
    pair.pending = Buffer.alloc(0);
    // The target never hears of this connection again, nor the client of the target.
    const up = pair.upstream;
    pair.upstream = null;
    if (up) up.destroy();
  }

  private kill(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    pair.client.destroy();
    const up = pair.upstream;
    pair.upstream = null;
    up?.destroy();
  }

  private fromClient(pair: Pair, d: Buffer): void {
    if (pair.dead) return;
    if (this.fault?.kind === 'stall') {
      pair.heldUp.push(d);
      return;
    }
    pair.upstream?.write(d);
  }

  private fromTarget(pair: Pair, d: Buffer): void {
    if (pair.dead) return;
    if (this.fault?.kind === 'stall') {
      pair.heldDown.push(d);
      return;
    }
    pair.pending = pair.pending.length ? Buffer.concat([pair.pending, d]) : d;
    for (;;) {
      const n = this.codec.frameLength(pair.pending);
      if (n === 0) break;
      const frame = pair.pending.subarray(0, n);
      pair.pending = pair.pending.subarray(n);
      this.answer(pair, frame);
    }
  }

  /** One answer frame from the target, under the fault in force when it arrives. */
  private answer(pair: Pair, frame: Buffer): void {
    pair.answers++;
    const fault = this.fault;
    const arrived = Date.now();
    const client = pair.client;
    switch (fault?.kind) {
      case undefined:
        return this.deliver(pair, arrived, frame);
      case 'latency':
        return this.deliver(pair, arrived + fault.ms + Math.floor(this.random() * ((fault.jitterMs ?? 0) + 1)), frame);
      case 'late': {
        const late = fault.firstOnly !== true || pair.lateArmed;
        pair.lateArmed = false;
        if (late) this.lateCount++;
        return this.deliver(pair, late ? arrived + fault.ms : arrived, frame);
      }
      case 'garbage': {
        const junk = Buffer.alloc(frame.length);
        for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(this.random() * 256);
        return this.deliver(pair, arrived, junk);
      }
      case 'truncate':
        return this.deliver(pair, arrived, frame.subarray(0, Math.min(fault.bytes, frame.length - 1)));
      case 'rewrite':
        return this.deliver(pair, arrived, fault.rewrite(frame));
      case 'duplicate':
        // In one write: whether the copy came before or after the client's next request would be a race.
        return this.deliver(pair, arrived, Buffer.concat([frame, frame]));
      case 'every-other':
        if (pair.answers % 2 === 1) this.deliver(pair, arrived, frame);
        return;
      case 'drip':
        for (let i = 0; i < frame.length; i++) this.deliverAfter(pair, fault.intervalMs, frame.subarray(i, i + 1));
        return;
      case 'reset-mid-frame': {
        const part = Buffer.from(frame.subarray(0, Math.min(fault.bytes, frame.length - 1)));
        pair.chain = pair.chain.then(() => {
          if (!this.pairs.has(pair)) return;
          client.write(part);
          // Then the reset, as a device's stack that crashed mid-answer would. Called at once after
          // the write, Node 20 closes with a FIN instead; a few milliseconds later it is a reset.
          const t = setTimeout(() => {
            this.timers.delete(t);
            if (this.pairs.delete(pair)) {
              client.resetAndDestroy();
              pair.upstream?.destroy();
              pair.upstream = null;
            }
          }, 10);
          this.timers.add(t);
        });
        return;
      }
      case 'stall':
      case 'drop':
      case 'half-open':
        return;
    }
  }

  /** Writes `bytes` to the client at `at` (Date.now() ms), after everything delivered before it. */
  private deliver(pair: Pair, at: number, bytes: Buffer): void {
    this.enqueue(pair, () => at - Date.now(), bytes);
  }

  /** Writes `bytes` to the client `gapMs` after what was delivered before it (a drip). */
  private deliverAfter(pair: Pair, gapMs: number, bytes: Buffer): void {
    this.enqueue(pair, () => gapMs, bytes);
  }

  private enqueue(pair: Pair, wait: () => number, bytes: Buffer): void {
    const copy = Buffer.from(bytes);
    pair.chain = pair.chain.then(async () => {
      const ms = wait();
      if (ms > 0) await this.sleep(ms);
      if (this.pairs.has(pair) && !pair.dead) pair.client.write(copy);
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  private releaseStall(): void {
    for (const p of this.pairs) {
      const up = p.heldUp.splice(0);
      const down = p.heldDown.splice(0);
      for (const d of up) p.upstream?.write(d);
      for (const d of down) this.fromTarget(p, d);
    }
  }

  /** xorshift32: repeatable "random" bytes and jitter. */
  private random(): number {
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed / 0x100000000;
  }
}
