/**
 * The demo plant's process: a buffer tank and a boiler, the one source of truth that both the
 * Modbus devices (demoPlant.ts) and the OPC UA server (opcuaServer.ts) read and write.
 *
 * Every value is a deterministic function of the process state and of process time: smooth
 * variations are sums of slow sines, never random noise. The process is stepped by elapsed time
 * (`advanceBy`), in steps of at most 0.1 s, so late ticks do not slow it down.
 *
 * Inputs (setpoint, high limit, burner enable, pump mode, purge) are set by whichever server a
 * client wrote to; `onInputsChanged` tells the other servers so that a write on one side shows
 * on every side.
 */

/** Larger gaps are not replayed step by step (e.g. after the machine slept). */
const MAX_CATCH_UP_MS = 60_000;
const MAX_STEP_S = 0.1;

const TWO_PI = 2 * Math.PI;
const wave = (t: number, periodS: number) => Math.sin((TWO_PI * t) / periodS);

export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** How the fill pump is run: by level hysteresis (auto), always on (manual) or never (off). */
export const PUMP_MODES = ['Off', 'Manual', 'Auto'] as const;
export type PumpMode = (typeof PUMP_MODES)[number];

/** The range a setpoint is followed in; a setpoint outside it is held at the nearer end. */
export const SETPOINT_RANGE = { low: 5, high: 105 } as const;
/** The longest purge the boiler accepts. */
export const MAX_PURGE_S = 600;

/** A 1.5 m³ buffer tank: a consumer draws 24-42 m³/h, a 60 m³/h pump refills it between 15 % and 85 %. */
export class TankProcess {
  static readonly CAPACITY_M3 = 1.5;
  private t = 0;
  private volume = 0.5 * TankProcess.CAPACITY_M3;
  private pumpOn = true;
  private starts = 4182;
  private inlet = 60; // m³/h, lags the pump by a few seconds
  private total = 12873.4; // m³
  private mode: PumpMode = 'Auto';

  advance(dt: number): void {
    this.t += dt;
    const level = this.levelPct;
    const wanted = this.mode === 'Manual' ? true : this.mode === 'Off' ? false : this.pumpOn ? level < 85 : level <= 15;
    if (wanted && !this.pumpOn) this.starts++;
    this.pumpOn = wanted;
    const target = this.pumpOn ? 60 + 3 * wave(this.t, 37) + 1.5 * wave(this.t, 11) : 0;
    this.inlet += (target - this.inlet) * Math.min(1, dt / 2);
    const inM3 = (this.inlet / 3600) * dt;
    this.total += inM3;
    this.volume = clamp(this.volume + inM3 - (this.outletFlow / 3600) * dt, 0, TankProcess.CAPACITY_M3);
  }

  get levelPct(): number {
    return (this.volume / TankProcess.CAPACITY_M3) * 100;
  }
  /** m³/h */
  get inletFlow(): number {
    return this.inlet;
  }
  /** m³/h */
  get outletFlow(): number {
    return 32 + 8 * wave(this.t, 97) + 2 * wave(this.t, 23);
  }
  /** L/h, negative while draining. */
  get netFlowLph(): number {
    return Math.round((this.inlet - this.outletFlow) * 1000);
  }
  get pumpRunning(): boolean {
    return this.pumpOn;
  }
  get pumpStarts(): number {
    return this.starts;
  }
  /** m³ */
  get inletTotal(): number {
    return this.total;
  }
  get highLevel(): boolean {
    return this.levelPct > 80;
  }
  get lowLevel(): boolean {
    return this.levelPct < 20;
  }
  /** An operator round opens the pump house door for 15 s every 4 minutes. */
  get doorClosed(): boolean {
    return this.t % 240 < 200 || this.t % 240 >= 215;
  }
  get pumpMode(): PumpMode {
    return this.mode;
  }
  set pumpMode(mode: PumpMode) {
    this.mode = mode;
  }
}

/** A 24 kW burner with an on/off thermostat (±1 °C) around the setpoint; the water loses heat to an 18 °C room. */
export class BoilerProcess {
  private static readonly AMBIENT_C = 18;
  private static readonly HEAT_RATE_C_PER_S = 1.5;
  private static readonly LOSS_PER_S = 0.012;
  private static readonly BURNER_W = 24_000;
  private t = 0;
  private temp = 62;
  private flue = 120;
  private burner = false;
  private energy = 18_734_562;
  private runtime = 2_052_731;
  private purgeLeftS = 0;
  private purgeText = '';
  /** As written by a client; the thermostat follows it within SETPOINT_RANGE. */
  setpoint = 70;
  highLimit = 110;
  enabled = true;

  advance(dt: number): void {
    this.t += dt;
    const T0 = this.temp;
    const target = clamp(this.setpoint, SETPOINT_RANGE.low, SETPOINT_RANGE.high);
    if (!this.enabled || this.purgeLeftS > 0 || T0 >= this.highLimit || T0 > target + 1) this.burner = false;
    else if (T0 < target - 1) this.burner = true;
    this.purgeLeftS = Math.max(0, this.purgeLeftS - dt);
    const heat = this.burner ? BoilerProcess.HEAT_RATE_C_PER_S : 0;
    this.temp += (heat - BoilerProcess.LOSS_PER_S * (T0 - BoilerProcess.AMBIENT_C)) * dt;
    // While purging, the fan blows room air through the flue: it cools faster.
    const flueTarget = this.temp + (this.burner ? 110 : 5) - (this.purgeLeftS > 0 ? 40 : 0);
    this.flue += (flueTarget - this.flue) * Math.min(1, dt / 8);
    if (this.burner) {
      this.energy += (BoilerProcess.BURNER_W * dt) / 3600;
      this.runtime += dt;
    }
  }

