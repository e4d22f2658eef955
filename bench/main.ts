/**
 * `npm run bench`: measures the gateway against devices running in a separate simulator process,
 * and prints medians and ratios (never pass/fail on time: these numbers belong in
 * docs/benchmarks.md with the machine and the date).
 *
 *   node dist/bench.js [--quick] [--only NAME[,NAME]]
 *   names: codec, startup, read, bulk (with Node-RED side by side), overload, capacity, scale, discovery,
 *          opcua (with a bare node-opcua client side by side), rtu (with pymodbus side by side), ws,
 *          mqtt (Sparkplug B to Mosquitto, with Node-RED side by side; store and forward),
 *          memory (MQTT and WebSocket together for 10 minutes, 1 with --quick)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ModbusRTU from 'modbus-serial';
import { spawnGateway, type GatewayProcess } from '../tools/gatewayClient';
import { validateConfig } from '../gateway/config';
import { builtinDrivers } from '../gateway/drivers';
import { LinkPool } from '../gateway/core/links';
import { DeviceStatsCollector } from '../gateway/core/stats';
import { log } from '../gateway/log';
import { CertificateStore } from '../gateway/pki/store';
import { tcpBus } from '../gateway/modbus/buses';
import { ModbusDevice } from '../gateway/modbus/device';
import type { ModbusTcpSettings } from '../gateway/modbus/settings';
import { planReads } from '../gateway/modbus/planner';
import { resolveAddress } from '../gateway/modbus/address';
import { encodeValue } from '../gateway/modbus/codec';
import type { DeviceListResult, ModbusTcpDeviceConfig, SubscribeResult, TagsReadResult, ValuesNotification } from '../gateway/protocol';
import { benchCodec, CODEC_PASSES, CODEC_REGISTERS } from './codec';
import { searchCapacity } from './capacity';
import { CONTRIB_MODBUS_VERSION, ensureNodeRed, NODE_RED_VERSION, runNodeRed } from './nodeRed';
import { cpuSeconds, freePort, largest, median, MsHistogram, pct, rssMb, watchProcess } from './stats';
import { scaleRun, type ScaleResult } from './scale';
import { opcuaSection } from './opcua';
import { discoverySection } from './discovery';
import { rtuSection } from './rtu';
import { websocketSection } from './websocket';
import { startSimulators } from './simulators';
import { mqttSection } from './mqtt';
import { edgeMemorySection } from './edgeMemory';

const quick = process.argv.includes('--quick');
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? new Set((process.argv[onlyArg + 1] ?? '').split(',')) : null;
const want = (name: string) => !only || only.has(name);

const us = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;

function tcp(id: string, port: number, extra: Partial<ModbusTcpDeviceConfig> = {}): ModbusTcpDeviceConfig {
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

/** Sequential reads of one kind, timed one by one: returns every duration in ms. */
async function timeEach(n: number, readOnce: (i: number) => Promise<unknown>): Promise<number[]> {
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await readOnce(i);
    t.push(performance.now() - t0);
  }
  return t;
}

/** A uint64 beyond 2^53: it travels as a decimal string, every digit kept. */
const BIG = '12345678901234567890';
const BIG_AT = 100;

