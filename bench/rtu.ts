/**
 * The `rtu` section: how close the gateway comes to what a Modbus RTU line can carry. Two units of
 * our RTU simulator on one end of a socat pty pair, the built gateway (over stdio) polling both on
 * the other end as fast as it may, and pymodbus's RTU client on the same pty against the same
 * simulator side by side.
 *
 * The line's limit per request is the time its bytes take (request + answer, 11 bits a character
 * at 8E1) plus the inter-frame silence on each side (3.5 characters; a fixed 1.75 ms above
 * 19,200 baud). A pty is no UART: socat passes bytes at once whatever the baud rate, so the only
 * line time on it is what the master itself waits (its silence). Being under the limit here shows
 * what the master costs per request; on a real line the bytes' own time is added.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import type { Duplex } from 'node:stream';
import type { DeviceListResult, ModbusRtuDeviceConfig } from '../gateway/protocol';
import { interFrameSilenceMs } from '../gateway/modbus/rtuFrame';
import { serialOpener } from '../gateway/modbus/rtuStreams';
import { startSocat, stopSocat } from '../gateway/sim/demoRtuBus';
import { RtuSimulator } from '../gateway/sim/rtuSimulator';
import { spawnGateway } from '../tools/gatewayClient';
import { cpuSeconds, median, pct } from './stats';

const BAUD = 115_200;
/** 8N1 (start, 8 data, stop): a pty refuses pyserial's parity setting, and both masters get the same line. */
const PARITY = 'none';
const BITS_PER_CHAR = 10;
const SILENCE_MS = interFrameSilenceMs(BAUD, PARITY);
const UNITS = [1, 2];
/** The smallest interval the gateway takes: every scan is due before the last one ended. */
const INTERVAL_MS = 10;

/**
 * Eight tags a unit in four areas: four requests a scan (FC3 of 6 registers, FC4 of 4, FC1 of 8
 * coils, FC2 of 4 inputs), short ones as on most RTU buses, where the silence weighs most.
 */
const TAGS = [
  { name: 'status', area: 'holding', address: 0, type: 'uint16' },
  { name: 'setpoint', area: 'holding', address: 1, type: 'float32' },
  { name: 'counter', area: 'holding', address: 3, type: 'uint32' },
  { name: 'mode', area: 'holding', address: 5, type: 'uint16' },
  { name: 'temperature', area: 'input', address: 0, type: 'float32' },
  { name: 'pressure', area: 'input', address: 2, type: 'float32' },
  { name: 'outputs', area: 'coil', address: 0, type: 'bool' },
  { name: 'alarm', area: 'discrete', address: 0, type: 'bool' },
] as const;
/** The same requests, for the peer: [function code, start, count]. */
const REQUESTS: [number, number, number][] = [
  [3, 0, 6],
  [4, 0, 4],
  [1, 0, 8],
  [2, 0, 4],
];

interface Window {
  seconds: number;
  requests: number;
  bytes: number;
  paceLateMs: number;
}

/** What the simulator saw over `seconds`: every request on the bus, whoever sent it. */
async function window(sim: RtuSimulator, seconds: number): Promise<Window> {
  const r0 = sim.requestCount;
  const b0 = sim.receivedBytes + sim.sentBytes;
  const l0 = sim.paceLateMs;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  return { seconds: (performance.now() - t0) / 1000, requests: sim.requestCount - r0, bytes: sim.receivedBytes + sim.sentBytes - b0, paceLateMs: sim.paceLateMs - l0 };
}

/** Requests a second the line could carry with this window's mix of frames. */
function lineLimit(w: Window): number {
  const perRequestMs = ((w.bytes / w.requests) * BITS_PER_CHAR * 1000) / BAUD + 2 * SILENCE_MS;
  return 1000 / perRequestMs;
}

interface Windows {
  rates: number[];
  limits: number[];
  /** How late the simulator's paced answers were, on average (its timer, not the master). */
  lateMs: number;
  /** From an answer sent to the next request's first byte, as the simulator sees it: p50, p99. */
  turnaroundMs: [number, number];
}

