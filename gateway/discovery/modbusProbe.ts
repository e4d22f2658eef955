/**
 * Probes one Modbus TCP host:port for a list of unit ids over one connection, and says which units
 * answer and what they say about themselves.
 *
 * Per unit: Read Device Identification (FC43/14), basic objects, then regular ones when the
 * conformity level offers them, following "more follows"; when FC43 is refused, Report Server ID
 * (FC17) for a note; when no identity came, a one-register read of holding 0 (FC3), whose answer,
 * an exception included, proves a Modbus device.
 *
 * A unit that keeps silent costs a timeout, not the connection: answers are matched by
 * transaction id, and a late answer to an earlier request is dropped. A garbled answer, or the
 * device closing the connection, costs that unit and the connection, which is opened again once.
 */
import * as net from 'node:net';
import { FC_REPORT_SERVER_ID, ReadDeviceIdCode } from '../modbus/deviceIdentification';
import { BadAnswer, FIRST_REGULAR_OBJECT, describeServerId, idRequest, identityOf, parseIdAnswer, readIdStream, type IdAnswer, type ProbeIdentity } from './identification';

export type { ProbeIdentity } from './identification';

export interface ProbeResult {
  unitId: number;
  /** From Read Device Identification, when the unit answered it. */
  identity?: ProbeIdentity;
  /** What proved the unit there: its identification, a register read, or an exception answer. */
  evidence: 'device-identification' | 'exception-reply' | 'register-read';
  /** The exception code, with evidence 'exception-reply'. */
  exception?: number;
  /** What else was learnt (Report Server ID's answer, identification objects missing). */
  note?: string;
}

export interface ProbeOutcome {
  /** Whether a TCP connection was made. */
  open: boolean;
  /** Why the port is not open, or why probing stopped before the last unit. */
  error?: string;
  units: ProbeResult[];
  /**
   * A gateway answered for units that are not there (exception 10 or 11): the port speaks Modbus
   * even when `units` is empty.
   */
  gateway: boolean;
}

export interface ProbeOptions {
  /** Per request, and for the connection. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Gateway path unavailable / gateway target device failed to respond. */
const GATEWAY_EXCEPTIONS = new Set([0x0a, 0x0b]);
const MAX_FRAME = 260;

type Reply =
  | { kind: 'answer'; pdu: Buffer }
  | { kind: 'exception'; code: number }
  | { kind: 'timeout' }
  /** Garbled, or the connection closed or was aborted: the connection is gone. */
  | { kind: 'broken'; why: string };

export function probeModbusTcp(host: string, port: number, unitIds: readonly number[], opts: ProbeOptions): Promise<ProbeOutcome> {
  if (typeof host !== 'string' || host === '') return Promise.reject(new RangeError(`Probe host must be a host name or address, got ${JSON.stringify(host)}.`));
  if (!Number.isInteger(port) || port < 1 || port > 65535) return Promise.reject(new RangeError(`Probe port must be an integer 1-65535, got ${String(port)}.`));
  const bad = unitIds.find((u) => !Number.isInteger(u) || u < 0 || u > 255);
  if (bad !== undefined) return Promise.reject(new RangeError(`Probe unit ids must be integers 0-255, got ${String(bad)}.`));
  if (!Number.isFinite(opts.timeoutMs) || opts.timeoutMs <= 0) return Promise.reject(new RangeError(`Probe timeoutMs must be a positive number of milliseconds, got ${String(opts.timeoutMs)}.`));
  return new Probe(host, port, opts).run(unitIds);
}

class Probe {
  private link: ProbeLink | null = null;
  private reopened = false;
  private gateway = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly opts: ProbeOptions,
  ) {}

  async run(unitIds: readonly number[]): Promise<ProbeOutcome> {
    const units: ProbeResult[] = [];
    const first = await ProbeLink.open(this.host, this.port, this.opts);
    if (typeof first === 'string') return { open: false, error: first, units, gateway: false };
    this.link = first;
    try {
      for (let i = 0; i < unitIds.length; i++) {
        if (this.opts.signal?.aborted) return this.outcome(units, 'the probe was aborted');
        const unitId = unitIds[i]!;
        const found = await this.probeUnit(unitId);
        if (found) units.push(found);
        if (this.opts.signal?.aborted) return this.outcome(units, 'the probe was aborted');
        if (this.link.broken && i + 1 < unitIds.length) {
          const why = this.link.broken;
          if (this.reopened) return this.outcome(units, `stopped before unit ${unitIds[i + 1]}: the connection broke again (${why})`);
          this.reopened = true;
          const next = await ProbeLink.open(this.host, this.port, this.opts);
          if (this.opts.signal?.aborted) return this.outcome(units, 'the probe was aborted');
          if (typeof next === 'string') return this.outcome(units, `stopped before unit ${unitIds[i + 1]}: reconnecting after "${why}" failed: ${next}`);
          this.link = next;
        }
      }
      return this.outcome(units);
    } finally {
      this.link.close();
    }
  }

