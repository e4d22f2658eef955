/**
 * What a discovery scans: the `targets`, `ports` and `unitIds` of a request, checked and expanded.
 *
 * A target string is one of
 *   - an IPv4 address:        10.0.0.5
 *   - a CIDR block:           192.168.1.0/24  (prefixes up to /30 skip the network and broadcast
 *                             addresses; /31 and /32 are taken as they are; host bits are ignored,
 *                             so 192.168.1.7/24 is the same block)
 *   - a last-octet range:     10.0.0.5-40     (both ends included)
 *   - a full range:           10.0.0.5-10.0.1.7
 *   - an IPv6 address:        fe80::1, [::1]  (a single host; no IPv6 prefixes: they are too large)
 *   - a host name:            plc-7.local     (every IPv4 address it resolves to)
 *
 * Hosts are deduplicated, the first mention wins, and the order given is kept (ascending inside a
 * block or range). Parsing is synchronous and never expands anything, so a request is checked and
 * its size known before any address is listed; only host names need the asynchronous resolve.
 */
import { promises as dns } from 'node:dns';
import { isIPv6 } from 'node:net';
import { BifrostError } from '../errors';
import { ErrorCodes } from '../protocol';

/** Most distinct hosts one scan takes: a /16. */
export const MAX_HOSTS = 65_536;
/** Above this many hosts (a /22) the UI asks before it starts a scan. */
export const CONFIRM_ABOVE_HOSTS = 1_024;

const FORMS = 'an IPv4 address (10.0.0.5), a CIDR (192.168.1.0/24), a range (10.0.0.5-40 or 10.0.0.5-10.0.1.7), an IPv6 address or a host name';

/** One host to scan. */
export interface Target {
  address: string;
  family: 4 | 6;
  /** The target string it came from (the first one, when several hold it), trimmed. */
  entry: string;
}

/** One checked target string; IPv4 forms are an inclusive range of 32-bit addresses. */
export type TargetSpec =
  | { kind: 'ipv4'; first: number; last: number; entry: string }
  | { kind: 'ipv6'; address: string; entry: string }
  | { kind: 'name'; name: string; entry: string };

function invalid(message: string): BifrostError {
  return new BifrostError(ErrorCodes.InvalidParams, message);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `a value of type ${typeof value}`;
}

/** Checks a request's `targets` without expanding it; throws InvalidParams naming the bad entry. */
export function parseTargets(targets: unknown): TargetSpec[] {
  const specs = parseEntries(targets);
  const count = countSpecs(specs);
  if (count > MAX_HOSTS) throw tooMany(count);
  return specs;
}

/**
 * How many distinct hosts `targets` holds, without listing them; throws as parseTargets does,
 * except for the size limit. Each host name counts as one: what it resolves to is not known yet.
 */
export function countTargets(targets: unknown): number {
  return countSpecs(parseEntries(targets));
}

function parseEntries(targets: unknown): TargetSpec[] {
  if (!Array.isArray(targets)) throw invalid(`targets must be an array of strings, each ${FORMS}; got ${describe(targets)}`);
  if (targets.length === 0) throw invalid(`targets is empty: give at least one, each ${FORMS}`);
  if (targets.length > MAX_HOSTS) throw invalid(`targets has ${targets.length} entries; at most ${MAX_HOSTS} are taken`);
  return targets.map((t, i) => parseEntry(t, i));
}

