import { strict as assert } from 'node:assert';
import { Backoff } from '../../gateway/backoff';
import { seeded } from './seeded';


function take(b: Backoff, n: number): number[] {
  return Array.from({ length: n }, () => b.next());
}

describe('Backoff', () => {
  it('doubles from 500 ms up to the 30 s cap by default (no jitter drawn)', () => {
    const b = new Backoff({ random: () => 0 });
    assert.deepEqual(take(b, 10), [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
  });

  it('draws each delay from [d * (1 - jitter), d]', () => {
    // random just below 1 gives the bottom of the range: half the delay with the default jitter.
    const low = new Backoff({ random: () => 0.999999 });
    assert.deepEqual(take(low, 8), [250, 500, 1000, 2000, 4000, 8000, 15000, 15000]);
    const mid = new Backoff({ initialMs: 1000, maxMs: 8000, jitter: 0.2, random: () => 0.5 });
    assert.deepEqual(take(mid, 5), [900, 1800, 3600, 7200, 7200]);
  });

  it('returns whole milliseconds inside the jitter range for any random draw', () => {
    const random = seeded(42);
    const b = new Backoff({ initialMs: 333, maxMs: 20_000, factor: 1.7, jitter: 0.5, random });
    let ceiling = 333;
    for (let i = 0; i < 200; i++) {
      const d = b.next();
      assert.ok(Number.isInteger(d), `attempt ${i + 1}: ${d} is not a whole number of ms`);
      assert.ok(d >= Math.floor(ceiling * 0.5) && d <= Math.ceil(ceiling), `attempt ${i + 1}: ${d} outside [${ceiling * 0.5}, ${ceiling}]`);
      ceiling = Math.min(20_000, ceiling * 1.7);
    }
  });

  it('honours custom initial, cap and factor, and never exceeds the cap', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, factor: 3, jitter: 0, random: () => 0.7 });
    assert.deepEqual(take(b, 5), [100, 300, 900, 1000, 1000]);
    // Thousands of attempts: the growth overflows to Infinity, the delay stays at the cap.
    for (let i = 0; i < 5000; i++) b.next();
    assert.equal(b.next(), 1000);
  });

  it('counts attempts and starts over after reset', () => {
    const b = new Backoff({ random: () => 0 });
    assert.equal(b.attempts, 0);
    take(b, 4);
    assert.equal(b.attempts, 4);
    b.reset();
    assert.equal(b.attempts, 0);
    assert.equal(b.next(), 500);
    assert.equal(b.attempts, 1);
  });

  it('refuses options that make no sense', () => {
    assert.throws(() => new Backoff({ initialMs: -1 }), /initialMs/);
    assert.throws(() => new Backoff({ initialMs: 1000, maxMs: 10 }), /maxMs/);
    assert.throws(() => new Backoff({ factor: 0.5 }), /factor/);
    assert.throws(() => new Backoff({ jitter: 1.5 }), /jitter/);
    assert.throws(() => new Backoff({ maxMs: Infinity }), /maxMs/);
  });
});