  private outcome(units: ProbeResult[], error?: string): ProbeOutcome {
    return error === undefined ? { open: true, units, gateway: this.gateway } : { open: true, error, units, gateway: this.gateway };
  }

  /** What one unit proved, or null: silent, garbled, or a gateway saying it is not there. */
  private async probeUnit(unitId: number): Promise<ProbeResult | null> {
    try {
      return await this.identify(unitId);
    } catch (err) {
      if (err instanceof BadAnswer) {
        this.link!.breakOff(err.message);
        return null;
      }
      throw err;
    }
  }

  private async identify(unitId: number): Promise<ProbeResult | null> {
    const link = this.link!;
    const basic = await link.ask(unitId, idRequest(ReadDeviceIdCode.Basic, 0));
    let refusal: number | undefined;
    if (basic.kind === 'broken') return null;
    if (basic.kind === 'exception') {
      if (this.isGateway(basic.code)) return null;
      refusal = basic.code;
    }
    if (basic.kind === 'answer') {
      const objects = new Map<number, string>();
      const first = parseIdAnswer(basic.pdu, ReadDeviceIdCode.Basic);
      const level = first.conformity & 0x7f;
      const done = await this.readStream(unitId, ReadDeviceIdCode.Basic, first, objects);
      // Regular objects are worth a second stream only when the device says it has them. It
      // starts after the basic ones; a device without object 3 restarts at 0, which is as good.
      if (done && level >= ReadDeviceIdCode.Regular) {
        const regular = await link.ask(unitId, idRequest(ReadDeviceIdCode.Regular, FIRST_REGULAR_OBJECT));
        if (regular.kind === 'answer') await this.readStream(unitId, ReadDeviceIdCode.Regular, parseIdAnswer(regular.pdu, ReadDeviceIdCode.Regular), objects);
        // A regular stream that fails after the basic one answered: the basic objects still stand.
      }
      if (link.broken) return null;
      return identityResult(unitId, objects);
    }

    // No identification: FC17 for a note (only from a device that answered FC43 at all), then FC3.
    let note: string | undefined;
    if (refusal !== undefined) {
      const report = await link.ask(unitId, Buffer.from([FC_REPORT_SERVER_ID]));
      if (report.kind === 'broken') return null;
      if (report.kind === 'exception' && this.isGateway(report.code)) return null;
      if (report.kind === 'answer') note = describeServerId(report.pdu);
    }
    const read = await link.ask(unitId, Buffer.from([3, 0, 0, 0, 1]));
    if (read.kind === 'broken') return null;
    const base = note === undefined ? { unitId } : { unitId, note };
    switch (read.kind) {
      case 'answer':
        if (read.pdu.length !== 4 || read.pdu[1] !== 2) throw new BadAnswer(`unit ${unitId}: a one-register read answered with ${read.pdu.toString('hex')}`);
        return { ...base, evidence: 'register-read' };
      case 'exception':
        if (this.isGateway(read.code)) return null;
        return { ...base, evidence: 'exception-reply', exception: read.code };
      case 'timeout':
        // Silent to the read, but FC43 was answered with an exception: the unit is there.
        return refusal === undefined ? null : { ...base, evidence: 'exception-reply', exception: refusal };
    }
  }

  /**
   * Exceptions 10 and 11 come from a gateway about a unit behind it that is not reachable or did
   * not answer. The unit is not reported: listing it would offer a device nobody can read. That a
   * gateway answered is kept (`gateway` of the outcome), so a scan can still say the port speaks
   * Modbus.
   */
  private isGateway(code: number): boolean {
    if (!GATEWAY_EXCEPTIONS.has(code)) return false;
    this.gateway = true;
    return true;
  }

  /**
   * Collects a stream's objects, asking again from the next object id while "more follows".
   * Returns false when a follow-up was not answered (the objects so far are kept).
   */
  private async readStream(unitId: number, code: number, answer: IdAnswer, objects: Map<number, string>): Promise<boolean> {
    return readIdStream(
      async (objectId) => {
        const next = await this.link!.ask(unitId, idRequest(code, objectId));
        return next.kind === 'answer' ? next.pdu : null;
      },
      unitId,
      code,
      answer,
      objects,
    );
  }
}

