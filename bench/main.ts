/**
 * `npm run bench`: measures the gateway against devices running in a separate simulator process,
 * and prints medians and ratios (never pass/fail on time: these numbers belong in
 * docs/benchmarks.md with the machine and the date).
 *
 *   node dist/bench.js [--quick] [--only NAME[,NAME]]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import ModbusRTU from 'modbus-serial';
import { spawnGateway, type GatewayProcess } from '../tools/gatewayClient';
import { validateConfig } from '../gateway/config';
import { builtinDrivers } from '../gateway/drivers';
import { LinkPool } from '../gateway/core/links';
import { log } from '../gateway/log';
import { ModbusTcpDevice } from '../gateway/modbus/device';
import type { ModbusTcpSettings } from '../gateway/modbus/settings';
import { planReads } from '../gateway/modbus/planner';
import { resolveAddress } from '../gateway/modbus/address';
import type { DeviceConfig, DeviceListResult, SubscribeResult, ValuesNotification } from '../gateway/protocol';
import { benchCodec } from './codec';
import { scaleRun, type ScaleResult } from './scale';

const quick = process.argv.includes('--quick');
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? new Set((process.argv[onlyArg + 1] ?? '').split(',')) : null;
const want = (name: string) => !only || only.has(name);

interface Simulators {
  ports: number[];
  child: ChildProcess;
  stop(): Promise<void>;
}

async function startSimulators(args: string[]): Promise<Simulators> {
  const child = spawn(process.execPath, [path.join(__dirname, 'simulator.js'), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
  });
  const { ports } = JSON.parse(line) as { ports: number[] };
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    ports,
    child,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor((s.length - 1) / 2)]!;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
}

const us = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;

/** CPU seconds a process has used in user and in system mode, from /proc. */
function cpuSeconds(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime, in clock ticks (USER_HZ = 100).
  return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function tcp(id: string, port: number, extra: Partial<DeviceConfig> = {}): DeviceConfig {
  return { id, protocol: 'modbus-tcp', host: '127.0.0.1', port, timeoutMs: 1000, pollIntervalMs: 100, ...extra };
}

async function waitConnected(gw: GatewayProcess, n: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const l = await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list');
    if (l.devices.filter((d) => d.status === 'connected').length >= n) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('devices did not connect');
}

// ---------------------------------------------------------------------------------------------

async function singleRead(): Promise<void> {
  const sims = await startSimulators([]);
  const port = sims.ports[0]!;
  const n = quick ? 1000 : 5000;
  const rounds = 5;
  try {
    const bare = new ModbusRTU();
    await bare.connectTCP('127.0.0.1', { port });
    bare.setID(1);
    bare.setTimeout(1000);
    const { devices } = validateConfig({ devices: [tcp('bench', port)] }, 'config', builtinDrivers());
    let connected = false;
    const settings = devices[0]!;
    const device = new ModbusTcpDevice(settings, settings.driver as ModbusTcpSettings, {
      onStatus: (status) => (connected = status === 'connected'),
      links: new LinkPool(),
      log,
    });
    device.start();
    while (!connected) await new Promise((r) => setTimeout(r, 10));
    const gw = await spawnGateway();
    await gw.connection.sendRequest('bifrost/config/load', { devices: [tcp('bench', port)] });
    await waitConnected(gw, 1);

    const bareT: number[] = [];
    const driverT: number[] = [];
    const rpcT: number[] = [];
    // Warm-up (JIT, socket buffers), then interleaved rounds against the same server, so that
    // drift on a noisy machine hits all three alike.
    for (let i = 0; i < 1000; i++) {
      await bare.readHoldingRegisters(0, 1);
      await device.read(['holding:0']);
      await gw.connection.sendRequest('bifrost/tags/read', { deviceId: 'bench', tags: ['holding:0'] });
    }
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        await bare.readHoldingRegisters(0, 1);
        bareT.push(performance.now() - t0);
      }
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        await device.read(['holding:0']);
        driverT.push(performance.now() - t0);
      }
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        await gw.connection.sendRequest('bifrost/tags/read', { deviceId: 'bench', tags: ['holding:0'] });
        rpcT.push(performance.now() - t0);
      }
    }
    const pBare = median(bareT);
    const pDriver = median(driverT);
    console.log(`\n## Single-register read (${rounds} × ${n} sequential FC3 reads each, same simulator process)`);
    console.log(`  bare modbus-serial loop     p50 ${us(pBare)}  p99 ${us(pct(bareT, 0.99))}`);
    console.log(`  through the driver          p50 ${us(pDriver)}  p99 ${us(pct(driverT, 0.99))}  ratio to bare ${(pDriver / pBare).toFixed(2)}× (goal ≤ 1.2×)`);
    console.log(`  through JSON-RPC (stdio)    p50 ${us(median(rpcT))}  p99 ${us(pct(rpcT, 0.99))}  (goal p50 ≤ 400 µs)`);
    bare.close(() => undefined);
    await device.stop();
    await gw.close();
  } finally {
    await sims.stop();
  }
}

