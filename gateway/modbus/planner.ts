/**
 * Read planning: turns the addresses of a scan into the Modbus read requests that cost the
 * device's transport the least time.
 *
 * A request reads one contiguous range of one area, at most `maxRegisters` registers (or
 * `maxBits` bits), and every address is read whole by exactly one request (duplicates and
 * overlaps share one). A request costs `requestS` whatever it reads (round trip, turnaround,
 * frame overhead) plus `byteS` per data byte of its answer (2 per register, 1 per 8 bits), so
 * bridging unused registers pays when the bytes cost less than another request: on TCP nearly
 * always, on a slow serial line only across short gaps. A device may cap bridging (`maxGap`), and
 * what a device taught us about its holes (HoleMemory) is never bridged.
 *
 * Why a dynamic programme over items sorted by END finds the optimum. Take an optimal plan;
 * shrink every request to its members' hull and fold any request whose span lies inside another's
 * into that one (neither costs more, and every rule below is a rule on a request's span alone).
 * Now starts and ends both increase from request to request, and an item ending in (e_{k-1}, e_k]
 * can only be read by request k: earlier ones end too soon, later ones start after it does. So
 * the requests of some optimal plan are consecutive blocks of the end-sorted items, and
 *   cost[j] = requestS + min over feasible i < j of cost[i] + byteS * bytes(e_j - minStart(i+1..j) + 1).
 * The span rules: at most maxSpan long (or the longest read the device was found to accept), and
 * no barrier inside (an address known unreadable, a place reads must not cross, or, with maxGap,
 * a run of more than maxGap addresses no tag uses).
 * The feasible i form a range [lo_j, j-1]; cost[i] never decreases with i (dropping the last item
 * of a plan keeps it valid), so within a run of i sharing the same minStart the first i is best.
 * Those runs are the entries of a stack of suffix minima of the starts; a segment tree over the
 * stack answers "best entry in the window" in O(log n) (per residue of the start modulo 8 for
 * bits, where bytes = ceil(count / 8)). planReads is O((n + h) log(n + h)) for n addresses and
 * h remembered holes: one sort, then a logarithmic step per item.
 */
import type { ModbusArea } from '../protocol';
import type { ResolvedAddress } from './address';

export interface PlanLimits {
  /** Registers per request, 1..125. */
  maxRegisters: number;
  /** Bits per request, 1..2000. */
  maxBits: number;
  /**
   * Longest run of registers no tag uses that a request may read through. Undefined: no cap,
   * the transport's cost decides.
   */
  maxRegisterGap?: number;
  /** Longest run of bits no tag uses that a request may read through. Undefined: no cap. */
  maxBitGap?: number;
}

export interface PlannedRead {
  area: ModbusArea;
  start: number;
  count: number;
  /** Indices into the input array of the addresses this request reads, ascending. */
  members: number[];
}

/** What one request costs on a transport: `requestS + dataBytes * byteS` seconds. */
export interface TransportCost {
  /** Fixed cost of one request and its answer: round trip, turnaround, silences, frame overhead. */
  requestS: number;
  /** Seconds per data byte of an answer on the wire. */
  byteS: number;
}

/** An inclusive range of addresses of one area. */
export interface AddressRange {
  start: number;
  end: number;
}

/** What a device has taught about its holes; HoleMemory (holes.ts) keeps it. */
export interface KnownHoles {
  /** Ranges, sorted and disjoint, that a read must not include: reading them failed. */
  unreadable(area: ModbusArea): readonly AddressRange[];
  /** Addresses p, sorted, that a read must not cross: reading p-1 and p together failed. */
  cuts(area: ModbusArea): readonly number[];
  /** The longest read the device accepts, when it refused longer ones; undefined: no limit known. */
  maxCount?(area: ModbusArea): number | undefined;
}

export interface PlanOptions {
  /** Default tcpCost(). */
  cost?: TransportCost;
  /**
   * Never bridge over these, nor read longer than they allow. A value that itself lies in (or
   * across) a hole, or is longer, is read by a request of its own, so its failure is its own and
   * never its neighbours'.
   */
  holes?: KnownHoles;
}

// ---------------------------------------------------------------------------------------------
// Transport costs
// ---------------------------------------------------------------------------------------------

