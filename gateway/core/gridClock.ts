import { log } from '../log';

/**
 * One timer per instant for everything due at that instant. Scan groups tick on the wall-clock
 * grid of their interval, so thousands of them share a few due times; a timer of their own each
 * would be 10,000 timer objects a second at 10,000 devices, each living a whole interval, which
 * is just long enough for the garbage collector to promote every one of them to the old
 * generation. Here a due time costs one timer and one set, however many wait for it.
 */
interface Due {
  readonly fns: Set<() => void>;
  readonly timer: NodeJS.Timeout;
}

const due = new Map<number, Due>();

/** Calls `fn` at `at` (ms since the epoch) or as soon after as the event loop allows. */
export function callAt(at: number, fn: () => void): void {
  let d = due.get(at);
  if (!d) {
    const fns = new Set<() => void>();
    d = { fns, timer: setTimeout(() => fire(at, fns), Math.max(0, at - Date.now())) };
    due.set(at, d);
  }
  d.fns.add(fn);
}

/** Forgets `fn` for `at`; nothing happens if it was not waiting. */
export function cancelAt(at: number, fn: () => void): void {
  const d = due.get(at);
  if (!d || !d.fns.delete(fn) || d.fns.size > 0) return;
  clearTimeout(d.timer);
  due.delete(at);
}

function fire(at: number, fns: Set<() => void>): void {
  due.delete(at);
  for (const f of fns) {
    try {
      f();
    } catch (err) {
      // One caller's bug must not stop the others' ticks.
      log.error(`a timed call failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }
}
