import type { DriverSubscription, SubscribeOptions, ValueSink } from './driver';
import { ScanGroup, type PollTag, type ScanHost } from './scanGroup';

/**
 * Subscriptions served by polling, for drivers whose devices do not report changes themselves:
 * one scan group per interval, made on first use and dropped when its last subscriber leaves.
 */
export class Poller<T extends PollTag> {
  private readonly groups = new Map<number, ScanGroup<T>>();

  constructor(
    private readonly host: ScanHost<T>,
    /** The device's id: groups of crowded intervals spread over phases by it. */
    private readonly deviceId = '',
  ) {}

  subscribe(tags: readonly T[], options: SubscribeOptions, sink: ValueSink): DriverSubscription {
    let group = this.groups.get(options.intervalMs);
    if (!group) {
      group = new ScanGroup(options.intervalMs, this.host, this.deviceId);
      this.groups.set(options.intervalMs, group);
    }
    const g = group;
    const sub = g.add(tags, options.onChangeOnly, sink, options.deadband);
    let closed = false;
    return {
      keys: tags.map((t) => t.key),
      close: () => {
        if (closed) return;
        closed = true;
        g.remove(sub);
        if (g.isEmpty && this.groups.get(options.intervalMs) === g) this.groups.delete(options.intervalMs);
      },
    };
  }

  get groupCount(): number {
    return this.groups.size;
  }

  publishBad(reason: string): void {
    for (const g of this.groups.values()) g.publishBad(reason);
  }

  replan(): void {
    for (const g of this.groups.values()) g.replan();
  }

  stop(reason: string): void {
    for (const g of this.groups.values()) {
      g.publishBad(reason);
      g.stop();
    }
    this.groups.clear();
  }
}
