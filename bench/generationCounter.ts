/**
 * Counts the values of items whose server sets every item to the same generation number, one up
 * each change (bench/opcuaServer.ts): a value that never arrived shows as a skipped generation.
 * Shared by the bench (values the gateway delivered) and the bare client (values it received).
 */
export class GenerationCounter {
  /** Only values within the window are counted; first values are noticed always. */
  measuring = false;
  values = 0;
  lost = 0;
  bad = 0;
  /** Items with a good value so far. */
  seen = 0;
  private readonly last: Int32Array;
  private readonly inWindow: Uint8Array;

  constructor(
    readonly items: number,
    private readonly onAllSeen: () => void = () => undefined,
  ) {
    this.last = new Int32Array(items).fill(-1);
    this.inWindow = new Uint8Array(items);
  }

  /** A value of item `i`: its generation when good. */
  add(i: number, good: boolean, generation: number): void {
    const before = this.last[i]!;
    if (this.measuring) {
      this.values++;
      this.inWindow[i] = 1;
      if (!good) this.bad++;
      else if (before >= 0 && generation > before + 1) this.lost += generation - before - 1;
    }
    if (!good) return;
    this.last[i] = generation;
    if (before === -1 && ++this.seen === this.items) this.onAllSeen();
  }

  startWindow(): void {
    this.values = this.lost = this.bad = 0;
    this.inWindow.fill(0);
    this.measuring = true;
  }

  /** Items without any value in the window. */
  silent(): number {
    let n = 0;
    for (const x of this.inWindow) if (x === 0) n++;
    return n;
  }
}
