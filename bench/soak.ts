/**
 * `npm run soak`: the gateway under a whole plant's load for a long run, sampled every 10 s, with a
 * pass/fail verdict (the exit code) on memory, handles and the age of delivered values.
 *
 *   node dist/soak.js [--minutes N] [--update-docs] [--profile DIR]   (default 10 minutes; 120 for the long one)
 *
 * --profile DIR: the gateway runs with --cpu-prof and writes its CPU profile into DIR when it ends.
 *
 * Load, all of it for the whole run, every peer in a process of its own on 127.0.0.1:
 *   - 20 Modbus TCP devices × 500 changing holding registers polled every 100 ms (our simulator:
 *     19 devices in one process, the 20th alone in a second process),
 *   - that 20th device powered off every minute (its process stopped, its sockets gone) and on
 *     again 5 s later on the same port,
 *   - a node-opcua server with 5,000 variables changing every 250 ms, all monitored on one
 *     session and published every 250 ms,
 *   - every value published as Sparkplug B to Mosquitto, store and forward on,
 *   - a WebSocket client that connects, subscribes to a device for 10 s and leaves, every 30 s.
 * A subscriber on the gateway's stdio JSON-RPC connection (this process) takes every Modbus
 * reading and every OPC UA change, and ages each good one on arrival: now − the reading's
 * timestamp (Modbus: when the gateway had the answer; OPC UA: the server's source timestamp).
 *
 * Writes test-results/soak/soak.json (the samples) and soak.svg; with --update-docs also
 * docs/images/soak.svg and the "## Soak" section of docs/reliability.md.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import type { DeviceStatusNotification, SubscribeResult, ValuesNotification } from '../gateway/protocol';
import { hasMosquitto, Mosquitto } from '../test/integration/mosquitto';
import { benchDevices, waitUntil } from './mqtt';
import { startServer, type BenchOpcUaServer } from './opcua';
import { soakChart } from './soakChart';
import { startSimulators, type Simulators } from './simulators';
import { cpuSeconds, freePort, median, MsHistogram, rssMb } from './stats';
import { listeningGateway, wsClient } from './websocket';

const MODBUS_DEVICES = 20;
const MODBUS_TAGS = 500;
const MODBUS_MS = 100;
const OPCUA_ITEMS = 5000;
const OPCUA_MS = 250;
const SAMPLE_MS = 10_000;
const RESTART_EVERY_MS = 60_000;
const OUTAGE_MS = 5000;
const CHURN_EVERY_MS = 30_000;
const CHURN_STAY_MS = 10_000;
const GROUP = 'soak';
const NODE = 'gw';
/** The device whose simulator is stopped and started again. */
const RESTARTED = `dev${MODBUS_DEVICES - 1}`;
/** The verdict's limits. */
const GROWTH_LIMIT_PCT = 5;
const MODBUS_AGE_LIMIT_MS = 2 * MODBUS_MS;
/**
 * The Node options the README gives a gateway that receives tens of thousands of OPC UA values a
 * second, as this one does (on top of GATEWAY_NODE_OPTIONS, whose 4 MB semi-spaces they replace):
 * a publish response of 5,000 values is decoded whole and would not fit the smaller young generation.
 */
const GATEWAY_AT_SCALE = ['--max-semi-space-size=16'];
/** The soak starts once the machine's CPU is less busy than this, or after QUIET_WAIT_MS. */
const QUIET_BUSY = 0.15;
const QUIET_WAIT_MS = 120_000;
const OPCUA_AGE_LIMIT_MS = 2 * OPCUA_MS;