/** The pty as it is, then the simulator paced like a line at BAUD. */
async function bothLines(sim: RtuSimulator, runs: number, seconds: number): Promise<{ pty: Windows; paced: Windows }> {
  const measure = async (): Promise<Windows> => {
    const ws: Window[] = [];
    const turnarounds: number[] = [];
    sim.turnaroundsMs = turnarounds;
    for (let i = 0; i < runs; i++) ws.push(await window(sim, seconds));
    sim.turnaroundsMs = null;
    const requests = ws.reduce((n, w) => n + w.requests, 0);
    return {
      rates: ws.map((w) => w.requests / w.seconds),
      limits: ws.map(lineLimit),
      lateMs: ws.reduce((n, w) => n + w.paceLateMs, 0) / requests,
      turnaroundMs: [median(turnarounds), pct(turnarounds, 0.99)],
    };
  };
  sim.pace = null;
  const pty = await measure();
  sim.pace = { baudRate: BAUD, bitsPerChar: BITS_PER_CHAR, silenceMs: SILENCE_MS };
  try {
    await new Promise((r) => setTimeout(r, 300));
    return { pty, paced: await measure() };
  } finally {
    sim.pace = null;
  }
}

interface Measured extends Awaited<ReturnType<typeof bothLines>> {
  /** Failed requests (errors, timeouts) in the windows, where the master tells. */
  failed: number;
  note: string;
}

async function gatewayRuns(busPath: string, sim: RtuSimulator, runs: number, seconds: number): Promise<Measured> {
  const gw = await spawnGateway();
  try {
    const devices: ModbusRtuDeviceConfig[] = UNITS.map((unitId) => ({
      id: `unit${unitId}`,
      protocol: 'modbus-rtu',
      serialPath: busPath,
      baudRate: BAUD,
      parity: PARITY,
      unitId,
      timeoutMs: 200,
      pollIntervalMs: INTERVAL_MS,
      tags: TAGS.map((t) => ({ ...t })),
    }));
    await gw.connection.sendRequest('bifrost/config/load', { devices });
    for (const d of devices) {
      await gw.connection.sendRequest('bifrost/subscribe', { deviceId: d.id, tags: TAGS.map((t) => t.name), intervalMs: INTERVAL_MS });
    }
    await new Promise((r) => setTimeout(r, 1500));
    const stats = async () => (await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list')).devices;
    const before = await stats();
    const cpu0 = cpuSeconds(gw.child.pid!);
    const t0 = performance.now();
    const lines = await bothLines(sim, runs, seconds);
    const cpu1 = cpuSeconds(gw.child.pid!);
    const elapsed = (performance.now() - t0) / 1000;
    const after = await stats();
    let failed = 0;
    let requests = 0;
    const latency: number[] = [];
    for (const d of after) {
      const b = before.find((x) => x.id === d.id)!;
      failed += d.stats.errors - b.stats.errors;
      requests += d.stats.requests - b.stats.requests;
      if (d.stats.latencyP50Ms !== null) latency.push(d.stats.latencyP50Ms);
      if (d.status !== 'connected') throw new Error(`${d.id} is ${d.status}: ${d.lastError ?? ''}`);
    }
    const cpuPct = ((cpu1.user + cpu1.system - cpu0.user - cpu0.system) / elapsed) * 100;
    return {
      ...lines,
      failed,
      note: `gateway counted ${Math.round(requests / elapsed)} requests/s; request p50 ${median(latency).toFixed(2)} ms (queue wait included); gateway CPU ${cpuPct.toFixed(0)} % of one core`,
    };
  } finally {
    await gw.close();
  }
}

/** pymodbus's serial client in a loop over the same requests, both units in turn. */
async function pymodbusRuns(busPath: string, sim: RtuSimulator, runs: number, seconds: number): Promise<Measured | { skipped: string }> {
  const script = path.join(__dirname, '..', 'bench', 'pymodbusRtuPoll.py');
  const total = 2 * runs * seconds + 3;
  const child = spawn('/usr/bin/python3', [script, busPath, String(BAUD), 'N', String(total), JSON.stringify(UNITS), JSON.stringify(REQUESTS)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-2000)));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const lines = createInterface({ input: child.stdout! });
  const next = () => new Promise<string | null>((resolve) => {
    lines.once('line', resolve);
    void exited.then(() => resolve(null));
  });
  try {
    const ready = await next();
    if (ready !== 'ready') return { skipped: `pymodbus did not start (${stderr.trim().split('\n').pop() ?? 'no output'})` };
    await new Promise((r) => setTimeout(r, 1000));
    const lines = await bothLines(sim, runs, seconds);
    const done = await next();
    const result = done ? (JSON.parse(done) as { requests: number; failed: number; python: string; pymodbus: string }) : null;
    if (!result) return { skipped: `pymodbus ended without a result (${stderr.trim().split('\n').pop() ?? ''})` };
    return { ...lines, failed: result.failed, note: `pymodbus ${result.pymodbus} on Python ${result.python}, ModbusSerialClient, one request at a time` };
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  }
}

