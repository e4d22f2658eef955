/**
 * When a scan group scans, on a clock the test moves by hand (node:test's mock timers, which
 * print an experimental warning on Node 20): the grid of the interval, ticks skipped while a scan
 * overruns, ticks missed while the event loop was blocked, and how a long scan's readings leave
 * in quarter-interval batches. Exact times, because no real time passes.
 */
import { strict as assert } from 'node:assert';
import { mock } from 'node:test';
import type { TagReading } from '../../gateway/protocol';
import { ScanGroup, type PollTag, type ScanHost, type ScanStep } from '../../gateway/core/scanGroup';

/** A clock reading ending in ...000 ms, so that times within an interval are easy to read. */
const T0 = 1_800_000_000_000;
const settle = () => new Promise((r) => setImmediate(r));

/** Moves the mocked clock to `t` one millisecond at a time, letting each scan's promises run. */
async function runUntil(t: number): Promise<void> {
  while (Date.now() < t) {
    mock.timers.tick(1);
    await settle();
  }
}

/** A device whose every tag is one step that takes `readMs` of (mocked) time. */
class TimedHost implements ScanHost<PollTag> {
  /** When each step's read started, relative to T0. */
  readonly reads: { key: string; at: number }[] = [];
  skipped = 0;

  constructor(private readonly readMs: number) {}

  availability(): 'up' {
    return 'up';
  }
  countSkippedScan(): void {
    this.skipped++;
  }
  plan(tags: readonly PollTag[]): ScanStep[] {
    return tags.map((t) => ({
      keys: [t.key],
      read: async () => {
        this.reads.push({ key: t.key, at: Date.now() - T0 });
        await new Promise((r) => setTimeout(r, this.readMs));
        return [{ tag: t.key, value: 1, quality: 'good', timestamp: Date.now() } satisfies TagReading];
      },
    }));
  }
  /** Start times of the scans: the reads of the first tag. */
  scans(key = 'a'): number[] {
    return this.reads.filter((r) => r.key === key).map((r) => r.at);
  }
}

const tags = (...keys: string[]): PollTag[] => keys.map((key) => ({ key }));

describe('scan group timing', () => {
  const groups: ScanGroup<PollTag>[] = [];
  const group = (intervalMs: number, host: ScanHost<PollTag>, device = 'plc') => {
    const g = new ScanGroup(intervalMs, host, device);
    groups.push(g);
    return g;
  };

  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: T0 });
  });
  afterEach(() => {
    for (const g of groups.splice(0)) g.stop();
    mock.timers.reset();
  });

  it('scans at once, then on multiples of the interval, so that groups started apart tick together', async () => {
    const early = new TimedHost(1);
    const late = new TimedHost(1);
    await runUntil(T0 + 37);
    group(100, early, 'plc1').add(tags('a'), false, () => undefined);
    await runUntil(T0 + 80);
    // Less than half an interval before the grid: the first scan is not followed at once by another.
    group(100, late, 'plc2').add(tags('a'), false, () => undefined);
    await runUntil(T0 + 450);
    assert.deepEqual(early.scans(), [37, 100, 200, 300, 400]);
    assert.deepEqual(late.scans(), [80, 200, 300, 400]);
    assert.equal(early.skipped + late.skipped, 0);
  });

  it('skips and counts the ticks that find the previous scan still running, and never queues them', async () => {
    const host = new TimedHost(250);
    await runUntil(T0 + 10);
    group(100, host).add(tags('a'), false, () => undefined);
    await runUntil(T0 + 650);
    // Each scan takes 250 ms: the ticks at 100 and 200 find the first running, 400 and 500 the second.
    assert.deepEqual(host.scans(), [10, 300, 600]);
    assert.equal(host.skipped, 4);
  });

  it('counts the ticks missed while the event loop was blocked, and goes back to the grid', async () => {
    const host = new TimedHost(1);
    await runUntil(T0 + 10);
    group(100, host).add(tags('a'), false, () => undefined);
    await runUntil(T0 + 20);
    // The process does not run timers for 430 ms (a long synchronous job, a paused VM).
    mock.timers.setTime(T0 + 450);
    await runUntil(T0 + 451);
    await runUntil(T0 + 650);
    // The overdue tick scans at once; those due at 200, 300 and 400 are counted, not made up.
    assert.deepEqual(host.scans(), [10, 451, 500, 600]);
    assert.equal(host.skipped, 3);
  });

  it('sends a long scan in quarter-interval batches, and a scan that fits in one', async () => {
    const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const slow = new TimedHost(30);
    const slowBatches: { at: number; tags: string[] }[] = [];
    group(200, slow, 'slow').add(tags(...keys), false, (items) => slowBatches.push({ at: Date.now() - T0, tags: items.map((r) => r.tag) }));
    const quick = new TimedHost(5);
    const quickBatches: string[][] = [];
    group(200, quick, 'quick').add(tags(...keys), false, (items) => quickBatches.push(items.map((r) => r.tag)));
    await runUntil(T0 + 199);
    // Steps of 30 ms: a quarter interval (50 ms) has passed after every second step.
    assert.deepEqual(slowBatches, [
      { at: 60, tags: ['a', 'b'] },
      { at: 120, tags: ['c', 'd'] },
      { at: 180, tags: ['e', 'f'] },
    ]);
    assert.deepEqual(quickBatches, [keys], 'eight steps of 5 ms: one batch');
    await runUntil(T0 + 241);
    assert.deepEqual(slowBatches.at(-1), { at: 240, tags: ['g', 'h'] }, 'the rest when the scan ends');
    assert.equal(slow.skipped, 1, 'the tick at 200 found the scan running');
  });
});
