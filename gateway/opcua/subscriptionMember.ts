/**
 * One bifrost subscription of an OPC UA device: its tags, its sink, and the readings waiting to
 * go out. node-opcua hands over the values of one publish response one item at a time, all in
 * the same turn: collecting them until the turn ends gives the core one batch per response.
 */
import type { DataValue } from 'node-opcua-client';
import type { ValueSink } from '../core/driver';
import { ChangeFilter } from '../core/changeFilter';
import { badReading, badReadings } from '../core/readings';
import type { TagReading } from '../protocol';
import type { MonitoredTag, SubscriptionOptions } from './subscriptions';
import type { VariableMeta } from './services';

export type ToReading = (tag: string, dataValue: DataValue, meta: VariableMeta | undefined, receivedAt: number) => TagReading;

export class SubscriptionMember {
  readonly keys: string[];
  closed = false;
  /** Logged once: the server refused some deadbands and the gateway applies them. */
  deadbandNoticeGiven = false;
  /** Tags (by index) whose deadband the server refused: filtered here instead. */
  private readonly filteredHere = new Set<number>();
  private readonly filter: ChangeFilter;
  private pending: TagReading[] = [];
  private flushQueued = false;
  /** When the values waiting arrived: one publish response comes in one turn, at one time. */
  private receivedAt = 0;

  constructor(
    readonly tags: readonly MonitoredTag[],
    readonly options: SubscriptionOptions,
    private readonly sink: ValueSink,
    private readonly convert: ToReading,
  ) {
    this.keys = tags.map((t) => t.key);
    this.filter = new ChangeFilter(true);
  }

  filterHere(index: number): void {
    this.filteredHere.add(index);
  }

  /** A value of tag `index` from the server. */
  value(index: number, dataValue: DataValue): void {
    if (this.closed) return;
    const tag = this.tags[index];
    if (!this.flushQueued) this.receivedAt = Date.now();
    const reading = this.convert(tag.key, dataValue, tag.meta, this.receivedAt);
    if (this.filteredHere.has(index) && !this.filter.passes(reading, tag.deadband)) return;
    this.push(reading);
  }

  /** Tag `index` does not run: the reason, and the server's status name when it gave one. */
  refused(index: number, error: string, status?: string): void {
    if (this.closed) return;
    this.push(badReading(this.tags[index].key, error, Date.now(), status));
  }

  /** Every tag at once (each key once), after whatever was still waiting. */
  allBad(error: string): void {
    if (this.closed) return;
    this.flush();
    for (const key of new Set(this.keys)) this.filter.forget(key);
    this.sink(badReadings(new Set(this.keys), error));
  }

  private push(reading: TagReading): void {
    this.pending.push(reading);
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.pending.length === 0 || this.closed) {
      this.pending = [];
      return;
    }
    const batch = this.pending;
    this.pending = [];
    this.sink(batch);
  }
}
