import type { Deadband, TagReading } from '../protocol';
import { ChangeFilter } from './changeFilter';
import { callAt, cancelAt } from './gridClock';
import type { ValueSink } from './driver';
import { badReading, badReadings } from './readings';
import { errorMessage } from '../errors';
import { log } from '../log';

/** A tag as polling sees it: a key, and maybe a deadband of its own. */
export interface PollTag {
  readonly key: string;
  readonly deadband?: Deadband;
}

/** One request of a scan: the tags it reads, and how. */
export interface ScanStep {
  readonly keys: readonly string[];
  /** Readings for (some of) its keys; a rejection makes every key bad with the error's message. */
  read(): Promise<TagReading[]>;
}

/** What a scan group needs from its device: "read this batch of tags", and whether it can. */
export interface ScanHost<T extends PollTag> {
  /**
   * `wait`: the first connection is still being made, nothing is known yet, good or bad; `up`:
   * requests may be sent; otherwise why the device cannot be read.
   */
  availability(): 'wait' | 'up' | { down: string };
  /** Splits the tags into steps (requests); called again only when the tags change or on replan(). */
  plan(tags: readonly T[]): ScanStep[];
  countSkippedScan(): void;
}

/** Groups per interval, across every device: how crowded each grid is. */
const groupsPerInterval = new Map<number, number>();
/** Up to this many groups of one interval tick together; beyond, they spread over phases. */
const GROUPS_PER_PHASE = 256;
const MAX_PHASES = 64;

/**
 * The phase of a group within its interval. A few hundred groups tick together on the grid, so
 * the process wakes once for all of them; thousands (a gateway of 10,000 devices) would all send
 * their requests in the same instant, hold them all in flight at once and make the garbage
 * collector promote what should die young, so they spread over up to 64 phases, by device.
 */
export function phaseOf(key: string, intervalMs: number, groups: number): number {
  let phases = 1;
  while (phases < MAX_PHASES && groups > phases * GROUPS_PER_PHASE) phases *= 2;
  if (phases === 1) return 0;
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  return ((h >>> 0) % phases) * Math.floor(intervalMs / phases);
}

export interface Subscriber {
  /** Each key once. */
  keys: string[];
  /** Built when first needed: only a subscriber of some of the group's tags asks. */
  keySet: Set<string> | null;
  filter: ChangeFilter;
  sink: ValueSink;
}

/**
 * All tags of one device polled at one interval. Tags shared by several subscriptions are read
 * once. A tick that finds the previous scan still running is skipped and counted: overload never
 * builds a queue, and values are delivered while a long scan runs so none waits longer than about
 * a quarter interval plus one request before it leaves (a scan that fits its interval still
 * sends one batch).
 */
export class ScanGroup<T extends PollTag> {
  /** Each key read once, whichever subscribers share it (remove() works out who still needs it). */
  private readonly tags = new Map<string, T>();
  /** Usually one: an array costs far less than a Set per device. */
  private subscribers: Subscriber[] = [];
  private plan: ScanStep[] | null = null;
  private running = false;
  private stopped = false;
  private ticking = false;
  private nextDue = 0;
  /** Bound once: the clock holds it until the next tick. */
  private readonly onTick = (): void => this.tick();
  private counted = false;

  constructor(
    readonly intervalMs: number,
    private readonly host: ScanHost<T>,
    /** Which device the group belongs to, to spread crowded grids (phaseOf). */
    private readonly phaseKey = '',
  ) {}

  get isEmpty(): boolean {
    return this.subscribers.length === 0;
  }

  /** Keys read by this group, for tests and statistics. */
  get size(): number {
    return this.tags.size;
  }

  add(tags: readonly T[], onChangeOnly: boolean, sink: ValueSink, deadband?: Deadband, defaultDeadband?: Deadband): Subscriber {
    const keys: string[] = [];
    // A tag named twice by one subscription counts once: remove() lets go of each key once.
    const seen = tags.length > 1 ? new Set<string>() : null;
    for (const t of tags) {
      if (seen) {
        if (seen.has(t.key)) continue;
        seen.add(t.key);
      }
      keys.push(t.key);
      if (!this.tags.has(t.key)) {
        this.tags.set(t.key, t);
        this.plan = null;
      }
    }
    // Kept at its exact size (a copy): pushing reserved room for more that never come.
    const sub: Subscriber = { keys: keys.slice(), keySet: null, filter: new ChangeFilter(onChangeOnly, deadband, defaultDeadband), sink };
    this.subscribers = [...this.subscribers, sub]; // exact size: push would reserve 16 more slots
    if (!this.ticking && !this.stopped) this.startTimer();
    return sub;
  }

