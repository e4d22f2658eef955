/**
 * What went to and came from the gateway's clients, counted where it passes (the sessions, the
 * transports) and read by /metrics when scraped. Plain numbers in maps: counting costs an
 * increment, whether anyone scrapes or not.
 */

/** Values sent in `bifrost/values` notifications, by device, over every session they went to. */
export class DeliveredValues {
  private readonly byDevice = new Map<string, number>();

  add(deviceId: string, values: number): void {
    this.byDevice.set(deviceId, (this.byDevice.get(deviceId) ?? 0) + values);
  }

  /** The count of a device; a device that is gone is forgotten at the next `prune`. */
  of(deviceId: string): number {
    return this.byDevice.get(deviceId) ?? 0;
  }

  /** Forgets the devices that do not run any more, so that their series end. */
  prune(running: ReadonlySet<string>): void {
    for (const id of this.byDevice.keys()) if (!running.has(id)) this.byDevice.delete(id);
  }
}

/** Why the gateway did not serve a client's message or dropped the client. */
export type DropReason =
  /** The client read too slowly: its connection was closed with what waited for it. */
  | 'slow_reader'
  /** A request over the client's rate, answered with LimitExceeded and not served. */
  | 'rate_limited'
  /** A message over the size limit: the connection was closed (1009). */
  | 'oversized'
  /** A connection closed for want of a valid token (too many refused requests, or none in time). */
  | 'unauthenticated';

export const DROP_REASONS: readonly DropReason[] = ['slow_reader', 'rate_limited', 'oversized', 'unauthenticated'];

/**
 * The client label of the traffic before a WebSocket client gave a valid token. `@` cannot start
 * a token's name, so no token's series can be mistaken for these.
 */
export const UNAUTHENTICATED = '@unauthenticated';

/** One client's counters; many connections with one token share them. */
export interface ClientCounts {
  received: number;
  sent: number;
  drops: Record<DropReason, number>;
  /** Connections open now under this name. */
  open: number;
}

/** What a transport counts for one connection. */
export interface ClientMeter {
  received(): void;
  sent(): void;
  dropped(reason: DropReason): void;
  /** The connection ended; the counts stay (they are the client's, not the connection's). */
  close(): void;
}

/**
 * Messages in and out and drops, by client: the token's name for a WebSocket client (never the
 * token), `@stdio` or `@ipc` for the editor's or a headless client's connection. Names are those
 * of the tokens file, so the series are as many as the tokens; a name whose token is gone and
 * that has no connection open is forgotten at `prune`.
 */
export class ClientTraffic {
  private readonly clients = new Map<string, ClientCounts>();

  open(name: string): ClientMeter {
    let counts = this.clients.get(name);
    if (!counts) {
      counts = { received: 0, sent: 0, drops: { slow_reader: 0, rate_limited: 0, oversized: 0, unauthenticated: 0 }, open: 0 };
      this.clients.set(name, counts);
    }
    const c = counts;
    c.open++;
    let closed = false;
    return {
      received: () => void c.received++,
      sent: () => void c.sent++,
      dropped: (reason) => void c.drops[reason]++,
      close: () => {
        if (closed) return;
        closed = true;
        c.open--;
      },
    };
  }

  entries(): IterableIterator<[string, Readonly<ClientCounts>]> {
    return this.clients.entries();
  }

  /** Forgets the clients without a connection that `keep` does not name (their token was removed). */
  prune(keep: (name: string) => boolean): void {
    for (const [name, c] of this.clients) if (c.open === 0 && !keep(name)) this.clients.delete(name);
  }
}