async function startup(): Promise<void> {
  const spawnT: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < (quick ? 3 : 10); i++) {
    const t0 = performance.now();
    const gw = await spawnGateway();
    spawnT.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 500));
    rss.push(rssMb(gw.child.pid!));
    await gw.close();
  }
  console.log(`\n## Start-up (${spawnT.length} spawns)`);
  console.log(`  spawn → initialize answered  median ${median(spawnT).toFixed(0)} ms, max ${Math.max(...spawnT).toFixed(0)} ms (goal ≤ 300 ms)`);
  console.log(`  idle RSS                     median ${median(rss).toFixed(1)} MB (goal ≤ 70 MB)`);
}

interface LoadResult {
  valuesPerS: number;
  cpuPct: number;
  userPct: number;
  rss: number;
  ageP50: number;
  ageP99: number;
  ageMax: number;
  skipped: number;
  scans: number;
  requests: number;
  notificationsPerS: number;
}

/** Subscribes `tagsPerDevice` holding registers on each device and measures a steady window. */
async function load(ports: number[], tags: string[], intervalMs: number, seconds: number, onChangeOnly = true, device: Partial<DeviceConfig> = {}): Promise<LoadResult> {
  // BIFROST_BENCH_NODE_ARGS="--cpu-prof" profiles the gateway under load.
  const gw = await spawnGateway({ nodeArgs: process.env['BIFROST_BENCH_NODE_ARGS']?.split(' ').filter(Boolean) ?? [] });
  try {
    await gw.connection.sendRequest('bifrost/config/load', { devices: ports.map((p, i) => tcp(`dev${i}`, p, { pollIntervalMs: intervalMs, ...device })) });
    await waitConnected(gw, ports.length);
    let values = 0;
    let notifications = 0;
    let ages: number[] = [];
    let measuring = false;
    gw.connection.onNotification('bifrost/values', (n: ValuesNotification) => {
      if (!measuring) return;
      notifications++;
      values += n.items.length;
      const now = Date.now();
      // Sample the age of the first and last item of each batch: the oldest and newest it carries.
      ages.push(now - n.items[0]!.timestamp, now - n.items[n.items.length - 1]!.timestamp);
    });
    for (let i = 0; i < ports.length; i++) {
      await gw.connection.sendRequest<SubscribeResult>('bifrost/subscribe', { deviceId: `dev${i}`, tags, intervalMs, onChangeOnly });
    }
    await new Promise((r) => setTimeout(r, 2000)); // warm up
    const pid = gw.child.pid!;
    const before = await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list');
    const cpu0 = cpuSeconds(pid);
    const t0 = Date.now();
    measuring = true;
    values = 0;
    notifications = 0;
    ages = [];
    const rssSamples: number[] = [];
    for (let s = 0; s < seconds; s++) {
      await new Promise((r) => setTimeout(r, 1000));
      rssSamples.push(rssMb(pid));
    }
    measuring = false;
    const elapsed = (Date.now() - t0) / 1000;
    const cpu1 = cpuSeconds(pid);
    const user = cpu1.user - cpu0.user;
    const system = cpu1.system - cpu0.system;
    const after = await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list');
    let skipped = 0;
    let requests = 0;
    for (const d of after.devices) {
      const b = before.devices.find((x) => x.id === d.id)!;
      skipped += d.stats.skippedScans - b.stats.skippedScans;
      requests += d.stats.requests - b.stats.requests;
    }
    const scans = (elapsed * 1000 / intervalMs) * ports.length - skipped;
    return {
      valuesPerS: values / elapsed,
      cpuPct: ((user + system) / elapsed) * 100,
      userPct: (user / elapsed) * 100,
      rss: Math.max(...rssSamples),
      ageP50: median(ages),
      ageP99: pct(ages, 0.99),
      ageMax: Math.max(...ages),
      skipped,
      scans,
      requests,
      notificationsPerS: notifications / elapsed,
    };
  } finally {
    await gw.close();
  }
}

async function bulk(): Promise<void> {
  const devices = 20;
  const tagsPerDevice = 500;
  const sims = await startSimulators(['--bench-devices', String(devices)]);
  try {
    const seconds = quick ? 5 : 15;
    // Every reading is delivered (onChangeOnly off): the load does not depend on when the
    // simulator's registers happen to change relative to the polls.
    const r = await load(sims.ports, Array.from({ length: tagsPerDevice }, (_, i) => `holding:${i}`), 100, seconds, false);
    const optimum = planReads(Array.from({ length: tagsPerDevice }, (_, i) => resolveAddress(`holding:${i}`)), { maxRegisters: 125, maxBits: 2000, maxRegisterGap: 8, maxBitGap: 32 }).length;
    console.log(`\n## ${devices * tagsPerDevice} tags across ${devices} devices at 100 ms (${seconds} s window, every reading delivered)`);
    console.log(`  delivered          ${Math.round(r.valuesPerS)} values/s in ${Math.round(r.notificationsPerS)} notifications/s (target 100000 values/s)`);
    console.log(`  gateway CPU        ${r.cpuPct.toFixed(1)} % of one core (${r.userPct.toFixed(1)} % user) (goal ≤ 12 %)`);
    console.log(`  gateway RSS        ${r.rss.toFixed(1)} MB peak (goal ≤ 100 MB)`);
    console.log(`  value age          p50 ${r.ageP50} ms, p99 ${r.ageP99} ms, max ${r.ageMax} ms`);
    console.log(`  requests per scan  ${(r.requests / r.scans).toFixed(2)} (coalescing optimum ${optimum} for ${tagsPerDevice} contiguous registers)`);
    console.log(`  skipped scans      ${r.skipped}`);
  } finally {
    await sims.stop();
  }
}

