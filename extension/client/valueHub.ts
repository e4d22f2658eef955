import type * as vscode from 'vscode';
import { ErrorCodes } from '../../gateway/protocol';
import type { SubscribeParams, SubscribeResult, TagReading, ValuesNotification } from '../../gateway/protocol';
import type { LiveValueSource } from './liveValues';

/** How the hub reaches the gateway process of the moment. */
export interface SubscriptionTransport {
  subscribe(params: SubscribeParams): Promise<SubscribeResult>;
  unsubscribe(subscriptionId: string): Promise<void>;
}

/** A gateway subscription as the hub holds it, for tests and diagnostics. */
export interface GatewaySubscriptionInfo {
  subscriptionId: string;
  deviceId: string;
  /** Undefined: the device's own default interval. */
  intervalMs: number | undefined;
  /** The refs it was made for. */
  tags: string[];
}

export interface ValueHubOptions {
  /** Called when the gateway refuses a subscription (the affected views get `bad` readings too). */
  onError?: (deviceId: string, message: string) => void;
  /** Count every reading that arrives, per device and tag (extension-host tests only). */
  countReadings?: boolean;
}

/** One view's wish: these tags of this device at this interval, delivered to `onValues`. */
interface Consumer {
  readonly group: Group;
  readonly refs: ReadonlySet<string>;
  readonly onValues: (items: TagReading[]) => void;
  disposed: boolean;
}

/** Everything wanted of one device at one interval. */
interface Group {
  readonly key: string;
  readonly deviceId: string;
  readonly intervalMs: number | undefined;
  readonly consumers: Set<Consumer>;
  /** Ref → how many consumers want it. */
  readonly wanted: Map<string, number>;
  /** Gateway subscriptions, pending or live, of this group. */
  readonly subs: Set<GatewaySub>;
  /** Ref → the one live gateway subscription whose readings of it are delivered. */
  readonly owner: Map<string, GatewaySub>;
  /** Ref → why the gateway refused to subscribe it (tried again on retryFailed and on a new gateway). */
  readonly failed: Map<string, string>;
}

interface GatewaySub {
  readonly group: Group;
  readonly refs: readonly string[];
  /** The gateway process it belongs to. */
  readonly generation: number;
  state: 'pending' | 'live' | 'closed';
  id?: string;
  /** Keys the gateway reports under that differ from the ref asked for (`40101` → `holding:100`). */
  keyToRef?: Map<string, string>;
  /** A pending subscription that takes over this one's wanted tags. */
  replacedBy?: GatewaySub;
  /** A replacement was refused: keep this one as it is rather than ask again and again. */
  keep?: boolean;
}

/** More live gateway subscriptions than this in one group are merged into one. */
const MAX_SUBSCRIPTIONS_PER_GROUP = 4;

/** Notifications that arrive before their subscribe answer: kept briefly, then replayed. */
const EARLY_LIMIT = 64;

const cacheKey = (deviceId: string, ref: string) => `${deviceId}\u0000${ref}`;
const groupKey = (deviceId: string, intervalMs: number | undefined) => `${deviceId}\u0000${intervalMs ?? ''}`;

/**
 * The one place live values come from on the client side, for the tree and every Live Data
 * panel of one gateway: however many views show a tag, its readings cross the wire once, and
 * the last reading of every tag is kept once, so a view that joins later gets it at once (the
 * gateway reports only changes, so it would not send it again).
 *
 * How wishes become gateway subscriptions:
 * - One group per (device, interval). The gateway samples a device's tags of one interval
 *   together anyway, so views that ask for the same interval share readings at no cost; views
 *   that ask for the device's default (no interval) share the device's own.
 * - A tag wanted for the first time in its group joins a new gateway subscription for the newly
 *   wanted tags only; all tags wanted in one moment go in one request. Existing subscriptions are
 *   left alone: remaking them would make the gateway send all their tags again and, for a moment,
 *   scan them twice.
 * - A gateway subscription ends when none of its tags is wanted any more. When at most half of
 *   its tags still are, or another subscription took some of them over, a subscription for the
 *   rest replaces it (made before the old one ends, so nothing is missed): a closed panel does
 *   not leave a device scanned for tags nobody shows, and no tag is subscribed twice for long.
 * - Each tag has one owner, the gateway subscription whose readings of it are delivered; while a
 *   replacement overlaps the old one, the other's readings of that tag are dropped, so no view
 *   sees a reading twice.
 * - More than a few subscriptions in one group (tags added one by one) are merged into one.
 * - A new gateway process gets one subscription per group, for everything the group wants.
 * Changes are applied in a microtask: a view that drops and re-adds its tags in one go (a panel
 * re-subscribing a device with one more tag) costs no request for the tags it keeps.
 *
 * Free of vscode at run time, so that it can be tested with a fake transport.
 */