/** parseTargets, then host names resolved: the hosts in order, each once. */
export async function expandTargets(targets: unknown, opts: ExpandOptions = {}): Promise<Target[]> {
  const specs = parseTargets(targets);
  const lookup = opts.lookup ?? lookupIPv4;
  const names = specs.filter((s) => s.kind === 'name');
  const unresolved = opts.unresolved;
  const resolveOrReport = unresolved
    ? (spec: { name: string; entry: string }) =>
        resolveName(spec, lookup).catch((err: unknown) => {
          if (!(err instanceof BifrostError)) throw err;
          unresolved(spec.entry, err.message);
          return [];
        })
    : (spec: { name: string; entry: string }) => resolveName(spec, lookup);
  const resolved = await untilAborted(Promise.all(names.map(resolveOrReport)), opts.signal);

  const out: Target[] = [];
  const seen = new IntervalSet();
  const seenText = new Set<string>();
  let nameIndex = 0;
  for (const spec of specs) {
    if (spec.kind === 'ipv4') {
      for (const [a, b] of seen.add(spec.first, spec.last)) {
        for (let n = a; n <= b; n++) out.push({ address: formatIPv4(n), family: 4, entry: spec.entry });
      }
    } else if (spec.kind === 'ipv6') {
      if (!seenText.has(spec.address)) {
        seenText.add(spec.address);
        out.push({ address: spec.address, family: 6, entry: spec.entry });
      }
    } else {
      for (const n of resolved[nameIndex++]!) {
        if (seen.add(n, n).length > 0) out.push({ address: formatIPv4(n), family: 4, entry: spec.entry });
      }
    }
  }
  if (out.length > MAX_HOSTS) throw tooMany(out.length, ' once the host names are resolved');
  return out;
}

export interface ExpandOptions {
  /** All IPv4 addresses of a host name; default dns.lookup. Rejects with err.code ENOTFOUND when there is none. */
  lookup?: (name: string) => Promise<string[]>;
  /** Stops waiting for host names: expandTargets rejects with RequestCancelled. */
  signal?: AbortSignal;
  /**
   * Where a host name that does not resolve is told (its entry and why), the other targets going
   * on without it; without it, such a name refuses the whole list.
   */
  unresolved?: (entry: string, message: string) => void;
}

/** The Modbus TCP port. */
export const DEFAULT_PORTS: readonly number[] = [502];

/** A request's `ports`: TCP ports, 1-65535, each once in the order given; left out → `defaults` ([502]). */
export function parsePorts(ports: unknown, defaults: readonly number[] = DEFAULT_PORTS): number[] {
  if (ports === undefined) return [...defaults];
  const list = `[${defaults.join(', ')}]`;
  return parseIntegerList(ports, 'ports', 'a TCP port', 1, 65_535, `e.g. ${list}`, `for ${list}`);
}

/**
 * Unit ids asked on each host and port, in this order: 1 is the usual single device, 255 and 0 are
 * what gateways and many direct devices answer to.
 */
export const DEFAULT_UNIT_IDS: readonly number[] = [1, 255, 0];
/** The sweep "all" stands for: the Modbus serial address range behind a gateway. */
export const ALL_UNIT_IDS = 'all';

/**
 * A request's `unitIds` is either an array of unit ids 0-255 (each once, in the order given), or the
 * string "all" for the sweep 1-247 (every address a serial line behind a gateway can have); left
 * out → [1, 255, 0]. A string rather than a separate flag, so that one field cannot contradict another.
 */
export function parseUnitIds(unitIds: unknown): number[] {
  if (unitIds === undefined) return [...DEFAULT_UNIT_IDS];
  if (unitIds === ALL_UNIT_IDS) return Array.from({ length: 247 }, (_, i) => i + 1);
  if (typeof unitIds === 'string') throw invalid(`unitIds must be an array of unit ids (0-255) or "all" (1-247); got ${describe(unitIds)}`);
  return parseIntegerList(unitIds, 'unitIds', 'a unit id', 0, 255, 'or "all" (1-247)', 'for [1, 255, 0]');
}

function parseIntegerList(value: unknown, field: string, what: string, min: number, max: number, hint: string, fallback: string): number[] {
  if (!Array.isArray(value)) throw invalid(`${field} must be an array of integers from ${min} to ${max}, ${hint}; got ${describe(value)}`);
  if (value.length === 0) throw invalid(`${field} is empty: give at least one (${min}-${max}), or leave it out ${fallback}`);
  const out = new Set<number>();
  value.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw invalid(`${field}[${i}] is ${describe(v)}: ${what} is an integer from ${min} to ${max}`);
    out.add(v);
  });
  return [...out];
}

function tooMany(count: number, when = ''): BifrostError {
  return invalid(`targets hold ${count.toLocaleString('en-US')} hosts${when}; at most ${MAX_HOSTS.toLocaleString('en-US')} (a /16) are scanned at once: narrow the ranges or scan in parts`);
}