/** MBAP header (7) + function code, start, quantity (5). */
const TCP_REQUEST_BYTES = 12;
/** MBAP header (7) + function code, byte count (2), before the data. */
const TCP_ANSWER_FIXED_BYTES = 9;
/** Ethernet (preamble, header, FCS, inter-frame gap: 38) + IPv4 (20) + TCP with timestamps (32), per segment. */
const TCP_SEGMENT_OVERHEAD_BYTES = 90;

/**
 * Modbus TCP. Defaults: a 1 ms round trip (a PLC on a switched LAN answers within its cycle of a
 * few ms; the simulator on loopback in ~0.1 ms) at 100 Mbit/s. A request then costs as much as
 * 12,500 data bytes, far more than the 250 one request can carry: TCP plans read through any
 * gap that fits, and among plans with as few requests they pick the fewest bytes. Any round trip
 * above ~25 µs gives the same plans.
 */
export function tcpCost(opts: { roundTripMs?: number; bitsPerSecond?: number } = {}): TransportCost {
  const roundTripS = positive('roundTripMs', opts.roundTripMs ?? 1) / 1000;
  const byteS = 8 / positive('bitsPerSecond', opts.bitsPerSecond ?? 100e6);
  const fixedBytes = TCP_REQUEST_BYTES + TCP_ANSWER_FIXED_BYTES + 2 * TCP_SEGMENT_OVERHEAD_BYTES;
  return { requestS: roundTripS + fixedBytes * byteS, byteS };
}

export interface SerialLine {
  baudRate: number;
  /** Default 8 (Modbus RTU requires 8). */
  dataBits?: 7 | 8;
  /** Default 'even'. */
  parity?: 'none' | 'even' | 'odd';
  /** Default 1 with parity, 2 without: the 11 bits per character of Modbus RTU. */
  stopBits?: 1 | 2;
  /** From the end of a request to the first byte of its answer, beyond the 3.5-character silence; default 5 ms. */
  turnaroundMs?: number;
}

/** Address, function code, start, quantity, CRC. */
const RTU_REQUEST_BYTES = 8;
/** Address, function code, byte count, CRC. */
const RTU_ANSWER_FIXED_BYTES = 5;

/**
 * Modbus RTU on a serial line: every byte costs its line time (start, data, parity and stop
 * bits), each frame is followed by 3.5 characters of silence (fixed 1.75 ms above 19200 baud, as
 * the serial line specification says), and the device takes `turnaroundMs` to answer. At 9600
 * baud 8E1 with the default 5 ms turnaround a request costs 27.9 ms and a byte 1.15 ms: a read
 * bridges gaps of up to 12 registers (192 bits); at 19200 up to 14, at 115200 up to 51. The
 * turnaround dominates at high rates: measure a device's and pass it.
 */
export function rtuCost(line: SerialLine): TransportCost {
  const baud = positive('baudRate', line.baudRate);
  const dataBits = line.dataBits ?? 8;
  if (dataBits !== 7 && dataBits !== 8) throw new RangeError(`dataBits must be 7 or 8, got ${String(dataBits)}`);
  const parity = line.parity ?? 'even';
  if (parity !== 'none' && parity !== 'even' && parity !== 'odd') throw new RangeError(`parity must be none, even or odd, got ${String(parity)}`);
  const stopBits = line.stopBits ?? (parity === 'none' ? 2 : 1);
  if (stopBits !== 1 && stopBits !== 2) throw new RangeError(`stopBits must be 1 or 2, got ${String(stopBits)}`);
  const turnaroundS = nonNegative('turnaroundMs', line.turnaroundMs ?? 5) / 1000;
  const byteS = (1 + dataBits + (parity === 'none' ? 0 : 1) + stopBits) / baud;
  const silenceS = baud > 19200 ? 0.00175 : 3.5 * byteS;
  return { requestS: (RTU_REQUEST_BYTES + RTU_ANSWER_FIXED_BYTES) * byteS + 2 * silenceS + turnaroundS, byteS };
}

/** Data bytes in the answer to a read of `count` registers or bits. */
export function answerDataBytes(area: ModbusArea, count: number): number {
  return isBitArea(area) ? Math.ceil(count / 8) : 2 * count;
}

/** Seconds a plan takes on a transport, by the cost model planReads minimises. */
export function planCost(plan: readonly PlannedRead[], cost: TransportCost): number {
  let total = 0;
  for (const r of plan) total += cost.requestS + answerDataBytes(r.area, r.count) * cost.byteS;
  return total;
}

