/**
 * The demo plant: two simulated Modbus TCP devices on free ports of 127.0.0.1 with a small,
 * plausible process behind them, so Bifrost can be tried without hardware.
 *
 * - "Tank Farm PLC" (demo-tank, unit 1, read-only): a buffer tank drained by a consumer and refilled
 *   by a pump that starts and stops by level hysteresis.
 * - "Boiler Controller" (demo-boiler, unit 2, writes allowed): a burner thermostat that holds the
 *   water temperature at a writable setpoint.
 *
 * Every value is a deterministic function of the process state and of process time: smooth
 * variations are sums of slow sines, never random noise. The process is stepped by elapsed
 * wall-clock time, so late ticks do not slow it down. The tag configs below are the single source
 * of truth: the plant writes each value through its own tag's address, type and byte order, and
 * every data type and byte order appears somewhere.
 */
import type { ByteOrder, ModbusTcpDeviceConfig, ModbusArea, ModbusDataType, TagConfig } from '../protocol';

/** The plant's tags always give a numeric address and an area, so the plant can reach its banks. */
interface PlantTag extends TagConfig {
  area: ModbusArea;
  address: number;
}
import { ModbusTcpSimulator } from './modbusServer';

export interface DemoPlant {
  /** The two devices, ready to load into the gateway. */
  devices: ModbusTcpDeviceConfig[];
  stop(): Promise<void>;
}

export interface DemoPlantOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Process step period; default 100 ms. 0 = no timer: the owner calls tick() (deterministic tests). */
  tickMs?: number;
  /** Clock in milliseconds; default Date.now. */
  now?: () => number;
}

export interface RunningDemoPlant extends DemoPlant {
  readonly simulators: { readonly tank: ModbusTcpSimulator; readonly boiler: ModbusTcpSimulator };
  /** Advances the process to the clock's current time and publishes the values (the timer calls it). */
  tick(): void;
}

export const DEMO_TANK_ID = 'demo-tank';
export const DEMO_BOILER_ID = 'demo-boiler';

export const TANK_TAGS = {
  level: 'level',
  inletFlow: 'inlet_flow',
  outletFlow: 'outlet_flow',
  netFlow: 'net_flow',
  pumpRunning: 'pump_running',
  pumpStarts: 'pump_starts',
  inletTotal: 'inlet_total',
  statusWord: 'status_word',
  highLevelAlarm: 'high_level_alarm',
  lowLevelAlarm: 'low_level_alarm',
  doorClosed: 'door_closed',
  estopOk: 'estop_ok',
  serialNumber: 'serial_number',
} as const;

export const BOILER_TAGS = {
  temperature: 'temperature',
  setpoint: 'setpoint',
  highLimit: 'high_limit',
  pressure: 'pressure',
  flueTemperature: 'flue_temperature',
  burnerOn: 'burner_on',
  burnerEnable: 'burner_enable',
  energyTotal: 'energy_total',
  burnerRuntime: 'burner_runtime',
  statusWord: 'status_word',
  overtempAlarm: 'overtemp_alarm',
  waterFlowOk: 'water_flow_ok',
  flameDetected: 'flame_detected',
  serialNumber: 'serial_number',
} as const;

const T = TANK_TAGS;
const B = BOILER_TAGS;

const TANK_TAG_CONFIGS: PlantTag[] = [
  { name: T.level, area: 'input', address: 0, type: 'float32', byteOrder: 'ABCD', unit: '%', description: 'Tank level' },
  { name: T.inletFlow, area: 'input', address: 2, type: 'float32', byteOrder: 'CDAB', unit: 'm³/h', description: 'Inlet flow from the fill pump' },
  { name: T.outletFlow, area: 'input', address: 4, type: 'uint16', scale: 0.1, unit: 'm³/h', description: 'Outlet flow to the consumers' },
  { name: T.netFlow, area: 'input', address: 5, type: 'int32', byteOrder: 'DCBA', unit: 'L/h', description: 'Net flow into the tank (negative while draining)' },
  { name: T.pumpRunning, area: 'coil', address: 0, type: 'bool', description: 'Fill pump running (starts at 15 %, stops at 85 %)' },
  { name: T.pumpStarts, area: 'holding', address: 0, type: 'uint32', byteOrder: 'ABCD', unit: 'starts', description: 'Fill pump starts since commissioning' },
  { name: T.inletTotal, area: 'holding', address: 2, type: 'float64', byteOrder: 'BADC', unit: 'm³', description: 'Total volume pumped in' },
  { name: T.statusWord, area: 'holding', address: 20, type: 'uint16', description: 'Status bits: 0 pump running, 1 high level, 2 low level, 3 door open' },
  { name: T.highLevelAlarm, area: 'holding', address: 20, type: 'bool', bit: 1, description: 'Level above 80 %' },
  { name: T.lowLevelAlarm, area: 'holding', address: 20, type: 'bool', bit: 2, description: 'Level below 20 %' },
  { name: T.doorClosed, area: 'discrete', address: 0, type: 'bool', description: 'Pump house door closed' },
  { name: T.estopOk, area: 'discrete', address: 1, type: 'bool', description: 'Emergency stop circuit healthy' },
  { name: T.serialNumber, area: 'holding', address: 100, type: 'string', length: 8, description: 'Device serial number' },
];