function countSpecs(specs: TargetSpec[]): number {
  const v4 = new IntervalSet();
  const other = new Set<string>();
  for (const s of specs) {
    if (s.kind === 'ipv4') v4.add(s.first, s.last);
    else other.add(s.kind === 'ipv6' ? s.address : `name:${s.name}`);
  }
  return v4.size + other.size;
}

function parseEntry(raw: unknown, index: number): TargetSpec {
  const where = `targets[${index}]`;
  if (typeof raw !== 'string') throw invalid(`${where} is ${describe(raw)}: expected a string, ${FORMS}`);
  const entry = raw.trim();
  const label = `${where} ${JSON.stringify(entry)}`;
  if (entry === '') throw invalid(`${where} is empty: expected ${FORMS}`);
  if (entry.includes(':')) return parseIPv6Entry(entry, label);
  if (/^[0-9./-]+$/.test(entry)) return parseIPv4Entry(entry, label);
  if (isHostName(entry)) return { kind: 'name', name: entry.toLowerCase().replace(/\.$/, ''), entry };
  throw invalid(`${label} is not ${FORMS}`);
}

function parseIPv4Entry(entry: string, label: string): TargetSpec {
  const slash = entry.split('/');
  const dash = entry.split('-');
  if (slash.length > 1 && dash.length > 1) throw invalid(`${label}: a target is either a CIDR (a.b.c.d/n) or a range (a.b.c.d-e), not both`);
  if (slash.length > 2) throw invalid(`${label}: a CIDR has one "/" (a.b.c.d/n)`);
  if (dash.length > 2) throw invalid(`${label}: a range has one "-" (a.b.c.d-e or a.b.c.d-w.x.y.z)`);

  if (slash.length === 2) {
    const base = parseIPv4(slash[0]!, label);
    const prefixText = slash[1]!;
    if (!/^\d{1,2}$/.test(prefixText)) throw invalid(`${label}: the prefix after "/" must be a whole number from 0 to 32, got ${JSON.stringify(prefixText)}`);
    const prefix = Number(prefixText);
    if (prefix > 32) throw invalid(`${label}: prefix /${prefix} is above 32`);
    const size = 2 ** (32 - prefix);
    const network = Math.floor(base / size) * size;
    // Network and broadcast addresses answer nobody's Modbus; /31 (point to point) and /32 have none.
    return prefix <= 30 ? { kind: 'ipv4', first: network + 1, last: network + size - 2, entry } : { kind: 'ipv4', first: network, last: network + size - 1, entry };
  }

  if (dash.length === 2) {
    const first = parseIPv4(dash[0]!, label);
    const endText = dash[1]!;
    let last: number;
    if (endText.includes('.')) {
      last = parseIPv4(endText, label);
    } else {
      const octet = parseOctet(endText, label, 'the range end');
      last = first - (first % 256) + octet;
    }
    if (last < first) throw invalid(`${label}: the range end ${formatIPv4(last)} is before its start ${formatIPv4(first)}`);
    return { kind: 'ipv4', first, last, entry };
  }

  const address = parseIPv4(entry, label);
  return { kind: 'ipv4', first: address, last: address, entry };
}

/** A dotted IPv4 address as a 32-bit number. */
function parseIPv4(text: string, label: string): number {
  if (text === '') throw invalid(`${label}: an address is missing`);
  const parts = text.split('.');
  if (parts.length !== 4) throw invalid(`${label}: an IPv4 address has 4 octets separated by dots, ${JSON.stringify(text)} has ${parts.length}`);
  return parts.reduce((n, part) => n * 256 + parseOctet(part, label, 'an octet'), 0);
}

function parseOctet(text: string, label: string, what: string): number {
  if (text === '') throw invalid(`${label}: ${what} is missing`);
  if (!/^\d+$/.test(text)) throw invalid(`${label}: ${what} must be a whole number from 0 to 255, got ${JSON.stringify(text)}`);
  // Some tools read 010 as octal 8: refuse instead of guessing.
  if (text.length > 1 && text.startsWith('0')) throw invalid(`${label}: ${what} ${JSON.stringify(text)} has a leading zero (some tools read it as octal): write ${Number(text)}`);
  const n = Number(text);
  if (n > 255) throw invalid(`${label}: ${what} ${n} is above 255`);
  return n;
}

