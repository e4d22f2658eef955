import { strict as assert } from 'node:assert';
import type { TagReading } from '../../gateway/protocol';
import { ChangeFilter } from '../../gateway/core/changeFilter';
import { phaseOf, ScanGroup, type PollTag, type ScanHost, type ScanStep } from '../../gateway/core/scanGroup';

const good = (tag: string, value: number, timestamp = Date.now()): TagReading => ({ tag, value, quality: 'good', timestamp });

/** A device whose every tag is one step; each step's answer is released by the test (or at once). */
class FakeHost implements ScanHost<PollTag> {
  state: 'wait' | 'up' | { down: string } = 'up';
  skipped = 0;
  plans: string[][] = [];
  reads: string[] = [];
  /** When set, each read waits until the test calls release(). */
  manual = false;
  private waiting: (() => void)[] = [];
  values = new Map<string, number>();

  availability() {
    return this.state;
  }
  countSkippedScan(): void {
    this.skipped++;
  }
  plan(tags: readonly PollTag[]): ScanStep[] {
    this.plans.push(tags.map((t) => t.key));
    return tags.map((t) => ({
      keys: [t.key],
      read: async () => {
        this.reads.push(t.key);
        if (this.manual) await new Promise<void>((resolve) => this.waiting.push(resolve));
        return [good(t.key, this.values.get(t.key) ?? 0)];
      },
    }));
  }
  release(): boolean {
    const next = this.waiting.shift();
    next?.();
    return next !== undefined;
  }
  get pending(): number {
    return this.waiting.length;
  }
}

