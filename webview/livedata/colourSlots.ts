/**
 * Which palette colour each charted series has. A series keeps its colour while it is charted,
 * whatever else is added or removed; a new series gets the lowest colour no other series has,
 * so no colour is used twice while the palette has one free.
 */
export class ColourSlots {
  private readonly slots = new Map<string, number>();

  /** Assigns colours to exactly these keys (in chart order); the others' colours become free. */
  assign(keys: readonly string[]): void {
    const keep = new Set(keys);
    for (const key of [...this.slots.keys()]) if (!keep.has(key)) this.slots.delete(key);
    const used = new Set(this.slots.values());
    let next = 0;
    for (const key of keys) {
      if (this.slots.has(key)) continue;
      while (used.has(next)) next++;
      this.slots.set(key, next);
      used.add(next);
    }
  }

  /** The colour index of a charted series; undefined for the others. */
  get(key: string): number | undefined {
    return this.slots.get(key);
  }
}
