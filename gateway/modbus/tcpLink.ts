import type { ModbusArea } from '../protocol';
import { ErrorCodes } from '../protocol';
import { Backoff } from '../backoff';
import { BifrostError, errorMessage } from '../errors';
import type { Logger } from '../log';
import { QueuedLink, type OpenFailure } from './queuedLink';
import type { Priority } from './requestQueue';
import { ModbusTcpClient } from './tcpClient';

/** A device using a link: told when the connection opens and when it is lost. */
export interface LinkClient {
  readonly id: string;
  linkUp(): void;
  linkDown(reason: string): void;
}

export interface TcpLinkOptions {
  host: string;
  port: number;
  /** For the connect attempt; requests carry their own. */
  connectTimeoutMs: number;
}

/** What a request may do with the connection. */
export interface ModbusRequester {
  /** The unit id the following requests go to; the link sets it before each job. */
  unit(id: number): void;
  readRegisters(area: ModbusArea, start: number, count: number): Promise<number[]>;
  readBits(area: ModbusArea, start: number, count: number): Promise<boolean[]>;
  writeCoil(address: number, value: boolean, multiple: boolean): Promise<void>;
  writeRegisters(address: number, values: number[], multiple: boolean): Promise<void>;
}

export type LinkState = 'idle' | 'connecting' | 'open' | 'down';

/** What a request does, for messages; a function when it is only worth the work on failure. */
export type Describe = string | (() => string);

/** A request's description, made only when a message needs it. */
export function whatText(what: Describe): string {
  return typeof what === 'string' ? what : what();
}

const EXCEPTION_NAMES: Record<number, string> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

/** A Modbus exception answer: the device is there and said no. */
export class ModbusException extends BifrostError {
  constructor(
    readonly exceptionCode: number,
    message: string,
  ) {
    super(ErrorCodes.DeviceException, message);
  }

  /** The exception code under the name the hole splitting reads (holes.ts). */
  get modbusCode(): number {
    return this.exceptionCode;
  }

  /** The status name readings carry: `Modbus exception 2`. */
  get status(): string {
    return `Modbus exception ${this.exceptionCode}`;
  }

  /** 10 and 11 come from a gateway whose target did not answer: the unit itself said nothing. */
  get fromGateway(): boolean {
    return this.exceptionCode === 10 || this.exceptionCode === 11;
  }
}

/** The exception an answer with exception code `code` becomes, naming the code and the request. */
export function exceptionFor(code: number, what: string): ModbusException {
  const name = EXCEPTION_NAMES[code] ?? 'unknown exception';
  // 10 and 11 say nothing of the registers: a gateway answered for a unit it cannot reach.
  const meaning = code === 10 || code === 11 ? ': a gateway answered, no such unit behind it answers' : '';
  return new ModbusException(code, `Modbus exception ${code} (${name}${meaning}) ${what}`);
}

/**
 * One Modbus TCP connection with its one-request-in-flight queue, shared by the devices (unit
 * ids) that use it. It connects, reconnects with backoff, and drops the connection whenever an
 * answer is missing or garbled (a late answer could otherwise be taken for the next request's).
 * The backoff starts again only after a request was answered: a device that accepts TCP but
 * never answers is retried ever more slowly instead of five times a second. A refused connection
 * is different: the host answered at once and costs nothing to ask again, so it is retried within
 * 2 s and a device that comes back after a long outage is read again at once.
 */
export class ModbusTcpLink extends QueuedLink<ModbusTcpClient> {
  private readonly refusedBackoff = new Backoff({ initialMs: 250, maxMs: 2_000 });

  constructor(
    private readonly opts: TcpLinkOptions,
    log: Logger,
  ) {
    const where = `${opts.host}:${opts.port}`;
    super(where, log, { closed: `connection to ${where} closed`, open: 'TCP connection open', again: 'reconnecting' });
  }

  /**
   * Runs one request for unit `unitId` through the queue. Failures come back as BifrostErrors
   * with a clear message; a timeout or a garbled answer also drops the connection.
   */
  exec<T>(unitId: number, timeoutMs: number, priority: Priority, what: Describe, fn: (r: ModbusRequester) => Promise<T>): Promise<T> {
    if (this.current !== 'open') {
      return Promise.reject(new BifrostError(ErrorCodes.DeviceUnavailable, `not connected, cannot do ${whatText(what)}: ${this.lastError ?? this.current}`));
    }
    const generation = this.generation;
    const job = () => this.send(generation, unitId, timeoutMs, what, fn);
    // On an idle connection the job starts at once: it cannot fail while it waits.
    if (this.queue.idle) return this.queue.enqueue(priority, job);
    let started = false;
    const queued = this.queue.enqueue(priority, () => {
      started = true;
      return job();
    });
    return queued.catch((err: unknown) => {
      // Failed while it waited, for another request's reason: say which request was not sent.
      if (started || !(err instanceof BifrostError) || err.code !== ErrorCodes.DeviceUnavailable) throw err;
      throw new BifrostError(ErrorCodes.DeviceUnavailable, `connection lost before ${whatText(what)} (${err.message})`);
    });
  }