function expectValue(r: { value: unknown; quality: string; error?: string } | undefined, want: unknown, what: string): void {
  if (!r || r.quality !== 'good' || r.value !== want) throw new Error(`${what}: expected ${JSON.stringify(want)}, got ${JSON.stringify(r)}`);
}

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
    const big = encodeValue(resolveAddress(`holding:${BIG_AT}:uint64`), BIG);
    if (big.kind !== 'registers') throw new Error('uint64 does not encode to registers');
    await bare.writeRegisters(BIG_AT, big.registers);
    const { devices } = validateConfig({ devices: [tcp('bench', port)] }, 'config', builtinDrivers());
    let connected = false;
    const settings = devices[0]!;
    const own = settings.driver as ModbusTcpSettings;
    const device = new ModbusDevice(settings, own, {
      onStatus: (status) => (connected = status === 'connected'),
      onInfoChanged: () => undefined,
      links: new LinkPool(),
      log,
      // A Modbus device never asks the store: nothing is written there.
      pki: new CertificateStore(path.join(os.tmpdir(), 'bifrost-bench-pki'), log, () => undefined).forDevice('bench'),
      stats: new DeviceStatsCollector(),
    }, tcpBus(settings.id, own));
    device.start();
    while (!connected) await new Promise((r) => setTimeout(r, 10));
    const gw = await spawnGateway();
    await gw.connection.sendRequest('bifrost/config/load', { devices: [tcp('bench', port)] });
    await waitConnected(gw, 1);
    const rpcRead = (tag: string) => gw.connection.sendRequest<TagsReadResult>('bifrost/tags/read', { deviceId: 'bench', tags: [tag] });
    // Both caches of parsed addresses (driver and gateway) hold 10,000: fresh strings of
    // registers 0-59,999, never repeated within a run, always miss them.
    let fresh = 0;
    const freshTag = () => `holding:${fresh++ % 60_000}`;
    const bigTag = `holding:${BIG_AT}:uint64`;

    // Correct before fast: each path reads what was written.
    expectValue((await device.read([bigTag]))[0], BIG, 'driver uint64');
    expectValue((await rpcRead(bigTag)).results[0], BIG, 'JSON-RPC uint64');
    expectValue((await device.read([freshTag()]))[0], 0, 'driver fresh address');

    const kinds = {
      bare: () => bare.readHoldingRegisters(0, 1),
      driver: () => device.read(['holding:0']),
      rpc: () => rpcRead('holding:0'),
      driverFresh: () => device.read([freshTag()]),
      rpcFresh: () => rpcRead(freshTag()),
      bare64: () => bare.readHoldingRegisters(BIG_AT, 4),
      driver64: () => device.read([bigTag]),
      rpc64: () => rpcRead(bigTag),
    };
    type Kind = keyof typeof kinds;
    const times = Object.fromEntries(Object.keys(kinds).map((k) => [k, [] as number[]])) as Record<Kind, number[]>;
    // Warm-up (JIT, socket buffers), then interleaved rounds against the same server, so that
    // drift on a noisy machine hits every kind alike.
    for (const read of Object.values(kinds)) await timeEach(500, read);
    for (let r = 0; r < rounds; r++) {
      for (const [k, read] of Object.entries(kinds) as [Kind, () => Promise<unknown>][]) times[k].push(...(await timeEach(n, read)));
    }
    expectValue((await rpcRead(bigTag)).results[0], BIG, 'JSON-RPC uint64 after the run');
    const p50 = (k: Kind) => median(times[k]);
    const line = (label: string, k: Kind, extra = '') => console.log(`  ${label.padEnd(44)} p50 ${us(p50(k)).padStart(7)}  p99 ${us(pct(times[k], 0.99)).padStart(7)}${extra}`);
    const ratio = (k: Kind, to: Kind) => `  ${(p50(k) / p50(to)).toFixed(2)}× bare`;
    console.log(`\n## Single-register read (${rounds} interleaved rounds × ${n} sequential FC3 reads of each kind, same simulator process; p50/p99 of all ${rounds * n})`);
    line('bare modbus-serial loop', 'bare');
    line('through the driver', 'driver', `${ratio('driver', 'bare')} (goal ≤ 1.2×)`);
    line('through JSON-RPC (stdio)', 'rpc', '  (goal p50 ≤ 400 µs)');
    line('driver, a new address string each read', 'driverFresh', `${ratio('driverFresh', 'bare')}, parsing +${us(p50('driverFresh') - p50('driver'))}`);
    line('JSON-RPC, a new address string each read', 'rpcFresh', `  parsing +${us(p50('rpcFresh') - p50('rpc'))}`);
    console.log(`  uint64 ${BIG} (beyond 2^53, travels as a string), 4 registers:`);
    line('  bare modbus-serial loop (raw registers)', 'bare64');
    line('  through the driver', 'driver64', ratio('driver64', 'bare64'));
    line('  through JSON-RPC (stdio)', 'rpc64');
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
  const opcua = await opcuaBundleAtStartup();
  console.log(`  OPC UA bundle                ${opcua}`);
}

/**
 * Whether a gateway without OPC UA devices loads the OPC UA bundle (node-opcua): it logs at debug
 * when it does. The same gateway then gets an OPC UA device (on a port nothing listens on), and
 * the line must appear: the check can tell.
 */
