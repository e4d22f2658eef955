import type { TagReading } from '../protocol';

interface LastSent {
  value: TagReading['value'];
  quality: TagReading['quality'];
  error: string | undefined;
}

/**
 * Report-by-exception for one subscription: passes a reading when its value, quality or error
 * differs from the last one passed for that tag. The first reading of every tag always passes.
 * It keeps one small record per tag, updated in place, rather than the readings themselves:
 * readings then die young, and the garbage collector never has to promote them.
 */
export class ChangeFilter {
  private readonly last = new Map<string, LastSent>();

  constructor(private readonly onChangeOnly: boolean) {}

  passes(r: TagReading): boolean {
    if (!this.onChangeOnly) return true;
    const prev = this.last.get(r.tag);
    if (!prev) {
      this.last.set(r.tag, { value: r.value, quality: r.quality, error: r.error });
      return true;
    }
    if (prev.quality === r.quality && prev.error === r.error && sameValue(prev.value, r.value)) return false;
    prev.value = r.value;
    prev.quality = r.quality;
    prev.error = r.error;
    return true;
  }

  forget(tag: string): void {
    this.last.delete(tag);
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  // NaN never equals itself, but an unchanged NaN is no news.
  return a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b));
}
