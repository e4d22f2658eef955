/**
 * Holes in a device's register map. Many devices answer exception 2 (illegal data address) to a
 * read that includes an address they do not have, and some answer exception 3 to a read longer
 * than they accept. A planned read bridges unused addresses, so it may meet such a hole where no
 * tag is: readSplitting then splits the read, retries the parts, and reports each part on its
 * own, so a bad neighbour never turns good tags bad. What it learned goes into the device's
 * HoleMemory, which the planner consults: the next plans never bridge over a hole again.
 */
import type { ModbusArea } from '../protocol';
import type { ResolvedAddress } from './address';
import { firstAtLeast, type AddressRange, type KnownHoles, type PlannedRead } from './planner';

/** Modbus exceptions that say "not this range", after which a read is split and retried. */
export const SPLITTABLE_EXCEPTIONS: readonly number[] = [2, 3];

/**
 * The default test: an error with a numeric `modbusCode` (as the Modbus clients reject with) of 2
 * (illegal data address) or 3 (illegal data value, which some devices send for reads that are too
 * long). Timeouts, broken frames and other exceptions are not splittable.
 */
export function isSplittableModbusError(err: unknown): boolean {
  const code = modbusCodeOf(err);
  return code !== undefined && SPLITTABLE_EXCEPTIONS.includes(code);
}

interface Learned {
  /** Disjoint, sorted by start. */
  ranges: (AddressRange & { seq: number })[];
  /** Sorted by position. */
  cuts: { at: number; seq: number }[];
}

/** The modbusCode of an error, when it carries one. */
export function modbusCodeOf(err: unknown): number | undefined {
  const code = (err as { modbusCode?: unknown } | null)?.modbusCode;
  return typeof code === 'number' ? code : undefined;
}

/**
 * A value for each of the four areas, in four fields: every device has two of these, and a Map
 * costs ten times the memory for four keys (noticeable at 10,000 devices).
 */
class PerArea<V> {
  private coil: V | undefined;
  private discrete: V | undefined;
  private input: V | undefined;
  private holding: V | undefined;

  get(area: ModbusArea): V | undefined {
    return this[area];
  }

  set(area: ModbusArea, value: V): void {
    this[area] = value;
  }

  values(): V[] {
    const out: V[] = [];
    for (const v of [this.coil, this.discrete, this.input, this.holding]) if (v !== undefined) out.push(v);
    return out;
  }

  clear(): void {
    this.coil = this.discrete = this.input = this.holding = undefined;
  }
}

/**
 * What one device taught about its holes, per area: ranges no read may include (reading them
 * failed) and places no read may cross (reading both sides together failed while each side
 * alone worked), and how long a read it accepts. A successful read proves its addresses
 * readable and forgets what it contradicts. Bounded: beyond `maxEntries` ranges and cuts the
 * oldest are forgotten (which costs at most one more split).
 */
export class HoleMemory implements KnownHoles {
  private readonly areas = new PerArea<Learned>();
  /** Per area: the longest read that worked, the shortest refused as too long (exception 3). */
  private readonly lengths = new PerArea<{ ok: number; tooLong: number }>();
  private seq = 0;
  private entries = 0;

