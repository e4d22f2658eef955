import type { TagReading } from '../protocol';

/**
 * Report-by-exception for one subscription: passes a reading when its value, quality or error
 * differs from the last one passed for that tag. The first reading of every tag always passes.
 */
export class ChangeFilter {
  private readonly last = new Map<string, TagReading>();

  constructor(private readonly onChangeOnly: boolean) {}

  passes(r: TagReading): boolean {
    if (!this.onChangeOnly) return true;
    const prev = this.last.get(r.tag);
    if (prev && prev.quality === r.quality && prev.error === r.error && sameValue(prev.value, r.value)) return false;
    this.last.set(r.tag, r);
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
