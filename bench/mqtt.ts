/**
 * The `mqtt` section: the gateway publishing its devices as Sparkplug B to Mosquitto on loopback,
 * with Node-RED side by side reading the same registers of the same simulators and publishing
 * them through its own `mqtt out` node, in the same run; then store and forward: the broker
 * stopped while values keep coming (what buffering costs the gateway), started again (how fast
 * the buffer drains, and how old live values are meanwhile).
 *
 * An mqtt.js subscriber in the bench process counts what reaches the broker on both sides: a
 * publisher that does not deliver is not a comparison.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { decodePayload } from '../gateway/mqtt/sparkplug/payload';
import { spawnGateway, type GatewayProcess } from '../tools/gatewayClient';
import { hasMosquitto, Mosquitto } from '../test/integration/mosquitto';
import { CONTRIB_MODBUS_VERSION, ensureNodeRed, NODE_RED_VERSION, runNodeRed } from './nodeRed';
import { startSimulators } from './simulators';
import { median, pct, watchProcess } from './stats';

const DEVICES = 10;
const TAGS = 1000;
const INTERVAL_MS = 100;
export const GROUP = 'bench';
export const NODE = 'gw';

/** What the subscriber has seen since the last reset. */
export class Tally {
  live = 0;
  historical = 0;
  nodeRed = 0;
  births = 0;
  liveAges: number[] = [];
  firstHistoricalAt = 0;
  lastHistoricalAt = 0;
  lastBirthAt = 0;

  reset(): void {
    this.live = this.historical = this.nodeRed = 0;
    this.liveAges = [];
  }
}

export async function subscriber(url: string, tally: Tally): Promise<MqttClient> {
  // A persistent session that reconnects fast: after an outage it is back before the gateway.
  const client = await mqtt.connectAsync(url, { clientId: 'bifrost-bench-subscriber', clean: false, reconnectPeriod: 100 });
  client.on('message', (topic, payload) => {
    const now = Date.now();
    if (topic.startsWith('nodered/')) {
      tally.nodeRed += (JSON.parse(payload.toString()) as unknown[]).length;
      return;
    }
    if (topic.includes('/DBIRTH/')) {
      tally.births++;
      tally.lastBirthAt = now;
      return;
    }
    if (!topic.includes('/DDATA/')) return;
    const { metrics } = decodePayload(payload);
    if (metrics[0]?.isHistorical) {
      tally.historical += metrics.length;
      if (tally.firstHistoricalAt === 0) tally.firstHistoricalAt = now;
      tally.lastHistoricalAt = now;
    } else {
      tally.live += metrics.length;
      const t = metrics[0]?.timestamp;
      if (t !== undefined) tally.liveAges.push(now - t);
    }
  });
  await client.subscribeAsync([`spBv1.0/${GROUP}/#`, 'nodered/#'], { qos: 1 });
  return client;
}

export function benchDevices(ports: readonly number[], tagsEach = TAGS): object[] {
  const tags = Array.from({ length: tagsEach }, (_, i) => ({ name: `r${i}`, area: 'holding', address: i, type: 'uint16' }));
  return ports.map((port, i) => ({ id: `dev${i}`, protocol: 'modbus-tcp', host: '127.0.0.1', port, timeoutMs: 1000, pollIntervalMs: INTERVAL_MS, tags }));
}