export interface SoakSample {
  /** Seconds since the measured run began. */
  t: number;
  rssMb: number;
  heapUsedMb: number;
  activeHandles: number;
  activeResources: number;
  openFds: number;
  opcuaSessions: number;
  /** Good readings aged in this sample, and their age (ms): max and median. */
  modbus: { values: number; maxAgeMs: number; medianAgeMs: number };
  opcua: { values: number; maxAgeMs: number; medianAgeMs: number };
  /** Bad readings: of the restarted device within its outage, and any other. */
  badInOutage: number;
  badElsewhere: number;
  /** Sparkplug messages (DDATA) and their bytes that reached an MQTT subscriber at the broker. */
  mqttMessages: number;
  mqttKb: number;
  /** Longest time since the last good reading of any Modbus device but the restarted one (ms). */
  longestSilenceMs: number;
  wsClientsConnected: number;
  /** Polls that could not start because the previous one had not finished, over every device (a counter). */
  skippedScans: number;
  /** The longest event loop delay over the sample: the gateway's (its /metrics) and this subscriber's (ms). */
  gatewayLoopDelayMaxMs: number;
  subscriberLoopDelayMaxMs: number;
  /** The gateway's time in garbage collection over the sample (ms), and its collections that took 100 ms or more (a counter). */
  gatewayGcMs: number;
  gatewayLongGcs: number;
}

interface Outage {
  /** Seconds since the run began. */
  stoppedAt: number;
  startedAt?: number;
  /** First good reading of the device after it was started again. */
  freshAt?: number;
}