export async function rtuSection(quick: boolean): Promise<void> {
  const runs = quick ? 3 : 5;
  const seconds = quick ? 2 : 4;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-bench-rtu-'));
  const busPath = path.join(dir, 'ttyBUS');
  const simPath = path.join(dir, 'ttySIM');
  const sim = new RtuSimulator(UNITS, { holdings: 16, inputs: 16, coils: 16, discretes: 16 });
  let far: Duplex | null = null;
  const socat = await startSocat(busPath, simPath);
  try {
    far = await serialOpener({ path: simPath, baudRate: BAUD, parity: PARITY })();
    sim.serve(far);
    console.log(`\n## Modbus RTU line: two units on one socat pty pair at ${BAUD} baud 8N1, ${REQUESTS.length} requests a scan each, every ${INTERVAL_MS} ms (median of ${runs} windows of ${seconds} s)`);
    console.log(`  turnaround: from an answer sent to the next request's first byte, at the simulator (the master's silence of ${SILENCE_MS} ms and its own time)`);
    console.log(`  line limit: (request + answer bytes) × ${BITS_PER_CHAR} bits / ${BAUD} baud + 2 × ${SILENCE_MS} ms silence per request, from the bytes each window carried`);
    const row = (label: string, w: Windows, failed: number) => {
      const rate = median(w.rates);
      const limit = median(w.limits);
      console.log(`  ${label.padEnd(44)} ${rate.toFixed(0).padStart(5)} requests/s of ${limit.toFixed(0)}/s = ${((rate / limit) * 100).toFixed(0).padStart(3)} %; windows ${w.rates.map((r) => r.toFixed(0)).join(', ')}; turnaround p50/p99 ${w.turnaroundMs.map((x) => x.toFixed(2)).join('/')} ms; failed ${failed}`);
    };
    const report = (name: string, m: Measured) => {
      row(`${name}, pty as it is`, m.pty, m.failed);
      row(`${name}, simulator paced like the line`, m.paced, m.failed);
      console.log(`    ${m.note}; paced answers ${m.paced.lateMs.toFixed(2)} ms late on average (the simulator's timer)`);
    };
    report('Bifrost gateway', await gatewayRuns(busPath, sim, runs, seconds));
    const peer = await pymodbusRuns(busPath, sim, runs, seconds);
    if ('skipped' in peer) console.log(`  pymodbus: skipped: ${peer.skipped}`);
    else report('pymodbus', peer);
    console.log(`  goal: paced ≥ 80 % of the line limit. A pty passes bytes at once: unpaced, the only line time is each master's own wait`);
  } finally {
    await sim.stop();
    if (far) await new Promise<void>((resolve) => (far!.closed ? resolve() : far!.once('close', () => resolve())));
    await stopSocat(socat);
    rmSync(dir, { recursive: true, force: true });
  }
}
