/**
 * The demo plant's serial bus: two Modbus RTU units on a pty pair made by socat, so the RTU driver
 * can be tried without an RS-485 adapter. The gateway opens one end as its serial port; our RTU
 * simulator answers on the other.
 *
 * - "Fill Pump Drive" (demo-drive, unit 1): the frequency inverter of the tank's fill pump.
 * - "Pump House Energy Meter" (demo-meter, unit 2): measures what the drive draws.
 *
 * Both follow the tank's fill pump in the demo process. The meter can be muted (as if its bus wires
 * came loose) to show what a dead unit does to a bus: it turns bad, the drive keeps its values.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import type { ModbusRtuDeviceConfig } from '../protocol';
import type { DeviceIdentity } from '../modbus/deviceIdentification';
import { serialOpener } from '../modbus/rtuStreams';
import { VERSION } from '../version';
import type { DemoProcess } from './demoProcess';
import { SimulatedDevice, type PlantTag } from './demoRegisters';
import { RtuSimulator } from './rtuSimulator';

export const DEMO_DRIVE_ID = 'demo-drive';
export const DEMO_METER_ID = 'demo-meter';

export interface DemoRtuBus {
  /** The two units, ready to load into the gateway: both on `serialPath`. */
  readonly devices: ModbusRtuDeviceConfig[];
  /** The gateway's end of the pty pair. */
  readonly serialPath: string;
  readonly simulator: RtuSimulator;
  /** A muted unit hears its requests and never answers. */
  mute(deviceId: string, muted: boolean): void;
  muted(deviceId: string): boolean;
  /** Advances the units' own state (the meter's energy) and publishes the process; called every tick. */
  publish(elapsedMs: number): void;
  stop(): Promise<void>;
}

const DRIVE_UNIT = 1;
const METER_UNIT = 2;
/** The line both ends are opened with (a pty carries bytes at any speed; a real bus would not). */
const BAUD_RATE = 19_200;
const PARITY = 'even';
/** Rated point of the pump motor: 50 Hz at 60 m³/h, 5.5 kW. */
const RATED_HZ = 50;
const RATED_FLOW = 60;
const RATED_KW = 5.5;
const LINE_VOLTAGE = 400;
const POWER_FACTOR = 0.86;

const DRIVE_TAGS: PlantTag[] = [
  { name: 'output_frequency', area: 'input', address: 0, type: 'uint16', scale: 0.1, unit: 'Hz', description: 'Output frequency to the motor' },
  { name: 'motor_current', area: 'input', address: 1, type: 'uint16', scale: 0.01, unit: 'A', description: 'Motor current' },
  { name: 'motor_power', area: 'input', address: 2, type: 'float32', byteOrder: 'ABCD', unit: 'kW', description: 'Motor shaft power' },
  { name: 'dc_bus_voltage', area: 'input', address: 4, type: 'uint16', unit: 'V', description: 'DC link voltage' },
  { name: 'running', area: 'discrete', address: 0, type: 'bool', description: 'Drive running' },
  { name: 'fault_code', area: 'holding', address: 0, type: 'uint16', description: 'Active fault (0: none)' },
  { name: 'ramp_time', area: 'holding', address: 1, type: 'uint16', scale: 0.1, unit: 's', description: 'Acceleration ramp time' },
];

const METER_TAGS: PlantTag[] = [
  { name: 'voltage_l1', area: 'input', address: 0, type: 'float32', byteOrder: 'CDAB', unit: 'V', description: 'Voltage L1-N' },
  { name: 'current_l1', area: 'input', address: 2, type: 'float32', byteOrder: 'CDAB', unit: 'A', description: 'Current L1' },
  { name: 'active_power', area: 'input', address: 4, type: 'float32', byteOrder: 'CDAB', unit: 'kW', description: 'Total active power' },
  { name: 'active_energy', area: 'input', address: 6, type: 'uint32', byteOrder: 'CDAB', unit: 'Wh', description: 'Active energy imported' },
  { name: 'frequency', area: 'input', address: 8, type: 'uint16', scale: 0.01, unit: 'Hz', description: 'Mains frequency' },
  { name: 'power_factor', area: 'input', address: 9, type: 'uint16', scale: 0.001, description: 'Power factor (1 while nothing draws)' },
];

const DRIVE_IDENTITY: DeviceIdentity = { vendorName: 'Bifrost Demo Plant', productCode: 'BDP-VFD', revision: VERSION, productName: 'Fill Pump Drive', modelName: 'VFD-5K5' };
const METER_IDENTITY: DeviceIdentity = { vendorName: 'Bifrost Demo Plant', productCode: 'BDP-METER', revision: VERSION, productName: 'Pump House Energy Meter', modelName: 'EM-340' };

