/**
 * The demo plant: two simulated Modbus TCP devices and an OPC UA server on free ports of
 * 127.0.0.1, with a small, plausible process behind them, so Bifrost can be tried without hardware.
 *
 * - "Tank Farm PLC" (demo-tank, unit 1, read-only): a buffer tank drained by a consumer and refilled
 *   by a pump that starts and stops by level hysteresis.
 * - "Boiler Controller" (demo-boiler, unit 2, writes allowed): a burner thermostat that holds the
 *   water temperature at a writable setpoint.
 * - The OPC UA server (opcuaServer.ts) shows the same process, unit by unit.
 *
 * The process (demoProcess.ts) is the one source of truth: the Modbus registers are its image,
 * refreshed on every tick, and a client's write on either server changes the process, which both
 * servers then show. The tag configs below say where each value sits: the plant writes each value
 * through its own tag's address, type and byte order, and every data type and byte order appears
 * somewhere.
 */
import type { ModbusTcpDeviceConfig } from '../protocol';
import { DemoProcess } from './demoProcess';
import { SimulatedDevice, type PlantTag } from './demoRegisters';
import type { DeviceIdentity } from '../modbus/deviceIdentification';
import { VERSION } from '../version';
import { ModbusTcpSimulator } from './modbusServer';
import { startDemoOpcUaServer, type DemoOpcUaServer, type DemoOpcUaServerOptions } from './opcuaServer';
import { startDemoRtuBus, type DemoRtuBus } from './demoRtuBus';

export interface DemoPlant {
  /** The two Modbus devices, ready to load into the gateway. */
  devices: ModbusTcpDeviceConfig[];
  /**
   * The OPC UA server, started after the Modbus devices listen so that it never delays them:
   * resolves once it listens (null when the options turned it off), rejects if it could not
   * start (the Modbus devices run on). `opcuaDemoDevice(endpointUrl)` is the device config for it.
   */
  opcua: Promise<DemoOpcUaServer | null>;
  /**
   * The serial bus (demoRtuBus.ts) when asked for: resolves once it runs (null when not asked
   * for), rejects with the reason it cannot run (socat or serial port support missing).
   */
  rtu: Promise<DemoRtuBus | null>;
  stop(): Promise<void>;
}

export interface DemoPlantOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Process step period; default 100 ms. 0 = no timer: the owner calls tick() (deterministic tests). */
  tickMs?: number;
  /** Clock in milliseconds; default Date.now. */
  now?: () => number;
  /** The OPC UA server's port and PKI folder; `false` starts none. Default: a free port and a temp folder. */
  opcua?: false | Pick<DemoOpcUaServerOptions, 'port' | 'pkiFolder'>;
  /** Also runs the serial bus on a socat pty pair (default false: it needs socat). */
  rtuBus?: boolean;
}

export interface RunningDemoPlant extends DemoPlant {
  readonly simulators: { readonly tank: ModbusTcpSimulator; readonly boiler: ModbusTcpSimulator };
  readonly process: DemoProcess;
  /** Advances the process to the clock's current time and publishes the values (the timer calls it). */
  tick(): void;
}

