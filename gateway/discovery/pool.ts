/**
 * Runs many small async jobs (one probe each) with a bounded number in flight.
 *
 * Jobs are numbered 0..total-1 and start in that order, so a scan maps an index to its host, port
 * and unit id without listing them all up front. The failure of one job is reported and the others
 * go on. On abort no job starts any more, running jobs see the signal, and the pool settles once
 * they have settled or after a short grace, whichever comes first: a job that ignores the signal
 * (a socket connect can) is abandoned rather than waited for. Whatever an abandoned job does later
 * is dropped, so nothing is reported after the pool's promise has settled.
 */
import { setMaxListeners } from 'node:events';

export type PoolJob<T> = (index: number, signal: AbortSignal) => Promise<T> | T;

export interface PoolOptions<T> {
  /** Most jobs in flight at once; default 64. */
  concurrency?: number;
  /** Stops the pool: see the module comment. */
  signal?: AbortSignal;
  /** How long to wait after an abort for running jobs to settle; default 100 ms. */
  abortGraceMs?: number;
  onResult?: (index: number, value: T) => void;
  /** A job's failure. Without this callback failures are collected in the outcome's `errors`. */
  onError?: (index: number, error: unknown) => void;
  /** After each job settles (done counts results and failures). */
  onProgress?: (done: number, total: number) => void;
}

export interface PoolOutcome {
  total: number;
  /** Jobs started. */
  started: number;
  /** Jobs that settled while the pool still listened: results plus failures plus cancelled. */
  done: number;
  failed: number;
  /** Jobs that rejected after the abort: not reported as failures, they are mostly the abort itself. */
  cancelled: number;
  /** Jobs still running when the pool settled after an abort: whatever they do later is dropped. */
  abandoned: number;
  aborted: boolean;
  /** Failures in settling order, when no onError was given. */
  errors: Array<{ index: number; error: unknown }>;
}

export const DEFAULT_CONCURRENCY = 64;
export const DEFAULT_ABORT_GRACE_MS = 100;

/**
 * Runs job(0) .. job(total - 1). Resolves when all have settled, or after an abort as described
 * above; rejects only when a callback throws (that is a bug of the caller, not a job failure; the
 * running jobs are then aborted).
 */
export function runPool<T>(total: number, job: PoolJob<T>, o: PoolOptions<T> = {}): Promise<PoolOutcome> {
  const concurrency = o.concurrency ?? DEFAULT_CONCURRENCY;
  const graceMs = o.abortGraceMs ?? DEFAULT_ABORT_GRACE_MS;
  if (!(Number.isInteger(total) && total >= 0)) throw new RangeError(`total must be a whole number of jobs, got ${total}`);
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw new RangeError(`concurrency must be a whole number of at least 1, got ${concurrency}`);
  if (!(graceMs >= 0 && Number.isFinite(graceMs))) throw new RangeError(`abortGraceMs must be a number of at least 0, got ${graceMs}`);

  return new Promise<PoolOutcome>((resolve, reject) => {
    // Our own controller: the caller's abort and a throwing callback both stop the jobs.
    const stop = new AbortController();
    // Every job in flight may listen to it (a socket, a timer): that is no leak.
    setMaxListeners(Math.max(10, concurrency * 4), stop.signal);
    const outer = o.signal;
    let next = 0;
    let running = 0;
    let done = 0;
    let failed = 0;
    let cancelled = 0;
    let aborted = false;
    let settled = false;
    let grace: ReturnType<typeof setTimeout> | undefined;
    const errors: PoolOutcome['errors'] = [];

    const finish = (failure?: { error: unknown }) => {
      if (settled) return;
      settled = true;
      if (grace !== undefined) clearTimeout(grace);
      outer?.removeEventListener('abort', onAbort);
      if (failure) reject(failure.error);
      else resolve({ total, started: next, done, failed, cancelled, abandoned: running, aborted, errors });
    };

    const onAbort = () => {
      if (settled || aborted) return;
      aborted = true;
      stop.abort(outer?.reason);
      if (running === 0) finish();
      else grace = setTimeout(() => finish(), graceMs);
    };

    const settle = (index: number, ok: boolean, value: unknown) => {
      running--;
      if (settled) return;
      done++;
      try {
        if (ok) o.onResult?.(index, value as T);
        else if (stop.signal.aborted) cancelled++;
        else {
          failed++;
          if (o.onError) o.onError(index, value);
          else errors.push({ index, error: value });
        }
        o.onProgress?.(done, total);
      } catch (err) {
        stop.abort(err);
        finish({ error: err });
        return;
      }
      pump();
    };

    const pump = () => {
      while (running < concurrency && next < total && !stop.signal.aborted) {
        const index = next++;
        running++;
        let pending: Promise<T>;
        try {
          pending = Promise.resolve(job(index, stop.signal));
        } catch (err) {
          pending = Promise.reject(err);
        }
        pending.then(
          (v) => settle(index, true, v),
          (e: unknown) => settle(index, false, e),
        );
      }
      if (running === 0 && (next >= total || stop.signal.aborted)) finish();
    };

    if (outer?.aborted) {
      aborted = true;
      finish();
      return;
    }
    outer?.addEventListener('abort', onAbort, { once: true });
    pump();
  });
}
