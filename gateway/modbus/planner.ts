/**
 * Read coalescing: turns a list of addresses into the fewest Modbus read requests.
 *
 * A request reads one contiguous range of one area, at most `maxRegisters` registers (or
 * `maxBits` bits) long, and may bridge runs of unused registers no longer than the gap limit.
 * Every address is read whole by exactly one request; duplicates and overlaps share one.
 *
 * Greedy is optimal here. Take the uncovered item that starts first: some request must read it,
 * and that request can start where the item starts. From there, extend over items, in start
 * order, that end inside the span limit, until the next one would leave too wide a gap: no
 * request that reads the first item reads more uncovered items than this one, so choosing it
 * never costs a request. Items already read by an earlier request are skipped: they end before
 * the first uncovered item does, so they could not widen the range. Finding "the next uncovered
 * item that ends inside the limit" with a segment tree keeps the whole plan O(n log n).
 */
import type { ModbusArea } from '../protocol';
import type { ResolvedAddress } from './address';

export interface PlanLimits {
  /** Registers per request, 1..125. */
  maxRegisters: number;
  /** Bits per request, 1..2000. */
  maxBits: number;
  /** Longest run of unused registers a request may read through. */
  maxRegisterGap: number;
  /** Longest run of unused bits a request may read through. */
  maxBitGap: number;
}

export interface PlannedRead {
  area: ModbusArea;
  start: number;
  count: number;
  /** Indices into the input array of the addresses this request reads, ascending. */
  members: number[];
}

const AREA_ORDER: readonly ModbusArea[] = ['coil', 'discrete', 'input', 'holding'];

export function planReads(addrs: readonly ResolvedAddress[], limits: PlanLimits): PlannedRead[] {
  checkLimits(limits);
  const byArea = new Map<ModbusArea, number[]>();
  addrs.forEach((a, i) => {
    const list = byArea.get(a.area);
    if (list) list.push(i);
    else byArea.set(a.area, [i]);
  });
  const plan: PlannedRead[] = [];
  for (const area of AREA_ORDER) {
    const indices = byArea.get(area);
    if (!indices) continue;
    const bits = area === 'coil' || area === 'discrete';
    planArea(area, indices, addrs, bits ? limits.maxBits : limits.maxRegisters, bits ? limits.maxBitGap : limits.maxRegisterGap, plan);
  }
  return plan;
}

function planArea(
  area: ModbusArea,
  indices: number[],
  addrs: readonly ResolvedAddress[],
  maxSpan: number,
  maxGap: number,
  plan: PlannedRead[],
): void {
  const starts = indices.map((i) => addrs[i].address);
  const ends = indices.map((i, k) => {
    const a = addrs[i];
    if (!(a.count >= 1 && a.count <= maxSpan)) {
      throw new Error(`${a.key} spans ${a.count} ${area === 'coil' || area === 'discrete' ? 'bits' : 'registers'}, more than one request may read (${maxSpan})`);
    }
    return starts[k] + a.count - 1;
  });
  // Positions in start order (ties: shorter first, then input order, for a stable plan).
  const order = indices.map((_, k) => k).sort((x, y) => starts[x] - starts[y] || ends[x] - ends[y] || indices[x] - indices[y]);
  const sortedStarts = order.map((k) => starts[k]);
  const uncovered = new MinEndTree(order.map((k) => ends[k]));

  let head = 0;
  for (;;) {
    head = uncovered.firstAtMost(head, Infinity);
    if (head < 0) return;
    const start = sortedStarts[head];
    const limit = start + maxSpan - 1;
    let reach = start - 1;
    const members: number[] = [];
    for (let j = head; ; j++) {
      j = uncovered.firstAtMost(j, limit);
      if (j < 0 || sortedStarts[j] > reach + maxGap + 1) break;
      members.push(indices[order[j]]);
      reach = Math.max(reach, uncovered.valueAt(j));
      uncovered.remove(j);
    }
    members.sort((x, y) => x - y);
    plan.push({ area, start, count: reach - start + 1, members });
  }
}

function checkLimits(l: PlanLimits): void {
  const check = (name: keyof PlanLimits, min: number, max: number) => {
    const v = l[name];
    if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${name} must be a whole number from ${min} to ${max}, got ${v}`);
  };
  check('maxRegisters', 1, 125);
  check('maxBits', 1, 2000);
  check('maxRegisterGap', 0, 65535);
  check('maxBitGap', 0, 65535);
}

/** Ends of the not-yet-read items, in start order; answers "first item at or after i ending by x". */
class MinEndTree {
  private readonly size: number;
  private readonly min: Float64Array;

  constructor(values: readonly number[]) {
    let size = 1;
    while (size < values.length) size *= 2;
    this.size = size;
    this.min = new Float64Array(2 * size).fill(Infinity);
    values.forEach((v, i) => (this.min[size + i] = v));
    for (let i = size - 1; i >= 1; i--) this.min[i] = Math.min(this.min[2 * i], this.min[2 * i + 1]);
  }

  valueAt(i: number): number {
    return this.min[this.size + i];
  }

  remove(i: number): void {
    let node = this.size + i;
    this.min[node] = Infinity;
    for (node >>= 1; node >= 1; node >>= 1) this.min[node] = Math.min(this.min[2 * node], this.min[2 * node + 1]);
  }

  /** The first position >= from whose value is <= bound, or -1; removed items never match. */
  firstAtMost(from: number, bound: number): number {
    if (from >= this.size) return -1;
    return this.search(1, 0, this.size - 1, from, bound);
  }

  private search(node: number, lo: number, hi: number, from: number, bound: number): number {
    // Removed items hold Infinity; they must not match even an unbounded search.
    if (hi < from || this.min[node] === Infinity || !(this.min[node] <= bound)) return -1;
    if (lo === hi) return lo;
    const mid = (lo + hi) >> 1;
    const left = this.search(2 * node, lo, mid, from, bound);
    return left >= 0 ? left : this.search(2 * node + 1, mid + 1, hi, from, bound);
  }
}