  /** The request itself, when its turn comes. */
  private send<T>(generation: number, unitId: number, timeoutMs: number, what: Describe, fn: (r: ModbusRequester) => Promise<T>): Promise<T> {
    const client = this.connection;
    const requests = this.requests;
    if (generation !== this.generation || !client || !requests || !client.isOpen) {
      // Closed by the client a tick before the link hears of it: say why.
      const why = generation === this.generation && client?.closedBecause ? ` (${client.closedBecause})` : '';
      return Promise.reject(new BifrostError(ErrorCodes.DeviceUnavailable, `connection lost before ${whatText(what)}${why}`));
    }
    client.timeoutMs = timeoutMs;
    requests.unit(unitId);
    let sent: Promise<T>;
    try {
      sent = fn(requests);
    } catch (err) {
      sent = Promise.reject(err);
    }
    return sent.then(this.passAnswered, (err: unknown) => {
      throw this.classify(err, whatText(what), timeoutMs, generation);
    });
  }

  /** Bound once: the device answered, and what it answered goes on to the caller. */
  private readonly passAnswered = <T>(result: T): T => {
    this.answered();
    return result;
  };

  private classify(err: unknown, what: string, timeoutMs: number, generation: number): BifrostError {
    const modbusCode = (err as { modbusCode?: number } | null)?.modbusCode;
    if (typeof modbusCode === 'number') {
      // An answer, even a refusal: the connection is fine.
      this.answered();
      return exceptionFor(modbusCode, what);
    }
    if (err instanceof BifrostError) {
      if (err.code === ErrorCodes.DeviceUnavailable && generation === this.generation) this.connectionLost(err.message);
      return err;
    }
    const text = errorMessage(err);
    const errno = (err as { errno?: string } | null)?.errno;
    let result: BifrostError;
    if (errno === 'ETIMEDOUT' || /timed out/i.test(text)) {
      result = new BifrostError(ErrorCodes.Timeout, `no answer within ${timeoutMs} ms ${what}`);
    } else if ((err as { name?: string } | null)?.name === 'PortNotOpenError') {
      // With the reason when there is more to it than the connection being gone.
      const why = text === 'not connected' || text === 'the connection was closed' ? '' : ` (${text})`;
      result = new BifrostError(ErrorCodes.DeviceUnavailable, `connection closed ${what}${why}`);
    } else {
      result = new BifrostError(ErrorCodes.ProtocolError, `bad answer ${what} (${text}); connection reset`);
    }
    if (generation === this.generation) this.connectionLost(result.message);
    return result;
  }

  protected async open(): Promise<ModbusTcpClient> {
    const client = new ModbusTcpClient();
    try {
      await client.connect(this.opts.host, this.opts.port, this.opts.connectTimeoutMs);
    } catch (err) {
      client.destroy();
      throw err;
    }
    return client;
  }

  protected openFailure(err: unknown): OpenFailure {
    return { reason: describeSocketError(err, this.opts), refused: isRefusal(err) };
  }

  protected requesterFor(client: ModbusTcpClient): ModbusRequester {
    return new UnitRequester(client);
  }

  /** A refused connection is retried within 2 s: the host answered at once. */
  protected override nextDelay(refused: boolean): number {
    return (refused ? this.refusedBackoff : this.backoff).next();
  }

  /** The device answered a request: the next failure is retried from the shortest delay again. */
  private answered(): void {
    this.backoff.reset();
    this.refusedBackoff.reset();
  }

}

/** The requests of one connection, made once per connection (not per request); a class, not closures. */
class UnitRequester implements ModbusRequester {
  private unitId = 1;

  constructor(private readonly c: ModbusTcpClient) {}

  unit(id: number): void {
    this.unitId = id;
  }

  readRegisters(area: ModbusArea, start: number, count: number): Promise<number[]> {
    return this.c.readRegisters(this.unitId, area, start, count);
  }

  readBits(area: ModbusArea, start: number, count: number): Promise<boolean[]> {
    return this.c.readBits(this.unitId, area, start, count);
  }

  writeCoil(address: number, value: boolean, multiple: boolean): Promise<void> {
    return multiple ? this.c.writeCoils(this.unitId, address, [value]) : this.c.writeCoil(this.unitId, address, value);
  }

  writeRegisters(address: number, values: number[], multiple: boolean): Promise<void> {
    return values.length === 1 && !multiple ? this.c.writeRegister(this.unitId, address, values[0]!) : this.c.writeRegisters(this.unitId, address, values);
  }
}

/** The host turned the connection down at once (nothing listens, or it reset the handshake). */
function isRefusal(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET';
}

function describeSocketError(err: unknown, o: TcpLinkOptions): string {
  const code = (err as { code?: string } | null)?.code;
  const where = `${o.host}:${o.port}`;
  switch (code) {
    case 'ECONNREFUSED':
      return `connection refused by ${where} (nothing listens there?)`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${where} is unreachable (${code})`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host "${o.host}" not found (${code})`;
    case 'ECONNRESET':
      return `connection to ${where} reset`;
    default:
      return `cannot connect to ${where}: ${errorMessage(err)}`;
  }
}