function positive(name: string, v: number): number {
  if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) throw new RangeError(`${name} must be a positive number, got ${String(v)}`);
  return v;
}

function nonNegative(name: string, v: number): number {
  if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw new RangeError(`${name} must be a number >= 0, got ${String(v)}`);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Planning
// ---------------------------------------------------------------------------------------------

const AREA_ORDER: readonly ModbusArea[] = ['coil', 'discrete', 'input', 'holding'];
const NO_HOLES: readonly AddressRange[] = [];
const NO_CUTS: readonly number[] = [];

const isBitArea = (area: ModbusArea) => area === 'coil' || area === 'discrete';

/** The cheapest requests that read every address whole; ordered by area, then start. */
export function planReads(addrs: readonly ResolvedAddress[], limits: PlanLimits, options: PlanOptions = {}): PlannedRead[] {
  checkLimits(limits);
  const cost = options.cost ?? tcpCost();
  checkCost(cost);
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
    const bits = isBitArea(area);
    const maxSpan = bits ? limits.maxBits : limits.maxRegisters;
    const learned = options.holes?.maxCount?.(area);
    const areaPlan = planArea(area, indices, addrs, {
      maxSpan,
      bridgeSpan: learned === undefined ? maxSpan : Math.max(1, Math.min(maxSpan, learned)),
      maxGap: bits ? limits.maxBitGap : limits.maxRegisterGap,
      cost,
      unreadable: options.holes?.unreadable(area) ?? NO_HOLES,
      cuts: options.holes?.cuts(area) ?? NO_CUTS,
    });
    areaPlan.sort((x, y) => x.start - y.start || x.count - y.count);
    for (const r of areaPlan) plan.push(r);
  }
  return plan;
}

interface AreaRules {
  /** No value may be longer. */
  maxSpan: number;
  /** No request of several values may be longer; a longer value is read alone. */
  bridgeSpan: number;
  maxGap: number | undefined;
  cost: TransportCost;
  unreadable: readonly AddressRange[];
  cuts: readonly number[];
}