async function overload(): Promise<void> {
  // One connection, 1000 tags ten registers apart (too far to share a request): 1000 requests per
  // scan, asked for every 20 ms, several times what one TCP connection carries in that time.
  const sims = await startSimulators([]);
  try {
    const intervalMs = 20;
    const seconds = quick ? 4 : 10;
    const tags = Array.from({ length: 1000 }, (_, i) => `holding:${i * 10}`);
    // maxGap 0: the planner by cost would read these in 80 requests of 125 registers instead.
    // Every value is delivered every scan (onChangeOnly off), so each delivery shows its age.
    const r = await load(sims.ports, tags, intervalMs, seconds, false, { maxGap: 0 });
    console.log(`\n## Overload: 1000 separate requests per scan on one device, every ${intervalMs} ms (${seconds} s window)`);
    console.log(`  completed scans    ${Math.round(r.scans)} of ${Math.round((seconds * 1000) / intervalMs)} (${r.skipped} skipped and counted)`);
    console.log(`  requests           ${Math.round(r.requests / seconds)}/s on the one connection`);
    console.log(`  value age          p50 ${r.ageP50} ms, p99 ${r.ageP99} ms, max ${r.ageMax} ms (bound: 2 intervals = ${2 * intervalMs} ms)`);
    console.log(`  gateway RSS        ${r.rss.toFixed(1)} MB peak (no queue builds up)`);
  } finally {
    await sims.stop();
  }
}

async function scale(): Promise<void> {
  // Many devices share few simulator ports (each device is still a connection of its own), so
  // that the simulator process stays within the open-file limit.
  const sims = await startSimulators(['--bench-devices', '100']);
  const counts = process.env['BIFROST_BENCH_SCALE'] ? process.env['BIFROST_BENCH_SCALE'].split(',').map(Number) : quick ? [1000] : [1000, 10_000];
  const seconds = quick ? 5 : 10;
  const results: ScaleResult[] = [];
  try {
    for (const n of counts) results.push(await scaleRun(n, seconds, { ports: sims.ports, cpuSeconds, rssMb, pct }));
  } finally {
    await sims.stop();
  }
  console.log(`\n## Many devices: 10 tags each at 1 s, one TCP connection per device, gateway with --max-semi-space-size=32 (${seconds} s window, every reading delivered)`);
  console.log('  devices  connected  connect s  CPU %   RSS MB  values/s   age p50/p99/max ms   gap per tag p50/p99/max ms  silent  skipped');
  for (const r of results) {
    console.log(
      `  ${String(r.devices).padStart(7)}  ${String(r.connected).padStart(9)}  ${r.connectS.toFixed(1).padStart(9)}  ${r.cpuPct.toFixed(1).padStart(5)}  ${r.rssMb.toFixed(0).padStart(7)}  ${Math.round(r.valuesPerS).toString().padStart(8)}   ${`${r.ageP50}/${r.ageP99}/${r.ageMax}`.padStart(18)}   ${`${r.gapP50}/${r.gapP99}/${r.gapMax}`.padStart(25)}  ${String(r.silentTags).padStart(6)}  ${String(r.skipped).padStart(7)}`,
    );
  }
  if (results.length === 2) {
    const [a, b] = results as [ScaleResult, ScaleResult];
    console.log(`  growth ×${b.devices / a.devices} devices: CPU ×${(b.cpuPct / a.cpuPct).toFixed(1)}, RSS ×${(b.rssMb / a.rssMb).toFixed(1)} (goal at 10,000: every value within 2 intervals, RSS ≤ 250 MB)`);
  }
}

async function main(): Promise<void> {
  console.log(`# Bifrost benchmarks`);
  console.log(`${new Date().toISOString().slice(0, 10)} · ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length} · ${Math.round(os.totalmem() / 2 ** 30)} GiB · Node ${process.version} · ${os.platform()} ${os.release()}`);
  if (want('codec')) {
    console.log('\n## Codec (decode, in process)');
    for (const r of benchCodec()) console.log(`  ${r.name.padEnd(40)} ${r.nsPerOp.toFixed(1)} ns/value`);
  }
  if (want('startup')) await startup();
  if (want('read')) await singleRead();
  if (want('bulk')) await bulk();
  if (want('overload')) await overload();
  if (want('scale')) await scale();
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
