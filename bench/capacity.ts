/**
 * Capacity: the highest load a probe passes (for the gateway, no skipped scans), found by
 * doubling until a probe fails, then bisecting between the last pass and the first failure.
 *
 * On a shared machine one hiccup can fail a probe that would pass on a quiet one, so the answer is
 * a load that was shown to pass, not a bound: the trail of probes is printed with it.
 */
export interface Probe<R> {
  load: number;
  passed: boolean;
  result: R;
}

export interface CapacitySearch<R> {
  /** The highest load that passed, with its result; undefined when even the first failed. */
  best: Probe<R> | undefined;
  /** The lowest load that failed; undefined when the ceiling passed. */
  firstFailure: Probe<R> | undefined;
  trail: Probe<R>[];
}

export async function searchCapacity<R>(
  probe: (load: number) => Promise<{ passed: boolean; result: R }>,
  opts: { start: number; ceiling: number; /** Stop bisecting when the bracket is narrower than this fraction of the load. */ precision: number },
): Promise<CapacitySearch<R>> {
  const trail: Probe<R>[] = [];
  const run = async (load: number): Promise<Probe<R>> => {
    const p = { load, ...(await probe(load)) };
    trail.push(p);
    return p;
  };
  let best: Probe<R> | undefined;
  let failure: Probe<R> | undefined;
  for (let load = opts.start; ; load = Math.min(opts.ceiling, load * 2)) {
    const p = await run(load);
    if (!p.passed) {
      failure = p;
      break;
    }
    best = p;
    if (load >= opts.ceiling) return { best, firstFailure: undefined, trail };
  }
  if (!best) return { best, firstFailure: failure, trail };
  while (failure.load - best.load > Math.max(1, best.load * opts.precision)) {
    const p = await run(Math.round((best.load + failure.load) / 2));
    if (p.passed) best = p;
    else failure = p;
  }
  return { best, firstFailure: failure, trail };
}
