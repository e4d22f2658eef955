/**
 * The OPC UA subscriptions of one device: one server-side subscription per publishing interval,
 * monitored items created in chunks no larger than the server's MaxMonitoredItemsPerCall,
 * deadbands, revised intervals, a watchdog for subscriptions that stop publishing, and the same
 * items again after a reconnect (recreated). Readings go to the core's sinks.
 *
 * After a reconnect everything is recreated, never transferred: node-opcua's client would
 * transfer or recreate the subscriptions of a session it repairs by itself, and a second set
 * of ours on top would double every item. So a lost session's subscriptions leave node-opcua's
 * publish engine at once (detach), the ones still alive on the server are deleted at the next
 * attach to the same session, and attach builds exactly one new set.
 *
 * Loaded with the OPC UA bundle only (never from gateway/opcua/driver.ts).
 */
import type { ClientSession, ClientSessionRawSubscriptionService, NodeId } from 'node-opcua-client';
import type { DriverSubscription, ValueSink } from '../core/driver';
import type { Logger } from '../log';
import type { Deadband } from '../protocol';
import { BifrostError, errorMessage } from '../errors';
import { ErrorCodes } from '../protocol';
import { toReading, type VariableMeta } from './services';
import { readMaxMonitoredItemsPerCall, type CallLimit } from './monitoredItemCalls';
import { PublishingGroup, type GroupContext } from './publishingGroup';
import { SubscriptionMember, type ToReading } from './subscriptionMember';

/** One item of a bifrost subscription: a node, under the key the client knows it by. */
export interface MonitoredTag {
  key: string;
  nodeId: NodeId;
  meta?: VariableMeta;
  samplingIntervalMs: number;
  queueSize: number;
  deadband?: Deadband;
}

export interface SubscriptionOptions {
  /** The bifrost subscription's interval: the OPC UA publishing interval asked for. */
  publishingIntervalMs: number;
  /** False: every sample is reported, even unchanged ones (no deadband, DataChangeTrigger StatusValueTimestamp). */
  onChangeOnly: boolean;
}

export interface DeviceSubscriptionsOptions {
  deviceId: string;
  log: Logger;
  /** Used when the server's OperationLimits say nothing. */
  defaultMaxMonitoredItemsPerCall: number;
  /** Keep-alive count asked for (default 10): a silent subscription sends a keep-alive after this many intervals. */
  maxKeepAliveCount?: number;
  /** Slack before the watchdog calls a silent subscription stalled (default 5000 ms: loaded machines are slow). */
  watchdogMarginMs?: number;
  /** How often the watchdog looks (default 1000 ms); a failed subscription is retried after `retryDelayMs` (default 5000). */
  watchdogTickMs?: number;
  retryDelayMs?: number;
  /** DataValue → reading; the session services' `toReading` unless given. */
  toReading?: ToReading;
  /** How long close() waits for the server to delete the subscriptions (default 5000 ms): a dead connection never answers. */
  closeTimeoutMs?: number;
}

export class DeviceSubscriptions {
  private session: ClientSession | null = null;
  /** Why there is no session (null before the first attach, and while attached). */
  private detachedReason: string | null = null;
  private readonly groups = new Map<number, PublishingGroup>();
  private readonly limit: CallLimit;
  private readonly context: GroupContext;
  /** Server-side subscriptions let go of when a session was lost: deleted when that session is back. */
  private orphans: { session: ClientSession; subscriptionId: number }[] = [];
  /** Calls to the server, one after the other. */
  private queue: Promise<void> = Promise.resolve();
  private watchdog: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(readonly options: DeviceSubscriptionsOptions) {
    this.limit = { perCall: options.defaultMaxMonitoredItemsPerCall };
    this.context = {
      deviceId: options.deviceId,
      log: options.log,
      limit: this.limit,
      maxKeepAliveCount: options.maxKeepAliveCount ?? 10,
      watchdogMarginMs: options.watchdogMarginMs ?? 5000,
      orphan: (session, subscriptionId) => this.orphans.push({ session, subscriptionId }),
    };
  }

  /** A session is open (first connect or after a reconnect): (re)create everything on it. */
  attach(session: ClientSession): Promise<void> {
    if (this.closed) return Promise.resolve();
    for (const group of this.groups.values()) group.drop();
    this.session = session;
    this.detachedReason = null;
    this.stopWatchdog();
    return this.serialize(async () => {
      if (!this.isAttachedTo(session)) return;
      await this.deleteOrphans(session);
      this.limit.perCall = await readMaxMonitoredItemsPerCall(session, this.options.defaultMaxMonitoredItemsPerCall);
      for (const group of this.groups.values()) {
        if (!this.isAttachedTo(session)) return;
        if (group.state === 'idle') await group.start(session);
      }
      if (this.isAttachedTo(session)) this.startWatchdog(session);
    });
  }

  /** The session is gone: every item reports `bad` with the reason until the next attach. */
  detach(reason: string): void {
    if (this.closed) return;
    const error = this.named(reason);
    this.session = null;
    this.detachedReason = error;
    this.stopWatchdog();
    for (const group of this.groups.values()) {
      group.drop();
      for (const member of group.members) member.allBad(error);
    }
  }