export async function waitUntil(what: string, ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const ms = (xs: number[]) => `p50 ${median(xs)} ms, p99 ${pct(xs, 0.99)} ms`;

export async function mqttSection(quick: boolean): Promise<void> {
  if (!hasMosquitto) {
    console.log('\n## MQTT: skipped, mosquitto is not installed (apt-get install mosquitto)');
    return;
  }
  const seconds = quick ? 5 : 15;
  const outageS = quick ? 5 : 10;
  const sims = await startSimulators(['--bench-devices', String(DEVICES)]);
  const broker = await Mosquitto.start({ persistent: true });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-bench-mqtt-'));
  const tally = new Tally();
  let sub: MqttClient | undefined;
  let gw: GatewayProcess | undefined;
  try {
    sub = await subscriber(broker.url, tally);
    gw = await spawnGateway({ args: ['--data-dir', dataDir], nodeArgs: process.env['BIFROST_BENCH_NODE_ARGS']?.split(' ').filter(Boolean) ?? [] });
    const loaded = await gw.connection.sendRequest<{ problems: unknown[] }>('bifrost/config/load', {
      devices: benchDevices(sims.ports),
      publish: [{ type: 'sparkplug', broker: broker.url, groupId: GROUP, edgeNodeId: NODE, storeAndForward: { maxBytes: 1024 ** 3 } }],
    });
    if (loaded.problems.length) throw new Error(`the bench's configuration has problems: ${JSON.stringify(loaded.problems)}`);
    const g = gw;
    await waitUntil('the births of every device', () => tally.births >= DEVICES, 30_000).catch((e: Error) => {
      throw new Error(`${e.message}; the gateway's log: ${g.stderr().split('\n').slice(-30).join(' / ')}`);
    });
    await new Promise((r) => setTimeout(r, 3000)); // warm up
    tally.reset();
    const [online, simOnline] = await Promise.all([watchProcess(gw.child.pid!, seconds), watchProcess(sims.child.pid!, seconds)]);
    const liveRate = tally.live / online.elapsed;
    const ages = tally.liveAges;

    console.log(`\n## MQTT: Sparkplug B DDATA to Mosquitto on loopback, ${DEVICES} devices × ${TAGS} tags every ${INTERVAL_MS} ms, report by exception (every register changes every 100 ms; ${seconds} s window)`);
    console.log(`  at the broker      ${Math.round(liveRate)} values/s (target 100000), counted by a subscriber decoding every DDATA`);
    console.log(`  gateway CPU        ${online.cpuPct.toFixed(1)} % of one core (${online.userPct.toFixed(1)} % user), RSS peak ${online.rssPeak.toFixed(0)} MB; the simulator process ${simOnline.cpuPct.toFixed(1)} %`);
    console.log(`  value age          ${ms(ages)} (reading taken → subscriber has it, through the broker)`);

    // Store and forward: the broker away, values still read; then back.
    tally.reset();
    const pausedAt = Date.now();
    await broker.pause();
    const offline = await watchProcess(gw.child.pid!, outageS);
    const birthsBefore = tally.births;
    tally.firstHistoricalAt = tally.lastHistoricalAt = 0;
    await broker.resume();
    const resumedAt = Date.now();
    await waitUntil('the births after the outage', () => tally.births >= birthsBefore + DEVICES, 30_000);
    const bornAt = tally.lastBirthAt;
    tally.liveAges = [];
    const benchCpu = process.cpuUsage();
    // Drained once no historical value came for 2 s.
    await waitUntil('the replay', () => tally.lastHistoricalAt > 0 && Date.now() - tally.lastHistoricalAt > 2000, 300_000);
    const replayMs = tally.lastHistoricalAt - bornAt;
    const benchCpuPct = (() => {
      const u = process.cpuUsage(benchCpu);
      return ((u.user + u.system) / 1000 / (Date.now() - bornAt)) * 100;
    })();
    // Buffered from the pause until the births of the new session (the reconnect waits its retry).
    const expected = (liveRate * (bornAt - pausedAt)) / 1000;
    console.log(`\n## Store and forward: the broker stopped for ${outageS} s at that load, then started again`);
    console.log(`  gateway offline    ${offline.cpuPct.toFixed(1)} % of one core while buffering (online ${online.cpuPct.toFixed(1)} %), RSS peak ${offline.rssPeak.toFixed(0)} MB`);
    console.log(`  replayed           ${tally.historical} historical values (about ${Math.round(expected)} expected: ${((bornAt - pausedAt) / 1000).toFixed(1)} s from the pause to the births at ${Math.round(liveRate)}/s)`);
    console.log(`  replay             ${(replayMs / 1000).toFixed(1)} s after the births (${((bornAt - resumedAt) / 1000).toFixed(1)} s after the broker was back): ${Math.round(tally.historical / (replayMs / 1000))} values/s, beside the live values`);
    console.log(`  live value age     ${ms(tally.liveAges)} while replaying (the subscriber decodes every message in the bench process, ${benchCpuPct.toFixed(0)} % of a core meanwhile)`);
    await gw.close();
    gw = undefined;

    console.log(`\n## Side by side: Node-RED ${NODE_RED_VERSION} + node-red-contrib-modbus ${CONTRIB_MODBUS_VERSION} + Node-RED's mqtt out node, same simulators, same registers, same rate (${seconds} s window)`);
    const installed = await ensureNodeRed();
    if ('skipped' in installed) {
      console.log(`  skipped: Node-RED is not installed (${installed.skipped})`);
      return;
    }
    const blocks = 8; // 125 registers each: what the gateway's planner asks too
    let peerValues = 0;
    const peer = await runNodeRed(installed.redJs, sims.ports, {
      blocksPerDevice: blocks,
      registersPerBlock: TAGS / blocks,
      intervalMs: INTERVAL_MS,
      seconds,
      simulatorPid: sims.child.pid,
      mqttPort: broker.port,
      onWindow: (phase) => (phase === 'start' ? (tally.nodeRed = 0) : (peerValues = tally.nodeRed)),
    });
    if ('skipped' in peer) {
      console.log(`  skipped: Node-RED did not read (${peer.skipped})`);
      return;
    }
    const peerRate = peerValues / seconds;
    const row = (what: string, ours: string, theirs: string, ratio = '') => console.log(`  ${what.padEnd(26)} ${ours.padStart(18)} ${theirs.padStart(18)} ${ratio}`);
    row('', 'Bifrost gateway', 'Node-RED', 'Bifrost / Node-RED');
    row('values/s at the broker', `${Math.round(liveRate)}`, `${Math.round(peerRate)}`);
    row('CPU % of one core', online.cpuPct.toFixed(1), peer.cpuPct.toFixed(1), `${(online.cpuPct / peer.cpuPct).toFixed(2)}× (goal ≤ 0.5×)`);
    row('RSS MB peak', online.rssPeak.toFixed(0), peer.rssPeak.toFixed(0));
    console.log(`  Node-RED publishes each block of 125 registers as one JSON array at QoS 1 (800 messages/s, no per-value`);
    console.log(`  topics, no timestamps, no births, no buffer): the cheapest way it has; the gateway publishes Sparkplug B`);
    console.log(`  DDATA with a timestamp per value, only what changed, with store and forward on.`);
  } finally {
    await gw?.close();
    await sub?.endAsync(true);
    await broker.dispose();
    await sims.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