const { values: args } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, 'update-docs': { type: 'boolean', default: false }, profile: { type: 'string' } } });
const minutes = Number(args.minutes);
if (!(minutes > 0)) {
  process.stderr.write('--minutes needs a number of minutes above 0\n');
  process.exit(2);
}
const root = path.resolve(__dirname, '..');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One value of a Prometheus text exposition, a series without labels. */
function metric(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

/** The sum of a series over every label set, or over those holding the label `having` (`le="0.1"`). */
function metricSum(text: string, name: string, having = ''): number {
  const labels = having ? `[^}]*${having.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[^}]*` : '[^}]*';
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}\\{${labels}\\} (\\S+)$`, 'gm'))) sum += Number(m[1]);
  return sum;
}

/** The floors (lowest samples) of the first and last thirds of the last 80 % of the run. */
function growth(samples: readonly SoakSample[], pick: (s: SoakSample) => number): { first: number; last: number; pct: number; peak: number } {
  const steady = samples.slice(Math.floor(samples.length * 0.2));
  const third = Math.max(1, Math.floor(steady.length / 3));
  const first = Math.min(...steady.slice(0, third).map(pick));
  const last = Math.min(...steady.slice(-third).map(pick));
  return { first, last, pct: ((last - first) / first) * 100, peak: Math.max(...steady.map(pick)) };
}

/** The machine's CPU time so far, busy and in all, from /proc/stat (in clock ticks). */
function cpuTicks(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  // idle and iowait are the 4th and 5th.
  return { busy: total - fields[3]! - fields[4]!, total };
}

/**
 * Waits (up to QUIET_WAIT_MS) until the machine has been nearly idle for a few seconds: started
 * while the processes of whatever ran before still wind down, the soak would measure them.
 * Returns how busy the machine was in the last window (0-1).
 */
async function quietMachine(): Promise<number> {
  const deadline = Date.now() + QUIET_WAIT_MS;
  for (;;) {
    const a = cpuTicks();
    await sleep(3000);
    const b = cpuTicks();
    const busy = (b.busy - a.busy) / Math.max(1, b.total - a.total);
    if (busy < QUIET_BUSY || Date.now() > deadline) return busy;
    console.log(`  waiting for a quiet machine: ${(busy * 100).toFixed(0)} % of its CPU busy over the last 3 s`);
  }
}

async function main(): Promise<number> {
  if (!hasMosquitto) {
    process.stderr.write('the soak needs Mosquitto (apt-get install mosquitto)\n');
    return 2;
  }
  const busyBefore = process.platform === 'linux' ? await quietMachine() : NaN;
  if (!Number.isNaN(busyBefore)) console.log(`  the machine before the soak: ${(busyBefore * 100).toFixed(0)} % of its CPU busy`);
  const loadBefore = os.loadavg();
  const startedIso = new Date().toISOString();
  const cleanups: (() => Promise<unknown>)[] = [];
  const clients: { close(): void }[] = [];
  try {
    // Peers first, each in its own process.
    const sims = await startSimulators(['--bench-devices', String(MODBUS_DEVICES - 1)]);
    cleanups.push(() => sims.stop());
    const restartPort = await freePort();
    const startRestarted = () => startSimulators(['--bench-devices', '1', '--port', String(restartPort)]);
    let restarted: Simulators | undefined = await startRestarted();
    cleanups.push(async () => restarted?.stop());
    const server: BenchOpcUaServer = await startServer({ changing: OPCUA_ITEMS, browse: 0, changeMs: OPCUA_MS, maxPerCall: 1000 });
    cleanups.push(() => server.stop());
    const broker = await Mosquitto.start({ persistent: true });
    cleanups.push(() => broker.dispose());
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-soak-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));

    // An MQTT subscriber that counts what arrives without decoding it (this process must keep up).
    let births = 0;
    let mqttMessages = 0;
    let mqttBytes = 0;
    const sub: MqttClient = await mqtt.connectAsync(broker.url, { clientId: 'bifrost-soak-subscriber', reconnectPeriod: 100 });
    cleanups.push(() => sub.endAsync(true));
    sub.on('message', (topic, payload) => {
      if (topic.includes('/DBIRTH/')) births++;
      else if (topic.includes('/DDATA/')) {
        mqttMessages++;
        mqttBytes += payload.length;
      }
    });
    await sub.subscribeAsync(`spBv1.0/${GROUP}/#`, { qos: 0 });

    const profileArgs = args.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(args.profile)}`] : [];
    const listening = await listeningGateway(['--data-dir', path.join(dataDir, 'data'), '--pki', path.join(dataDir, 'pki')], [...GATEWAY_AT_SCALE, ...profileArgs]);
    cleanups.unshift(() => listening.dispose());
    const { gw, url, token } = listening;
    const modbus = benchDevices([...sims.ports, restartPort], MODBUS_TAGS) as { id: string; tags: { name: string }[] }[];
    const opcuaTags = Array.from({ length: OPCUA_ITEMS }, (_, i) => ({ name: `c${i}`, nodeId: `ns=1;s=C.${i}`, samplingIntervalMs: 0, queueSize: 1 }));
    const opcua = { id: 'opcua', protocol: 'opcua', endpointUrl: server.endpointUrl, securityMode: 'None', securityPolicy: 'None', timeoutMs: 10_000, publishingIntervalMs: OPCUA_MS, samplingIntervalMs: 0, tags: opcuaTags };
    let opcuaStatus = '';
    gw.connection.onNotification('bifrost/deviceStatus', (p: DeviceStatusNotification) => {
      if (p.id === 'opcua') opcuaStatus = p.status;
    });
    const loaded = await gw.connection.sendRequest<{ problems: unknown[] }>('bifrost/config/load', {
      devices: [...modbus, opcua],
      publish: [{ type: 'sparkplug', broker: broker.url, groupId: GROUP, edgeNodeId: NODE, storeAndForward: { maxBytes: 1024 ** 3 } }],
    });
    if (loaded.problems.length) throw new Error(`the soak's configuration has problems: ${JSON.stringify(loaded.problems)}`);
    await waitUntil('the OPC UA device to connect', () => opcuaStatus === 'connected', 60_000);

    // The subscriber: every reading of every device, aged on arrival.
    const deviceOf = new Map<string, string>();
    let t0 = 0;
    const now = () => (Date.now() - t0) / 1000;
    let modbusAges = new MsHistogram();
    let opcuaAges = new MsHistogram();
    let badInOutage = 0;
    let badElsewhere = 0;
    const lastGood = new Map<string, number>();
    const outages: Outage[] = [];
    let outage: Outage | undefined;
    const seenOpcua = new Set<string>();
    gw.connection.onNotification('bifrost/values', (p: ValuesNotification) => {
      const at = Date.now();
      const device = deviceOf.get(p.subscriptionId);
      if (device === undefined) return;
      const isOpcua = device === 'opcua';
      let good = 0;
      for (const r of p.items) {
        if (r.quality !== 'good') {
          if (device === RESTARTED && outage && outage.freshAt === undefined) badInOutage++;
          else badElsewhere++;
          continue;
        }
        good++;
        if (isOpcua) {
          opcuaAges.add(at - (r.sourceTimestamp ?? r.timestamp));
          if (seenOpcua.size < OPCUA_ITEMS) seenOpcua.add(r.tag);
        } else modbusAges.add(at - r.timestamp);
      }
      if (good > 0) {
        lastGood.set(device, at);
        if (device === RESTARTED && outage?.startedAt !== undefined && outage.freshAt === undefined) outage.freshAt = (at - t0) / 1000;
      }
    });
    for (const d of modbus) {
      const s = await gw.connection.sendRequest<SubscribeResult>('bifrost/subscribe', { deviceId: d.id, tags: d.tags.map((t) => t.name), intervalMs: MODBUS_MS, onChangeOnly: false });
      deviceOf.set(s.subscriptionId, d.id);
    }
    const s = await gw.connection.sendRequest<SubscribeResult>('bifrost/subscribe', { deviceId: 'opcua', tags: opcuaTags.map((t) => t.name), intervalMs: OPCUA_MS, onChangeOnly: true });
    deviceOf.set(s.subscriptionId, 'opcua');
    await waitUntil('a first value of every OPC UA item', () => seenOpcua.size === OPCUA_ITEMS, 120_000);
    await waitUntil('the births of every device', () => births >= MODBUS_DEVICES + 1, 60_000);
    await sleep(10_000); // settle: the first polls, the tags' descriptions, the births are behind

    const metricsUrl = url.replace(/^ws/, 'http').replace(/\/rpc$/, '/metrics');
    const samples: SoakSample[] = [];
    let wsConnected = 0;
    let wsSessions = 0;
    let wsSessionsWithValues = 0;
    const wsErrors: string[] = [];
    let running = true;

    console.log(`Soak: ${minutes} min, sampling every ${SAMPLE_MS / 1000} s (gateway pid ${gw.child.pid})`);
    t0 = Date.now();
    modbusAges = new MsHistogram();
    opcuaAges = new MsHistogram();
    badInOutage = badElsewhere = mqttMessages = mqttBytes = 0;
    for (const d of modbus) lastGood.set(d.id, t0);
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const scrape = async () => (await fetch(metricsUrl, { headers: { Authorization: `Bearer ${token}` } })).text();
    let gcSecondsBefore = metricSum(await scrape(), 'bifrost_nodejs_gc_duration_seconds_sum');
    const cpu0 = { gw: cpuSeconds(gw.child.pid!), sims: cpuSeconds(sims.child.pid!), server: cpuSeconds(server.child.pid!), self: process.cpuUsage() };

    // The device powered off and on every minute, from 30 s in.
    const restarts = (async () => {
      let next = 30_000;
      while (running) {
        while (running && Date.now() - t0 < next) await sleep(100);
        if (!running) break;
        outage = { stoppedAt: now() };
        outages.push(outage);
        const r = restarted;
        restarted = undefined;
        await r?.stop();
        await sleep(OUTAGE_MS);
        restarted = await startRestarted();
        outage.startedAt = now();
        next += RESTART_EVERY_MS;
      }
    })();
    // A WebSocket client that comes, subscribes and goes, every 30 s from 15 s in.
    const churn = (async () => {
      let next = 15_000;
      while (running) {
        while (running && Date.now() - t0 < next) await sleep(100);
        if (!running) break;
        next += CHURN_EVERY_MS;
        wsSessions++;
        try {
          const c = await wsClient(url, token);
          clients.push(c);
          wsConnected++;
          let got = 0;
          c.onValues((n) => (got += n));
          await c.request('initialize', { processId: null, capabilities: {} });
          await c.request('bifrost/subscribe', { deviceId: 'dev0', tags: modbus[0]!.tags.map((t) => t.name), intervalMs: MODBUS_MS, onChangeOnly: false });
          await sleep(CHURN_STAY_MS);
          c.close();
          clients.splice(clients.indexOf(c), 1);
          wsConnected--;
          if (got > 0) wsSessionsWithValues++;
        } catch (err) {
          wsErrors.push(err instanceof Error ? err.message : String(err));
        }
      }
    })();

    while (Date.now() - t0 < minutes * 60_000) {
      await sleep(SAMPLE_MS - ((Date.now() - t0) % SAMPLE_MS));
      const at = Date.now();
      const text = await scrape();
      const gcSeconds = metricSum(text, 'bifrost_nodejs_gc_duration_seconds_sum');
      let longestSilenceMs = 0;
      for (const [id, last] of lastGood) if (id !== RESTARTED && id !== 'opcua') longestSilenceMs = Math.max(longestSilenceMs, at - last);
      const sample: SoakSample = {
        t: Math.round((at - t0) / 1000),
        rssMb: rssMb(gw.child.pid!),
        heapUsedMb: metric(text, 'bifrost_nodejs_heap_size_used_bytes') / 1024 ** 2,
        activeHandles: metric(text, 'bifrost_nodejs_active_handles_total'),
        activeResources: metric(text, 'bifrost_nodejs_active_resources_total'),
        openFds: metric(text, 'bifrost_process_open_fds'),
        opcuaSessions: await server.sessions(),
        modbus: { values: modbusAges.count, maxAgeMs: modbusAges.max, medianAgeMs: modbusAges.pct(0.5) },
        opcua: { values: opcuaAges.count, maxAgeMs: opcuaAges.max, medianAgeMs: opcuaAges.pct(0.5) },
        badInOutage,
        badElsewhere,
        mqttMessages,
        mqttKb: mqttBytes / 1024,
        longestSilenceMs,
        wsClientsConnected: wsConnected,
        skippedScans: metricSum(text, 'bifrost_device_skipped_scans_total'),
        gatewayLoopDelayMaxMs: Math.round(metric(text, 'bifrost_nodejs_eventloop_lag_max_seconds') * 1000),
        subscriberLoopDelayMaxMs: Math.round(loopDelay.max / 1e6),
        gatewayGcMs: Math.round((gcSeconds - gcSecondsBefore) * 1000),
        gatewayLongGcs: metricSum(text, 'bifrost_nodejs_gc_duration_seconds_count') - metricSum(text, 'bifrost_nodejs_gc_duration_seconds_bucket', 'le="0.1"'),
      };
      gcSecondsBefore = gcSeconds;
      loopDelay.reset();
      samples.push(sample);
      modbusAges = new MsHistogram();
      opcuaAges = new MsHistogram();
      badInOutage = badElsewhere = mqttMessages = mqttBytes = 0;
      console.log(
        `  ${String(sample.t).padStart(5)} s  RSS ${sample.rssMb.toFixed(0)} MB  heap ${sample.heapUsedMb.toFixed(0)} MB  handles ${sample.activeHandles}  resources ${sample.activeResources}  fds ${sample.openFds}  sessions ${sample.opcuaSessions}` +
          `  age Modbus ${sample.modbus.medianAgeMs}/${sample.modbus.maxAgeMs} ms (${Math.round(sample.modbus.values / 10)}/s)  OPC UA ${sample.opcua.medianAgeMs}/${sample.opcua.maxAgeMs} ms (${Math.round(sample.opcua.values / 10)}/s)  MQTT ${Math.round(sample.mqttMessages / 10)} msg/s` +
          `  loop delay max: gateway ${sample.gatewayLoopDelayMaxMs} ms, subscriber ${sample.subscriberLoopDelayMaxMs} ms  GC ${sample.gatewayGcMs} ms`,
      );
    }
    const elapsed = (Date.now() - t0) / 1000;
    const cpuPct = (a: { user: number; system: number }, b: { user: number; system: number }) => `${(((b.user + b.system - a.user - a.system) / elapsed) * 100).toFixed(0)} %`;
    const gwCpu = cpuPct(cpu0.gw, cpuSeconds(gw.child.pid!));
    const simsCpu = cpuPct(cpu0.sims, cpuSeconds(sims.child.pid!));
    const serverCpu = cpuPct(cpu0.server, cpuSeconds(server.child.pid!));
    const selfCpu = process.cpuUsage(cpu0.self);
    running = false;
    loopDelay.disable();
    await Promise.all([restarts, churn]);

    // The verdict.
    const rss = growth(samples, (x) => x.rssMb);
    const handles = growth(samples, (x) => x.activeHandles);
    const heap = growth(samples, (x) => x.heapUsedMb);
    const resources = growth(samples, (x) => x.activeResources);
    const fds = growth(samples, (x) => x.openFds);
    const modbusMax = Math.max(...samples.map((x) => x.modbus.maxAgeMs));
    const opcuaMax = Math.max(...samples.map((x) => x.opcua.maxAgeMs));
    const checks = [
      { what: `RSS growth over the last 80 % under ${GROWTH_LIMIT_PCT} %`, ok: rss.pct < GROWTH_LIMIT_PCT, got: `${rss.pct.toFixed(1)} %` },
      { what: `active handles growth over the last 80 % under ${GROWTH_LIMIT_PCT} %`, ok: handles.pct < GROWTH_LIMIT_PCT, got: `${handles.pct.toFixed(1)} %` },
      { what: `no Modbus value older than ${MODBUS_AGE_LIMIT_MS} ms (two poll intervals)`, ok: modbusMax <= MODBUS_AGE_LIMIT_MS, got: `max ${modbusMax} ms` },
      { what: `no OPC UA value older than ${OPCUA_AGE_LIMIT_MS} ms (two publishing intervals)`, ok: opcuaMax <= OPCUA_AGE_LIMIT_MS, got: `max ${opcuaMax} ms` },
    ];
    const pass = checks.every((c) => c.ok);
    const sum = (pick: (x: SoakSample) => number) => samples.reduce((a, x) => a + pick(x), 0);
    const restartToFresh = outages.filter((o) => o.freshAt !== undefined && o.startedAt !== undefined).map((o) => o.freshAt! - o.startedAt!);
    const loadAfter = os.loadavg();
    const g = (x: { first: number; last: number; pct: number; peak: number }, unit: string, digits = 0) =>
      `floor ${x.first.toFixed(digits)} → ${x.last.toFixed(digits)}${unit} (${x.pct >= 0 ? '+' : ''}${x.pct.toFixed(1)} %), peak ${x.peak.toFixed(digits)}${unit}`;
    const figures = [
      `gateway RSS          ${g(rss, ' MB')}`,
      `gateway heap used    ${g(heap, ' MB')}`,
      `active handles       ${g(handles, '')}`,
      `active resources     ${g(resources, '')}`,
      `open fds             ${g(fds, '')}`,
      `OPC UA sessions      ${Math.min(...samples.map((x) => x.opcuaSessions))}-${Math.max(...samples.map((x) => x.opcuaSessions))} on the server at every sample`,
      `Modbus value age     median of the samples' medians ${median(samples.map((x) => x.modbus.medianAgeMs))} ms, max ${modbusMax} ms; ${Math.round(sum((x) => x.modbus.values) / elapsed)} good values/s`,
      `OPC UA value age     median of the samples' medians ${median(samples.map((x) => x.opcua.medianAgeMs))} ms, max ${opcuaMax} ms; ${Math.round(sum((x) => x.opcua.values) / elapsed)} good values/s`,
      `device restarts      ${outages.length} (${OUTAGE_MS / 1000} s off each); started again → first good value: median ${(median(restartToFresh) * 1000).toFixed(0)} ms, max ${(Math.max(...restartToFresh) * 1000).toFixed(0)} ms; ${sum((x) => x.badInOutage)} bad readings within the outages, ${sum((x) => x.badElsewhere)} elsewhere`,
      `longest silence      ${Math.max(...samples.map((x) => x.longestSilenceMs))} ms without a good reading from one of the ${MODBUS_DEVICES - 1} devices not restarted`,
      `MQTT at the broker   ${Math.round(sum((x) => x.mqttMessages) / elapsed)} Sparkplug DDATA messages/s, ${(sum((x) => x.mqttKb) / elapsed).toFixed(0)} KB/s`,
      `WebSocket churn      ${wsSessions} clients came, subscribed and left; ${wsSessionsWithValues} got values${wsErrors.length ? `; errors: ${wsErrors.join('; ')}` : ''}`,
      `CPU (of one core)    gateway ${gwCpu}, the 19 devices' simulator ${simsCpu}, the OPC UA server ${serverCpu}, the subscriber (this process) ${(((selfCpu.user + selfCpu.system) / 1e6 / elapsed) * 100).toFixed(0)} %`,
      `event loop delay     max per sample: gateway median ${median(samples.map((x) => x.gatewayLoopDelayMaxMs))} ms, max ${Math.max(...samples.map((x) => x.gatewayLoopDelayMaxMs))} ms; the subscriber median ${median(samples.map((x) => x.subscriberLoopDelayMaxMs))} ms, max ${Math.max(...samples.map((x) => x.subscriberLoopDelayMaxMs))} ms`,
      `garbage collection   the gateway spent ${median(samples.map((x) => x.gatewayGcMs))} ms of a 10 s sample collecting (median; max ${Math.max(...samples.map((x) => x.gatewayGcMs))} ms); ${samples.at(-1)!.gatewayLongGcs - samples[0]!.gatewayLongGcs} collections took 100 ms or more`,
      `skipped polls        ${samples.at(-1)!.skippedScans - samples[0]!.skippedScans} scans could not start because the previous one had not finished (from the first sample to the last)`,
      `machine load         ${loadBefore.map((x) => x.toFixed(1)).join(' ')} before, ${loadAfter.map((x) => x.toFixed(1)).join(' ')} after (1/5/15-minute load averages, ${os.cpus().length} cores); ${(busyBefore * 100).toFixed(0)} % of the CPU busy in the 3 s before`,
    ];
    console.log(`\n## Soak: ${minutes} min, ${samples.length} samples`);
    for (const f of figures) console.log(`  ${f}`);
    console.log(`  growth: the lowest sample of the first third against the lowest of the last third, over the last 80 % of the run`);
    for (const c of checks) console.log(`  ${c.ok ? 'pass' : 'FAIL'}  ${c.what}: ${c.got}`);
    console.log(`\nVerdict: ${pass ? 'PASS' : 'FAIL'}`);

    const result = { startedAt: startedIso, minutes, node: process.version, cores: os.cpus().length, busyBefore, loadBefore, loadAfter, pass, checks, figures, outages, samples };
    const outDir = path.join(root, 'test-results', 'soak');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(path.join(outDir, 'soak.json'), `${JSON.stringify(result, null, 2)}\n`);
    const svg = soakChart(samples, outages, { modbusLimitMs: MODBUS_AGE_LIMIT_MS, opcuaLimitMs: OPCUA_AGE_LIMIT_MS, title: `Gateway soak, ${minutes} min (${startedIso.slice(0, 10)})` });
    writeFileSync(path.join(outDir, 'soak.svg'), svg);
    console.log(`wrote ${path.relative(root, outDir)}/soak.json and soak.svg`);
    if (args['update-docs']) {
      writeFileSync(path.join(root, 'docs', 'images', 'soak.svg'), svg);
      writeSection(path.join(root, 'docs', 'reliability.md'), docSection({ minutes, startedIso, pass, checks, figures, busyBefore, loadBefore, loadAfter }));
      console.log('wrote docs/images/soak.svg and the Soak section of docs/reliability.md');
    }
    return pass ? 0 : 1;
  } finally {
    for (const c of clients) c.close();
    for (const cleanup of cleanups) await cleanup().catch((err: unknown) => process.stderr.write(`cleanup: ${String(err)}\n`));
  }
}