  /** The revised publishing interval is known once attached; `keys` are the tags' keys in order. */
  subscribe(tags: readonly MonitoredTag[], options: SubscriptionOptions, sink: ValueSink): DriverSubscription & { readonly revisedIntervalMs: number | null } {
    if (this.closed) throw new BifrostError(ErrorCodes.DeviceUnavailable, `${this.options.deviceId}: the device is stopped`);
    const member = new SubscriptionMember(tags, options, sink, this.options.toReading ?? toReading);
    const interval = options.publishingIntervalMs;
    let group = this.groups.get(interval);
    if (!group) this.groups.set(interval, (group = new PublishingGroup(interval, this.context)));
    const joined = group;
    joined.members.add(member);
    const session = this.session;
    if (session) {
      void this.serialize(async () => {
        if (!this.isAttachedTo(session) || member.closed) return;
        if (joined.state === 'idle') await joined.start(session);
        else await joined.add(member);
      });
    } else {
      member.allBad(this.detachedReason ?? `${this.options.deviceId}: not connected yet`);
    }
    return {
      keys: member.keys,
      get revisedIntervalMs() {
        return joined.revisedIntervalMs;
      },
      close: () => this.unsubscribe(joined, member),
    };
  }

  /** Deletes the server-side subscriptions (device stop). */
  async close(): Promise<void> {
    if (this.closed) return this.queue;
    this.closed = true;
    this.stopWatchdog();
    const session = this.session;
    const groups = [...this.groups.values()];
    this.groups.clear();
    for (const group of groups) for (const member of group.members) member.closed = true;
    if (!session) {
      for (const group of groups) group.drop();
      return this.queue;
    }
    const deleted = this.serialize(async () => {
      for (const group of groups) await group.terminate();
      await this.deleteOrphans(session);
    });
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.options.log.warn(`${this.options.deviceId}: the server did not confirm deleting the subscriptions in time; they end with the session`);
        resolve();
      }, this.options.closeTimeoutMs ?? 5000);
    });
    await Promise.race([deleted, gaveUp]);
    clearTimeout(timer);
    this.session = null;
  }

  private unsubscribe(group: PublishingGroup, member: SubscriptionMember): void {
    if (member.closed) return;
    member.closed = true;
    group.members.delete(member);
    const last = group.members.size === 0;
    if (last && this.groups.get(group.intervalMs) === group) this.groups.delete(group.intervalMs);
    const session = this.session;
    if (!session) {
      if (last) group.drop();
      return;
    }
    void this.serialize(async () => {
      if (last) await group.terminate();
      else if (this.isAttachedTo(session)) await group.remove(member);
    });
  }

  private isAttachedTo(session: ClientSession): boolean {
    return !this.closed && this.session === session;
  }

  private named(reason: string): string {
    return reason.startsWith(`${this.options.deviceId}:`) ? reason : `${this.options.deviceId}: ${reason}`;
  }

  private serialize(op: () => Promise<void>): Promise<void> {
    const next = this.queue.then(op).catch((err: unknown) => this.options.log.warn(`${this.options.deviceId}: subscriptions: ${errorMessage(err)}`));
    this.queue = next;
    return next;
  }

  /** Subscriptions of a lost connection that may still live on the server (the session survived): deleted. */
  private async deleteOrphans(session: ClientSession): Promise<void> {
    const mine = this.orphans.filter((o) => o.session === session).map((o) => o.subscriptionId);
    this.orphans = this.orphans.filter((o) => o.session !== session);
    if (mine.length === 0) return;
    try {
      await (session as ClientSession & ClientSessionRawSubscriptionService).deleteSubscriptions({ subscriptionIds: mine });
    } catch (err) {
      this.options.log.debug(`${this.options.deviceId}: deleting ${mine.length} subscription(s) of the lost connection: ${errorMessage(err)}`);
    }
  }

  private startWatchdog(session: ClientSession): void {
    this.stopWatchdog();
    this.watchdog = setInterval(() => this.checkGroups(session), this.options.watchdogTickMs ?? 1000);
    this.watchdog.unref();
  }

  private stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
  }

  /** Recreates a subscription that stopped publishing, or one the server refused a while ago. */
  private checkGroups(session: ClientSession): void {
    if (!this.isAttachedTo(session)) return;
    const now = Date.now();
    for (const group of this.groups.values()) {
      if (group.busy > 0) continue;
      let why: string | null = null;
      if (group.state === 'live' && now - group.since > group.silenceLimitMs()) {
        why = `sent nothing (no data, no keep-alive) for ${((now - group.since) / 1000).toFixed(1)} s`;
      } else if (group.state === 'stalled') {
        why = 'was ended by the server';
      } else if (group.state === 'failed' && now - group.since > (this.options.retryDelayMs ?? 5000)) {
        why = 'could not be created: trying again';
      }
      if (!why) continue;
      const error = `${this.options.deviceId}: the subscription at ${group.intervalMs} ms ${why}`;
      const failedBefore = group.state === 'failed';
      this.options.log.warn(`${error}; recreating it`);
      if (!failedBefore) for (const member of group.members) member.allBad(`${error}; recreating it`);
      group.state = 'starting';
      void this.serialize(async () => {
        if (!this.isAttachedTo(session) || this.groups.get(group.intervalMs) !== group) return;
        await group.terminate();
        await group.start(session);
      });
    }
  }
}
