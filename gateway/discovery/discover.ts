/**
 * `bifrost/discover`: checks what the client asked for, then probes every host × port with at
 * most `concurrency` connections being made at once, streaming what answers. Each protocol's probes
 * run in a pool of their own (an OPC UA client weighs far more than a Modbus socket). A cancelled
 * scan stops starting probes, aborts those running (their sockets close) and answers with what it had.
 */
import { randomUUID } from 'node:crypto';
import type { DiscoveredItem, DiscoveredNotification, DiscoveryMessage, DiscoverResult, DiscoveryProgressNotification, ModbusDiscoverParams, OpcUaDiscoverParams } from '../protocol';
import { ErrorCodes } from '../protocol';
import { BifrostError, preview } from '../errors';
import { log } from '../log';
import { loadOpcUaBundle } from '../opcua/load';
import { probeModbusTcp } from './modbusProbe';
import { formatOpcTcpUrl, looksLikeUrl, OPCUA_DEFAULT_PORT, parseOpcTcpUrl } from './opcuaUrl';
import { runPool } from './pool';
import { scanSerial, serialPlan, serialProbes, serialWorstCaseMs } from './serialScan';
import { expandTargets, parsePorts, parseUnitIds } from './targets';

export interface DiscoverySink {
  discovered(n: DiscoveredNotification): void;
  progress(n: DiscoveryProgressNotification): void;
}

const DEFAULT_TIMEOUT_MS = 1000;
const DEFAULT_CONCURRENCY = 64;
/** Host × port probes in one scan: a /16 on four ports. */
const MAX_PROBES = 4 * 65_536;
/** Progress at most this often: a /16 would otherwise send 65,536 notifications. */
const PROGRESS_EVERY_MS = 100;

/** One protocol's part of a scan: `total` probes, numbered, at most `concurrency` at once. */
interface Scan {
  total: number;
  concurrency: number;
  /** The hosts it probes, for the result's count. */
  hosts: string[];
  probe(index: number, signal: AbortSignal): Promise<DiscoveredItem[]>;
}

