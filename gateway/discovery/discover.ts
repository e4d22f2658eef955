/**
 * `bifrost/discover`: checks what the client asked for, then probes every host × port with at
 * most `concurrency` connections being made at once, streaming what answers. A cancelled scan
 * stops starting probes, aborts those running (their sockets close) and answers with what it had.
 */
import { randomUUID } from 'node:crypto';
import type { DiscoveredItem, DiscoveredNotification, DiscoveredRtuNotification, DiscoveryMessage, DiscoverResult, DiscoveryProgressNotification, ModbusDiscoverParams } from '../protocol';
import { ErrorCodes } from '../protocol';
import { BifrostError } from '../errors';
import { probeModbusTcp } from './modbusProbe';
import { runPool } from './pool';
import { scanSerial, serialPlan, serialProbes, serialWorstCaseMs } from './serialScan';
import { expandTargets, parsePorts, parseUnitIds } from './targets';

export interface DiscoverySink {
  discovered(n: DiscoveredNotification | DiscoveredRtuNotification): void;
  progress(n: DiscoveryProgressNotification): void;
}

const DEFAULT_TIMEOUT_MS = 1000;
const DEFAULT_CONCURRENCY = 64;
/** Host × port probes in one scan: a /16 on four ports. */
const MAX_PROBES = 4 * 65_536;
/** Progress at most this often: a /16 would otherwise send 65,536 notifications. */
const PROGRESS_EVERY_MS = 100;

interface ModbusPlan {
  hosts: string[];
  ports: number[];
  unitIds: number[];
  timeoutMs: number;
  concurrency: number;
}

export async function discover(params: unknown, signal: AbortSignal, sink: DiscoverySink): Promise<DiscoverResult> {
  const started = performance.now();
  const p = record(params, 'the parameters of bifrost/discover');
  const discoveryId = p['discoveryId'] ?? randomUUID();
  if (typeof discoveryId !== 'string' || discoveryId === '' || discoveryId.length > 200) {
    throw invalid(`"discoveryId" must be a non-empty string of at most 200 characters (got ${JSON.stringify(discoveryId)})`);
  }
  for (const key of Object.keys(p)) {
    if (key === 'opcua') throw new BifrostError(ErrorCodes.NotSupported, `"${key}" discovery is not supported by this gateway yet: scan Modbus TCP with "modbus"`);
    if (key !== 'discoveryId' && key !== 'modbus' && key !== 'serial' && key !== 'dryRun') throw invalid(`unknown field "${key}" (expected "discoveryId", "modbus", "serial" and "dryRun")`);
  }
  if (p['modbus'] === undefined && p['serial'] === undefined) throw invalid('nothing to discover: give "modbus": {"targets": ["192.168.1.0/24"]} or "serial": {"ports": ["/dev/ttyUSB0"]}');
  const dryRun = p['dryRun'] ?? false;
  if (typeof dryRun !== 'boolean') throw invalid(`"dryRun" must be true or false (got ${JSON.stringify(dryRun)})`);
  const serial = p['serial'] === undefined ? null : serialPlan(p['serial']);
  const plan = p['modbus'] === undefined ? null : await modbusPlan(p['modbus'], signal);
  const tcpTotal = plan ? plan.hosts.length * plan.ports.length : 0;
  const total = tcpTotal + (serial ? serialProbes(serial) : 0);
  const sizes = { hosts: plan?.hosts.length ?? 0, probes: total, ...(serial ? { estimatedMs: serialWorstCaseMs(serial) } : {}) };
  if (dryRun) return { discoveryId, ...sizes, found: 0, probed: 0, cancelled: false, durationMs: Math.round(performance.now() - started) };

  let found = 0;
  let done = 0;
  let tcpDone = 0;
  let serialDone = 0;
  const errors: DiscoveryMessage[] = [];
  const notes: DiscoveryMessage[] = [];
  let lastProgress = 0;
  let trailing: ReturnType<typeof setTimeout> | undefined;
  // At most every PROGRESS_EVERY_MS, and the last count of a quiet spell is sent once it ends:
  // a burst of refused ports must not leave the client at the count before the burst.
  const progress = (force: boolean) => {
    const now = performance.now();
    if (!force && now - lastProgress < PROGRESS_EVERY_MS) {
      trailing ??= setTimeout(() => {
        trailing = undefined;
        progress(true);
      }, PROGRESS_EVERY_MS - (now - lastProgress));
      return;
    }
    if (trailing !== undefined) clearTimeout(trailing);
    trailing = undefined;
    lastProgress = now;
    sink.progress({ discoveryId, done, total });
  };
  progress(true);

  const tcpScan = async (plan: ModbusPlan) => runPool(
    tcpTotal,
    async (index, jobSignal) => {
      const host = plan.hosts[Math.floor(index / plan.ports.length)]!;
      const port = plan.ports[index % plan.ports.length]!;
      const result = await probeModbusTcp(host, port, plan.unitIds, { timeoutMs: plan.timeoutMs, signal: jobSignal });
      if (jobSignal.aborted) return;
      const items: DiscoveredItem[] = result.units.map((u) => ({ protocol: 'modbus-tcp', host, port, ...u }));
      if (items.length > 0) {
        found += items.length;
        sink.discovered({ discoveryId, items });
      }
    },
    {
      concurrency: plan.concurrency,
      signal,
      onProgress: (n) => {
        tcpDone = n;
        done = tcpDone + serialDone;
        progress(false);
      },
    },
  );
  await Promise.all([
    plan ? tcpScan(plan) : undefined,
    serial
      ? scanSerial(serial, signal, {
          found: (items) => {
            found += items.length;
            sink.discovered({ discoveryId, items });
          },
          probed: (n) => {
            serialDone += n;
            done = tcpDone + serialDone;
            progress(false);
          },
          error: (e) => errors.push(e),
          note: (n) => notes.push(n),
        })
      : undefined,
  ]);
  progress(true);
  if (trailing !== undefined) clearTimeout(trailing);
  const messages = { ...(errors.length ? { errors } : {}), ...(notes.length ? { notes } : {}) };
  return { discoveryId, ...sizes, found, probed: done, cancelled: signal.aborted, durationMs: Math.round(performance.now() - started), ...messages };
}