  remove(sub: Subscriber): void {
    if (!this.subscribers.includes(sub)) return;
    // A new array: a publish under way (a sink that unsubscribes) goes on over the old one.
    this.subscribers = this.subscribers.filter((s) => s !== sub);
    if (this.subscribers.length === 0) {
      this.tags.clear();
      this.plan = null;
      this.stop();
      return;
    }
    const stillWanted = new Set<string>();
    for (const other of this.subscribers) for (const key of other.keys) stillWanted.add(key);
    for (const key of sub.keys) {
      if (!stillWanted.has(key) && this.tags.delete(key)) this.plan = null;
    }
  }

  /** The host learned something that changes how the tags are best read. */
  replan(): void {
    this.plan = null;
  }

  stop(): void {
    this.stopped = true;
    if (this.ticking) cancelAt(this.nextDue, this.onTick);
    this.ticking = false;
    if (this.counted) {
      this.counted = false;
      const n = (groupsPerInterval.get(this.intervalMs) ?? 1) - 1;
      if (n > 0) groupsPerInterval.set(this.intervalMs, n);
      else groupsPerInterval.delete(this.intervalMs);
    }
  }

  /** Tells every subscriber at once that its tags are bad (connection lost, device removed). */
  publishBad(reason: string): void {
    this.publish(badReadings(this.tags.keys(), reason));
  }

  private startTimer(): void {
    // First values at once. Later scans run on the wall-clock grid of the interval (multiples of
    // it since the epoch), so that groups of one interval on every device tick together and the
    // process wakes once for all of them; the grid also keeps intervals from drifting.
    this.startScan();
    const groups = (groupsPerInterval.get(this.intervalMs) ?? 0) + 1;
    groupsPerInterval.set(this.intervalMs, groups);
    this.counted = true;
    const phase = phaseOf(this.phaseKey, this.intervalMs, groups);
    const now = Date.now();
    let due = Math.ceil((now - phase) / this.intervalMs) * this.intervalMs + phase;
    if (due - now < this.intervalMs / 2) due += this.intervalMs;
    this.nextDue = due;
    this.ticking = true;
    callAt(due, this.onTick);
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
    callAt(this.nextDue, this.onTick);
  }

  private currentPlan(): ScanStep[] {
    if (!this.plan) this.plan = this.host.plan([...this.tags.values()]);
    return this.plan;
  }

  private async scan(): Promise<void> {
    this.running = true;
    try {
      const availability = this.host.availability();
      // While the first connection is still being made there is no news to send; a failure to
      // connect makes the device unavailable, and the next tick reports the tags bad with the reason.
      if (availability === 'wait') return;
      if (availability !== 'up') {
        this.publishBad(availability.down);
        return;
      }
      const steps = this.currentPlan();
      const flushEveryMs = Math.max(1, this.intervalMs / 4);
      let pending: TagReading[] = [];
      let lastFlush = Date.now();
      for (const step of steps) {
        if (this.stopped) return;
        try {
          const readings = await step.read();
          // The usual scan is one request: its readings are the batch, without a copy.
          if (pending.length === 0) pending = readings;
          else for (const r of readings) pending.push(r);
        } catch (err) {
          const ts = Date.now();
          const error = errorMessage(err);
          for (const key of step.keys) pending.push(badReading(key, error, ts));
          // The device is gone: the rest of this scan cannot succeed, and it has already told
          // every subscriber.
          if (this.host.availability() !== 'up') break;
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
      // A subscriber of every tag in the group (the usual case) needs no membership test, and
      // without a filter it gets the batch itself (nothing changes a batch once published).
      const all = sub.keys.length === this.tags.size;
      if (all && !sub.filter.filters) {
        sub.sink(readings);
        continue;
      }
      const items: TagReading[] = [];
      const keySet = all ? null : (sub.keySet ??= new Set(sub.keys));
      for (const r of readings) {
        if (keySet && !keySet.has(r.tag)) continue;
        // The tag's deadband is looked up only by subscriptions that report by exception.
        if (!sub.filter.filters || sub.filter.passes(r, this.tags.get(r.tag)?.deadband)) items.push(r);
      }
      if (items.length > 0) sub.sink(items);
    }
  }
}
