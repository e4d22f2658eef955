import type { Deadband, TagReading, TagValue } from '../protocol';

interface LastSent {
  value: TagValue;
  quality: TagReading['quality'];
  error: string | undefined;
}

/**
 * Report-by-exception for one subscription: passes a reading when its quality or error differs
 * from the last one passed for that tag, or its value moved beyond the deadband (any change when
 * there is none). The first reading of every tag always passes. The comparison is against the
 * last value passed, so slow drifts add up until they are reported.
 * It keeps one small record per tag, updated in place, rather than the readings themselves:
 * readings then die young, and the garbage collector never has to promote them.
 */
export class ChangeFilter {
  /** Only a filtering subscription keeps what it sent (10,000 devices: 10,000 maps otherwise). */
  private readonly last: Map<string, LastSent> | null;

  /** `deadband` (the subscription's) overrides each tag's own; `fallback` is for tags without one. */
  constructor(
    private readonly onChangeOnly: boolean,
    private readonly deadband?: Deadband,
    private readonly fallback?: Deadband,
  ) {
    this.last = onChangeOnly ? new Map() : null;
  }

  /** False when every reading passes (the subscription does not report by exception). */
  get filters(): boolean {
    return this.onChangeOnly;
  }

  passes(r: TagReading, tagDeadband?: Deadband): boolean {
    if (!this.last) return true;
    const prev = this.last.get(r.tag);
    if (!prev) {
      this.last.set(r.tag, { value: r.value, quality: r.quality, error: r.error });
      return true;
    }
    if (prev.quality === r.quality && prev.error === r.error && !moved(prev.value, r.value, this.deadband ?? tagDeadband ?? this.fallback)) return false;
    prev.value = r.value;
    prev.quality = r.quality;
    prev.error = r.error;
    return true;
  }

  forget(tag: string): void {
    this.last?.delete(tag);
  }
}

function moved(before: TagValue, now: TagValue, deadband: Deadband | undefined): boolean {
  if (deadband && deadband.value > 0) {
    const a = numeric(before);
    const b = numeric(now);
    if (a !== undefined && b !== undefined) {
      const limit = deadband.type === 'absolute' ? deadband.value : (Math.abs(a) * deadband.value) / 100;
      // Exceeding the deadband is news; staying within it (or on it) is not.
      return Math.abs(b - a) > limit;
    }
  }
  return !sameValue(before, now);
}

/** Numbers, and 64-bit integers that travel as decimal strings (their rounding is far below any deadband). */
function numeric(v: TagValue): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  return undefined;
}

export function sameValue(a: TagValue, b: TagValue): boolean {
  if (a === b) return true;
  // NaN never equals itself, but an unchanged NaN is no news.
  if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) && Number.isNaN(b);
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i]!, b[i]!)) return false;
    return true;
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => k in b && sameValue(a[k]!, b[k]!));
}