const BOILER_TAG_CONFIGS: PlantTag[] = [
  { name: B.temperature, area: 'input', address: 0, type: 'int16', scale: 0.1, unit: '°C', description: 'Boiler water temperature' },
  { name: B.pressure, area: 'input', address: 1, type: 'int16', scale: 0.01, unit: 'bar', description: 'Boiler water pressure' },
  { name: B.flueTemperature, area: 'input', address: 2, type: 'float32', byteOrder: 'BADC', unit: '°C', description: 'Flue gas temperature' },
  { name: B.setpoint, area: 'holding', address: 0, type: 'float32', byteOrder: 'ABCD', unit: '°C', access: 'readwrite', description: 'Water temperature setpoint (5-105 °C)' },
  { name: B.highLimit, area: 'holding', address: 2, type: 'int16', scale: 0.1, unit: '°C', access: 'readwrite', description: 'Safety high limit: the burner stays off above it' },
  { name: B.energyTotal, area: 'holding', address: 10, type: 'uint64', byteOrder: 'CDAB', unit: 'Wh', description: 'Heat energy delivered' },
  { name: B.burnerRuntime, area: 'holding', address: 14, type: 'int64', byteOrder: 'ABCD', unit: 's', description: 'Burner operating time' },
  { name: B.statusWord, area: 'holding', address: 20, type: 'uint16', description: 'Status bits: 0 burner on, 1 overtemperature, 2 burner disabled' },
  { name: B.overtempAlarm, area: 'holding', address: 20, type: 'bool', bit: 1, description: 'Water above 95 °C' },
  { name: B.burnerOn, area: 'coil', address: 0, type: 'bool', description: 'Burner firing' },
  { name: B.burnerEnable, area: 'coil', address: 1, type: 'bool', access: 'readwrite', description: 'Burner enabled (off: the water cools down)' },
  { name: B.waterFlowOk, area: 'discrete', address: 0, type: 'bool', description: 'Circulation flow switch' },
  { name: B.flameDetected, area: 'discrete', address: 1, type: 'bool', description: 'Flame detector' },
  { name: B.serialNumber, area: 'holding', address: 100, type: 'string', length: 8, description: 'Device serial number' },
];

const TANK_UNIT = 1;
const BOILER_UNIT = 2;
/** Larger gaps are not replayed step by step (e.g. after the machine slept). */
const MAX_CATCH_UP_MS = 60_000;
const MAX_STEP_S = 0.1;