  /**
   * A pre-purge: the burner stays off and the fan clears the combustion chamber for `durationS`.
   * Refused (with the reason) while one runs, or for a duration outside 1-600 s.
   */
  startPurge(durationS: number, reason: string): { accepted: boolean; message: string } {
    if (!Number.isInteger(durationS) || durationS < 1 || durationS > MAX_PURGE_S) {
      return { accepted: false, message: `a purge lasts 1-${MAX_PURGE_S} s, not ${durationS} s` };
    }
    if (this.purgeLeftS > 0) return { accepted: false, message: `a purge is already running (${Math.ceil(this.purgeLeftS)} s left)` };
    this.purgeLeftS = durationS;
    this.purgeText = reason.trim() || 'no reason given';
    this.burner = false;
    return { accepted: true, message: `purging for ${durationS} s: ${this.purgeText}` };
  }

  get temperature(): number {
    return this.temp;
  }
  get pressure(): number {
    return 1.5 + 0.02 * (this.temp - BoilerProcess.AMBIENT_C) + 0.03 * wave(this.t, 17);
  }
  get flueTemperature(): number {
    return this.flue;
  }
  get burnerOn(): boolean {
    return this.burner;
  }
  /** Wh */
  get energyWh(): number {
    return this.energy;
  }
  /** s */
  get runtimeS(): number {
    return this.runtime;
  }
  get overtemp(): boolean {
    return this.temp > 95;
  }
  get purging(): boolean {
    return this.purgeLeftS > 0;
  }
  get purgeRemainingS(): number {
    return this.purgeLeftS;
  }
  get lastPurgeReason(): string {
    return this.purgeText;
  }
}

/** Everything a server shows of the process at one moment: plain data, to post to another thread. */
export interface DemoProcessSnapshot {
  /** The plant's clock, ms. */
  now: number;
  tank: {
    levelPct: number;
    inletFlow: number;
    outletFlow: number;
    netFlowLph: number;
    pumpRunning: boolean;
    pumpStarts: number;
    inletTotal: number;
    highLevel: boolean;
    lowLevel: boolean;
    doorClosed: boolean;
    pumpMode: PumpMode;
  };
  boiler: {
    temperature: number;
    pressure: number;
    flueTemperature: number;
    setpoint: number;
    highLimit: number;
    enabled: boolean;
    burnerOn: boolean;
    energyWh: number;
    runtimeS: number;
    overtemp: boolean;
    purging: boolean;
    purgeRemainingS: number;
    lastPurgeReason: string;
  };
}

/** What a client may change; a server hands it to `DemoProcess.apply`. */
export type DemoInput =
  | { kind: 'setpoint'; value: number }
  | { kind: 'burnerEnable'; value: boolean }
  | { kind: 'pumpMode'; value: PumpMode }
  | { kind: 'purge'; durationS: number; reason: string };

export class DemoProcess {
  readonly tank = new TankProcess();
  readonly boiler = new BoilerProcess();
  private readonly inputListeners = new Set<(origin: unknown) => void>();

  /** Steps the process by `elapsedMs` of process time. */
  advanceBy(elapsedMs: number): void {
    const ms = Math.min(elapsedMs, MAX_CATCH_UP_MS);
    if (!(ms > 0)) return;
    const steps = Math.ceil(ms / 1000 / MAX_STEP_S);
    const dt = ms / 1000 / steps;
    for (let i = 0; i < steps; i++) {
      this.tank.advance(dt);
      this.boiler.advance(dt);
    }
  }

  /** Called after a client changed an input; `origin` is who changed it (it need not echo). */
  onInputsChanged(listener: (origin: unknown) => void): () => void {
    this.inputListeners.add(listener);
    return () => this.inputListeners.delete(listener);
  }

  inputsChanged(origin: unknown): void {
    for (const l of this.inputListeners) l(origin);
  }

  /** Applies a client's input and tells every server but `origin`; a purge answers whether it started. */
  apply(input: DemoInput, origin: unknown): { accepted: boolean; message: string } {
    let result = { accepted: true, message: 'done' };
    if (input.kind === 'setpoint') this.boiler.setpoint = input.value;
    else if (input.kind === 'burnerEnable') this.boiler.enabled = input.value;
    else if (input.kind === 'pumpMode') this.tank.pumpMode = input.value;
    else result = this.boiler.startPurge(input.durationS, input.reason);
    if (result.accepted) this.inputsChanged(origin);
    return result;
  }

  snapshot(now: number): DemoProcessSnapshot {
    const { tank: t, boiler: b } = this;
    return {
      now,
      tank: {
        levelPct: t.levelPct,
        inletFlow: t.inletFlow,
        outletFlow: t.outletFlow,
        netFlowLph: t.netFlowLph,
        pumpRunning: t.pumpRunning,
        pumpStarts: t.pumpStarts,
        inletTotal: t.inletTotal,
        highLevel: t.highLevel,
        lowLevel: t.lowLevel,
        doorClosed: t.doorClosed,
        pumpMode: t.pumpMode,
      },
      boiler: {
        temperature: b.temperature,
        pressure: b.pressure,
        flueTemperature: b.flueTemperature,
        setpoint: b.setpoint,
        highLimit: b.highLimit,
        enabled: b.enabled,
        burnerOn: b.burnerOn,
        energyWh: b.energyWh,
        runtimeS: b.runtimeS,
        overtemp: b.overtemp,
        purging: b.purging,
        purgeRemainingS: b.purgeRemainingS,
        lastPurgeReason: b.lastPurgeReason,
      },
    };
  }
}