interface DocFacts {
  minutes: number;
  startedIso: string;
  pass: boolean;
  checks: { what: string; ok: boolean; got: string }[];
  figures: string[];
  /** How busy the machine's CPU was just before (0-1). */
  busyBefore: number;
  loadBefore: number[];
  loadAfter: number[];
}

function docSection(f: DocFacts): string {
  // The load after the run counts the soak's own processes: only the load before says whether others ran.
  const idle = f.busyBefore < QUIET_BUSY;
  return [
    '## Soak',
    '',
    `The gateway under a whole plant's load for ${f.minutes} minute${f.minutes === 1 ? '' : 's'}, sampled every 10 s; a verdict at the end (the exit code).`,
    '',
    '![soak](images/soak.svg)',
    '',
    `Under load for the whole run, each peer in a process of its own on 127.0.0.1: ${MODBUS_DEVICES} Modbus TCP devices (our simulator) × ${MODBUS_TAGS} changing`,
    `holding registers polled every ${MODBUS_MS} ms; one of them (\`${RESTARTED}\`, alone in a simulator process) stopped every minute, its sockets gone, and`,
    `started again ${OUTAGE_MS / 1000} s later on the same port; a node-opcua server with ${OPCUA_ITEMS.toLocaleString('en')} variables changing every ${OPCUA_MS} ms, all monitored on one`,
    `session (sampling on every change, published every ${OPCUA_MS} ms); every value published as Sparkplug B to Mosquitto with store and`,
    `forward on; a WebSocket client that connects, subscribes to a device for ${CHURN_STAY_MS / 1000} s and leaves, every ${CHURN_EVERY_MS / 1000} s. A subscriber on the gateway's stdio`,
    "JSON-RPC connection takes every Modbus reading and every OPC UA change and ages each good one on arrival: now − the reading's",
    "timestamp (Modbus: when the gateway had the device's answer; OPC UA: the server's source timestamp, so the publishing wait counts).",
    'Each sample reads the gateway\'s RSS (`/proc`), its heap used, active handles and resources and open fds (its own `/metrics`), and',
    'the sessions the OPC UA server holds.',
    '',
    'Pass criteria:',
    '',
    `- RSS and active handles grow less than ${GROWTH_LIMIT_PCT} % over the last 80 % of the run: the lowest sample of the first third of that part`,
    '  against the lowest of its last third (the floors: what a leak raises; a collection or a client passing by does not).',
    `- No delivered value older than two intervals: ${MODBUS_AGE_LIMIT_MS} ms for Modbus, ${OPCUA_AGE_LIMIT_MS} ms for OPC UA. Only good readings have an age. While the`,
    '  restarted device is off, its readings are bad (no value), from its stop to its first good reading after the start: they are',
    "  counted apart, not aged. Every good reading is aged, that device's included.",
    '',
    `Run ${f.startedIso.slice(0, 16).replace('T', ' ')} UTC on 2 cores, Debian bookworm, Node 20 (${process.version}): \`npm run soak -- --minutes ${f.minutes} --update-docs\``,
    `(the long variant: \`npm run soak -- --minutes 120\`). ${idle ? 'The machine was otherwise idle' : 'Other work ran on the machine'}: ${(f.busyBefore * 100).toFixed(0)} % of its CPU busy just before the run, load average ${f.loadBefore.map((x) => x.toFixed(1)).join(' / ')} (1/5/15 min) before the run, ${f.loadAfter.map((x) => x.toFixed(1)).join(' / ')} at its end (the soak's own processes included).`,
    '',
    '```',
    ...f.figures,
    ...f.checks.map((c) => `${c.ok ? 'pass' : 'FAIL'}  ${c.what}: ${c.got}`),
    `Verdict: ${f.pass ? 'PASS' : 'FAIL'}`,
    '```',
    '',
  ].join('\n');
}

/** Replaces the "## Soak" section (up to the next "## " heading) and nothing else. */
function writeSection(file: string, section: string): void {
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf('\n## Soak\n');
  if (start < 0) throw new Error(`${file} has no "## Soak" section`);
  const next = text.indexOf('\n## ', start + 1);
  writeFileSync(file, `${text.slice(0, start + 1)}${section}${next < 0 ? '' : text.slice(next)}`);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`soak: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