function planArea(area: ModbusArea, indices: readonly number[], addrs: readonly ResolvedAddress[], rules: AreaRules): PlannedRead[] {
  const { maxSpan, bridgeSpan, unreadable, cuts } = rules;
  const n = indices.length;
  const starts = new Int32Array(n);
  const ends = new Int32Array(n);
  const isolated: number[] = [];
  const normal: number[] = [];
  for (let k = 0; k < n; k++) {
    const a = addrs[indices[k]!]!;
    if (!(a.count >= 1 && a.count <= maxSpan)) {
      throw new Error(`${a.key} spans ${a.count} ${isBitArea(area) ? 'bits' : 'registers'}, more than one request may read (${maxSpan})`);
    }
    starts[k] = a.address;
    ends[k] = a.address + a.count - 1;
    (a.count > bridgeSpan || touchesHole(unreadable, cuts, starts[k]!, ends[k]!) ? isolated : normal).push(k);
  }
  const out: PlannedRead[] = [];

  // A value that touches a known hole (or is longer than the device reads) is read on its own,
  // with its exact duplicates, and never bridged to.
  isolated.sort((x, y) => starts[x]! - starts[y]! || ends[x]! - ends[y]!);
  for (let p = 0; p < isolated.length; ) {
    const k = isolated[p]!;
    const members: number[] = [];
    for (; p < isolated.length && starts[isolated[p]!] === starts[k] && ends[isolated[p]!] === ends[k]; p++) members.push(indices[isolated[p]!]!);
    out.push({ area, start: starts[k]!, count: ends[k]! - starts[k]! + 1, members: members.sort((x, y) => x - y) });
  }
  if (normal.length === 0) return out;

  // Groups: the other values by distinct end (a request takes whole groups), in end order.
  normal.sort((x, y) => ends[x]! - ends[y]! || starts[x]! - starts[y]!);
  const groupEnd: number[] = [0]; // 1-based; [0] unused
  const groupStart: number[] = [0];
  const groupFirst: number[] = [0]; // position in `normal` of the group's first item
  for (let p = 0; p < normal.length; p++) {
    const k = normal[p]!;
    if (p === 0 || ends[k] !== groupEnd[groupEnd.length - 1]) {
      groupEnd.push(ends[k]!);
      groupStart.push(starts[k]!); // the smallest start of the group: sorted by start within an end
      groupFirst.push(p);
    }
  }
  const G = groupEnd.length - 1;
  groupFirst.push(normal.length);

  const barriers = barriersOf(unreadable, cuts, rules.maxGap, normal.map((k) => [starts[k]!, ends[k]!] as const));
  const bits = isBitArea(area);
  // bytes(count) = W * ceil(count / D); with E' = end + 1 = D*Q + R and start = D*q + r it is
  // W * (Q - q + [R > r]), so an entry's key is cost[i] - b*W*q, kept per residue r.
  const D = bits ? 8 : 1;
  const bW = rules.cost.byteS * (bits ? 1 : 2);
  const a = rules.cost.requestS;

  const best = new Float64Array(G + 1); // best[0] = 0: nothing to read
  const back = new Int32Array(G + 1);
  const stack = new Int32Array(G); // groups whose start is a suffix minimum, starts increasing
  let top = -1;
  const tree = new ResidueMinTree(G, D);
  let barrier = 0;
  let barrierMinStart = -Infinity;

  for (let j = 1; j <= G; j++) {
    const E = groupEnd[j]!;
    const S = groupStart[j]!;
    while (barrier < barriers.length && barriers[barrier]!.trigger <= E) {
      barrierMinStart = Math.max(barrierMinStart, barriers[barrier]!.minStart);
      barrier++;
    }
    const lowestStart = Math.max(E - bridgeSpan + 1, barrierMinStart);

    while (top >= 0 && groupStart[stack[top]!]! >= S) top--;
    stack[++top] = j;
    const prev = top > 0 ? stack[top - 1]! : 0;
    const q = Math.floor(S / D);
    tree.set(top, S - q * D, best[prev]! - bW * q, prev);

    // The window: stack entries whose start is >= lowestStart (a suffix of the stack).
    let lo = 0;
    let hi = top; // groupStart[stack[top]] = S >= lowestStart: a value never holds a barrier
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (groupStart[stack[mid]!]! >= lowestStart) hi = mid;
      else lo = mid + 1;
    }
    const Q = Math.floor((E + 1) / D);
    const found = tree.query(lo, top, E + 1 - Q * D, bW);
    best[j] = a + bW * Q + found.value;
    back[j] = found.payload;
  }

  for (let j = G; j > 0; ) {
    const i = back[j]!;
    let start = Infinity;
    const members: number[] = [];
    for (let g = i + 1; g <= j; g++) {
      start = Math.min(start, groupStart[g]!);
      for (let p = groupFirst[g]!; p < groupFirst[g + 1]!; p++) members.push(indices[normal[p]!]!);
    }
    out.push({ area, start, count: groupEnd[j]! - start + 1, members: members.sort((x, y) => x - y) });
    j = i;
  }
  return out;
}

/** Whether [start, end] includes a known-unreadable address or crosses a cut. */
function touchesHole(unreadable: readonly AddressRange[], cuts: readonly number[], start: number, end: number): boolean {
  if (unreadable.length > 0) {
    const r = unreadable[firstAtLeast(unreadable.length, (m) => unreadable[m]!.end >= start)];
    if (r && r.start <= end) return true;
  }
  if (cuts.length > 0) {
    const c = cuts[firstAtLeast(cuts.length, (m) => cuts[m]! > start)];
    if (c !== undefined && c <= end) return true;
  }
  return false;
}

