import { ErrorCodes } from '../protocol';
import { Backoff } from '../backoff';
import type { SharedLink } from '../core/links';
import { BifrostError } from '../errors';
import type { Logger } from '../log';
import { RequestQueue } from './requestQueue';
import type { LinkClient, LinkState, ModbusRequester } from './tcpLink';

/** What a link talks through: a TCP connection, or a serial line's client. */
export interface LinkConnection {
  destroy(): void;
  onClosed(listener: (reason: string) => void): void;
}

/** Why opening failed, for people; `refused`: the other side answered at once, cheap to ask again. */
export interface OpenFailure {
  reason: string;
  refused: boolean;
}

/**
 * The life of a shared Modbus link, whatever it talks through: its clients (the devices using
 * it), its one queue, opening, losing and reopening the connection with backoff, and closing.
 * A subclass says how to open a connection and how to ask through it.
 */
export abstract class QueuedLink<C extends LinkConnection> implements SharedLink {
  protected connection: C | null = null;
  protected requests: ModbusRequester | null = null;
  /** Usually one device; replaced, never changed in place, so a loop over it may go on. */
  protected clients: readonly LinkClient[] = [];
  protected readonly queue: RequestQueue;
  protected readonly backoff = new Backoff({ initialMs: 250, maxMs: 10_000 });
  protected current: LinkState = 'idle';
  protected lastError: string | null = null;
  /** Bumped on every connection loss, so that late failures of an old connection are ignored. */
  protected generation = 0;
  protected closed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly where: string,
    protected readonly log: Logger,
    /** For messages: `connection to 127.0.0.1:502`, `/dev/ttyUSB0`. */
    private readonly noun: { closed: string; open: string; again: string },
  ) {
    this.queue = new RequestQueue(where);
  }

  get state(): LinkState {
    return this.current;
  }

  /** Why the connection is down, when it is. */
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
    this.queue.failAll(new BifrostError(ErrorCodes.DeviceUnavailable, this.noun.closed));
    this.dropConnection();
    this.current = 'idle';
  }

  /** A new connection, or a rejection with an OpenFailure-shaped reason (openFailure says how). */
  protected abstract open(): Promise<C>;
  protected abstract openFailure(err: unknown): OpenFailure;
  protected abstract requesterFor(connection: C): ModbusRequester;
  /** What a connection that closed by itself says, as the devices are told it. */
  protected lossReason(reason: string): string {
    return reason;
  }
  /** The delay before the next attempt after a failure. */
  protected nextDelay(_refused: boolean): number {
    return this.backoff.next();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    this.current = 'connecting';
    let connection: C;
    try {
      connection = await this.open();
    } catch (err) {
      if (this.closed) return;
      const failure = this.openFailure(err);
      this.goDown(failure.reason, failure.refused);
      return;
    }
    if (this.closed) {
      connection.destroy();
      return;
    }
    this.use(connection);
    this.current = 'open';
    this.lastError = null;
    this.log.debug(`${this.where}: ${this.noun.open}`);
    for (const c of this.clients) c.linkUp();
  }

  private use(connection: C): void {
    connection.onClosed((reason) => {
      if (this.connection === connection) this.connectionLost(this.lossReason(reason));
    });
    this.connection = connection;
    this.requests = this.requesterFor(connection);
  }

  /**
   * A new connection in place of the current one, the link open throughout and its queue waiting
   * (the caller is the job at its head): nothing the old connection still carries is ever read.
   * If the new one cannot be opened, the link goes down as on any loss.
   */
  protected async replaceConnection(why: string): Promise<void> {
    if (this.closed || this.current !== 'open') return;
    this.dropConnection();
    let connection: C;
    try {
      connection = await this.open();
    } catch (err) {
      this.connectionLost(`${why}; opening a new connection failed: ${this.openFailure(err).reason}`);
      return;
    }
    if (this.closed || this.current !== 'open') {
      connection.destroy();
      return;
    }
    this.log.debug(`${this.where}: a new connection (${why})`);
    this.use(connection);
  }

  /** The connection is unusable: drop it, fail what waits, tell every client, reconnect later. */
  protected connectionLost(reason: string): void {
    if (this.closed || this.current !== 'open') return;
    this.generation++;
    this.dropConnection();
    this.queue.failAll(new BifrostError(ErrorCodes.DeviceUnavailable, reason));
    this.goDown(reason);
  }

  private goDown(reason: string, refused = false): void {
    this.current = 'down';
    this.lastError = reason;
    for (const c of this.clients) c.linkDown(reason);
    if (this.closed || this.clients.length === 0) return;
    const delay = this.nextDelay(refused);
    this.log.debug(`${this.where}: ${this.noun.again} in ${delay} ms`);
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, delay);
  }

  /** Drops the connection at once: late answers to a timed-out request must never be read. */
  protected dropConnection(): void {
    const connection = this.connection;
    this.connection = null;
    this.requests = null;
    connection?.destroy();
  }
}
