/**
 * One OPC UA subscription of a device: every bifrost subscription with the same publishing
 * interval puts its monitored items here. It knows when it last heard from the server (data or
 * keep-alive), so the device's watchdog can tell a subscription that stopped publishing.
 */
import type { ClientMonitoredItemGroup, ClientSession, ClientSubscription, NodeId, StatusCode } from 'node-opcua-client';
import { StatusCodes } from 'node-opcua-client';
import type { Logger } from '../log';
import { errorMessage } from '../errors';
import { createItems, deleteGroups, type CallLimit } from './monitoredItemCalls';
import { hasDeadband, isDeadbandRefusal, itemParameters, parametersSignature, toMonitoringParameters, type ItemParameters } from './monitoringParameters';
import type { SubscriptionMember } from './subscriptionMember';

export interface GroupContext {
  deviceId: string;
  log: Logger;
  limit: CallLimit;
  maxKeepAliveCount: number;
  /** Added to maxKeepAliveCount × publishing interval before a silent subscription counts as stalled. */
  watchdogMarginMs: number;
  /** A server-side subscription that was let go of without deleting it (deleted at the next chance). */
  orphan(session: ClientSession, subscriptionId: number): void;
}

/** `BadNodeIdUnknown (the node id refers to a node that does not exist in the server address space)`. */
export function statusText(status: StatusCode): string {
  const description = status.description.trim().replace(/\.$/, '');
  return description ? `${status.name} (${description.charAt(0).toLowerCase()}${description.slice(1)})` : status.name;
}

type State = 'idle' | 'starting' | 'live' | 'failed' | 'stalled';

export class PublishingGroup {
  readonly members = new Set<SubscriptionMember>();
  revisedIntervalMs: number | null = null;
  state: State = 'idle';
  /** When it last heard from the server, or started, or failed. */
  since = 0;
  /** Creating or deleting items: answers count as hearing from the server, and the watchdog waits. */
  busy = 0;
  private subscription: ClientSubscription | null = null;
  private session: ClientSession | null = null;
  private readonly items = new Map<SubscriptionMember, ClientMonitoredItemGroup[]>();
  /** Changes whenever the subscription is let go of: work begun before then stops. */
  private epoch = 0;
  private revisedIntervalLogged = false;
  private failure: string | null = null;
  private revisedSamplingLogged = false;

  constructor(
    readonly intervalMs: number,
    private readonly ctx: GroupContext,
  ) {}

  private get what(): string {
    return `${this.ctx.deviceId}: subscription at ${this.intervalMs} ms`;
  }

  /** Creates the server-side subscription and the items of every member. */
  async start(session: ClientSession): Promise<void> {
    this.busy++;
    try {
      await this.startOn(session);
    } finally {
      this.busy--;
      this.since = Math.max(this.since, Date.now());
    }
  }

  private async startOn(session: ClientSession): Promise<void> {
    const epoch = ++this.epoch;
    this.state = 'starting';
    this.session = session;
    let subscription: ClientSubscription;
    try {
      subscription = await session.createSubscription2({
        requestedPublishingInterval: this.intervalMs,
        requestedMaxKeepAliveCount: this.ctx.maxKeepAliveCount,
        requestedLifetimeCount: this.ctx.maxKeepAliveCount * 6,
        maxNotificationsPerPublish: 0,
        publishingEnabled: true,
        priority: 1,
      });
    } catch (err) {
      if (epoch !== this.epoch) return;
      this.fail(`${this.what}: the server refused it: ${errorMessage(err)}`);
      return;
    }
    if (epoch !== this.epoch) {
      letGo(subscription, session, this.ctx);
      return;
    }
    this.subscription = subscription;
    this.watch(subscription, epoch);
    this.revisedIntervalMs = subscription.publishingInterval;
    if (subscription.publishingInterval !== this.intervalMs && !this.revisedIntervalLogged) {
      this.revisedIntervalLogged = true;
      this.ctx.log.info(`${this.what}: the server publishes every ${subscription.publishingInterval} ms instead`);
    }
    this.state = 'live';
    this.since = Date.now();
    for (const member of this.members) {
      if (epoch !== this.epoch) return;
      await this.createMember(session, member, epoch);
    }
  }

