import { strict as assert } from 'node:assert';
import { callAt, cancelAt } from '../../gateway/core/gridClock';
import { setLogSink } from '../../gateway/log';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('grid clock', () => {
  it('calls everything due at one instant, not before it, in the order asked, and leaves out what was cancelled', async () => {
    const at = Date.now() + 30;
    const calls: string[] = [];
    const seen: number[] = [];
    const a = () => (calls.push('a'), seen.push(Date.now()));
    const b = () => calls.push('b');
    const c = () => calls.push('c');
    callAt(at, a);
    callAt(at, b);
    callAt(at, c);
    cancelAt(at, b);
    await sleep(200);
    assert.deepEqual(calls, ['a', 'c']);
    assert.ok(seen[0]! >= at, `called ${at - seen[0]!} ms early`);
  });

  it('calls nothing once everything due at an instant was cancelled', async () => {
    const at = Date.now() + 20;
    let called = false;
    const f = () => (called = true);
    callAt(at, f);
    cancelAt(at, f);
    cancelAt(at, f); // twice is harmless
    await sleep(150);
    assert.equal(called, false);
  });

  it('calls the others when one of them throws, and logs the error', async () => {
    const logged: string[] = [];
    setLogSink((line) => logged.push(line));
    try {
      const at = Date.now() + 10;
      let after = false;
      callAt(at, () => {
        throw new Error('broken tick');
      });
      callAt(at, () => (after = true));
      await sleep(150);
      assert.equal(after, true);
      assert.equal(logged.length, 1);
      assert.match(logged[0]!, /^\[error\] a timed call failed: Error: broken tick/);
    } finally {
      setLogSink((line) => process.stderr.write(line));
    }
  });
});