async function opcuaBundleAtStartup(): Promise<string> {
  const LOADED = /OPC UA driver loaded in (\d+) ms/;
  const pki = mkdtempSync(path.join(os.tmpdir(), 'bifrost-bench-pki-'));
  const gw = await spawnGateway({ args: ['--log-level', 'debug', '--pki', pki] });
  try {
    await gw.connection.sendRequest('bifrost/devices/list');
    await new Promise((r) => setTimeout(r, 500));
    if (LOADED.test(gw.stderr())) return 'LOADED at start-up without an OPC UA device: see the gateway log';
    const port = await freePort();
    await gw.connection.sendRequest('bifrost/config/load', { devices: [{ id: 'absent', protocol: 'opcua', endpointUrl: `opc.tcp://127.0.0.1:${port}`, securityMode: 'None', securityPolicy: 'None' }] });
    for (let i = 0; i < 200 && !LOADED.test(gw.stderr()); i++) await new Promise((r) => setTimeout(r, 50));
    const m = LOADED.exec(gw.stderr());
    return m ? `not loaded at start-up (no "OPC UA driver loaded" in the debug log); loaded at the first OPC UA device, in ${m[1]} ms` : 'the check is blind: no "OPC UA driver loaded" line even with an OPC UA device';
  } finally {
    await gw.close();
    rmSync(pki, { recursive: true, force: true });
  }
}

interface LoadResult {
  valuesPerS: number;
  cpuPct: number;
  userPct: number;
  simulatorCpuPct: number;
  rss: number;
  ageP50: number;
  ageP99: number;
  ageMax: number;
  /** Time between two fresh readings of one tag (their timestamps), over every tag. */
  freshness: MsHistogram;
  /** Tags that got no good reading in the window. */
  silentTags: number;
  skipped: number;
  /** Requests that failed or timed out in the window. */
  failed: number;
  scans: number;
  requests: number;
  requestsPerS: number;
  notificationsPerS: number;
  /** Round trip of one request on the wire, median over the devices' own statistics. */
  requestP50Ms: number;
}

interface LoadOptions {
  onChangeOnly?: boolean;
  device?: Partial<ModbusTcpDeviceConfig>;
  warmUpMs?: number;
  /** The simulator process, whose CPU over the same window shows whether the devices kept up. */
  simulatorPid?: number;
}

/** Subscribes `tags` on every device and measures a steady window. */
async function load(ports: number[], tags: string[], intervalMs: number, seconds: number, opts: LoadOptions = {}): Promise<LoadResult> {
  // BIFROST_BENCH_NODE_ARGS="--cpu-prof" profiles the gateway under load.
  const gw = await spawnGateway({ nodeArgs: process.env['BIFROST_BENCH_NODE_ARGS']?.split(' ').filter(Boolean) ?? [] });
  try {
    await gw.connection.sendRequest('bifrost/config/load', { devices: ports.map((p, i) => tcp(`dev${i}`, p, { pollIntervalMs: intervalMs, ...opts.device })) });
    await waitConnected(gw, ports.length);
    let values = 0;
    let notifications = 0;
    let ages: number[] = [];
    let measuring = false;
    const lastRead = new Map<string, number>();
    let freshness = new MsHistogram();
    gw.connection.onNotification('bifrost/values', (n: ValuesNotification) => {
      if (!measuring) return;
      notifications++;
      values += n.items.length;
      const now = Date.now();
      // Sample the age of the first and last item of each batch: the oldest and newest it carries.
      ages.push(now - n.items[0]!.timestamp, now - n.items[n.items.length - 1]!.timestamp);
      for (const r of n.items) {
        const key = `${n.subscriptionId}\u0000${r.tag}`;
        // A fresh reading: a good value taken after the one before it (a failed read is news, not a value).
        if (r.quality !== 'good') continue;
        const before = lastRead.get(key);
        if (before !== undefined && r.timestamp > before) freshness.add(r.timestamp - before);
        if (before === undefined || r.timestamp > before) lastRead.set(key, r.timestamp);
      }
    });
    for (let i = 0; i < ports.length; i++) {
      await gw.connection.sendRequest<SubscribeResult>('bifrost/subscribe', { deviceId: `dev${i}`, tags, intervalMs, onChangeOnly: opts.onChangeOnly ?? true });
    }
    await new Promise((r) => setTimeout(r, opts.warmUpMs ?? 2000));
    const pid = gw.child.pid!;
    const before = await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list');
    measuring = true;
    values = 0;
    notifications = 0;
    ages = [];
    lastRead.clear();
    freshness = new MsHistogram();
    const [proc, sim] = await Promise.all([watchProcess(pid, seconds), opts.simulatorPid ? watchProcess(opts.simulatorPid, seconds) : undefined]);
    measuring = false;
    const after = await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list');
    let skipped = 0;
    let requests = 0;
    let failed = 0;
    for (const d of after.devices) {
      const b = before.devices.find((x) => x.id === d.id)!;
      skipped += d.stats.skippedScans - b.stats.skippedScans;
      requests += d.stats.requests - b.stats.requests;
      failed += d.stats.errors - b.stats.errors + d.stats.timeouts - b.stats.timeouts;
    }
    const scans = ((proc.elapsed * 1000) / intervalMs) * ports.length - skipped;
    return {
      valuesPerS: values / proc.elapsed,
      cpuPct: proc.cpuPct,
      userPct: proc.userPct,
      simulatorCpuPct: sim?.cpuPct ?? NaN,
      rss: proc.rssPeak,
      ageP50: median(ages),
      ageP99: pct(ages, 0.99),
      ageMax: largest(ages),
      freshness,
      silentTags: ports.length * tags.length - lastRead.size,
      skipped,
      failed,
      scans,
      requests,
      requestsPerS: requests / proc.elapsed,
      notificationsPerS: notifications / proc.elapsed,
      requestP50Ms: median(after.devices.map((d) => d.stats.latencyP50Ms ?? NaN).filter((x) => !Number.isNaN(x))),
    };
  } finally {
    await gw.close();
  }
}