const tags = (...keys: string[]): PollTag[] => keys.map((key) => ({ key }));
const tick = () => new Promise((r) => setTimeout(r, 0));
async function until(what: string, cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('scan group', () => {
  const groups: ScanGroup<PollTag>[] = [];
  afterEach(() => groups.splice(0).forEach((g) => g.stop()));
  const group = (intervalMs: number, host: ScanHost<PollTag>) => {
    const g = new ScanGroup(intervalMs, host);
    groups.push(g);
    return g;
  };

  it('reads a tag shared by subscriptions once, and lets go of a tag a subscription named twice', async () => {
    const host = new FakeHost();
    const g = group(60_000, host);
    const twice = g.add(tags('x', 'x', 'y'), true, () => undefined);
    const other = g.add(tags('y'), true, () => undefined);
    assert.equal(g.size, 2);
    g.remove(twice);
    // Before the fix, "x" kept a reference of its own and was read as long as "other" lived.
    assert.equal(g.size, 1);
    await tick();
    g.replan();
    const seen: TagReading[][] = [];
    const third = g.add(tags('y'), true, (items) => seen.push(items));
    assert.equal(g.size, 1);
    g.remove(other);
    g.remove(third);
    assert.equal(g.size, 0);
    assert.ok(g.isEmpty);
  });

  it('scans at once, then on the interval; a tick that finds the scan still running is skipped and counted', async () => {
    const host = new FakeHost();
    host.manual = true;
    const g = group(20, host);
    const batches: TagReading[][] = [];
    g.add(tags('a'), false, (items) => batches.push(items));
    await until('the first scan to start', () => host.pending === 1);
    await until('three skipped ticks', () => host.skipped >= 3);
    assert.equal(host.reads.length, 1, 'no second scan started while the first one ran');
    host.release();
    await until('the first batch', () => batches.length === 1);
    await until('a later scan', () => host.reads.length >= 2);
    while (host.release()) await tick();
  });

  it('sends what a long scan has read every quarter interval, before the scan ends', async () => {
    const host = new FakeHost();
    host.manual = true;
    const g = group(200, host);
    const batches: TagReading[][] = [];
    g.add(tags('a', 'b', 'c'), false, (items) => batches.push(items));
    await until('step a', () => host.pending === 1);
    host.release();
    await until('step b', () => host.pending === 1);
    await new Promise((r) => setTimeout(r, 60)); // more than a quarter of 200 ms
    host.release();
    await until('a flush before the scan ends', () => batches.length === 1);
    assert.deepEqual(batches[0]!.map((r) => r.tag), ['a', 'b']);
    assert.equal(host.pending, 1, 'step c is still waiting');
    host.release();
    await until('the rest', () => batches.length === 2);
    assert.deepEqual(batches[1]!.map((r) => r.tag), ['c']);
  });

  it('sends nothing while the first connection is made, and bad readings with the reason once it failed', async () => {
    const host = new FakeHost();
    host.state = 'wait';
    const g = group(20, host);
    const batches: TagReading[][] = [];
    g.add(tags('a', 'a', 'b'), true, (items) => batches.push(items));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(batches.length, 0, 'no news while connecting');
    host.state = { down: 'plc: connection refused' };
    await until('bad readings', () => batches.length > 0);
    assert.deepEqual(batches[0]!.map((r) => [r.tag, r.quality, r.error]), [
      ['a', 'bad', 'plc: connection refused'],
      ['b', 'bad', 'plc: connection refused'],
    ]);
    assert.equal(host.reads.length, 0);
  });

  it('keeps subscribers apart: each gets its own tags, each with its own change filter', async () => {
    const host = new FakeHost();
    const g = group(20, host);
    const first: TagReading[] = [];
    const second: TagReading[] = [];
    g.add(tags('a', 'b'), true, (items) => first.push(...items));
    g.add(tags('b'), false, (items) => second.push(...items));
    await until('two scans for the second subscriber', () => second.length >= 2);
    assert.deepEqual([...new Set(first.map((r) => r.tag))].sort(), ['a', 'b']);
    assert.equal(first.length, 2, 'unchanged values are reported once to an onChangeOnly subscriber');
    assert.ok(second.every((r) => r.tag === 'b'));
  });
});

describe('scan phases', () => {
  it('lets a few hundred groups of one interval tick together, and spreads thousands over the interval', () => {
    assert.equal(phaseOf('plc1', 1000, 1), 0);
    assert.equal(phaseOf('plc1', 1000, 256), 0);
    const counts = new Map<number, number>();
    for (let i = 0; i < 10_000; i++) {
      const phase = phaseOf(`dev${i}`, 1000, 10_000);
      assert.ok(phase >= 0 && phase < 1000, `phase ${phase}`);
      counts.set(phase, (counts.get(phase) ?? 0) + 1);
    }
    assert.equal(counts.size, 64, 'every phase is used');
    assert.ok(Math.max(...counts.values()) < 2 * (10_000 / 64), `no phase is crowded: ${Math.max(...counts.values())}`);
    assert.equal(phaseOf('dev7', 1000, 10_000), phaseOf('dev7', 1000, 10_000), 'a device keeps its phase');
  });
});

describe('change filter', () => {
  it('passes the first reading, then only changes', () => {
    const f = new ChangeFilter(true);
    assert.equal(f.passes(good('t', 1)), true);
    assert.equal(f.passes(good('t', 1)), false);
    assert.equal(f.passes(good('t', 2)), true);
    assert.equal(f.passes({ tag: 't', value: null, quality: 'bad', timestamp: 0, error: 'gone' }), true);
    assert.equal(f.passes({ tag: 't', value: null, quality: 'bad', timestamp: 0, error: 'gone' }), false);
    assert.equal(f.passes({ tag: 't', value: null, quality: 'bad', timestamp: 0, error: 'other reason' }), true);
  });

  it('passes everything when not reporting by exception', () => {
    const f = new ChangeFilter(false, { type: 'absolute', value: 100 });
    assert.equal(f.passes(good('t', 1)), true);
    assert.equal(f.passes(good('t', 1)), true);
  });

  it('holds back changes within an absolute deadband, measured from the last value passed', () => {
    const f = new ChangeFilter(true);
    const db = { type: 'absolute' as const, value: 0.5 };
    assert.equal(f.passes(good('t', 10), db), true);
    assert.equal(f.passes(good('t', 10.3), db), false);
    assert.equal(f.passes(good('t', 10.5), db), false, 'a change equal to the deadband is not beyond it');
    assert.equal(f.passes(good('t', 10.6), db), true, 'drift adds up against the last value passed');
    assert.equal(f.passes(good('t', 10.2), db), false);
    assert.equal(f.passes(good('t', 9.9), db), true);
  });

  it('holds back changes within a percent deadband of the last value passed', () => {
    const f = new ChangeFilter(true);
    const db = { type: 'percent' as const, value: 10 };
    assert.equal(f.passes(good('t', 200), db), true);
    assert.equal(f.passes(good('t', 219), db), false);
    assert.equal(f.passes(good('t', 221), db), true);
    assert.equal(f.passes(good('t', 0), db), true);
    assert.equal(f.passes(good('t', 0.001), db), true, 'from zero every change is beyond any percentage');
  });

  it("lets a subscription's deadband override the tag's, and always passes a change of quality", () => {
    const f = new ChangeFilter(true, { type: 'absolute', value: 5 });
    const tagDb = { type: 'absolute' as const, value: 0.1 };
    assert.equal(f.passes(good('t', 1), tagDb), true);
    assert.equal(f.passes(good('t', 3), tagDb), false);
    assert.equal(f.passes({ tag: 't', value: 3, quality: 'uncertain', timestamp: 0 }, tagDb), true);
  });

  it("applies a default deadband (a publisher's) only to tags without one of their own", () => {
    const f = new ChangeFilter(true, undefined, { type: 'absolute', value: 5 });
    const own = { type: 'absolute' as const, value: 0.1 };
    assert.equal(f.passes(good('own', 1), own), true);
    assert.equal(f.passes(good('own', 2), own), true, "the tag's own deadband wins");
    assert.equal(f.passes(good('plain', 1)), true);
    assert.equal(f.passes(good('plain', 2)), false, 'within the default deadband');
    assert.equal(f.passes(good('plain', 7)), true);
    const g = new ChangeFilter(true, { type: 'absolute', value: 50 }, { type: 'absolute', value: 5 });
    assert.equal(g.passes(good('t', 1), own), true);
    assert.equal(g.passes(good('t', 20), own), false, "the subscription's deadband wins over both");
  });

  it('compares 64-bit decimal strings, arrays and structures by value', () => {
    const f = new ChangeFilter(true);
    const r = (value: TagReading['value']): TagReading => ({ tag: 't', value, quality: 'good', timestamp: 0 });
    assert.equal(f.passes(r([1, { a: true }])), true);
    assert.equal(f.passes(r([1, { a: true }])), false);
    assert.equal(f.passes(r([1, { a: false }])), true);
    const g = new ChangeFilter(true);
    const db = { type: 'absolute' as const, value: 10 };
    assert.equal(g.passes(r('18446744073709551000'), db), true);
    assert.equal(g.passes(r('18446744073709551005'), db), false);
    assert.equal(g.passes(r('18446744073709561615'), db), true);
  });
});