/** Resolves once socat made the pair and the simulator listens on its end; rejects with the reason otherwise. */
export async function startDemoRtuBus(plant: DemoProcess): Promise<DemoRtuBus> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-demo-bus-'));
  const busPath = path.join(dir, 'ttyBUS');
  const simPath = path.join(dir, 'ttySIM');
  let socat: ChildProcess | null = null;
  let far: Duplex | null = null;
  const sim = new RtuSimulator([DRIVE_UNIT, METER_UNIT], { holdings: 16, inputs: 16, coils: 8, discretes: 8 });
  const cleanUp = async () => {
    await sim.stop();
    if (far) await new Promise<void>((resolve) => (far!.closed ? resolve() : far!.once('close', () => resolve())));
    if (socat) await stopSocat(socat);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    socat = await startSocat(busPath, simPath);
    far = await serialOpener({ path: simPath, baudRate: BAUD_RATE, parity: PARITY })();
  } catch (err) {
    await cleanUp();
    throw err;
  }
  sim.serve(far);

  const drive = new SimulatedDevice(sim.unit(DRIVE_UNIT), DRIVE_TAGS);
  const meter = new SimulatedDevice(sim.unit(METER_UNIT), METER_TAGS);
  sim.unit(DRIVE_UNIT).setIdentity(DRIVE_IDENTITY);
  sim.unit(METER_UNIT).setIdentity(METER_IDENTITY);
  drive.write('ramp_time', 5);
  let energyWh = 0;
  /** Seconds of process time, for the meter's slow mains wobble. */
  let t = 0;
  const ids = new Map([
    [DEMO_DRIVE_ID, DRIVE_UNIT],
    [DEMO_METER_ID, METER_UNIT],
  ]);
  const unitOf = (deviceId: string) => {
    const unit = ids.get(deviceId);
    if (unit === undefined) throw new RangeError(`"${deviceId}" is not on the demo serial bus (its units: ${[...ids.keys()].join(', ')})`);
    return unit;
  };

  const publish = (elapsedMs: number) => {
    const tank = plant.tank;
    // Affinity laws: speed with flow, power with its cube; a stopped pump draws nothing.
    const speed = tank.pumpRunning ? Math.min(1.1, tank.inletFlow / RATED_FLOW) : 0;
    const powerKw = RATED_KW * speed ** 3;
    const currentA = powerKw > 0 ? (powerKw * 1000) / (Math.sqrt(3) * LINE_VOLTAGE * POWER_FACTOR) : 0;
    t += elapsedMs / 1000;
    energyWh += (powerKw * 1000 * elapsedMs) / 3_600_000;
    drive.write('output_frequency', speed * RATED_HZ);
    drive.write('motor_current', currentA);
    drive.write('motor_power', powerKw);
    drive.write('dc_bus_voltage', 565 - 8 * speed);
    drive.write('running', speed > 0);
    drive.write('fault_code', 0);
    meter.write('voltage_l1', 230.4 + 0.9 * Math.sin(t / 17));
    meter.write('current_l1', currentA);
    meter.write('active_power', powerKw);
    meter.write('active_energy', Math.floor(energyWh));
    meter.write('frequency', 50 + 0.02 * Math.sin(t / 29));
    meter.write('power_factor', powerKw > 0 ? POWER_FACTOR : 1);
  };
  publish(0);

  const device = (id: string, name: string, unitId: number, tags: PlantTag[], pollIntervalMs: number): ModbusRtuDeviceConfig => ({
    id,
    name,
    protocol: 'modbus-rtu',
    serialPath: busPath,
    baudRate: BAUD_RATE,
    parity: PARITY,
    unitId,
    timeoutMs: 300,
    pollIntervalMs,
    allowWrites: false,
    tags: tags.map((t) => ({ ...t })),
  });

  let stopped: Promise<void> | null = null;
  return {
    devices: [device(DEMO_DRIVE_ID, 'Fill Pump Drive', DRIVE_UNIT, DRIVE_TAGS, 500), device(DEMO_METER_ID, 'Pump House Energy Meter', METER_UNIT, METER_TAGS, 1000)],
    serialPath: busPath,
    simulator: sim,
    mute: (deviceId, muted) => sim.mute(unitOf(deviceId), muted),
    muted: (deviceId) => sim.isMuted(unitOf(deviceId)),
    publish,
    stop: () => (stopped ??= cleanUp()),
  };
}

/**
 * socat under a shell that ends it once its stdin, a pipe from this process, closes: when the demo
 * stops, and when the gateway dies without stopping it (SIGKILL, a crash), so no socat outlives
 * the gateway holding a pty pair.
 */
const SOCAT_WATCHED = 'command -v socat >/dev/null || exit 127; socat "$1" "$2" </dev/null & s=$!; cat >/dev/null; kill $s 2>/dev/null; wait $s; exit 0';

/** Ends a socat of startSocat (closing its stdin) and resolves once it exited. */
export async function stopSocat(socat: ChildProcess): Promise<void> {
  if (socat.exitCode !== null || socat.signalCode !== null) return;
  const exited = new Promise((resolve) => socat.once('exit', resolve));
  socat.stdin!.end();
  const stubborn = setTimeout(() => socat.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(stubborn);
}

/** socat with two linked ptys at paths `a` and `b`; resolves once both links exist. Ends when its stdin is closed (stopSocat). */
export function startSocat(a: string, b: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    const child = spawn('sh', ['-c', SOCAT_WATCHED, 'sh', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['pipe', 'ignore', 'pipe'] });
    // A gateway that dies closes the pipe, which is the point; until then nothing is written to it.
    child.stdin!.on('error', () => undefined);
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-500)));
    const started = Date.now();
    const fail = (why: string) => {
      clearInterval(poll);
      if (child.exitCode === null) child.stdin!.end();
      reject(new Error(why));
    };
    child.once('error', (err: NodeJS.ErrnoException) => fail(`socat did not start: ${err.message}`));
    child.once('exit', (code) =>
      fail(code === 127 ? 'socat is not installed (it makes the pty pair the bus runs on)' : `socat exited (${String(code)}) before making the pty pair${stderr ? `: ${stderr.trim()}` : ''}`),
    );
    const poll = setInterval(() => {
      if (existsSync(a) && existsSync(b)) {
        clearInterval(poll);
        child.removeAllListeners('exit');
        resolve(child);
      } else if (Date.now() - started > 5000) {
        fail('socat did not make the pty pair within 5 s');
      }
    }, 20);
  });
}