const freshnessText = (h: MsHistogram, intervalMs: number) =>
  `p50 ${h.pct(0.5)} ms, p99 ${h.pct(0.99)} ms, max ${h.max} ms = ${(h.pct(0.5) / intervalMs).toFixed(1)} / ${(h.pct(0.99) / intervalMs).toFixed(1)} / ${(h.max / intervalMs).toFixed(1)} intervals`;

async function bulk(): Promise<void> {
  const devices = 20;
  const tagsPerDevice = 500;
  const intervalMs = 100;
  const sims = await startSimulators(['--bench-devices', String(devices)]);
  try {
    const seconds = quick ? 5 : 15;
    // Every reading is delivered (onChangeOnly off): the load does not depend on when the
    // simulator's registers happen to change relative to the polls.
    const r = await load(sims.ports, Array.from({ length: tagsPerDevice }, (_, i) => `holding:${i}`), intervalMs, seconds, { onChangeOnly: false, simulatorPid: sims.child.pid });
    const limits = { maxRegisters: 125, maxBits: 2000, maxRegisterGap: 8, maxBitGap: 32 };
    const optimum = planReads(Array.from({ length: tagsPerDevice }, (_, i) => resolveAddress(`holding:${i}`)), limits).length;
    console.log(`\n## ${devices * tagsPerDevice} tags across ${devices} devices at ${intervalMs} ms (${seconds} s window, every reading delivered)`);
    console.log(`  delivered          ${Math.round(r.valuesPerS)} values/s in ${Math.round(r.notificationsPerS)} notifications/s (target 100000 values/s)`);
    console.log(`  gateway CPU        ${r.cpuPct.toFixed(1)} % of one core (${r.userPct.toFixed(1)} % user) (goal ≤ 10 %); the simulator process ${r.simulatorCpuPct.toFixed(1)} %`);
    console.log(`  gateway RSS        ${r.rss.toFixed(1)} MB peak (goal ≤ 75 MB)`);
    console.log(`  value age          p50 ${r.ageP50} ms, p99 ${r.ageP99} ms, max ${r.ageMax} ms (reading taken → client has it)`);
    console.log(`  fresh reading      every ${freshnessText(r.freshness, intervalMs)} per tag`);
    console.log(`  requests per scan  ${(r.requests / r.scans).toFixed(2)} (coalescing optimum ${optimum} for ${tagsPerDevice} contiguous registers)`);
    console.log(`  skipped scans      ${r.skipped}; failed requests ${r.failed}; tags without a good reading ${r.silentTags}`);

    // The peer: the same registers of the same simulators at the same rate, in the same run.
    console.log(`\n## Side by side: Node-RED ${NODE_RED_VERSION} + node-red-contrib-modbus ${CONTRIB_MODBUS_VERSION}, same simulators, same registers, same rate (${seconds} s window)`);
    const installed = await ensureNodeRed();
    if ('skipped' in installed) {
      console.log(`  skipped: Node-RED is not installed (${installed.skipped})`);
      return;
    }
    const blocks = optimum;
    const peer = await runNodeRed(installed.redJs, sims.ports, { blocksPerDevice: blocks, registersPerBlock: tagsPerDevice / blocks, intervalMs, seconds, simulatorPid: sims.child.pid });
    if ('skipped' in peer) {
      console.log(`  skipped: Node-RED did not read (${peer.skipped})`);
      return;
    }
    const row = (what: string, ours: string, theirs: string, ratio = '') => console.log(`  ${what.padEnd(26)} ${ours.padStart(18)} ${theirs.padStart(18)} ${ratio}`);
    row('', 'Bifrost gateway', 'Node-RED', 'Node-RED / Bifrost');
    row('values/s', `${Math.round(r.valuesPerS)}`, `${Math.round(peer.valuesPerS)}`);
    row('read requests/s', `${Math.round(r.requestsPerS)}`, `${Math.round(peer.readsPerS)}`);
    row('CPU % of one core', r.cpuPct.toFixed(1), peer.cpuPct.toFixed(1), `${(peer.cpuPct / r.cpuPct).toFixed(1)}×`);
    row('simulator CPU % (devices)', r.simulatorCpuPct.toFixed(1), peer.simulatorCpuPct.toFixed(1));
    row('RSS MB peak', r.rss.toFixed(0), peer.rssPeak.toFixed(0), `${(peer.rssPeak / r.rss).toFixed(1)}×`);
    row('fresh reading p50/p99/max', `${r.freshness.pct(0.5)}/${r.freshness.pct(0.99)}/${r.freshness.max} ms`, `${peer.freshness.pct(0.5)}/${peer.freshness.pct(0.99)}/${peer.freshness.max} ms`);
    console.log(`  Node-RED: ${blocks} modbus-read nodes of ${tagsPerDevice / blocks} registers per device (${peer.blocksSeen} of ${peer.blocks} read in the window), counting values inside Node-RED;`);
    console.log(`  the gateway also sends every value to a client process over JSON-RPC.`);
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
    const r = await load(sims.ports, tags, intervalMs, seconds, { onChangeOnly: false, device: { maxGap: 0 }, simulatorPid: sims.child.pid });
    console.log(`\n## Overload: 1000 separate requests per scan on one device, every ${intervalMs} ms (${seconds} s window)`);
    console.log(`  completed scans    ${Math.round(r.scans)} of ${Math.round((seconds * 1000) / intervalMs)} (${r.skipped} skipped and counted)`);
    console.log(`  requests           ${Math.round(r.requestsPerS)}/s on the one connection, round trip p50 ${us(r.requestP50Ms)}; gateway CPU ${r.cpuPct.toFixed(0)} %, simulator ${r.simulatorCpuPct.toFixed(0)} % of one core`);
    console.log(`  value age          p50 ${r.ageP50} ms, p99 ${r.ageP99} ms, max ${r.ageMax} ms: reading taken → client has it (bound: 2 intervals = ${2 * intervalMs} ms)`);
    console.log(`  fresh reading      every ${freshnessText(r.freshness, intervalMs)} per tag: what a user sees`);
    console.log(`  failed requests    ${r.failed}`);
    console.log(`  gateway RSS        ${r.rss.toFixed(1)} MB peak (no queue builds up)`);
  } finally {
    await sims.stop();
  }
}

