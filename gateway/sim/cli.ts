/**
 * Runs Modbus TCP simulators in a process of their own, so that a benchmarked gateway does not
 * share its CPU with the device.
 *
 *   node dist/simulator.js [--port N] [--demo] [--bench-devices N] [--holes MAP]
 *
 * Prints one JSON line to stdout, then runs until SIGINT/SIGTERM or until stdin closes (when stdin
 * is a pipe: the parent going away ends the simulators too):
 *   {"ports":[...],"devices":[...]}
 * `ports` lists every simulator started (plain or bench ones first, then the demo devices);
 * `devices` (with --demo only) holds the demo plant's device configs, ready to load. With --demo,
 * a second line follows once the demo's OPC UA server listens (its start does not hold up the
 * Modbus devices):
 *   {"opcua":{"endpointUrl":"opc.tcp://127.0.0.1:PORT","device":{...},"certificatePem":"..."}}
 */
import * as fs from 'node:fs';
import type { DeviceConfig } from '../protocol';
import { opcuaDemoDevice } from './demoOpcUaNodes';
import { startDemoPlant, type DemoPlant } from './demoPlant';
import { ModbusTcpSimulator, parseHoleMap, type SimHole } from './modbusServer';

const USAGE = `Usage: simulator [--port N] [--demo] [--bench-devices N] [--holes MAP]
  --port N           port of the plain simulator (with --bench-devices: ports N, N+1, ...); default any free port
  --demo             start the demo plant (tank farm and boiler, Modbus TCP and OPC UA) on free ports
  --bench-devices N  start N simulators whose holding registers 0-999 all change every 100 ms
  --holes MAP        addresses the plain and bench simulators do not have, e.g. holding:10-19,input:5
                     (0-based, inclusive); a request touching one answers exception 2
Without --demo or --bench-devices, one plain simulator (all registers 0) is started.`;

/** Registers that change on bench devices, and how often. */
const BENCH_REGISTERS = 1000;
const BENCH_CHANGE_MS = 100;

interface CliOptions {
  port: number;
  demo: boolean;
  benchDevices: number;
  holes: SimHole[];
}

class UsageError extends Error {}

function parseArgs(argv: string[]): CliOptions | 'help' {
  const opts: CliOptions = { port: 0, demo: false, benchDevices: 0, holes: [] };
  let portGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const intValue = (min: number, max: number): number => {
      const text = argv[++i];
      const n = Number(text);
      if (text === undefined || !Number.isInteger(n) || n < min || n > max) {
        throw new UsageError(`${arg} needs a whole number ${min}-${max}, got ${text === undefined ? 'nothing' : `'${text}'`}.`);
      }
      return n;
    };
    switch (arg) {
      case '--port':
        opts.port = intValue(1, 65535);
        portGiven = true;
        break;
      case '--demo':
        opts.demo = true;
        break;
      case '--bench-devices':
        opts.benchDevices = intValue(1, 1000);
        break;
      case '--holes': {
        const text = argv[++i];
        if (text === undefined) throw new UsageError('--holes needs a map, e.g. holding:10-19,input:5.');
        try {
          opts.holes.push(...parseHoleMap(text));
        } catch (err) {
          throw new UsageError(`--holes: ${err instanceof Error ? err.message : String(err)}`);
        }
        break;
      }
      case '--help':
      case '-h':
        return 'help';
      default:
        throw new UsageError(`Unknown argument '${arg}'.`);
    }
  }
  if (portGiven && opts.port + Math.max(opts.benchDevices, 1) - 1 > 65535) {
    throw new UsageError(`--port ${opts.port} leaves no room for ${opts.benchDevices} bench devices.`);
  }
  return opts;
}

async function main(): Promise<void> {
  let parsed: CliOptions | 'help';
  try {
    parsed = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (parsed === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const opts = parsed;

  const stops: (() => Promise<void>)[] = [];
  const timers: NodeJS.Timeout[] = [];
  const ports: number[] = [];
  let devices: DeviceConfig[] | undefined;
  let plant: DemoPlant | undefined;
  try {
    const plainCount = opts.benchDevices > 0 ? opts.benchDevices : opts.demo ? 0 : 1;
    for (let i = 0; i < plainCount; i++) {
      const sim = new ModbusTcpSimulator({ port: opts.port === 0 ? 0 : opts.port + i, holes: opts.holes });
      stops.push(() => sim.stop());
      ports.push(await sim.start());
      if (opts.benchDevices > 0) timers.push(startChanging(sim));
    }
    if (opts.demo) {
      const demo = await startDemoPlant();
      stops.push(() => demo.stop());
      plant = demo;
      devices = demo.devices;
      for (const d of demo.devices) if (d.protocol === 'modbus-tcp') ports.push(d.port ?? 502);
    }
  } catch (err) {
    await Promise.all(stops.map((stop) => stop()));
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }

  process.stdout.write(`${JSON.stringify(devices ? { ports, devices } : { ports })}\n`);
  // The plant says itself on stderr why its OPC UA server did not start.
  void plant?.opcua.then(
    (server) => {
      if (server) {
        const { endpointUrl, certificatePem } = server;
        process.stdout.write(`${JSON.stringify({ opcua: { endpointUrl, device: opcuaDemoDevice(endpointUrl), certificatePem } })}\n`);
      }
    },
    () => undefined,
  );

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    for (const t of timers) clearInterval(t);
    await Promise.all(stops.map((stop) => stop()));
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
  if (stdinIsPipe()) {
    process.stdin.on('end', () => void shutdown());
    process.stdin.on('error', () => void shutdown());
    process.stdin.resume();
  }
}

/** Every poll must see new values: increment registers 0-999 on a timer, from distinct start values. */
function startChanging(sim: ModbusTcpSimulator): NodeJS.Timeout {
  const n = Math.min(BENCH_REGISTERS, sim.holdings.length);
  for (let i = 0; i < n; i++) sim.holdings[i] = i;
  return setInterval(() => {
    const regs = sim.holdings;
    for (let i = 0; i < n; i++) regs[i] = regs[i] + 1; // Uint16Array wraps at 65536
  }, BENCH_CHANGE_MS);
}

/** Watch stdin for the parent going away only when it is a pipe: /dev/null or a terminal is not. */
function stdinIsPipe(): boolean {
  try {
    const st = fs.fstatSync(0);
    return st.isFIFO() || st.isSocket();
  } catch {
    return false;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