function identityResult(unitId: number, objects: Map<number, string>): ProbeResult {
  const { identity, note } = identityOf(objects);
  const result: ProbeResult = { unitId, identity, evidence: 'device-identification' };
  if (note !== undefined) result.note = note;
  return result;
}

/**
 * One TCP connection, one request in flight. `ask` never rejects: every outcome is a Reply, so a
 * probe of many units reads as a sequence.
 */
class ProbeLink {
  /** Why the connection is unusable, or null while it works. */
  broken: string | null = null;
  private tid = 0;
  /** Transaction ids asked and timed out: their late answers are dropped, not taken as garbage. */
  private readonly stale = new Set<number>();
  private buf: Buffer = Buffer.alloc(0);
  private pending: { tid: number; unitId: number; fc: number; settle(r: Reply): void } | null = null;
  private readonly onAbort = () => this.breakOff('the probe was aborted');

  private constructor(
    private readonly socket: net.Socket,
    private readonly opts: ProbeOptions,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined); // 'close' follows
    socket.on('close', () => this.breakOff('the device closed the connection'));
    opts.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** A connected link, or why not (refused, timed out, aborted). */
  static open(host: string, port: number, opts: ProbeOptions): Promise<ProbeLink | string> {
    const signal = opts.signal;
    if (signal?.aborted) return Promise.resolve('the probe was aborted');
    return new Promise((resolve) => {
      const socket = net.createConnection({ host, port, noDelay: true });
      const done = (result: ProbeLink | string) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        socket.removeListener('error', onError);
        if (typeof result === 'string') socket.destroy();
        resolve(result);
      };
      const onAbort = () => done('the probe was aborted');
      const onError = (err: Error) => done(`cannot connect: ${err.message}`);
      const timer = setTimeout(() => done(`connecting to ${host}:${port} timed out after ${opts.timeoutMs} ms`), opts.timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.once('error', onError);
      socket.once('connect', () => done(new ProbeLink(socket, opts)));
    });
  }

  ask(unitId: number, pdu: Buffer): Promise<Reply> {
    if (this.broken) return Promise.resolve({ kind: 'broken', why: this.broken });
    this.tid = (this.tid + 1) & 0xffff;
    const tid = this.tid;
    this.stale.delete(tid);
    const frame = Buffer.allocUnsafe(7 + pdu.length);
    frame.writeUInt16BE(tid, 0);
    frame.writeUInt16BE(0, 2);
    frame.writeUInt16BE(pdu.length + 1, 4);
    frame[6] = unitId;
    pdu.copy(frame, 7);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending = null;
        this.stale.add(tid);
        resolve({ kind: 'timeout' });
      }, this.opts.timeoutMs);
      this.pending = {
        tid,
        unitId,
        fc: pdu[0]!,
        settle: (r) => {
          clearTimeout(timer);
          this.pending = null;
          resolve(r);
        },
      };
      this.socket.write(frame);
    });
  }

  /** Drops the connection: what is in flight settles as broken, and so does every later ask. */
  breakOff(why: string): void {
    if (this.broken) return;
    this.broken = why;
    this.close();
    this.pending?.settle({ kind: 'broken', why });
  }

  close(): void {
    this.opts.signal?.removeEventListener('abort', this.onAbort);
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 7 && !this.broken) {
      const length = this.buf.readUInt16BE(4);
      const protocol = this.buf.readUInt16BE(2);
      if (protocol !== 0 || length < 2 || 6 + length > MAX_FRAME) return this.breakOff(`not a Modbus TCP frame (protocol ${protocol}, length ${length})`);
      if (this.buf.length < 6 + length) return;
      const frame = this.buf.subarray(0, 6 + length);
      this.buf = this.buf.subarray(6 + length);
      this.onFrame(frame);
    }
  }

  private onFrame(frame: Buffer): void {
    const tid = frame.readUInt16BE(0);
    if (this.stale.delete(tid)) return; // a late answer to a request that timed out
    const pending = this.pending;
    if (!pending || tid !== pending.tid) return this.breakOff(`an answer to transaction ${tid}, which is not in flight`);
    if (frame[6] !== pending.unitId) return this.breakOff(`an answer from unit ${frame[6]}, unit ${pending.unitId} was asked`);
    const pdu = frame.subarray(7);
    const fc = pdu[0]!;
    if (fc === (pending.fc | 0x80)) {
      if (pdu.length !== 2) return this.breakOff(`an exception answer of ${pdu.length} bytes`);
      return pending.settle({ kind: 'exception', code: pdu[1]! });
    }
    if (fc !== pending.fc) return this.breakOff(`an answer with function code ${fc}, ${pending.fc} was asked`);
    pending.settle({ kind: 'answer', pdu: Buffer.from(pdu) });
  }
}
