import type { ModbusArea } from '../protocol';
import { ErrorCodes } from '../protocol';
import { Backoff } from '../backoff';
import type { SharedLink } from '../core/links';
import { BifrostError, errorMessage } from '../errors';
import type { Logger } from '../log';
import { RequestQueue, type Priority } from './requestQueue';
import { RtuClient, RtuFailure, newRtuStats, type RtuStats } from './rtuClient';
import { readPdu, writeCoilsPdu, writeRegistersPdu, writeSinglePdu } from './rtuFrame';
import type { OpenStream } from './rtuStreams';
import { exceptionFor, type Describe, type LinkClient, type LinkState, type ModbusRequester } from './tcpLink';

export interface RtuLinkOptions {
  /** Where the bus is, for messages: a serial port's path, or a serial server's host:port. */
  where: string;
  /** Opens the byte stream (serialOpener, tcpOpener); called again on every reconnect. */
  open: OpenStream;
  /** The inter-frame silence (interFrameSilenceMs of the line's settings). */
  silenceMs: number;
  /** Quiet time after a timeout or a bad answer before the next request; default 50 ms. */
  drainMs?: number;
  /** Wait after a broadcast write, for the units to carry it out; default 100 ms. */
  broadcastDelayMs?: number;
}

function text(what: Describe): string {
  return typeof what === 'string' ? what : what();
}

/**
 * One RTU bus (a serial port, or a serial server over TCP) with its one queue, shared by every
 * unit id on it: a serial line carries one request at a time. A timeout or a bad answer fails
 * only that request (the bus stays open for the other units; the line is drained before the next
 * request); only a stream that closes or fails takes the link down, and then it reopens with
 * backoff and tells its clients, like the TCP link.
 */
export class ModbusRtuLink implements SharedLink {
  private client: RtuClient | null = null;
  private requests: RtuRequester | null = null;
  private clients: readonly LinkClient[] = [];
  private readonly queue: RequestQueue;
  private readonly backoff = new Backoff({ initialMs: 250, maxMs: 10_000 });
  private current: LinkState = 'idle';
  private lastError: string | null = null;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private generation = 0;
  private closed = false;
  /** Counters of the bus; kept across reopenings. */
  readonly stats: RtuStats = newRtuStats();

  constructor(
    private readonly opts: RtuLinkOptions,
    private readonly log: Logger,
  ) {
    this.queue = new RequestQueue(opts.where);
  }

  get where(): string {
    return this.opts.where;
  }

  get state(): LinkState {
    return this.current;
  }

  get downReason(): string | null {
    return this.current === 'down' ? this.lastError : null;
  }

  attach(client: LinkClient): void {
    if (!this.clients.includes(client)) this.clients = [...this.clients, client];
    if (this.current === 'open') client.linkUp();
    else if (this.current === 'idle' || (this.current === 'down' && this.reconnectTimer === undefined)) void this.connect();
  }

  detach(client: LinkClient): void {
    this.clients = this.clients.filter((c) => c !== client);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.generation++;
    this.queue.failAll(new BifrostError(ErrorCodes.DeviceUnavailable, `${this.where} closed`));
    this.dropClient();
    this.current = 'idle';
  }

  /** Runs one request for unit `unitId` through the bus's queue; failures are BifrostErrors. */
  exec<T>(unitId: number, timeoutMs: number, priority: Priority, what: Describe, fn: (r: ModbusRequester) => Promise<T>): Promise<T> {
    if (this.current !== 'open') {
      return Promise.reject(new BifrostError(ErrorCodes.DeviceUnavailable, `${this.where} is not open, cannot do ${text(what)}: ${this.lastError ?? this.current}`));
    }
    const generation = this.generation;
    return this.queue.enqueue(priority, () => this.send(generation, unitId, timeoutMs, what, fn));
  }

  private async send<T>(generation: number, unitId: number, timeoutMs: number, what: Describe, fn: (r: ModbusRequester) => Promise<T>): Promise<T> {
    const client = this.client;
    const requests = this.requests;
    if (generation !== this.generation || !client || !requests || !client.isOpen) {
      throw new BifrostError(ErrorCodes.DeviceUnavailable, `${this.where} was lost before ${text(what)}`);
    }
    client.timeoutMs = timeoutMs;
    requests.unit(unitId);
    try {
      const result = await fn(requests);
      this.backoff.reset();
      return result;
    } catch (err) {
      throw this.classify(err, unitId, text(what), generation);
    }
  }