export async function startDemoPlant(opts: DemoPlantOptions = {}): Promise<RunningDemoPlant> {
  const host = opts.host ?? '127.0.0.1';
  const tickMs = opts.tickMs ?? 100;
  if (!Number.isFinite(tickMs) || tickMs < 0) throw new RangeError(`Demo plant tickMs must be 0 or more milliseconds, got ${String(opts.tickMs)}.`);
  const now = opts.now ?? Date.now;

  const tank = new SimulatedDevice(new ModbusTcpSimulator({ host, unitIds: [TANK_UNIT] }), TANK_TAG_CONFIGS);
  const boiler = new SimulatedDevice(new ModbusTcpSimulator({ host, unitIds: [BOILER_UNIT] }), BOILER_TAG_CONFIGS);
  const tankProcess = new TankProcess();
  const boilerProcess = new BoilerProcess();
  boiler.write(B.setpoint, 70);
  boiler.write(B.highLimit, 110);
  boiler.write(B.burnerEnable, true);
  tank.write(T.serialNumber, 'TF-PLC-2291-0047');
  boiler.write(B.serialNumber, 'BLR-7741-A02-118');
  tankProcess.publish(tank);
  boilerProcess.publish(boiler);

  try {
    await tank.sim.start();
    await boiler.sim.start();
  } catch (err) {
    await Promise.all([tank.sim.stop(), boiler.sim.stop()]);
    throw err;
  }

  let last = now();
  const tick = () => {
    const t = now();
    const elapsedMs = Math.min(t - last, MAX_CATCH_UP_MS);
    last = t;
    if (!(elapsedMs > 0)) return;
    boilerProcess.takeInputs(boiler);
    const steps = Math.ceil(elapsedMs / 1000 / MAX_STEP_S);
    const dt = elapsedMs / 1000 / steps;
    for (let i = 0; i < steps; i++) {
      tankProcess.advance(dt);
      boilerProcess.advance(dt);
    }
    tankProcess.publish(tank);
    boilerProcess.publish(boiler);
  };
  const timer = tickMs > 0 ? setInterval(tick, tickMs) : null;
  // The simulators' sockets keep a process alive; the process model alone must not.
  timer?.unref();

  const devices: ModbusTcpDeviceConfig[] = [
    {
      id: DEMO_TANK_ID,
      name: 'Tank Farm PLC',
      protocol: 'modbus-tcp',
      host,
      port: tank.sim.port,
      unitId: TANK_UNIT,
      timeoutMs: 1000,
      pollIntervalMs: 250,
      allowWrites: false,
      tags: TANK_TAG_CONFIGS.map((t) => ({ ...t })),
    },
    {
      id: DEMO_BOILER_ID,
      name: 'Boiler Controller',
      protocol: 'modbus-tcp',
      host,
      port: boiler.sim.port,
      unitId: BOILER_UNIT,
      timeoutMs: 1000,
      pollIntervalMs: 500,
      allowWrites: true,
      tags: BOILER_TAG_CONFIGS.map((t) => ({ ...t })),
    },
  ];

  let stopped = false;
  return {
    devices,
    simulators: { tank: tank.sim, boiler: boiler.sim },
    tick,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (timer) clearInterval(timer);
      await Promise.all([tank.sim.stop(), boiler.sim.stop()]);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Process models
// ---------------------------------------------------------------------------------------------

const TWO_PI = 2 * Math.PI;
const wave = (t: number, periodS: number) => Math.sin((TWO_PI * t) / periodS);

/** A 1.5 m³ buffer tank: a consumer draws 24-42 m³/h, a 60 m³/h pump refills it between 15 % and 85 %. */
class TankProcess {
  private static readonly CAPACITY_M3 = 1.5;
  private t = 0;
  private volume = 0.5 * TankProcess.CAPACITY_M3;
  private pumpOn = true;
  private pumpStarts = 4182;
  private inletFlow = 60; // m³/h, lags the pump by a few seconds
  private inletTotal = 12873.4; // m³

  advance(dt: number): void {
    this.t += dt;
    const levelPct = this.levelPct();
    if (!this.pumpOn && levelPct <= 15) {
      this.pumpOn = true;
      this.pumpStarts++;
    } else if (this.pumpOn && levelPct >= 85) {
      this.pumpOn = false;
    }
    const target = this.pumpOn ? 60 + 3 * wave(this.t, 37) + 1.5 * wave(this.t, 11) : 0;
    this.inletFlow += (target - this.inletFlow) * Math.min(1, dt / 2);
    const inM3 = (this.inletFlow / 3600) * dt;
    this.inletTotal += inM3;
    this.volume = clamp(this.volume + inM3 - (this.outletFlow() / 3600) * dt, 0, TankProcess.CAPACITY_M3);
  }

  publish(dev: SimulatedDevice): void {
    const level = this.levelPct();
    const outlet = this.outletFlow();
    // An operator round opens the pump house door for 15 s every 4 minutes.
    const doorClosed = this.t % 240 < 200 || this.t % 240 >= 215;
    dev.write(T.level, level);
    dev.write(T.inletFlow, this.inletFlow);
    dev.write(T.outletFlow, outlet);
    dev.write(T.netFlow, Math.round((this.inletFlow - outlet) * 1000));
    dev.write(T.pumpRunning, this.pumpOn);
    dev.write(T.pumpStarts, this.pumpStarts);
    dev.write(T.inletTotal, this.inletTotal);
    dev.write(T.statusWord, bits(this.pumpOn, level > 80, level < 20, !doorClosed));
    dev.write(T.doorClosed, doorClosed);
    dev.write(T.estopOk, true);
  }

  private levelPct(): number {
    return (this.volume / TankProcess.CAPACITY_M3) * 100;
  }

  private outletFlow(): number {
    return 32 + 8 * wave(this.t, 97) + 2 * wave(this.t, 23);
  }
}

/** A 24 kW burner with an on/off thermostat (±1 °C) around the setpoint; the water loses heat to an 18 °C room. */
class BoilerProcess {
  private static readonly AMBIENT_C = 18;
  private static readonly HEAT_RATE_C_PER_S = 1.5;
  private static readonly LOSS_PER_S = 0.012;
  private static readonly BURNER_W = 24_000;
  private t = 0;
  private temperature = 62;
  private flueTemperature = 120;
  private setpoint = 70;
  private highLimit = 110;
  private enabled = true;
  private burnerOn = false;
  private energyWh = 18_734_562;
  private runtimeS = 2_052_731;

  /** Reads what clients may have written: setpoint, high limit, enable. */
  takeInputs(dev: SimulatedDevice): void {
    const sp = dev.read(B.setpoint);
    if (typeof sp === 'number' && Number.isFinite(sp)) this.setpoint = clamp(sp, 5, 105);
    const limit = dev.read(B.highLimit);
    if (typeof limit === 'number') this.highLimit = limit;
    this.enabled = dev.read(B.burnerEnable) === true;
  }

  advance(dt: number): void {
    this.t += dt;
    const T0 = this.temperature;
    if (!this.enabled || T0 >= this.highLimit || T0 > this.setpoint + 1) this.burnerOn = false;
    else if (T0 < this.setpoint - 1) this.burnerOn = true;
    const heat = this.burnerOn ? BoilerProcess.HEAT_RATE_C_PER_S : 0;
    this.temperature += (heat - BoilerProcess.LOSS_PER_S * (T0 - BoilerProcess.AMBIENT_C)) * dt;
    const flueTarget = this.temperature + (this.burnerOn ? 110 : 5);
    this.flueTemperature += (flueTarget - this.flueTemperature) * Math.min(1, dt / 8);
    if (this.burnerOn) {
      this.energyWh += (BoilerProcess.BURNER_W * dt) / 3600;
      this.runtimeS += dt;
    }
  }

  publish(dev: SimulatedDevice): void {
    const overtemp = this.temperature > 95;
    dev.write(B.temperature, this.temperature);
    dev.write(B.pressure, 1.5 + 0.02 * (this.temperature - BoilerProcess.AMBIENT_C) + 0.03 * wave(this.t, 17));
    dev.write(B.flueTemperature, this.flueTemperature);
    dev.write(B.burnerOn, this.burnerOn);
    dev.write(B.energyTotal, BigInt(Math.floor(this.energyWh)));
    dev.write(B.burnerRuntime, BigInt(Math.floor(this.runtimeS)));
    dev.write(B.statusWord, bits(this.burnerOn, overtemp, !this.enabled));
    dev.write(B.waterFlowOk, true);
    dev.write(B.flameDetected, this.burnerOn);
  }
}

function bits(...flags: boolean[]): number {
  return flags.reduce((word, on, i) => (on ? word | (1 << i) : word), 0);
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

// ---------------------------------------------------------------------------------------------
// Tag values in the simulator's banks, through each tag's own address, type and byte order
// ---------------------------------------------------------------------------------------------

type SimValue = number | boolean | bigint | string;

class SimulatedDevice {
  private readonly tags = new Map<string, PlantTag>();

  constructor(
    readonly sim: ModbusTcpSimulator,
    tags: PlantTag[],
  ) {
    for (const tag of tags) this.tags.set(tag.name, tag);
  }

  write(name: string, value: SimValue): void {
    writeTag(this.sim, this.tag(name), value);
  }

  read(name: string): SimValue {
    return readTag(this.sim, this.tag(name));
  }

  private tag(name: string): PlantTag {
    const tag = this.tags.get(name);
    if (!tag) throw new Error(`Demo plant has no tag '${name}'.`);
    return tag;
  }
}

const WORDS: Record<Exclude<ModbusDataType, 'bool' | 'string'>, number> = {
  int16: 1,
  uint16: 1,
  int32: 2,
  uint32: 2,
  float32: 2,
  int64: 4,
  uint64: 4,
  float64: 4,
};

function writeTag(sim: ModbusTcpSimulator, tag: PlantTag, value: SimValue): void {
  if (tag.area === 'coil' || tag.area === 'discrete') {
    (tag.area === 'coil' ? sim.coils : sim.discretes)[tag.address] = value ? 1 : 0;
    return;
  }
  const bank = tag.area === 'holding' ? sim.holdings : sim.inputs;
  const type = tag.type ?? 'uint16';
  if (type === 'bool') {
    const mask = 1 << (tag.bit ?? 0);
    bank[tag.address] = value ? bank[tag.address] | mask : bank[tag.address] & ~mask;
  } else if (type === 'string') {
    const bytes = new Uint8Array((tag.length ?? 1) * 2);
    const text = String(value);
    for (let i = 0; i < bytes.length && i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0x7f;
    storeWords(bank, tag.address, bytes, 'ABCD');
  } else {
    storeWords(bank, tag.address, encodeNumber(type, toRaw(tag, value)), tag.byteOrder ?? 'ABCD');
  }
}

function readTag(sim: ModbusTcpSimulator, tag: PlantTag): SimValue {
  if (tag.area === 'coil' || tag.area === 'discrete') {
    return (tag.area === 'coil' ? sim.coils : sim.discretes)[tag.address] !== 0;
  }
  const bank = tag.area === 'holding' ? sim.holdings : sim.inputs;
  const type = tag.type ?? 'uint16';
  if (type === 'bool') return ((bank[tag.address] >> (tag.bit ?? 0)) & 1) === 1;
  if (type === 'string') {
    const bytes = loadWords(bank, tag.address, tag.length ?? 1, 'ABCD');
    return String.fromCharCode(...bytes).replace(/\0+$/, '');
  }
  const raw = decodeNumber(type, loadWords(bank, tag.address, WORDS[type], tag.byteOrder ?? 'ABCD'));
  return typeof raw === 'bigint' ? raw : raw * (tag.scale ?? 1) + (tag.offset ?? 0);
}

function toRaw(tag: PlantTag, value: SimValue): number | bigint {
  if (typeof value === 'bigint') return value;
  const v = typeof value === 'number' ? value : Number(value);
  return (v - (tag.offset ?? 0)) / (tag.scale ?? 1);
}

/** Big-endian bytes of a value; integers are rounded and clamped to the type's range. */
function encodeNumber(type: keyof typeof WORDS, raw: number | bigint): Uint8Array {
  const bytes = new Uint8Array(WORDS[type] * 2);
  const dv = new DataView(bytes.buffer);
  const n = typeof raw === 'bigint' ? Number(raw) : raw;
  switch (type) {
    case 'int16':
      dv.setInt16(0, clamp(Math.round(n), -0x8000, 0x7fff));
      break;
    case 'uint16':
      dv.setUint16(0, clamp(Math.round(n), 0, 0xffff));
      break;
    case 'int32':
      dv.setInt32(0, clamp(Math.round(n), -0x80000000, 0x7fffffff));
      break;
    case 'uint32':
      dv.setUint32(0, clamp(Math.round(n), 0, 0xffffffff));
      break;
    case 'float32':
      dv.setFloat32(0, n);
      break;
    case 'float64':
      dv.setFloat64(0, n);
      break;
    case 'int64':
      dv.setBigInt64(0, typeof raw === 'bigint' ? raw : BigInt(Math.round(n)));
      break;
    case 'uint64':
      dv.setBigUint64(0, typeof raw === 'bigint' ? raw : BigInt(Math.max(0, Math.round(n))));
      break;
  }
  return bytes;
}

function decodeNumber(type: keyof typeof WORDS, bytes: Uint8Array): number | bigint {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (type) {
    case 'int16':
      return dv.getInt16(0);
    case 'uint16':
      return dv.getUint16(0);
    case 'int32':
      return dv.getInt32(0);
    case 'uint32':
      return dv.getUint32(0);
    case 'float32':
      return dv.getFloat32(0);
    case 'float64':
      return dv.getFloat64(0);
    case 'int64':
      return dv.getBigInt64(0);
    case 'uint64':
      return dv.getBigUint64(0);
  }
}

/** Word order reversed for CDAB/DCBA, bytes swapped inside each register for BADC/DCBA. */
const reversesWords = (order: ByteOrder) => order === 'CDAB' || order === 'DCBA';
const swapsBytes = (order: ByteOrder) => order === 'BADC' || order === 'DCBA';

function storeWords(bank: Uint16Array, address: number, bytes: Uint8Array, order: ByteOrder): void {
  const n = bytes.length / 2;
  for (let i = 0; i < n; i++) {
    const src = reversesWords(order) ? n - 1 - i : i;
    const hi = bytes[2 * src];
    const lo = bytes[2 * src + 1];
    bank[address + i] = swapsBytes(order) ? (lo << 8) | hi : (hi << 8) | lo;
  }
}

function loadWords(bank: Uint16Array, address: number, n: number, order: ByteOrder): Uint8Array {
  const bytes = new Uint8Array(n * 2);
  for (let i = 0; i < n; i++) {
    const dst = reversesWords(order) ? n - 1 - i : i;
    const word = bank[address + i];
    const hi = swapsBytes(order) ? word & 0xff : word >> 8;
    const lo = swapsBytes(order) ? word >> 8 : word & 0xff;
    bytes[2 * dst] = hi;
    bytes[2 * dst + 1] = lo;
  }
  return bytes;
}