/** What the OPC UA server needs of a running plant: the process, its clock, and its ticks. */
export interface DemoPlantFeed {
  readonly process: DemoProcess;
  now(): number;
  /** Called after every tick, once the process has advanced. */
  onTick(listener: () => void): () => void;
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

/** What the demo devices answer to Read Device Identification (FC43) and Report Server ID (FC17). */
export const TANK_IDENTITY: DeviceIdentity = {
  vendorName: 'Bifrost Demo Plant',
  productCode: 'BDP-TANK',
  revision: VERSION,
  productName: 'Tank Farm PLC',
  modelName: 'TF-PLC-2291',
};
export const BOILER_IDENTITY: DeviceIdentity = {
  vendorName: 'Bifrost Demo Plant',
  productCode: 'BDP-BOILER',
  revision: VERSION,
  productName: 'Boiler Controller',
  modelName: 'BLR-7741',
};

export async function startDemoPlant(opts: DemoPlantOptions = {}): Promise<RunningDemoPlant> {
  const host = opts.host ?? '127.0.0.1';
  const tickMs = opts.tickMs ?? 100;
  if (!Number.isFinite(tickMs) || tickMs < 0) throw new RangeError(`Demo plant tickMs must be 0 or more milliseconds, got ${String(opts.tickMs)}.`);
  const now = opts.now ?? Date.now;

  const model = new DemoProcess();
  const tank = new SimulatedDevice(new ModbusTcpSimulator({ host, unitIds: [TANK_UNIT], identity: TANK_IDENTITY }), TANK_TAG_CONFIGS);
  const boiler = new SimulatedDevice(new ModbusTcpSimulator({ host, unitIds: [BOILER_UNIT], identity: BOILER_IDENTITY }), BOILER_TAG_CONFIGS);
  tank.write(T.serialNumber, 'TF-PLC-2291-0047');
  boiler.write(B.serialNumber, 'BLR-7741-A02-118');
  publishBoilerInputs(model, boiler);
  publishTank(model, tank);
  publishBoiler(model, boiler);
  // A Modbus client's write reaches the process at once; another server's write reaches the registers.
  boiler.sim.onWrite = () => {
    takeBoilerInputs(boiler, model);
    model.inputsChanged(boiler);
  };
  const unlisten = model.onInputsChanged((origin) => {
    if (origin !== boiler) publishBoilerInputs(model, boiler);
  });

  try {
    await tank.sim.start();
    await boiler.sim.start();
  } catch (err) {
    await Promise.all([tank.sim.stop(), boiler.sim.stop()]);
    throw err;
  }

  const tickListeners = new Set<() => void>();
  let last = now();
  const tick = () => {
    const t = now();
    const elapsedMs = t - last;
    last = t;
    if (!(elapsedMs > 0)) return;
    model.advanceBy(elapsedMs);
    publishTank(model, tank);
    publishBoiler(model, boiler);
    bus?.publish(elapsedMs);
    for (const l of tickListeners) l();
  };
  const timer = tickMs > 0 ? setInterval(tick, tickMs) : null;
  // The simulators' sockets keep a process alive; the process model alone must not.
  timer?.unref();

  const feed: DemoPlantFeed = {
    process: model,
    now,
    onTick(listener) {
      tickListeners.add(listener);
      return () => tickListeners.delete(listener);
    },
  };
  let bus: DemoRtuBus | null = null;
  const rtu = opts.rtuBus === true ? startDemoRtuBus(model).then((b) => (bus = b)) : Promise.resolve(null);
  rtu.catch(() => undefined); // the owner says why; a plant without its bus runs on
  const opcua = opts.opcua === false ? Promise.resolve(null) : startDemoOpcUaServer({ feed, host, ...opts.opcua });
  // Nobody may be waiting for the OPC UA server; its failure must not end the process.
  opcua.catch((err: unknown) => process.stderr.write(`demo plant: the OPC UA server did not start: ${err instanceof Error ? err.message : String(err)}\n`));

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

  let stopped: Promise<void> | null = null;
  return {
    devices,
    opcua,
    rtu,
    simulators: { tank: tank.sim, boiler: boiler.sim },
    process: model,
    tick,
    stop() {
      stopped ??= (async () => {
        if (timer) clearInterval(timer);
        tickListeners.clear();
        unlisten();
        const server = await opcua.catch(() => null);
        const serialBus = await rtu.catch(() => null);
        await Promise.all([tank.sim.stop(), boiler.sim.stop(), server?.stop(), serialBus?.stop()]);
      })();
      return stopped;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The process in the Modbus registers
// ---------------------------------------------------------------------------------------------

function publishTank(p: DemoProcess, dev: SimulatedDevice): void {
  const tank = p.tank;
  dev.write(T.level, tank.levelPct);
  dev.write(T.inletFlow, tank.inletFlow);
  dev.write(T.outletFlow, tank.outletFlow);
  dev.write(T.netFlow, tank.netFlowLph);
  dev.write(T.pumpRunning, tank.pumpRunning);
  dev.write(T.pumpStarts, tank.pumpStarts);
  dev.write(T.inletTotal, tank.inletTotal);
  dev.write(T.statusWord, bits(tank.pumpRunning, tank.highLevel, tank.lowLevel, !tank.doorClosed));
  dev.write(T.doorClosed, tank.doorClosed);
  dev.write(T.estopOk, true);
}

function publishBoiler(p: DemoProcess, dev: SimulatedDevice): void {
  const boiler = p.boiler;
  dev.write(B.temperature, boiler.temperature);
  dev.write(B.pressure, boiler.pressure);
  dev.write(B.flueTemperature, boiler.flueTemperature);
  dev.write(B.burnerOn, boiler.burnerOn);
  dev.write(B.energyTotal, BigInt(Math.floor(boiler.energyWh)));
  dev.write(B.burnerRuntime, BigInt(Math.floor(boiler.runtimeS)));
  dev.write(B.statusWord, bits(boiler.burnerOn, boiler.overtemp, !boiler.enabled));
  dev.write(B.waterFlowOk, true);
  dev.write(B.flameDetected, boiler.burnerOn);
}

/** The registers clients write: written from the process only when it changed elsewhere. */
function publishBoilerInputs(p: DemoProcess, dev: SimulatedDevice): void {
  dev.write(B.setpoint, p.boiler.setpoint);
  dev.write(B.highLimit, p.boiler.highLimit);
  dev.write(B.burnerEnable, p.boiler.enabled);
}

/** Reads what Modbus clients may have written: setpoint, high limit, enable. */
function takeBoilerInputs(dev: SimulatedDevice, p: DemoProcess): void {
  const sp = dev.read(B.setpoint);
  if (typeof sp === 'number' && Number.isFinite(sp)) p.boiler.setpoint = sp;
  const limit = dev.read(B.highLimit);
  if (typeof limit === 'number') p.boiler.highLimit = limit;
  p.boiler.enabled = dev.read(B.burnerEnable) === true;
}

function bits(...flags: boolean[]): number {
  return flags.reduce((word, on, i) => (on ? word | (1 << i) : word), 0);
}