  /** A member that joined a live subscription (or one the server refused: it learns why). */
  async add(member: SubscriptionMember): Promise<void> {
    if (this.state === 'failed' && this.failure) member.allBad(this.failure);
    if (this.state !== 'live' || !this.session || this.items.has(member)) return;
    this.busy++;
    try {
      await this.createMember(this.session, member, this.epoch);
    } finally {
      this.busy--;
      this.since = Math.max(this.since, Date.now());
    }
  }

  /** A member that left while others stay: its items are deleted. */
  async remove(member: SubscriptionMember): Promise<void> {
    const groups = this.items.get(member);
    this.items.delete(member);
    const subscription = this.subscription;
    if (!groups || !subscription?.isActive || !this.session) return;
    this.busy++;
    try {
      await deleteGroups(this.session, subscription, groups, this.ctx.limit);
    } catch (err) {
      this.ctx.log.warn(`${this.what}: deleting the items of a closed subscription failed: ${errorMessage(err)}`);
    } finally {
      this.busy--;
      this.since = Math.max(this.since, Date.now());
    }
  }

  /** Lets go of the subscription on the client side only (the session is gone); it is deleted at the next chance. */
  drop(): void {
    this.epoch++;
    const { subscription, session } = this;
    this.subscription = null;
    this.items.clear();
    this.state = 'idle';
    if (subscription && session) letGo(subscription, session, this.ctx);
  }

  /** Deletes the server-side subscription (and with it its items). */
  async terminate(): Promise<void> {
    this.epoch++;
    const subscription = this.subscription;
    this.subscription = null;
    this.items.clear();
    this.state = 'idle';
    if (!subscription) return;
    subscription.removeAllListeners();
    try {
      await subscription.terminate();
    } catch (err) {
      this.ctx.log.debug(`${this.what}: deleting it failed: ${errorMessage(err)}`);
    }
  }

  /**
   * How long it may stay silent: the server sends at least a keep-alive every maxKeepAliveCount
   * publishing intervals. Twice that, plus the margin: a busy server (or gateway) is late, and
   * recreating thousands of items on a false alarm costs more than noticing a stall later.
   */
  silenceLimitMs(): number {
    const interval = this.revisedIntervalMs ?? this.intervalMs;
    const count = this.subscription?.maxKeepAliveCount ?? this.ctx.maxKeepAliveCount;
    return 2 * count * interval + this.ctx.watchdogMarginMs;
  }

  private watch(subscription: ClientSubscription, epoch: number): void {
    subscription.on('raw_notification', () => {
      if (epoch === this.epoch) this.since = Date.now();
    });
    subscription.on('status_changed', (status: StatusCode) => {
      if (epoch !== this.epoch) return;
      this.ctx.log.warn(`${this.what}: the server says ${statusText(status)}`);
      if (status.value === StatusCodes.BadTimeout.value) this.state = 'stalled';
    });
    subscription.on('terminated', () => {
      // Ours end with a new epoch first: this one ended on the server's or the library's word.
      if (epoch === this.epoch && this.state === 'live') this.state = 'stalled';
    });
    subscription.on('internal_error', (err: Error) => {
      if (epoch === this.epoch) this.ctx.log.debug(`${this.what}: ${err.message}`);
    });
  }

  private fail(error: string): void {
    this.failure = error;
    this.state = 'failed';
    this.since = Date.now();
    this.ctx.log.warn(error);
    for (const member of this.members) member.allBad(error);
  }

  private async createMember(session: ClientSession, member: SubscriptionMember, epoch: number): Promise<void> {
    const subscription = this.subscription;
    if (!subscription || member.closed) return;
    this.items.set(member, []);
    const all = member.tags.map((_t, i) => i);
    const refusedDeadbands = await this.createItems(session, subscription, member, all, false, epoch);
    if (refusedDeadbands.length === 0 || epoch !== this.epoch) return;
    const first = member.tags[refusedDeadbands[0].index];
    if (!member.deadbandNoticeGiven) {
      member.deadbandNoticeGiven = true;
      const more = refusedDeadbands.length > 1 ? ` and ${refusedDeadbands.length - 1} more` : '';
      this.ctx.log.warn(
        `${this.ctx.deviceId}: ${nodeText(first)}${more}: the server refused the ${first.deadband?.type ?? ''} deadband ` +
          `(${refusedDeadbands[0].status}; a percent deadband needs the node's EURange): the gateway applies it instead`,
      );
    }
    for (const { index } of refusedDeadbands) member.filterHere(index);
    await this.createItems(session, subscription, member, refusedDeadbands.map((r) => r.index), true, epoch);
  }

