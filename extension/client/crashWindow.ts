/**
 * How often a crashed gateway is started again: a crash is followed by a restart unless it is
 * the (maxRestarts + 1)th within the window, which means the gateway cannot stay up (a config it
 * chokes on, a broken build) and restarting it forever would only hide that. A start by the user
 * begins a new count.
 */
export class CrashWindow {
  private crashes: number[] = [];

  constructor(
    readonly maxRestarts = 5,
    readonly windowMs = 3 * 60_000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Records a crash; true when the gateway is to be started again. */
  crashed(): boolean {
    const t = this.now();
    this.crashes = this.crashes.filter((c) => t - c < this.windowMs);
    this.crashes.push(t);
    return this.crashes.length <= this.maxRestarts;
  }

  reset(): void {
    this.crashes = [];
  }

  /** For people: "6 times within 3 minutes". */
  describe(): string {
    return `${this.maxRestarts + 1} times within ${Math.round(this.windowMs / 60_000)} minutes`;
  }
}