export class ValueHub implements LiveValueSource {
  private readonly groups = new Map<string, Group>();
  private readonly byId = new Map<string, GatewaySub>();
  private readonly early = new Map<string, TagReading[][]>();
  /** Last reading per (device, ref): of every tag a live gateway subscription reports, and of refused tags (why). */
  private readonly cache = new Map<string, TagReading>();
  private readonly counts: Map<string, number> | undefined;
  private readonly dirty = new Set<Group>();
  private scheduled = false;
  private transport: SubscriptionTransport | undefined;
  /** Bumped for every gateway process, so that answers from an old one are ignored. */
  private generation = 0;
  private pending = 0;

  constructor(private readonly options: ValueHubOptions = {}) {
    this.counts = options.countReadings ? new Map() : undefined;
  }

  subscribe(deviceId: string, tags: string[], intervalMs: number | undefined, onValues: (items: TagReading[]) => void): vscode.Disposable {
    const group = this.groupFor(deviceId, intervalMs);
    const consumer: Consumer = { group, refs: new Set(tags), onValues, disposed: false };
    group.consumers.add(consumer);
    for (const ref of consumer.refs) group.wanted.set(ref, (group.wanted.get(ref) ?? 0) + 1);
    this.markDirty(group);
    const known = [...consumer.refs].map((ref) => this.cache.get(cacheKey(deviceId, ref))).filter((r): r is TagReading => r !== undefined);
    if (known.length > 0) {
      queueMicrotask(() => {
        if (!consumer.disposed) this.call(consumer, known);
      });
    }
    return { dispose: () => this.release(consumer) };
  }

  /** The last reading of a tag, if a gateway subscription reports it (or why it could not). */
  last(deviceId: string, ref: string): TagReading | undefined {
    return this.cache.get(cacheKey(deviceId, ref));
  }

  /**
   * Readings that came another way (a Read command), keyed by the ref asked for: delivered to
   * the views that want them, and kept while a subscription reports the tag anyway.
   */
  publish(deviceId: string, readings: readonly TagReading[]): void {
    for (const group of this.groups.values()) {
      if (group.deviceId !== deviceId) continue;
      const wanted = readings.filter((r) => group.wanted.has(r.tag));
      for (const r of wanted) if (group.owner.has(r.tag)) this.cache.set(cacheKey(deviceId, r.tag), r);
      if (wanted.length > 0) this.deliver(group, wanted);
    }
  }

  /** A gateway is ready: one subscription per group on it. Resolves when all answers are in. */
  async attach(transport: SubscriptionTransport): Promise<void> {
    this.detach();
    this.transport = transport;
    const opened: Promise<void>[] = [];
    for (const group of this.groups.values()) {
      const refs = [...group.wanted.keys()];
      if (refs.length > 0) opened.push(this.open(group, refs).done);
    }
    await Promise.all(opened);
  }

  /** The gateway is gone: its subscription ids mean nothing any more, and no value is current. */
  detach(): void {
    this.generation++;
    this.transport = undefined;
    this.pending = 0;
    this.byId.clear();
    this.early.clear();
    this.cache.clear();
    for (const group of this.groups.values()) {
      group.subs.clear();
      group.owner.clear();
      group.failed.clear();
    }
  }

  /** Tries again the tags the gateway refused (after its device list changed). */
  retryFailed(): void {
    for (const group of this.groups.values()) {
      if (group.failed.size === 0) continue;
      for (const ref of group.failed.keys()) this.cache.delete(cacheKey(group.deviceId, ref));
      group.failed.clear();
      this.markDirty(group);
    }
  }

  /** Routes one `bifrost/values` notification by its subscription id. */
  dispatch(n: ValuesNotification): void {
    const sub = this.byId.get(n.subscriptionId);
    if (sub) {
      this.route(sub, n.items);
      return;
    }
    // The answer to the subscribe request may still be on its way: keep a few batches.
    if (this.pending > 0) {
      const list = this.early.get(n.subscriptionId) ?? [];
      if (list.length < EARLY_LIMIT) list.push(n.items);
      this.early.set(n.subscriptionId, list);
    }
  }

  /** The live gateway subscriptions. */
  gatewaySubscriptions(): GatewaySubscriptionInfo[] {
    const out: GatewaySubscriptionInfo[] = [];
    for (const group of this.groups.values()) {
      for (const sub of group.subs) {
        if (sub.state === 'live' && sub.id !== undefined) {
          out.push({ subscriptionId: sub.id, deviceId: group.deviceId, intervalMs: group.intervalMs, tags: [...sub.refs] });
        }
      }
    }
    return out;
  }

  /** How many readings of a tag arrived from the gateway (with `countReadings`). */
  readingsReceived(deviceId: string, ref: string): number {
    return this.counts?.get(cacheKey(deviceId, ref)) ?? 0;
  }

