import { strict as assert } from 'node:assert';
import { DEFAULT_ABORT_GRACE_MS, runPool } from '../../gateway/discovery/pool';
import { seeded } from './seeded';

/** Resolves after ms, or rejects at once when the signal aborts (the timer is cleared either way). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A job that ignores the signal: it settles only when the test says so. */
function stubborn(): { promise: Promise<string>; release: () => void } {
  let release!: () => void;
  const promise = new Promise<string>((resolve) => (release = () => resolve('late')));
  return { promise, release };
}

describe('discovery pool', () => {
  it('runs every job once, reports results and progress up to the total', async () => {
    const results = new Map<number, number>();
    const progress: Array<[number, number]> = [];
    const outcome = await runPool(50, async (i, signal) => {
      await sleep(i % 3, signal);
      return i * 10;
    }, {
      concurrency: 8,
      onResult: (i, v) => {
        assert.ok(!results.has(i), `job ${i} reported twice`);
        results.set(i, v);
      },
      onProgress: (done, total) => progress.push([done, total]),
    });
    assert.equal(results.size, 50);
    for (let i = 0; i < 50; i++) assert.equal(results.get(i), i * 10);
    assert.deepEqual(progress, Array.from({ length: 50 }, (_, k) => [k + 1, 50]));
    assert.deepEqual(outcome, { total: 50, started: 50, done: 50, failed: 0, cancelled: 0, abandoned: 0, aborted: false, errors: [] });
  });

  it('holds the concurrency bound and fills it, starting jobs in order of submission', async () => {
    const random = seeded(7);
    for (const [limit, total] of [[1, 20], [5, 200], [64, 400]] as const) {
      let inFlight = 0;
      let most = 0;
      const starts: number[] = [];
      await runPool(total, async (i, signal) => {
        starts.push(i);
        inFlight++;
        most = Math.max(most, inFlight);
        try {
          await sleep(Math.floor(random() * 4), signal);
        } finally {
          inFlight--;
        }
      }, limit === 64 ? {} : { concurrency: limit }); // 64 is the default
      assert.equal(most, limit, `limit ${limit}: at most ${most} jobs were in flight together`);
      assert.deepEqual(starts, Array.from({ length: total }, (_, i) => i));
    }
  });

  it('lets no failure stop the others: rejections and synchronous throws are collected', async () => {
    const ran: number[] = [];
    const outcome = await runPool(20, async (i) => {
      if (i === 3) throw new Error('refused');
      ran.push(i);
      return i;
    }, { concurrency: 4 });
    const sync = await runPool(5, (i) => {
      if (i % 2 === 0) throw new Error(`sync ${i}`);
      return i;
    }, { concurrency: 2 });
    assert.equal(ran.length, 19);
    assert.equal(outcome.failed, 1);
    assert.equal(outcome.done, 20);
    assert.deepEqual(outcome.errors.map((e) => [e.index, (e.error as Error).message]), [[3, 'refused']]);
    assert.deepEqual(sync.errors.map((e) => e.index).sort(), [0, 2, 4]);
    assert.equal(sync.done, 5);
  });

  it('hands failures to onError instead of collecting them when asked', async () => {
    const reported: number[] = [];
    const outcome = await runPool(6, async (i) => {
      if (i % 2) throw new Error(`job ${i}`);
      return i;
    }, {
      onError: (i, err) => {
        assert.equal((err as Error).message, `job ${i}`);
        reported.push(i);
      },
    });
    assert.deepEqual(reported.sort(), [1, 3, 5]);
    assert.equal(outcome.failed, 3);
    assert.deepEqual(outcome.errors, []);
  });

  it('on abort starts nothing new, passes the signal to running jobs and settles at once when they honour it', async () => {
    const abort = new AbortController();
    const starts: number[] = [];
    const results: number[] = [];
    let abortedAt = 0;
    let seenAborted = 0;
    const outcome = await runPool(1000, async (i, signal) => {
      starts.push(i);
      if (i === 29) {
        // Jobs 0-19 have finished, 20-29 are the ten in flight: stop from inside the last start.
        abortedAt = Date.now();
        abort.abort(new Error('stop'));
      }
      try {
        await sleep(i < 20 ? 0 : 10_000, signal);
      } catch (err) {
        seenAborted++;
        assert.equal((err as Error).message, 'stop');
        throw err;
      }
      return i;
    }, { concurrency: 10, signal: abort.signal, onResult: (i) => results.push(i) });
    const settleMs = Date.now() - abortedAt;
    assert.ok(settleMs < 50, `settled ${settleMs} ms after the abort`);
    assert.equal(outcome.aborted, true);
    assert.deepEqual(results.sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
    assert.equal(outcome.started, 30);
    assert.equal(starts.length, 30);
    assert.equal(seenAborted, 10);
    assert.equal(outcome.cancelled, 10);
    assert.equal(outcome.failed, 0, 'the aborted jobs are not failures');
    assert.equal(outcome.abandoned, 0);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(starts.length, 30, 'a job started after the pool settled');
  });

  it('does not wait past the grace for jobs that ignore the signal, and drops what they do later', async () => {
    const abort = new AbortController();
    const jobs: Array<ReturnType<typeof stubborn>> = [];
    const reported: number[] = [];
    const progress: number[] = [];
    const pending = runPool(100, (i) => {
      const job = stubborn();
      jobs.push(job);
      if (i < 2) job.release(); // two finish before the abort
      return job.promise;
    }, { concurrency: 5, signal: abort.signal, onResult: (i) => reported.push(i), onError: () => assert.fail('no failure expected'), onProgress: (d) => progress.push(d) });
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(jobs.length, 7); // 5 in flight, and 2 more started as the first two finished
    const t0 = Date.now();
    abort.abort();
    jobs[2]!.release(); // finishes within the grace: still counted
    const outcome = await pending;
    const waited = Date.now() - t0;
    assert.ok(waited >= DEFAULT_ABORT_GRACE_MS - 5 && waited < DEFAULT_ABORT_GRACE_MS + 150, `settled after ${waited} ms`);
    assert.equal(outcome.abandoned, 4);
    assert.equal(outcome.started, 7);
    assert.deepEqual(reported.sort(), [0, 1, 2]);
    for (const job of jobs) job.release();
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(reported.sort(), [0, 1, 2], 'an abandoned job was reported after the pool settled');
    assert.deepEqual(progress, [1, 2, 3]);
    assert.equal(jobs.length, 7);
  });

  it('takes a custom grace, 0 settling on the next turn', async () => {
    const abort = new AbortController();
    const held = stubborn();
    const pending = runPool(3, () => held.promise, { concurrency: 1, signal: abort.signal, abortGraceMs: 0 });
    abort.abort();
    const t0 = Date.now();
    const outcome = await pending;
    assert.ok(Date.now() - t0 < 30);
    assert.equal(outcome.abandoned, 1);
    held.release();
  });

  it('starts nothing when the signal is already aborted, and settles at once for no jobs', async () => {
    let started = 0;
    const outcome = await runPool(10, () => started++, { signal: AbortSignal.abort() });
    assert.equal(started, 0);
    assert.deepEqual(outcome, { total: 10, started: 0, done: 0, failed: 0, cancelled: 0, abandoned: 0, aborted: true, errors: [] });
    const empty = await runPool(0, () => assert.fail('no job expected'));
    assert.equal(empty.done, 0);
    assert.equal(empty.aborted, false);
  });

  it('rejects when a callback throws, aborting the running jobs', async () => {
    let aborted = 0;
    let started = 0;
    const pending = runPool(50, async (i, signal) => {
      started++;
      try {
        await sleep(i === 0 ? 0 : 10_000, signal);
      } catch (err) {
        aborted++;
        throw err;
      }
    }, { concurrency: 4, onResult: () => {
      throw new Error('caller bug');
    } });
    await assert.rejects(pending, /caller bug/);
    assert.equal(started, 4);
    assert.equal(aborted, 3);
  });

  it('refuses bad options', () => {
    const job = async () => undefined;
    assert.throws(() => runPool(-1, job), /total must be a whole number of jobs, got -1/);
    assert.throws(() => runPool(1.5, job), /total must be/);
    assert.throws(() => runPool(1, job, { concurrency: 0 }), /concurrency must be a whole number of at least 1, got 0/);
    assert.throws(() => runPool(1, job, { concurrency: 2.5 }), /concurrency/);
    assert.throws(() => runPool(1, job, { abortGraceMs: -1 }), /abortGraceMs must be a number of at least 0, got -1/);
  });
});