async function modbusPlan(v: unknown, signal: AbortSignal): Promise<ModbusPlan> {
  const m = record(v, '"modbus"') as Partial<Record<keyof ModbusDiscoverParams, unknown>>;
  const known = new Set(['targets', 'ports', 'unitIds', 'timeoutMs', 'concurrency']);
  for (const key of Object.keys(m)) if (!known.has(key)) throw invalid(`"modbus": unknown field "${key}" (expected ${[...known].map((k) => `"${k}"`).join(', ')})`);
  const ports = parsePorts(m.ports);
  const hosts = (await expandTargets(m.targets, { signal })).map((t) => t.address);
  if (hosts.length * ports.length > MAX_PROBES) {
    throw invalid(`${hosts.length} hosts × ${ports.length} ports is ${hosts.length * ports.length} probes, more than the ${MAX_PROBES} one scan makes: name fewer hosts or ports`);
  }
  return {
    hosts,
    ports,
    unitIds: parseUnitIds(m.unitIds),
    timeoutMs: integer(m.timeoutMs, '"modbus.timeoutMs"', 10, 60_000, DEFAULT_TIMEOUT_MS),
    concurrency: integer(m.concurrency, '"modbus.concurrency"', 1, 1024, DEFAULT_CONCURRENCY),
  };
}

function record(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(`${what} must be an object`);
  return v as Record<string, unknown>;
}

function integer(v: unknown, what: string, min: number, max: number, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw invalid(`${what} must be a whole number from ${min} to ${max} (got ${JSON.stringify(v)})`);
  return v;
}

function invalid(message: string): BifrostError {
  return new BifrostError(ErrorCodes.InvalidParams, message);
}
