import * as assert from 'node:assert/strict';
import { Coalescer, Timers } from '../../extension/tree/coalescer';

/** A clock the test moves by hand: no real time, no timing assertions. */
class ManualClock implements Timers {
  time = 0;
  private tasks: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 1;
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.tasks.push({ at: this.time + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.tasks = this.tasks.filter((t) => t.id !== handle);
  }
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
    const due = this.tasks.filter((t) => t.at <= this.time);
    this.tasks = this.tasks.filter((t) => t.at > this.time);
    due.forEach((t) => t.fn());
  }
}

describe('extension: coalescer', () => {
  it('hands over each key once per batch and never two batches within the interval', () => {
    const clock = new ManualClock();
    const batches: string[][] = [];
    const c = new Coalescer<string>(() => 300, (k) => batches.push(k), clock);
    c.add('a');
    c.add('b');
    c.add('a');
    clock.advance(0);
    assert.deepEqual(batches, [['a', 'b']]);
    c.add('c');
    clock.advance(299);
    assert.deepEqual(batches.length, 1);
    c.add('d');
    clock.advance(1);
    assert.deepEqual(batches, [['a', 'b'], ['c', 'd']]);
  });

  it('drops what is pending when disposed', () => {
    const clock = new ManualClock();
    const batches: string[][] = [];
    const c = new Coalescer<string>(() => 300, (k) => batches.push(k), clock);
    c.add('a');
    c.dispose();
    c.add('b');
    clock.advance(1000);
    assert.deepEqual(batches, []);
  });
});