/**
 * The highest request rate with zero skipped scans: separate requests (tags ten registers apart,
 * `maxGap: 0`) every 100 ms, more of them per scan until scans are skipped.
 */
async function capacitySection(): Promise<void> {
  const intervalMs = 100;
  const seconds = quick ? 1 : 2;
  const sims = await startSimulators(['--bench-devices', '4']);
  try {
    const run = async (label: string, ports: number[]) => {
      const search = await searchCapacity(
        async (perScan) => {
          const tags = Array.from({ length: perScan }, (_, i) => `holding:${i * 10}`);
          // A second attempt when the first skips: on a shared machine a process can lose the CPU
          // for longer than an interval at any load.
          let r = await load(ports, tags, intervalMs, seconds, { onChangeOnly: false, device: { maxGap: 0 }, warmUpMs: 1000, simulatorPid: sims.child.pid });
          if (r.skipped > 0 || r.silentTags > 0 || r.failed > 0) r = await load(ports, tags, intervalMs, seconds, { onChangeOnly: false, device: { maxGap: 0 }, warmUpMs: 1000, simulatorPid: sims.child.pid });
          return { passed: r.skipped === 0 && r.silentTags === 0 && r.failed === 0, result: r };
        },
        // Registers 0-65,535 ten apart: at most 6,553 tags a device.
        { start: 50, ceiling: 6500, precision: 0.05 },
      );
      const trail = search.trail.map((p) => `${(p.load * ports.length * 1000) / intervalMs}${p.passed ? '✓' : `✗${p.result.skipped}`}`).join(' ');
      const b = search.best;
      console.log(`  ${label}`);
      if (!b) {
        console.log(`    no load passed (trail, requests/s offered: ${trail})`);
        return;
      }
      const f = search.firstFailure;
      console.log(`    capacity           ${Math.round(b.result.requestsPerS)} requests/s delivered with no scan skipped (${b.load} requests per scan per device, ${seconds} s window)${f ? `; ${(f.load * ports.length * 1000) / intervalMs}/s offered skipped ${f.result.skipped} scans` : ' (the ceiling of the search)'}`);
      console.log(`    at capacity        gateway CPU ${b.result.cpuPct.toFixed(0)} % of one core (simulator ${b.result.simulatorCpuPct.toFixed(0)} %), round trip p50 ${us(b.result.requestP50Ms)}, value age p50/p99 ${b.result.ageP50}/${b.result.ageP99} ms, fresh reading p99 ${b.result.freshness.pct(0.99)} ms`);
      console.log(`    trail              requests/s offered, ✓ passed, ✗N skipped N scans (in the second of two tries): ${trail}`);
    };
    console.log(`\n## Capacity: highest rate of separate requests with no skipped scan (every ${intervalMs} ms; doubling, then bisecting to 5 %)`);
    await run('one connection (one device)', sims.ports.slice(0, 1));
    await run(`the gateway, ${sims.ports.length} connections (${sims.ports.length} devices)`, sims.ports);
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
  console.log(`\n## Many devices: 10 tags each at 1 s, one TCP connection per device, gateway with --max-semi-space-size=16 (${seconds} s window, every reading delivered)`);
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
  const started = Date.now();
  console.log(`# Bifrost benchmarks`);
  console.log(`${new Date().toISOString().slice(0, 10)} · ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length} · ${Math.round(os.totalmem() / 2 ** 30)} GiB · Node ${process.version} · ${os.platform()} ${os.release()} · load average ${loadText()}`);
  if (want('codec')) {
    console.log(`\n## Codec (decode, in process; best of ${CODEC_PASSES} passes over ${CODEC_REGISTERS / 2 ** 20} Mi registers)`);
    for (const r of benchCodec()) console.log(`  ${r.name.padEnd(40)} ${r.nsPerOp.toFixed(1)} ns/value`);
  }
  if (want('startup')) await startup();
  if (want('read')) await singleRead();
  if (want('bulk')) await bulk();
  if (want('overload')) await overload();
  if (want('capacity')) await capacitySection();
  if (want('scale')) await scale();
  if (want('opcua')) await opcuaSection(quick);
  if (want('discovery')) await discoverySection();
  if (want('rtu')) await rtuSection(quick);
  if (want('ws')) await websocketSection(quick);
  if (want('mqtt')) await mqttSection(quick);
  if (want('memory')) await edgeMemorySection(quick);
  console.log(`\nload average ${loadText()} at the end, after ${((Date.now() - started) / 60_000).toFixed(1)} min`);
}

/** The machine's 1-minute load average against its cores: other work on a shared machine shows here. */
const loadText = () => `${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores`;

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
