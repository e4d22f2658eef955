/**
 * The values a register held, and since when, to tell a fresh reading from a stale or misrouted
 * one: the fault matrices change their registers all the time and check every good reading.
 */
export class RegisterHistory {
  private readonly held: { value: number; from: number }[] = [];

  constructor(
    private readonly bank: Uint16Array,
    private readonly register: number,
    /** How long after the register moved on a reading of its old value still counts as fresh. */
    private readonly staleMs: number,
  ) {
    this.set(this.bank[register]!);
  }

  set(value: number): void {
    this.bank[this.register] = value;
    this.held.push({ value, from: Date.now() });
  }

  /** Why a good reading of `value` taken at `at` is wrong, or null when the register held it lately. */
  check(value: unknown, at: number): string | null {
    for (let i = this.held.length - 1; i >= 0; i--) {
      const h = this.held[i]!;
      const until = this.held[i + 1]?.from ?? Infinity;
      if (h.value === value && h.from <= at + 50 && until >= at - this.staleMs) return null;
    }
    return `value ${String(value)} at ${at} was not in the register within ${this.staleMs} ms before (${this.held.slice(-6).map((h) => `${h.value}@${h.from}`).join(' ')})`;
  }
}