function parseIPv6Entry(entry: string, label: string): TargetSpec {
  if (entry.includes('/')) throw invalid(`${label}: IPv6 prefixes are not scanned (far too many hosts); give single IPv6 addresses`);
  const bare = entry.startsWith('[') && entry.endsWith(']') ? entry.slice(1, -1) : entry;
  if (!isIPv6(bare)) throw invalid(`${label} is not a valid IPv6 address`);
  return { kind: 'ipv6', address: canonicalIPv6(bare), entry };
}

/** The compressed lower-case form (RFC 5952), so that 2001:DB8:0::1 and 2001:db8::1 dedupe; a zone id is kept. */
function canonicalIPv6(address: string): string {
  const zone = address.indexOf('%');
  const bare = zone < 0 ? address : address.slice(0, zone);
  const canonical = new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  return zone < 0 ? canonical : canonical + address.slice(zone);
}

/** DNS name syntax (underscores allowed: some Windows hosts have them). */
function isHostName(text: string): boolean {
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  if (name.length === 0 || name.length > 253) return false;
  return name.split('.').every((l) => l.length >= 1 && l.length <= 63 && /^[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?$/.test(l));
}

export function formatIPv4(n: number): string {
  return `${Math.floor(n / 16_777_216)}.${Math.floor(n / 65_536) % 256}.${Math.floor(n / 256) % 256}.${n % 256}`;
}

async function lookupIPv4(name: string): Promise<string[]> {
  const found = await dns.lookup(name, { all: true, family: 4 });
  return found.map((a) => a.address);
}

async function resolveName(spec: { name: string; entry: string }, lookup: (name: string) => Promise<string[]>): Promise<number[]> {
  let addresses: string[];
  try {
    addresses = await lookup(spec.name);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA') throw invalid(`host name ${JSON.stringify(spec.entry)} was not found (no IPv4 address): check the spelling or give its address`);
    throw invalid(`host name ${JSON.stringify(spec.entry)} could not be resolved: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (addresses.length === 0) throw invalid(`host name ${JSON.stringify(spec.entry)} was not found (no IPv4 address): check the spelling or give its address`);
  return addresses.map((a) => parseIPv4(a, `host name ${JSON.stringify(spec.entry)} resolved to ${JSON.stringify(a)}`));
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  const cancelled = () => new BifrostError(ErrorCodes.RequestCancelled, 'the request was cancelled');
  if (signal.aborted) return Promise.reject(cancelled());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * A union of inclusive integer ranges, kept sorted and disjoint. add() reports the parts that were
 * new, so expansion lists each host once in the order given, with work in proportion to the hosts
 * listed: a /16 repeated a thousand times costs one /16.
 */
class IntervalSet {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  size = 0;

  /** Adds [first, last]; returns the sub-ranges not held before, ascending. */
  add(first: number, last: number): Array<[number, number]> {
    // The first held range that ends at or after first - 1 (touching ranges merge).
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ends[mid]! < first - 1) lo = mid + 1;
      else hi = mid;
    }
    const fresh: Array<[number, number]> = [];
    let cursor = first;
    let mergedStart = first;
    let mergedEnd = last;
    let j = lo;
    while (j < this.starts.length && this.starts[j]! <= last + 1) {
      const s = this.starts[j]!;
      const e = this.ends[j]!;
      if (s > cursor) fresh.push([cursor, Math.min(s - 1, last)]);
      cursor = Math.max(cursor, e + 1);
      mergedStart = Math.min(mergedStart, s);
      mergedEnd = Math.max(mergedEnd, e);
      this.size -= e - s + 1;
      j++;
    }
    if (cursor <= last) fresh.push([cursor, last]);
    this.starts.splice(lo, j - lo, mergedStart);
    this.ends.splice(lo, j - lo, mergedEnd);
    this.size += mergedEnd - mergedStart + 1;
    return fresh;
  }
}
