import type { SubscribeParams, SubscribeResult, TagReading, ValuesNotification } from '../../gateway/protocol';

/**
 * The extension's own record of live subscriptions. Callers keep one handle for as long as they
 * want values; the gateway's subscription ids change whenever the gateway restarts, so the
 * registry remembers what was asked for, makes it again on every new gateway process, and routes
 * `bifrost/values` notifications from gateway ids back to the caller's listener.
 *
 * Free of vscode imports so that it can be tested on its own.
 */

export interface SubscriptionTransport {
  subscribe(params: SubscribeParams): Promise<SubscribeResult>;
  unsubscribe(subscriptionId: string): Promise<void>;
}

export interface SubscriptionHandle {
  dispose(): void;
}

interface Entry {
  readonly key: number;
  readonly deviceId: string;
  readonly tags: string[];
  readonly intervalMs: number | undefined;
  readonly onValues: (items: TagReading[]) => void;
  /** The id on the current gateway; undefined while not (yet) subscribed there. */
  gatewayId?: string;
  /** A subscribe request for this entry is on its way. */
  pending: boolean;
  /** Why the last subscribe failed, if it did. */
  failure?: string;
}

/** Notifications that arrive before the subscribe answer: kept briefly, then replayed. */
const EARLY_LIMIT = 64;

export class SubscriptionRegistry {
  private readonly entries = new Map<number, Entry>();
  private readonly byGatewayId = new Map<string, Entry>();
  private readonly early = new Map<string, TagReading[][]>();
  private transport: SubscriptionTransport | undefined;
  /** Bumped for every new gateway process, so that answers from an old one are ignored. */
  private generation = 0;
  private nextKey = 1;

  constructor(private readonly onError: (deviceId: string, message: string) => void = () => undefined) {}

  get size(): number {
    return this.entries.size;
  }

  add(
    deviceId: string,
    tags: string[],
    intervalMs: number | undefined,
    onValues: (items: TagReading[]) => void,
  ): SubscriptionHandle {
    const entry: Entry = { key: this.nextKey++, deviceId, tags: [...tags], intervalMs, onValues, pending: false };
    this.entries.set(entry.key, entry);
    if (this.transport) void this.subscribeEntry(entry, this.transport, this.generation);
    return { dispose: () => this.remove(entry) };
  }

  /** A gateway is ready: make every subscription on it. Resolves when all answers are in. */
  async attach(transport: SubscriptionTransport): Promise<void> {
    this.detach();
    this.transport = transport;
    const generation = this.generation;
    await Promise.all([...this.entries.values()].map((e) => this.subscribeEntry(e, transport, generation)));
  }

  /** The gateway is gone: its subscription ids mean nothing any more. */
  detach(): void {
    this.generation++;
    this.transport = undefined;
    this.byGatewayId.clear();
    this.early.clear();
    for (const e of this.entries.values()) {
      e.gatewayId = undefined;
      e.pending = false;
    }
  }

  /** Tries again the subscriptions the gateway refused (e.g. after its device list changed). */
  async retryFailed(): Promise<void> {
    const transport = this.transport;
    if (!transport) return;
    const generation = this.generation;
    const failed = [...this.entries.values()].filter((e) => e.gatewayId === undefined && !e.pending);
    await Promise.all(failed.map((e) => this.subscribeEntry(e, transport, generation)));
  }

  /** Routes one `bifrost/values` notification to its listener. */
  dispatch(n: ValuesNotification): void {
    const entry = this.byGatewayId.get(n.subscriptionId);
    if (entry) {
      entry.onValues(n.items);
      return;
    }
    // The answer to the subscribe request may still be on its way: keep a few batches.
    if (this.hasPending()) {
      const list = this.early.get(n.subscriptionId) ?? [];
      if (list.length < EARLY_LIMIT) list.push(n.items);
      this.early.set(n.subscriptionId, list);
    }
  }

  private hasPending(): boolean {
    for (const e of this.entries.values()) if (e.pending) return true;
    return false;
  }

  private async subscribeEntry(entry: Entry, transport: SubscriptionTransport, generation: number): Promise<void> {
    entry.pending = true;
    try {
      const result = await transport.subscribe({
        deviceId: entry.deviceId,
        tags: entry.tags,
        ...(entry.intervalMs !== undefined ? { intervalMs: entry.intervalMs } : {}),
      });
      if (generation !== this.generation) return; // answered by a gateway that is gone
      entry.pending = false;
      if (!this.entries.has(entry.key)) {
        // Disposed while the request was on its way.
        this.early.delete(result.subscriptionId);
        void transport.unsubscribe(result.subscriptionId).catch(() => undefined);
        return;
      }
      entry.gatewayId = result.subscriptionId;
      entry.failure = undefined;
      this.byGatewayId.set(result.subscriptionId, entry);
      const early = this.early.get(result.subscriptionId);
      this.early.delete(result.subscriptionId);
      early?.forEach((items) => entry.onValues(items));
    } catch (err) {
      if (generation !== this.generation) return;
      entry.pending = false;
      if (!this.entries.has(entry.key)) return;
      const message = err instanceof Error ? err.message : String(err);
      entry.failure = message;
      this.onError(entry.deviceId, message);
      // Tell the listener honestly that these tags have no value, and why.
      const now = Date.now();
      entry.onValues(entry.tags.map((tag) => ({ tag, value: null, quality: 'bad', timestamp: now, error: message })));
    }
  }

  private remove(entry: Entry): void {
    if (!this.entries.delete(entry.key)) return;
    if (entry.gatewayId !== undefined) {
      this.byGatewayId.delete(entry.gatewayId);
      const transport = this.transport;
      if (transport) void transport.unsubscribe(entry.gatewayId).catch(() => undefined);
      entry.gatewayId = undefined;
    }
  }
}