const OPCUA_DEFAULT_TIMEOUT_MS = 2000;
const OPCUA_DEFAULT_CONCURRENCY = 8;

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
    if (key !== 'discoveryId' && key !== 'modbus' && key !== 'opcua' && key !== 'serial' && key !== 'dryRun') throw invalid(`unknown field "${key}" (expected "discoveryId", "modbus", "opcua", "serial" and "dryRun")`);
  }
  if (p['modbus'] === undefined && p['opcua'] === undefined && p['serial'] === undefined) {
    throw invalid('nothing to discover: give "modbus": {"targets": ["192.168.1.0/24"]}, "opcua": {"targets": ["192.168.1.0/24"]} or "serial": {"ports": ["/dev/ttyUSB0"]}');
  }
  const dryRun = p['dryRun'] ?? false;
  if (typeof dryRun !== 'boolean') throw invalid(`"dryRun" must be true or false (got ${JSON.stringify(dryRun)})`);
  const serial = p['serial'] === undefined ? null : serialPlan(p['serial']);
  const scans: Scan[] = [];
  const notes: DiscoveryMessage[] = [];
  const errors: DiscoveryMessage[] = [];
  // A host name that does not resolve is an error of the scan, not of the request: the rest is scanned.
  const unresolved = (target: string, message: string) => {
    if (!errors.some((e) => e.target === target)) errors.push({ target, message: message.replace(/^host name "[^"]*" /, 'the name ') });
  };
  if (p['modbus'] !== undefined) scans.push(modbusScan(await modbusPlan(p['modbus'], signal, unresolved), (n) => notes.push(n)));
  if (p['opcua'] !== undefined) scans.push(await opcuaScan(p['opcua'], signal, unresolved));
  const networkTotal = scans.reduce((n, scan) => n + scan.total, 0);
  if (networkTotal > MAX_PROBES) throw invalid(`the scan makes ${networkTotal} probes, more than the ${MAX_PROBES} one scan makes: name fewer hosts or ports`);
  const total = networkTotal + (serial ? serialProbes(serial) : 0);
  const sizes = { hosts: new Set(scans.flatMap((scan) => scan.hosts)).size, probes: total, ...(serial ? { estimatedMs: serialWorstCaseMs(serial) } : {}) };
  if (dryRun) return { discoveryId, ...sizes, found: 0, probed: 0, cancelled: false, durationMs: Math.round(performance.now() - started), ...(errors.length ? { errors } : {}) };

  let found = 0;
  const doneOf = scans.map(() => 0);
  let serialDone = 0;
  let done = 0;
  const sumDone = () => doneOf.reduce((a, b) => a + b, 0) + serialDone;
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

  await Promise.all([
    ...scans.map((scan, s) =>
      runPool(
        scan.total,
        async (index, jobSignal) => {
          const items = await scan.probe(index, jobSignal);
          if (jobSignal.aborted || items.length === 0) return;
          found += items.length;
          sink.discovered({ discoveryId, items });
        },
        {
          concurrency: scan.concurrency,
          signal,
          onProgress: (n) => {
            doneOf[s] = n;
            done = sumDone();
            progress(false);
          },
        },
      ),
    ),
    serial
      ? scanSerial(serial, signal, {
          found: (items) => {
            found += items.length;
            sink.discovered({ discoveryId, items });
          },
          probed: (n) => {
            serialDone += n;
            done = sumDone();
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

/** `note` hears of ports where a gateway answered for unit ids it has no unit behind (exceptions 10, 11). */
function modbusScan(plan: ModbusPlan, note: (n: DiscoveryMessage) => void): Scan {
  return {
    total: plan.hosts.length * plan.ports.length,
    concurrency: plan.concurrency,
    hosts: plan.hosts,
    async probe(index, signal) {
      const host = plan.hosts[Math.floor(index / plan.ports.length)]!;
      const port = plan.ports[index % plan.ports.length]!;
      const result = await probeModbusTcp(host, port, plan.unitIds, { timeoutMs: plan.timeoutMs, signal });
      if (result.gateway && !signal.aborted) {
        const none = result.units.length === 0;
        note({
          target: `${host}:${port}`,
          message: `a Modbus gateway answered (exception 10 or 11: no such unit behind it) for ${none ? 'every unit id asked' : 'some of the unit ids asked'}; ${none ? 'the port speaks Modbus, ' : ''}other unit ids may be behind it ("unitIds": "all" sweeps 1-247)`,
        });
      }
      return result.units.map((u) => ({ protocol: 'modbus-tcp', host, port, ...u }));
    },
  };
}

/**
 * The OPC UA part: every host × port, then every endpoint URL as given. The probe lives in the
 * OPC UA bundle, loaded at the first probe. A server found twice (listed by a discovery server and
 * probed itself) is reported once.
 */
async function opcuaScan(v: unknown, signal: AbortSignal, unresolved: Unresolved): Promise<Scan> {
  const o = record(v, '"opcua"') as Partial<Record<keyof OpcUaDiscoverParams, unknown>>;
  const known = new Set(['targets', 'ports', 'timeoutMs', 'concurrency']);
  for (const key of Object.keys(o)) if (!known.has(key)) throw invalid(`"opcua": unknown field "${key}" (expected ${[...known].map((k) => `"${k}"`).join(', ')})`);
  const ports = parsePorts(o.ports, [OPCUA_DEFAULT_PORT]);
  const { hosts, urls } = await opcuaTargets(o.targets, signal, unresolved);
  if (hosts.length * ports.length + urls.length > MAX_PROBES) {
    throw invalid(`${hosts.length} hosts × ${ports.length} ports and ${urls.length} URLs are ${hosts.length * ports.length + urls.length} probes, more than the ${MAX_PROBES} one scan makes: name fewer hosts or ports`);
  }
  const timeoutMs = integer(o.timeoutMs, '"opcua.timeoutMs"', 10, 60_000, OPCUA_DEFAULT_TIMEOUT_MS);
  const concurrency = integer(o.concurrency, '"opcua.concurrency"', 1, 64, OPCUA_DEFAULT_CONCURRENCY);
  const reported = new Set<string>();
  const byHost = hosts.length * ports.length;
  return {
    total: byHost + urls.length,
    concurrency,
    hosts: [...hosts, ...urls.map((u) => u.host)],
    async probe(index, jobSignal) {
      let target = urls[index - byHost]!;
      if (index < byHost) {
        const host = hosts[Math.floor(index / ports.length)]!;
        target = { host, endpointUrl: formatOpcTcpUrl({ host, port: ports[index % ports.length]!, path: '' }) };
      }
      const items = await loadOpcUaBundle(log).probeOpcUa(target, { timeoutMs, signal: jobSignal });
      return items.filter((item) => {
        const key = `${item.applicationUri}\n${item.endpointUrl}`;
        if (reported.has(key)) return false;
        reported.add(key);
        return true;
      });
    },
  };
}

/** Told of a host name that does not resolve (its entry, and why). */
type Unresolved = (target: string, message: string) => void;

/** `targets` of "opcua": endpoint URLs taken as they are, the rest expanded as Modbus targets are. */
async function opcuaTargets(targets: unknown, signal: AbortSignal, unresolved: Unresolved): Promise<{ hosts: string[]; urls: Array<{ host: string; endpointUrl: string }> }> {
  if (!Array.isArray(targets) || targets.length === 0) return { hosts: (await expandTargets(targets, { signal, unresolved })).map((t) => t.address), urls: [] };
  const urls: Array<{ host: string; endpointUrl: string }> = [];
  const others: unknown[] = [];
  const indexOf: number[] = [];
  const seen = new Set<string>();
  targets.forEach((t, i) => {
    if (typeof t !== 'string' || !looksLikeUrl(t.trim())) {
      others.push(t);
      indexOf.push(i);
      return;
    }
    const text = t.trim();
    const url = parseOpcTcpUrl(text);
    if (typeof url === 'string') throw invalid(`targets[${i}] ${JSON.stringify(text)}: ${url}`);
    if (!seen.has(text)) urls.push({ host: url.host, endpointUrl: text });
    seen.add(text);
  });
  if (others.length === 0) return { hosts: [], urls };
  try {
    return { hosts: (await expandTargets(others, { signal, unresolved })).map((t) => t.address), urls };
  } catch (err) {
    // expandTargets numbers the entries it was given: name them as the request does.
    if (err instanceof BifrostError) err.message = err.message.replace(/^targets\[(\d+)\]/, (_, n: string) => `targets[${indexOf[Number(n)]}]`);
    throw err;
  }
}

async function modbusPlan(v: unknown, signal: AbortSignal, unresolved: Unresolved): Promise<ModbusPlan> {
  const m = record(v, '"modbus"') as Partial<Record<keyof ModbusDiscoverParams, unknown>>;
  const known = new Set(['targets', 'ports', 'unitIds', 'timeoutMs', 'concurrency']);
  for (const key of Object.keys(m)) if (!known.has(key)) throw invalid(`"modbus": unknown field "${key}" (expected ${[...known].map((k) => `"${k}"`).join(', ')})`);
  const ports = parsePorts(m.ports);
  const hosts = (await expandTargets(m.targets, { signal, unresolved })).map((t) => t.address);
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
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw invalid(`${what} must be a whole number from ${min} to ${max} (got ${preview(v)})`);
  return v;
}

function invalid(message: string): BifrostError {
  return new BifrostError(ErrorCodes.InvalidParams, message);
}