  private classify(err: unknown, unitId: number, what: string, generation: number): BifrostError {
    const modbusCode = (err as { modbusCode?: number } | null)?.modbusCode;
    if (typeof modbusCode === 'number') return exceptionFor(modbusCode, what);
    if (err instanceof BifrostError) return err;
    const on = `${what} (unit ${unitId} on ${this.where})`;
    if (err instanceof RtuFailure) {
      switch (err.kind) {
        case 'timeout':
          return new BifrostError(ErrorCodes.Timeout, `${err.message} ${on}`);
        case 'crc-error':
          return new BifrostError(ErrorCodes.ProtocolError, `CRC error ${on}: ${err.message}; nothing was taken from it`);
        case 'wrong-unit':
          return new BifrostError(ErrorCodes.ProtocolError, `wrong unit ${on}: ${err.message} (two units with one id on the bus?)`);
        case 'garbage':
        case 'bad-answer':
          return new BifrostError(ErrorCodes.ProtocolError, `bad answer ${on}: ${err.message}`);
        case 'closed': {
          const e = new BifrostError(ErrorCodes.DeviceUnavailable, `${this.where} closed ${what}: ${err.message}`);
          if (generation === this.generation) this.connectionLost(e.message);
          return e;
        }
      }
    }
    return new BifrostError(ErrorCodes.ProtocolError, `bad answer ${on}: ${errorMessage(err)}`);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    this.current = 'connecting';
    let stream;
    try {
      stream = await this.opts.open();
    } catch (err) {
      if (this.closed) return;
      this.goDown(errorMessage(err));
      return;
    }
    if (this.closed) {
      stream.destroy();
      return;
    }
    const client = new RtuClient(stream, { silenceMs: this.opts.silenceMs, drainMs: this.opts.drainMs, broadcastDelayMs: this.opts.broadcastDelayMs }, this.stats);
    client.onClosed((reason) => {
      if (this.client === client) this.connectionLost(`${this.where}: ${reason}`);
    });
    this.client = client;
    this.requests = new RtuRequester(client);
    this.current = 'open';
    this.lastError = null;
    this.log.debug(`${this.where}: RTU line open`);
    for (const c of this.clients) c.linkUp();
  }

  private connectionLost(reason: string): void {
    if (this.closed || this.current !== 'open') return;
    this.generation++;
    this.dropClient();
    this.queue.failAll(new BifrostError(ErrorCodes.DeviceUnavailable, reason));
    this.goDown(reason);
  }

  private goDown(reason: string): void {
    this.current = 'down';
    this.lastError = reason;
    for (const c of this.clients) c.linkDown(reason);
    if (this.closed || this.clients.length === 0) return;
    const delay = this.backoff.next();
    this.log.debug(`${this.where}: reopening in ${delay} ms`);
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, delay);
  }

  private dropClient(): void {
    const client = this.client;
    this.client = null;
    this.requests = null;
    client?.destroy();
  }
}

/** The requests of one bus, for the unit the link sets before each job. */
class RtuRequester implements ModbusRequester {
  private unitId = 1;

  constructor(private readonly c: RtuClient) {}

  unit(id: number): void {
    this.unitId = id;
  }

  async readRegisters(area: ModbusArea, start: number, count: number): Promise<number[]> {
    const pdu = await this.read(area === 'holding' ? 3 : 4, start, count);
    checkByteCount(pdu, count * 2, `${count} registers`);
    const out = new Array<number>(count);
    for (let i = 0; i < count; i++) out[i] = pdu.readUInt16BE(2 + 2 * i);
    return out;
  }

  async readBits(area: ModbusArea, start: number, count: number): Promise<boolean[]> {
    const pdu = await this.read(area === 'coil' ? 1 : 2, start, count);
    checkByteCount(pdu, Math.ceil(count / 8), `${count} bits`);
    const out = new Array<boolean>(count);
    for (let i = 0; i < count; i++) out[i] = ((pdu[2 + (i >> 3)]! >> (i & 7)) & 1) === 1;
    return out;
  }

  writeCoil(address: number, value: boolean, multiple: boolean): Promise<void> {
    const pdu = multiple ? writeCoilsPdu(address, [value]) : writeSinglePdu(5, address, value ? 0xff00 : 0x0000);
    return this.write(pdu, 5);
  }

  writeRegisters(address: number, values: number[], multiple: boolean): Promise<void> {
    const single = values.length === 1 && !multiple;
    return this.write(single ? writeSinglePdu(6, address, values[0]!) : writeRegistersPdu(address, values), 5);
  }

  private read(fc: number, start: number, count: number): Promise<Buffer> {
    if (this.unitId === 0) {
      return Promise.reject(new BifrostError(ErrorCodes.BadValue, 'unit 0 is the broadcast address: it can be written to, not read (use the unit id of one device, 1-247)'));
    }
    return this.c.transact(this.unitId, readPdu(fc, start, count));
  }

  /** A write, its confirmation compared with the first `echoed` bytes of the request (FC5/6: all of it); a broadcast has none. */
  private async write(pdu: Buffer, echoed: number): Promise<void> {
    const answer = await this.c.transact(this.unitId, pdu);
    if (this.unitId === 0) return;
    if (!answer.equals(pdu.subarray(0, echoed))) {
      throw new RtuFailure('bad-answer', `the device's confirmation does not match the write (${answer.toString('hex')})`);
    }
  }
}

/** A read answer's PDU: function code, byte count, as many bytes as the request needs. */
function checkByteCount(pdu: Buffer, expected: number, asked: string): void {
  const said = pdu[1] ?? 0;
  if (said !== expected) throw new RtuFailure('bad-answer', `the answer counts ${said} data bytes; ${asked} take ${expected}`);
}