  constructor(readonly maxEntries = 4096) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be a whole number >= 1, got ${maxEntries}`);
  }

  /** Entries held: ranges plus cuts, over all areas. */
  get size(): number {
    return this.entries;
  }

  unreadable(area: ModbusArea): readonly AddressRange[] {
    return this.areas.get(area)?.ranges ?? [];
  }

  cuts(area: ModbusArea): readonly number[] {
    return this.areas.get(area)?.cuts.map((c) => c.at) ?? [];
  }

  /**
   * The longest read to plan, once a read was refused as too long: just below the shortest
   * refusal when a read almost that long worked, else halfway between the longest that worked
   * and the shortest refused (so a few scans find the device's limit without undercutting it
   * for good). Undefined while nothing was refused.
   */
  maxCount(area: ModbusArea): number | undefined {
    const l = this.lengths.get(area);
    if (!l || l.tooLong === Infinity) return undefined;
    return l.ok >= l.tooLong - 1 ? l.tooLong - 1 : Math.max(1, Math.floor((l.ok + l.tooLong) / 2));
  }

  /** The longest read of this area that worked so far (0: none). */
  longestRead(area: ModbusArea): number {
    return this.lengths.get(area)?.ok ?? 0;
  }

  /** A read of `count` was refused with exception 3 although every part of it reads. */
  learnTooLong(area: ModbusArea, count: number): void {
    const l = this.length(area);
    if (count > l.ok) l.tooLong = Math.min(l.tooLong, count);
  }

  /** Reading start..end (inclusive) failed: no read may include any of it until one succeeds. */
  learnUnreadable(area: ModbusArea, start: number, end: number): void {
    checkRange(start, end);
    const ranges = this.learned(area).ranges;
    // Merge with every range that overlaps or touches [start, end].
    const lo = firstAtLeast(ranges.length, (i) => ranges[i]!.end >= start - 1);
    let hi = lo;
    while (hi < ranges.length && ranges[hi]!.start <= end + 1) hi++;
    if (hi > lo) {
      start = Math.min(start, ranges[lo]!.start);
      end = Math.max(end, ranges[hi - 1]!.end);
    }
    ranges.splice(lo, hi - lo, { start, end, seq: ++this.seq });
    this.entries += 1 - (hi - lo);
    this.trim();
  }

  /** Reading across `at` (addresses at-1 and at together) failed while each side alone worked. */
  learnCut(area: ModbusArea, at: number): void {
    checkRange(at - 1, at);
    const cuts = this.learned(area).cuts;
    const i = firstAtLeast(cuts.length, (k) => cuts[k]!.at >= at);
    if (cuts[i]?.at === at) {
      cuts[i]!.seq = ++this.seq;
      return;
    }
    cuts.splice(i, 0, { at, seq: ++this.seq });
    this.entries++;
    this.trim();
  }

  /** A read of start..end succeeded: all of it is readable, and reads may cross inside it. */
  learnReadable(area: ModbusArea, start: number, end: number): void {
    const l = this.length(area);
    l.ok = Math.max(l.ok, end - start + 1);
    if (l.ok >= l.tooLong) l.tooLong = Infinity; // a longer read worked: that refusal was not about length
    const learned = this.areas.get(area);
    if (!learned) return;
    const { ranges, cuts } = learned;
    const lo = firstAtLeast(ranges.length, (i) => ranges[i]!.end >= start);
    let hi = lo;
    while (hi < ranges.length && ranges[hi]!.start <= end) hi++;
    if (hi > lo) {
      const keep: (AddressRange & { seq: number })[] = [];
      const first = ranges[lo]!;
      const last = ranges[hi - 1]!;
      if (first.start < start) keep.push({ start: first.start, end: start - 1, seq: first.seq });
      if (last.end > end) keep.push({ start: end + 1, end: last.end, seq: last.seq });
      ranges.splice(lo, hi - lo, ...keep);
      this.entries += keep.length - (hi - lo);
    }
    const c0 = firstAtLeast(cuts.length, (k) => cuts[k]!.at > start);
    let c1 = c0;
    while (c1 < cuts.length && cuts[c1]!.at <= end) c1++;
    if (c1 > c0) {
      cuts.splice(c0, c1 - c0);
      this.entries -= c1 - c0;
    }
    this.trim();
  }

  /** Forgets everything (the device was replaced or reconfigured). */
  clear(): void {
    this.areas.clear();
    this.lengths.clear();
    this.entries = 0;
  }

  private length(area: ModbusArea): { ok: number; tooLong: number } {
    let l = this.lengths.get(area);
    if (!l) {
      l = { ok: 0, tooLong: Infinity };
      this.lengths.set(area, l);
    }
    return l;
  }

  private learned(area: ModbusArea): Learned {
    let l = this.areas.get(area);
    if (!l) {
      l = { ranges: [], cuts: [] };
      this.areas.set(area, l);
    }
    return l;
  }

  /** Forgets the oldest entries beyond the bound. */
  private trim(): void {
    while (this.entries > this.maxEntries) {
      let oldest: { list: { seq: number }[]; index: number } | undefined;
      let seq = Infinity;
      for (const l of this.areas.values()) {
        for (const list of [l.ranges, l.cuts] as { seq: number }[][]) {
          list.forEach((e, index) => {
            if (e.seq < seq) {
              seq = e.seq;
              oldest = { list, index };
            }
          });
        }
      }
      if (!oldest) return;
      oldest.list.splice(oldest.index, 1);
      this.entries--;
    }
  }
}

function checkRange(start: number, end: number): void {
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= 65535)) {
    throw new RangeError(`not an address range: ${start}..${end}`);
  }
}


// ---------------------------------------------------------------------------------------------
// Splitting a failed read
// ---------------------------------------------------------------------------------------------

export type ReadData = number[] | boolean[];

/** Reads `count` registers or bits of `area` from `start`, as one Modbus request. */
export type ReadFn = (area: ModbusArea, start: number, count: number) => Promise<ReadData>;

/**
 * The outcome of one part of a planned read. `req` is a PlannedRead of its own (a sub-range of
 * the planned one, with the members it read): decode each member from `data` relative to
 * `req.start`, exactly as from an unsplit read. With `error`, every member of `req` failed with
 * it, unchanged as `read` rejected.
 */
export type PartResult = { req: PlannedRead; data: ReadData } | { req: PlannedRead; error: unknown };

/**
 * Runs one planned read. When it fails with a splittable error, splits it (at the widest run of
 * addresses no member needs, else between members that do not overlap, else into each distinct
 * value) and retries the parts, recursively, until each failure belongs to one value alone: a
 * read of a single value that still fails is that value's own error. Other errors are the
 * failing part's result, unchanged (the caller treats them as always: a timeout resets the
 * connection); the remaining parts are still tried, so a device that went away fails each fast.
 *
 * Learned, when `memory` is given: a value that fails alone is unreadable; a read whose parts all
 * succeed was refused for what lies between them: with exception 3, when no read as long ever
 * worked, for its length (HoleMemory.maxCount); otherwise the run between the parts becomes
 * unreadable (or, with nothing between them, a cut). Every successful read is readable. Errors
 * say their exception by a numeric `modbusCode`. Every member of `req` is in exactly one result.
 */
export async function readSplitting(
  req: PlannedRead,
  addrs: readonly ResolvedAddress[],
  read: ReadFn,
  memory?: HoleMemory,
  isSplittable: (err: unknown) => boolean = isSplittableModbusError,
): Promise<PartResult[]> {
  const out: PartResult[] = [];

  /** Reads a part (or takes how reading it already failed); true when it succeeded as a whole. */
  const attempt = async (part: PlannedRead, failed?: { error: unknown }): Promise<boolean> => {
    const end = part.start + part.count - 1;
    let data: ReadData;
    try {
      if (failed) throw failed.error;
      data = await read(part.area, part.start, part.count);
    } catch (err) {
      if (!isSplittable(err)) {
        out.push({ req: part, error: err });
        return false;
      }
      const split = splitRead(part, addrs);
      if (!split) {
        memory?.learnUnreadable(part.area, part.start, end);
        out.push({ req: part, error: err });
        return false;
      }
      let allRead = true;
      for (const piece of split.parts) allRead = (await attempt(piece)) && allRead;
      if (allRead && memory) {
        if (modbusCodeOf(err) === 3 && part.count > memory.longestRead(part.area)) {
          memory.learnTooLong(part.area, part.count);
        } else if (split.between) {
          const { start, end: last } = split.between;
          if (start <= last) memory.learnUnreadable(part.area, start, last);
          else memory.learnCut(part.area, start);
        }
      }
      return false;
    }
    memory?.learnReadable(part.area, part.start, end);
    out.push({ req: part, data });
    return true;
  };

  // The common case, a read that works as a whole, without the machinery of splitting.
  let first: ReadData;
  try {
    first = await read(req.area, req.start, req.count);
  } catch (err) {
    await attempt(req, { error: err });
    return out;
  }
  memory?.learnReadable(req.area, req.start, req.start + req.count - 1);
  return [{ req, data: first }];
}

/**
 * How a failed read splits: into two at the widest run of addresses none of its members needs
 * (ties: the most even split), or, with no such place, into its distinct values; null for a
 * read of one value. `between` is the run split at (empty, start = end + 1, between neighbours).
 */
export function splitRead(req: PlannedRead, addrs: readonly ResolvedAddress[]): { parts: PlannedRead[]; between?: AddressRange } | null {
  const members = [...req.members].sort((x, y) => addrs[x]!.address - addrs[y]!.address || endOf(addrs[x]!) - endOf(addrs[y]!));
  const middle = req.start + (req.count - 1) / 2;
  let best = -1;
  let bestWidth = -1;
  let bestAt = 0;
  let bestReach = 0;
  let reach = endOf(addrs[members[0]!]!);
  for (let k = 1; k < members.length; k++) {
    const a = addrs[members[k]!]!;
    if (a.address > reach) {
      const width = a.address - reach - 1;
      const centre = (reach + a.address) / 2;
      if (width > bestWidth || (width === bestWidth && Math.abs(centre - middle) < Math.abs((bestReach + bestAt) / 2 - middle))) {
        best = k;
        bestWidth = width;
        bestAt = a.address;
        bestReach = reach;
      }
    }
    reach = Math.max(reach, endOf(a));
  }
  if (best > 0) {
    return {
      parts: [partOf(req.area, members.slice(0, best), addrs), partOf(req.area, members.slice(best), addrs)],
      between: { start: bestReach + 1, end: bestAt - 1 },
    };
  }
  // Every member overlaps the next: read each distinct value (with its duplicates) alone.
  const byRange = new Map<string, number[]>();
  for (const m of members) {
    const a = addrs[m]!;
    const key = `${a.address}+${a.count}`;
    const list = byRange.get(key);
    if (list) list.push(m);
    else byRange.set(key, [m]);
  }
  if (byRange.size <= 1) return null;
  return { parts: [...byRange.values()].map((list) => partOf(req.area, list, addrs)) };
}

function partOf(area: ModbusArea, members: number[], addrs: readonly ResolvedAddress[]): PlannedRead {
  let start = Infinity;
  let end = -Infinity;
  for (const m of members) {
    start = Math.min(start, addrs[m]!.address);
    end = Math.max(end, endOf(addrs[m]!));
  }
  return { area, start, count: end - start + 1, members: [...members].sort((x, y) => x - y) };
}

function endOf(a: ResolvedAddress): number {
  return a.address + a.count - 1;
}
