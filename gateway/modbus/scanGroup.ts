import type { TagReading } from '../protocol';
import { ChangeFilter } from '../devices/changeFilter';
import type { ValueSink } from '../devices/driver';
import { planReads, type PlanLimits, type PlannedRead } from './planner';
import type { ResolvedTag } from './tags';
import { log } from '../log';

/** What a scan group needs from its device. */
export interface ScanHost {
  isConnected(): boolean;
  isConnecting(): boolean;
  unavailableReason(): string;
  /** One planned read through the device's queue; rejects with a person-readable error. */
  readPlanned(req: PlannedRead): Promise<number[] | boolean[]>;
  decode(tag: ResolvedTag, req: PlannedRead, data: number[] | boolean[], timestamp: number): TagReading;
  readonly limits: PlanLimits;
  countSkippedScan(): void;
}

interface Subscriber {
  keys: Set<string>;
  filter: ChangeFilter;
  sink: ValueSink;
}

/**
 * All tags of one device polled at one interval. Tags shared by several subscriptions are read
 * once. A tick that finds the previous scan still running is skipped and counted: overload never
 * builds a queue, and values are delivered while a long scan runs so none is older than about
 * a quarter interval plus one request when it leaves (a scan that fits its interval still
 * sends one batch).
 */
export class ScanGroup {
  private readonly tags = new Map<string, { tag: ResolvedTag; refs: number }>();
  private readonly subscribers = new Set<Subscriber>();
  private plan: { reads: PlannedRead[]; tags: ResolvedTag[] } | null = null;
  private running = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private nextDue = 0;

  constructor(
    readonly intervalMs: number,
    private readonly host: ScanHost,
  ) {}

  get isEmpty(): boolean {
    return this.subscribers.size === 0;
  }

  add(tags: readonly ResolvedTag[], onChangeOnly: boolean, sink: ValueSink): Subscriber {
    const sub: Subscriber = { keys: new Set(tags.map((t) => t.key)), filter: new ChangeFilter(onChangeOnly), sink };
    for (const t of tags) {
      const entry = this.tags.get(t.key);
      if (entry) entry.refs++;
      else {
        this.tags.set(t.key, { tag: t, refs: 1 });
        this.plan = null;
      }
    }
    this.subscribers.add(sub);
    if (!this.timer && !this.stopped) this.startTimer();
    return sub;
  }

  remove(sub: Subscriber): void {
    if (!this.subscribers.delete(sub)) return;
    for (const key of sub.keys) {
      const entry = this.tags.get(key);
      if (entry && --entry.refs === 0) {
        this.tags.delete(key);
        this.plan = null;
      }
    }
    if (this.subscribers.size === 0) this.stop();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Tells every subscriber at once that its tags are bad (connection lost, device removed). */
  publishBad(reason: string): void {
    const now = Date.now();
    this.publish([...this.tags.keys()].map((tag) => ({ tag, value: null, quality: 'bad', timestamp: now, error: reason })));
  }

  private startTimer(): void {
    // First values at once. Later scans run on the wall-clock grid of the interval (multiples of
    // it since the epoch), so that groups of one interval on every device tick together and the
    // process wakes once for all of them; the grid also keeps intervals from drifting.
    this.startScan();
    const now = Date.now();
    let due = Math.ceil(now / this.intervalMs) * this.intervalMs;
    if (due - now < this.intervalMs / 2) due += this.intervalMs;
    this.nextDue = due;
    this.timer = setTimeout(() => this.tick(), due - now);
  }

  private startScan(): void {
    this.scan().catch((err) => log.error(`scan failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
  }

  private tick(): void {
    if (this.stopped) return;
    const now = Date.now();
    if (this.running) this.host.countSkippedScan();
    else this.startScan();
    this.nextDue += this.intervalMs;
    if (this.nextDue <= now) {
      // The event loop fell behind by whole intervals: those ticks are missed, not made up.
      const missed = Math.floor((now - this.nextDue) / this.intervalMs) + 1;
      for (let i = 0; i < missed; i++) this.host.countSkippedScan();
      this.nextDue += missed * this.intervalMs;
    }
    this.timer = setTimeout(() => this.tick(), this.nextDue - now);
  }

  private currentPlan(): { reads: PlannedRead[]; tags: ResolvedTag[] } {
    if (!this.plan) {
      const tags = [...this.tags.values()].map((e) => e.tag);
      this.plan = { reads: planReads(tags.map((t) => t.address), this.host.limits), tags };
    }
    return this.plan;
  }

  private async scan(): Promise<void> {
    this.running = true;
    try {
      // While the first connection is still being made there is no news to send; a failure to
      // connect turns the status to error, and the next tick reports the tags bad with the reason.
      if (this.host.isConnecting()) return;
      if (!this.host.isConnected()) {
        this.publishBad(this.host.unavailableReason());
        return;
      }
      const { reads, tags } = this.currentPlan();
      const flushEveryMs = Math.max(1, this.intervalMs / 4);
      let pending: TagReading[] = [];
      let lastFlush = Date.now();
      for (let i = 0; i < reads.length; i++) {
        if (this.stopped) return;
        const req = reads[i]!;
        try {
          const data = await this.host.readPlanned(req);
          const ts = Date.now();
          for (const m of req.members) pending.push(this.host.decode(tags[m]!, req, data, ts));
        } catch (err) {
          const ts = Date.now();
          const error = err instanceof Error ? err.message : String(err);
          for (const m of req.members) pending.push({ tag: tags[m]!.key, value: null, quality: 'bad', timestamp: ts, error });
          if (!this.host.isConnected()) {
            // The connection is gone: the rest of this scan cannot succeed. The device has
            // already told every subscriber; stop here.
            break;
          }
        }
        if (Date.now() - lastFlush >= flushEveryMs) {
          this.publish(pending);
          pending = [];
          lastFlush = Date.now();
        }
      }
      this.publish(pending);
    } finally {
      this.running = false;
    }
  }

  private publish(readings: TagReading[]): void {
    if (readings.length === 0 || this.stopped) return;
    for (const sub of this.subscribers) {
      // A subscriber of every tag in the group (the usual case) needs no membership test.
      const all = sub.keys.size === this.tags.size;
      const items: TagReading[] = [];
      for (const r of readings) if ((all || sub.keys.has(r.tag)) && sub.filter.passes(r)) items.push(r);
      if (items.length > 0) sub.sink(items);
    }
  }
}