/** The first index in [0, n) where `ok` holds (ok is monotone), or n. */
export function firstAtLeast(n: number, ok: (m: number) => boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ok(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** A request ending at or after `trigger` must start at or after `minStart`. */
interface Barrier {
  trigger: number;
  minStart: number;
}

/**
 * The span rules as barriers, sorted by trigger: unreadable ranges, cuts, and with a gap cap
 * the runs of addresses no value uses that are longer than the cap. Values never hold a
 * barrier, so a request ending after a barrier's first address ends after all of it.
 */
function barriersOf(unreadable: readonly AddressRange[], cuts: readonly number[], maxGap: number | undefined, items: (readonly [number, number])[]): Barrier[] {
  const out: Barrier[] = [];
  for (const r of unreadable) out.push({ trigger: r.start, minStart: r.end + 1 });
  for (const c of cuts) out.push({ trigger: c, minStart: c });
  if (maxGap !== undefined) {
    items.sort((x, y) => x[0] - y[0]);
    let reach = items[0]![1];
    for (const [s, e] of items) {
      if (s - reach - 1 > maxGap) out.push({ trigger: reach + 1, minStart: s });
      reach = Math.max(reach, e);
    }
  }
  return out.sort((x, y) => x.trigger - y.trigger);
}

/**
 * A segment tree over stack positions holding one key per residue class, answering
 * min over positions in [lo, hi] of key + (R > residue ? penalty : 0), with the payload of the
 * minimum. Payloads (the group before an entry) grow with the position on the stack, so ties go
 * to the larger payload: the request that reads fewer addresses.
 */
class ResidueMinTree {
  private readonly size: number;
  private readonly val: Float64Array;
  private readonly pay: Int32Array;
  private readonly bestVal: Float64Array;
  private readonly bestPay: Int32Array;
  /** The residue each position holds a key for (the others are empty). */
  private readonly residue: Uint8Array;

  constructor(
    capacity: number,
    private readonly D: number,
  ) {
    let size = 1;
    while (size < capacity) size *= 2;
    this.size = size;
    this.val = new Float64Array(2 * size * D).fill(Infinity);
    this.pay = new Int32Array(2 * size * D).fill(-1);
    this.bestVal = new Float64Array(D);
    this.bestPay = new Int32Array(D);
    this.residue = new Uint8Array(size);
  }

  /** Puts `key` (residue r) at position p, replacing whatever p held before. */
  set(p: number, r: number, key: number, payload: number): void {
    const D = this.D;
    const leaf = this.size + p;
    const old = this.residue[p]!;
    this.residue[p] = r;
    this.val[leaf * D + old] = Infinity;
    this.pay[leaf * D + old] = -1;
    this.val[leaf * D + r] = key;
    this.pay[leaf * D + r] = payload;
    this.pull(leaf, old);
    if (r !== old) this.pull(leaf, r);
  }

  /** Recomputes residue c on the path from a leaf to the root. */
  private pull(leaf: number, c: number): void {
    const D = this.D;
    for (let node = leaf >> 1; node >= 1; node >>= 1) {
      const l = 2 * node * D + c;
      const r = l + D;
      const pick = this.val[r]! < this.val[l]! || (this.val[r]! === this.val[l]! && this.pay[r]! > this.pay[l]!) ? r : l;
      this.val[node * D + c] = this.val[pick]!;
      this.pay[node * D + c] = this.pay[pick]!;
    }
  }

  query(lo: number, hi: number, R: number, penalty: number): { value: number; payload: number } {
    const D = this.D;
    this.bestVal.fill(Infinity);
    this.bestPay.fill(-1);
    for (let l = lo + this.size, r = hi + this.size + 1; l < r; l >>= 1, r >>= 1) {
      if (l & 1) this.take(l++);
      if (r & 1) this.take(--r);
    }
    let value = Infinity;
    let payload = -1;
    for (let c = 0; c < D; c++) {
      const v = this.bestVal[c]! + (R > c ? penalty : 0);
      if (v < value || (v === value && this.bestPay[c]! > payload)) {
        value = v;
        payload = this.bestPay[c]!;
      }
    }
    return { value, payload };
  }

  private take(node: number): void {
    for (let c = 0; c < this.D; c++) {
      const i = node * this.D + c;
      const v = this.val[i]!;
      if (v < this.bestVal[c]! || (v === this.bestVal[c]! && this.pay[i]! > this.bestPay[c]!)) {
        this.bestVal[c] = v;
        this.bestPay[c] = this.pay[i]!;
      }
    }
  }
}

function checkLimits(l: PlanLimits): void {
  const check = (name: keyof PlanLimits, min: number, max: number, optional = false) => {
    const v = l[name];
    if (optional && v === undefined) return;
    if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) throw new RangeError(`${name} must be a whole number from ${min} to ${max}, got ${v}`);
  };
  check('maxRegisters', 1, 125);
  check('maxBits', 1, 2000);
  check('maxRegisterGap', 0, 65535, true);
  check('maxBitGap', 0, 65535, true);
}

function checkCost(c: TransportCost): void {
  if (!(Number.isFinite(c.requestS) && c.requestS > 0)) throw new RangeError(`requestS must be a positive number of seconds, got ${c.requestS}`);
  if (!(Number.isFinite(c.byteS) && c.byteS >= 0)) throw new RangeError(`byteS must be a number of seconds >= 0, got ${c.byteS}`);
}