  /** Creates the items of `indices`; returns the ones whose deadband the server refused (not reported yet). */
  private async createItems(
    session: ClientSession,
    subscription: ClientSubscription,
    member: SubscriptionMember,
    indices: readonly number[],
    withoutDeadband: boolean,
    epoch: number,
  ): Promise<{ index: number; status: string }[]> {
    const bySignature = new Map<string, { parameters: ItemParameters; indices: number[] }>();
    for (const i of indices) {
      const parameters = itemParameters(member.tags[i], this.intervalMs, member.options.onChangeOnly, withoutDeadband);
      const signature = parametersSignature(parameters);
      let entry = bySignature.get(signature);
      if (!entry) bySignature.set(signature, (entry = { parameters, indices: [] }));
      entry.indices.push(i);
    }
    const refused: { index: number; status: string }[] = [];
    const stillWanted = () => epoch === this.epoch && !member.closed;
    for (const { parameters, indices: some } of bySignature.values()) {
      if (!stillWanted()) break;
      const nodeIds: NodeId[] = some.map((i) => member.tags[i].nodeId);
      const outcomes = await createItems(subscription, nodeIds, toMonitoringParameters(parameters), this.ctx.limit, (k, dv) => {
        if (epoch === this.epoch) member.value(some[k], dv);
      }, { what: this.what, log: this.ctx.log, stillWanted });
      if (epoch !== this.epoch) return [];
      this.since = Date.now();
      const kept = new Set<ClientMonitoredItemGroup>();
      let slower = 0;
      let revised = 0;
      outcomes.forEach((outcome, k) => {
        const index = some[k];
        const tag = member.tags[index];
        if ('error' in outcome) {
          member.refused(index, `${this.ctx.deviceId}: ${nodeText(tag)}: ${outcome.error}`);
          return;
        }
        if (outcome.status.isGood()) {
          kept.add(outcome.group);
          const sampling = outcome.group.monitoredItems[outcome.index].monitoringParameters.samplingInterval;
          if (sampling !== parameters.samplingIntervalMs) {
            slower++;
            revised = sampling;
          }
          return;
        }
        if (hasDeadband(parameters) && isDeadbandRefusal(outcome.status)) {
          refused.push({ index, status: outcome.status.name });
          return;
        }
        member.refused(index, `${this.ctx.deviceId}: ${nodeText(tag)}: ${statusText(outcome.status)}`, outcome.status.name);
      });
      this.items.get(member)?.push(...kept);
      if (member.closed && kept.size > 0) await deleteGroups(session, subscription, [...kept], this.ctx.limit).catch(() => undefined);
      if (slower > 0 && !this.revisedSamplingLogged) {
        this.revisedSamplingLogged = true;
        this.ctx.log.info(`${this.what}: the server samples ${slower} item(s) every ${revised} ms, not every ${parameters.samplingIntervalMs} ms as asked`);
      }
    }
    return refused;
  }
}

function nodeText(tag: { meta?: { nodeId: string }; nodeId: NodeId }): string {
  return tag.meta?.nodeId ?? tag.nodeId.toString();
}

/**
 * Stops node-opcua from serving (or repairing, after a reconnect) a subscription we no longer
 * use: it leaves the session's publish engine, without a request to a server that may be gone.
 */
function letGo(subscription: ClientSubscription, session: ClientSession, ctx: GroupContext): void {
  subscription.removeAllListeners();
  const id = subscription.subscriptionId;
  const engine = (subscription as unknown as { publishEngine?: PublishEngineView }).publishEngine;
  if (Number.isFinite(id) && id > 0 && engine?.hasSubscription(id)) {
    engine.unregisterSubscription(id);
    ctx.orphan(session, id);
  }
}

interface PublishEngineView {
  hasSubscription(id: number): boolean;
  unregisterSubscription(id: number): void;
}
