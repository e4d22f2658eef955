import type { InspectorRange, InspectorSettings } from '../../webview/inspectorMessages';

export interface RangePollerEvents<R> {
  /** Reads the range once (the gateway's readRange). */
  read(range: InspectorRange): Promise<R>;
  /** A read of the range as it is now answered. */
  answered(range: InspectorRange, result: R): void;
  /** A read of the range as it is now failed as a whole. */
  failed(range: InspectorRange, err: unknown): void;
}

/**
 * Reads a range again and again, one read at a time: the next read starts `intervalMs` after the
 * previous one answered, never while it is in flight, so a slow device is read as fast as it
 * answers and no faster. Reads only while active (the panel visible) and not paused; a change of
 * range reads at once (after the read in flight, whose answer, for the old range, is dropped).
 * Free of vscode so it can be tested alone.
 */
export class RangePoller<R> {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight = false;
  /** A read was asked for while one was in flight: it starts when that one answers. */
  private again = false;
  private active = false;
  private disposed = false;
  private readsStarted = 0;

  constructor(
    private settingsNow: InspectorSettings,
    private readonly events: RangePollerEvents<R>,
  ) {}

  get settings(): InspectorSettings {
    return { ...this.settingsNow };
  }

  /** Reads started so far (tests and diagnostics). */
  get reads(): number {
    return this.readsStarted;
  }

  get reading(): boolean {
    return this.inFlight;
  }

  /** Shown: reads at once, then polls. Hidden: the read in flight ends, no other starts. */
  setActive(active: boolean): void {
    if (this.active === active) return;
    this.active = active;
    if (active) this.readNow();
    else this.clearTimer();
  }

  /** New settings: a changed range or interval reads at once; pausing stops the polling. */
  update(settings: InspectorSettings): void {
    const before = this.settingsNow;
    this.settingsNow = { ...settings };
    const rangeChanged = !sameRange(before, settings);
    if (settings.paused) {
      this.clearTimer();
      // Even paused, a new range is worth one read: the table would show another range's values otherwise.
      if (rangeChanged && this.active) this.readNow();
      return;
    }
    if (rangeChanged || before.paused || before.intervalMs !== settings.intervalMs) {
      if (this.active) this.readNow();
    }
  }

  /** One read now (or as soon as the one in flight answers), whatever the interval and pause. */
  readNow(): void {
    if (this.disposed) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.clearTimer();
    void this.readOnce();
  }

  dispose(): void {
    this.disposed = true;
    this.clearTimer();
  }

  private async readOnce(): Promise<void> {
    const range = { area: this.settingsNow.area, start: this.settingsNow.start, count: this.settingsNow.count };
    this.inFlight = true;
    this.readsStarted++;
    try {
      const result = await this.events.read(range);
      if (!this.disposed && sameRange(range, this.settingsNow)) this.events.answered(range, result);
    } catch (err) {
      if (!this.disposed && sameRange(range, this.settingsNow)) this.events.failed(range, err);
    } finally {
      this.inFlight = false;
    }
    if (this.disposed) return;
    if (this.again) {
      this.again = false;
      void this.readOnce();
      return;
    }
    this.schedule();
  }

  private schedule(): void {
    const { intervalMs, paused } = this.settingsNow;
    if (!this.active || paused || intervalMs <= 0 || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.active && !this.disposed && !this.inFlight) void this.readOnce();
    }, intervalMs);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

export function sameRange(a: InspectorRange, b: InspectorRange): boolean {
  return a.area === b.area && a.start === b.start && a.count === b.count;
}
