import type { ModbusArea } from '../protocol';
import { ErrorCodes } from '../protocol';
import { BifrostError, errorMessage } from '../errors';
import type { Logger } from '../log';
import { QueuedLink, type OpenFailure } from './queuedLink';
import type { Priority } from './requestQueue';
import { RtuClient, RtuFailure, newRtuStats, type RtuStats } from './rtuClient';
import { readPdu, writeCoilsPdu, writeRegistersPdu, writeSinglePdu } from './rtuFrame';
import type { OpenStream } from './rtuStreams';
import { exceptionFor, whatText, type Describe, type ModbusRequester } from './tcpLink';

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
  /**
   * A serial server over TCP: after this many timeouts in a row without a byte from the line,
   * the connection is taken for dead and opened again. A TCP connection can die without a word
   * (the server rebooted, a NAT forgot it) and would otherwise stay "open" for ever; a unit that
   * is only mute does not trip it while another unit on the line answers. Unset: never (a serial
   * port opened again is the same port).
   */
  silentTimeoutsToReopen?: number;
  /**
   * A serial server over TCP: after a timeout, a new connection before the next request (the
   * queue waits for it, the link stays open). An RTU answer has no transaction id: an answer late
   * by more than the drain would be taken for the next request's; on a new connection it arrives
   * on a closed socket instead.
   */
  newConnectionAfterTimeout?: boolean;
}

/**
 * One RTU bus (a serial port, or a serial server over TCP) with its one queue, shared by every
 * unit id on it: a serial line carries one request at a time. A timeout or a bad answer fails
 * only that request (the bus stays open for the other units; the line is drained before the next
 * request); only a stream that closes or fails takes the link down (or, over TCP, a line silent
 * for several requests in a row), and then it reopens with backoff and tells its clients, like
 * the TCP link.
 */
export class ModbusRtuLink extends QueuedLink<RtuClient> {
  /** Counters of the bus; kept across reopenings. */
  readonly stats: RtuStats = newRtuStats();
  /** Timeouts in a row with not a byte from the line (see silentTimeoutsToReopen). */
  private silentTimeouts = 0;

  constructor(
    private readonly opts: RtuLinkOptions,
    log: Logger,
  ) {
    super(opts.where, log, { closed: `${opts.where} closed`, open: 'RTU line open', again: 'reopening' });
  }

  /** Runs one request for unit `unitId` through the bus's queue; failures are BifrostErrors. */
  exec<T>(unitId: number, timeoutMs: number, priority: Priority, what: Describe, fn: (r: ModbusRequester) => Promise<T>): Promise<T> {
    if (this.current !== 'open') {
      return Promise.reject(new BifrostError(ErrorCodes.DeviceUnavailable, `${this.where} is not open, cannot do ${whatText(what)}: ${this.lastError ?? this.current}`));
    }
    const generation = this.generation;
    return this.queue.enqueue(priority, () => this.send(generation, unitId, timeoutMs, what, fn));
  }

  private async send<T>(generation: number, unitId: number, timeoutMs: number, what: Describe, fn: (r: ModbusRequester) => Promise<T>): Promise<T> {
    const client = this.connection;
    const requests = this.requests;
    if (generation !== this.generation || !client || !requests || !client.isOpen) {
      throw new BifrostError(ErrorCodes.DeviceUnavailable, `${this.where} was lost before ${whatText(what)}`);
    }
    client.timeoutMs = timeoutMs;
    requests.unit(unitId);
    const bytesBefore = client.bytesReceived;
    try {
      const result = await fn(requests);
      this.backoff.reset();
      return result;
    } catch (err) {
      const failure = this.classify(err, unitId, whatText(what), generation);
      if (failure.code === ErrorCodes.Timeout) {
        this.silentLine(generation, client.bytesReceived === bytesBefore, timeoutMs);
        if (this.opts.newConnectionAfterTimeout && generation === this.generation) {
          await this.replaceConnection(`unit ${unitId} did not answer within ${timeoutMs} ms`);
          this.connection?.takeOver(client);
        }
      }
      throw failure;
    } finally {
      if (client.bytesReceived !== bytesBefore) this.silentTimeouts = 0;
    }
  }

  /** Counts a timeout; enough of them in a row with the line silent take the connection down. */
  private silentLine(generation: number, silent: boolean, timeoutMs: number): void {
    const limit = this.opts.silentTimeoutsToReopen;
    if (limit === undefined || !silent || generation !== this.generation) return;
    if (++this.silentTimeouts < limit) return;
    this.silentTimeouts = 0;
    this.connectionLost(`${this.where}: not a byte came back for ${limit} requests in a row (${timeoutMs} ms each); the connection is taken for dead and opened again`);
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

  protected async open(): Promise<RtuClient> {
    const stream = await this.opts.open();
    if (this.closed) {
      stream.destroy();
      throw new Error(`${this.where} closed`);
    }
    const client = new RtuClient(stream, { silenceMs: this.opts.silenceMs, drainMs: this.opts.drainMs, broadcastDelayMs: this.opts.broadcastDelayMs }, this.stats);
    return client;
  }

  protected openFailure(err: unknown): OpenFailure {
    return { reason: errorMessage(err), refused: false };
  }

  protected requesterFor(client: RtuClient): ModbusRequester {
    return new RtuRequester(client);
  }

  protected override lossReason(reason: string): string {
    return `${this.where}: ${reason}`;
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
