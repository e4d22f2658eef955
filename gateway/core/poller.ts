import type { DriverSubscription, SubscribeOptions, ValueSink } from './driver';
import { ScanGroup, type PollTag, type ScanHost, type Subscriber } from './scanGroup';

/**
 * Subscriptions served by polling, for drivers whose devices do not report changes themselves:
 * one scan group per interval, made on first use and dropped when its last subscriber leaves.
 */
export class Poller<T extends PollTag> {
  /** Usually one or two: an array costs far less than a Map per device. */
  private groups: ScanGroup<T>[] = [];

  constructor(
    private readonly host: ScanHost<T>,
    /** The device's id: groups of crowded intervals spread over phases by it. */
    private readonly deviceId = '',
  ) {}

  subscribe(tags: readonly T[], options: SubscribeOptions, sink: ValueSink): DriverSubscription {
    let group = this.groups.find((g) => g.intervalMs === options.intervalMs);
    if (!group) {
      group = new ScanGroup(options.intervalMs, this.host, this.deviceId);
      this.groups = [...this.groups, group]; // exact size: push would reserve 16 more slots
    }
    return new PollSubscription(this, group, group.add(tags, options.onChangeOnly, sink, options.deadband, options.defaultDeadband), tags);
  }

  get groupCount(): number {
    return this.groups.length;
  }

  publishBad(reason: string): void {
    for (const g of this.groups) g.publishBad(reason);
  }

  replan(): void {
    for (const g of this.groups) g.replan();
  }

  stop(reason: string): void {
    for (const g of this.groups) {
      g.publishBad(reason);
      g.stop();
    }
    this.groups = [];
  }

  /** A subscription left its group: the group goes when it was the last. */
  left(group: ScanGroup<T>): void {
    if (group.isEmpty) this.groups = this.groups.filter((g) => g !== group);
  }
}

/** A class rather than a closure: one small object per subscription. */
class PollSubscription<T extends PollTag> implements DriverSubscription {
  readonly keys: string[];
  private closed = false;

  constructor(
    private readonly poller: Poller<T>,
    private readonly group: ScanGroup<T>,
    private readonly member: Subscriber,
    tags: readonly T[],
  ) {
    this.keys = tags.map((t) => t.key);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.group.remove(this.member);
    this.poller.left(this.group);
  }
}