  // ------------------------------------------------------------------------------------------

  private groupFor(deviceId: string, intervalMs: number | undefined): Group {
    const key = groupKey(deviceId, intervalMs);
    let group = this.groups.get(key);
    if (!group) {
      group = { key, deviceId, intervalMs, consumers: new Set(), wanted: new Map(), subs: new Set(), owner: new Map(), failed: new Map() };
      this.groups.set(key, group);
    }
    return group;
  }

  private release(consumer: Consumer): void {
    if (consumer.disposed) return;
    consumer.disposed = true;
    const group = consumer.group;
    group.consumers.delete(consumer);
    for (const ref of consumer.refs) {
      const n = (group.wanted.get(ref) ?? 1) - 1;
      if (n > 0) group.wanted.set(ref, n);
      else group.wanted.delete(ref);
    }
    this.markDirty(group);
  }

  private markDirty(group: Group): void {
    this.dirty.add(group);
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      const groups = [...this.dirty];
      this.dirty.clear();
      groups.forEach((g) => this.reconcile(g));
    });
  }

  /** Brings a group's gateway subscriptions in line with what its consumers want. */
  private reconcile(group: Group): void {
    for (const ref of [...group.failed.keys()]) {
      if (group.wanted.has(ref)) continue;
      group.failed.delete(ref);
      this.dropIfUnreported(group.deviceId, ref);
    }
    if (this.transport) {
      const covered = new Set(group.owner.keys());
      for (const sub of [...group.subs]) {
        if (sub.state !== 'pending') continue;
        // Asked for, but nothing of it is wanted any more: it is ended once answered.
        if (!sub.refs.some((r) => group.wanted.has(r))) this.close(sub);
        else sub.refs.forEach((r) => covered.add(r));
      }
      const uncovered = [...group.wanted.keys()].filter((r) => !covered.has(r) && !group.failed.has(r));
      if (uncovered.length > 0) void this.open(group, uncovered).done;
      for (const sub of [...group.subs]) {
        if (sub.state !== 'live') continue;
        const owned = sub.refs.filter((r) => group.owner.get(r) === sub);
        const stillWanted = owned.filter((r) => group.wanted.has(r));
        // Tags another subscription took over would cross the wire twice for as long as this one runs.
        const doubled = owned.length < sub.refs.length;
        if (stillWanted.length === 0) this.close(sub);
        else if ((doubled || stillWanted.length * 2 <= owned.length) && !sub.replacedBy && !sub.keep) sub.replacedBy = this.open(group, stillWanted).sub;
      }
      this.consolidate(group);
    }
    if (group.consumers.size === 0 && group.subs.size === 0 && group.failed.size === 0) this.groups.delete(group.key);
  }

  /**
   * Tags added a few at a time (a panel filled tag by tag) would leave a group with many small
   * subscriptions, each its own notification per interval: past a few, one subscription for
   * everything the group wants takes their place.
   */
  private consolidate(group: Group): void {
    const live = [...group.subs].filter((s) => s.state === 'live');
    if (live.length <= MAX_SUBSCRIPTIONS_PER_GROUP || live.length < group.subs.size || live.some((s) => s.replacedBy || s.keep)) return;
    const all = this.open(group, [...group.wanted.keys()].filter((r) => !group.failed.has(r))).sub;
    for (const s of live) s.replacedBy = all;
  }

  /** Asks the gateway for a subscription of `refs`; `done` once answered (and split, if it had to be). */
  private open(group: Group, refs: string[]): { sub: GatewaySub; done: Promise<void> } {
    const transport = this.transport!;
    const sub: GatewaySub = { group, refs, generation: this.generation, state: 'pending' };
    group.subs.add(sub);
    this.pending++;
    const params: SubscribeParams = { deviceId: group.deviceId, tags: refs };
    if (group.intervalMs !== undefined) params.intervalMs = group.intervalMs;
    const done = transport.subscribe(params).then(
      (result) => this.answered(sub, transport, result),
      (err: unknown) => this.refused(sub, err),
    );
    return { sub, done };
  }

  private answered(sub: GatewaySub, transport: SubscriptionTransport, result: SubscribeResult): void {
    if (sub.generation !== this.generation) return; // answered by a gateway that is gone
    this.pending--;
    const id = result.subscriptionId;
    const early = this.early.get(id);
    this.early.delete(id);
    const group = sub.group;
    if (sub.state === 'closed') {
      this.forgetEarlyWhenIdle();
      // Nothing of it was wanted any more by the time it came.
      group.subs.delete(sub);
      void transport.unsubscribe(id).catch(() => undefined);
      this.markDirty(group);
      return;
    }
    sub.state = 'live';
    sub.id = id;
    sub.refs.forEach((ref, i) => {
      const key = result.tags[i];
      if (key !== undefined && key !== ref) (sub.keyToRef ??= new Map()).set(key, ref);
      group.owner.set(ref, sub);
      group.failed.delete(ref);
    });
    for (const other of group.subs) if (other.replacedBy === sub) other.replacedBy = undefined;
    this.byId.set(id, sub);
    early?.forEach((items) => this.route(sub, items));
    this.forgetEarlyWhenIdle();
    // What this one took over may leave another with nothing to deliver.
    this.markDirty(group);
  }

  private refused(sub: GatewaySub, err: unknown): Promise<void> | undefined {
    if (sub.generation !== this.generation) return undefined;
    this.pending--;
    this.forgetEarlyWhenIdle();
    const group = sub.group;
    group.subs.delete(sub);
    for (const other of group.subs) {
      if (other.replacedBy !== sub) continue;
      other.replacedBy = undefined;
      other.keep = true;
    }
    if (sub.state === 'closed') {
      this.markDirty(group);
      return undefined;
    }
    sub.state = 'closed';
    // The gateway refuses a whole subscription for one ref it does not know: find the bad ones
    // by halves, so that the others still get values.
    if (isBadTagRef(err) && sub.refs.length > 1) {
      const wanted = sub.refs.filter((r) => group.wanted.has(r) && !group.owner.has(r));
      const mid = Math.ceil(wanted.length / 2);
      const halves = [wanted.slice(0, mid), wanted.slice(mid)].filter((h) => h.length > 0);
      return Promise.all(halves.map((h) => this.open(group, h).done)).then(() => undefined);
    }
    const message = err instanceof Error ? err.message : String(err);
    const timestamp = Date.now();
    const bad: TagReading[] = [];
    for (const ref of sub.refs) {
      if (!group.wanted.has(ref) || group.owner.has(ref)) continue;
      group.failed.set(ref, message);
      const reading: TagReading = { tag: ref, value: null, quality: 'bad', timestamp, error: message };
      this.cache.set(cacheKey(group.deviceId, ref), reading);
      bad.push(reading);
    }
    this.markDirty(group);
    if (bad.length === 0) return undefined;
    this.options.onError?.(group.deviceId, message);
    // Say honestly that these tags have no value, and why.
    this.deliver(group, bad);
    return undefined;
  }

  /** With no answer outstanding, what is kept for one can only be for a subscription that has ended. */
  private forgetEarlyWhenIdle(): void {
    if (this.pending === 0) this.early.clear();
  }

  private close(sub: GatewaySub): void {
    const group = sub.group;
    const wasLive = sub.state === 'live';
    sub.state = 'closed';
    if (!wasLive) return; // pending: ended when its answer comes
    group.subs.delete(sub);
    if (sub.id !== undefined) {
      this.byId.delete(sub.id);
      void this.transport?.unsubscribe(sub.id).catch(() => undefined);
    }
    for (const ref of sub.refs) {
      if (group.owner.get(ref) !== sub) continue;
      group.owner.delete(ref);
      this.dropIfUnreported(group.deviceId, ref);
    }
  }

  /** Forgets a tag's last reading once nothing reports it any more: a stale value is never shown as current. */
  private dropIfUnreported(deviceId: string, ref: string): void {
    for (const group of this.groups.values()) {
      if (group.deviceId === deviceId && (group.owner.has(ref) || group.failed.has(ref))) return;
    }
    this.cache.delete(cacheKey(deviceId, ref));
  }

  private route(sub: GatewaySub, items: readonly TagReading[]): void {
    const group = sub.group;
    const out: TagReading[] = [];
    for (const item of items) {
      const ref = sub.keyToRef?.get(item.tag) ?? item.tag;
      const key = cacheKey(group.deviceId, ref);
      if (this.counts) this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
      if (group.owner.get(ref) !== sub) continue;
      const reading = ref === item.tag ? item : { ...item, tag: ref };
      this.cache.set(key, reading);
      if (group.wanted.has(ref)) out.push(reading);
    }
    if (out.length > 0) this.deliver(group, out);
  }

  private deliver(group: Group, readings: readonly TagReading[]): void {
    for (const consumer of [...group.consumers]) {
      const mine = readings.filter((r) => consumer.refs.has(r.tag));
      if (mine.length > 0) this.call(consumer, mine);
    }
  }

  private call(consumer: Consumer, readings: TagReading[]): void {
    if (consumer.disposed) return;
    try {
      consumer.onValues(readings);
    } catch (err) {
      // One view failing must not keep the values from the others.
      this.options.onError?.(consumer.group.deviceId, `a view failed to take values: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

function isBadTagRef(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === ErrorCodes.BadTagRef;
}
