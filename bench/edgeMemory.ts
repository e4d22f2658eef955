/**
 * The `memory` section: a gateway at the edge under its whole load for a long run (10 minutes;
 * 1 with --quick): 10 devices × 1000 changing registers every 100 ms, published as Sparkplug B to
 * Mosquitto with store and forward on, and every reading fanned out to 10 WebSocket clients.
 * RSS (from /proc) and used heap (from the gateway's own /metrics) are sampled every 10 s; the
 * growth over the last 80 % of the run (first third against last third) says whether memory is flat.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { MqttClient } from 'mqtt';
import { hasMosquitto, Mosquitto } from '../test/integration/mosquitto';
import { benchDevices, GROUP, NODE, subscriber, Tally, waitUntil } from './mqtt';
import { startSimulators } from './simulators';
import { rssMb } from './stats';
import { listeningGateway, subscribedClients, type WsClient } from './websocket';

const DEVICES = 10;
const SAMPLE_MS = 10_000;

interface Sample {
  at: number;
  rssMb: number;
  heapMb: number;
  mqtt: number;
  ws: number;
}

export async function edgeMemorySection(quick: boolean): Promise<void> {
  if (!hasMosquitto) {
    console.log('\n## Memory over a long run: skipped, mosquitto is not installed (apt-get install mosquitto)');
    return;
  }
  const minutes = quick ? 1 : 10;
  const sims = await startSimulators(['--bench-devices', String(DEVICES)]);
  const broker = await Mosquitto.start({ persistent: true });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-bench-memory-'));
  const tally = new Tally();
  const clients: WsClient[] = [];
  let sub: MqttClient | undefined;
  let listening: Awaited<ReturnType<typeof listeningGateway>> | undefined;
  try {
    sub = await subscriber(broker.url, tally);
    listening = await listeningGateway(['--data-dir', dataDir]);
    const { gw, url, token } = listening;
    const devices = benchDevices(sims.ports);
    const loaded = await gw.connection.sendRequest<{ problems: unknown[] }>('bifrost/config/load', {
      devices,
      publish: [{ type: 'sparkplug', broker: broker.url, groupId: GROUP, edgeNodeId: NODE, storeAndForward: { maxBytes: 1024 ** 3 } }],
    });
    if (loaded.problems.length) throw new Error(`the bench's configuration has problems: ${JSON.stringify(loaded.problems)}`);
    await waitUntil('the births of every device', () => tally.births >= DEVICES, 30_000);
    let wsValues = 0;
    await subscribedClients(url, token, devices.map((d) => (d as { id: string }).id), 100, clients, (k) => (wsValues += k));
    const metricsUrl = url.replace(/^ws/, 'http').replace(/\/rpc$/, '/metrics');
    const heapMb = async () => {
      const text = await (await fetch(metricsUrl, { headers: { Authorization: `Bearer ${token}` } })).text();
      const m = /^bifrost_nodejs_heap_size_used_bytes (\S+)$/m.exec(text);
      return m ? Number(m[1]) / 1024 ** 2 : NaN;
    };
    const samples: Sample[] = [];
    const start = Date.now();
    tally.reset();
    while (Date.now() - start < minutes * 60_000) {
      await new Promise((r) => setTimeout(r, SAMPLE_MS));
      samples.push({ at: (Date.now() - start) / 1000, rssMb: rssMb(gw.child.pid!), heapMb: await heapMb(), mqtt: tally.live, ws: wsValues });
      tally.live = 0;
      wsValues = 0;
    }
    const steady = samples.slice(Math.floor(samples.length * 0.2));
    // Heap used swings with every collection: the floors (lowest samples) of the first and last
    // thirds of the steady part are compared, which is what a leak raises.
    const growth = (key: 'rssMb' | 'heapMb') => {
      const third = Math.max(1, Math.floor(steady.length / 3));
      const first = Math.min(...steady.slice(0, third).map((s) => s[key]));
      const last = Math.min(...steady.slice(-third).map((s) => s[key]));
      const peak = Math.max(...steady.map((s) => s[key]));
      return `floor ${first.toFixed(0)} → ${last.toFixed(0)} MB (${(((last - first) / first) * 100).toFixed(1)} %), peak ${peak.toFixed(0)} MB`;
    };
    const rates = (key: 'mqtt' | 'ws') => {
      const r = samples.map((s) => s[key] / (SAMPLE_MS / 1000));
      return `${Math.round(Math.min(...r))}-${Math.round(Math.max(...r))} values/s`;
    };
    console.log(`\n## Memory over a ${minutes}-minute run: ${DEVICES} devices × 1000 tags every 100 ms, Sparkplug B to Mosquitto and every reading to ${DEVICES} WebSocket clients`);
    console.log(`  delivered          MQTT ${rates('mqtt')}, WebSocket ${rates('ws')} (each 10 s sample)`);
    console.log(`  gateway RSS        ${growth('rssMb')} over the last 80 % of the run`);
    console.log(`  gateway heap used  ${growth('heapMb')} over the last 80 % of the run (from its /metrics)`);
    console.log(`  samples            ${samples.map((s) => `${s.at.toFixed(0)}s ${s.rssMb.toFixed(0)}/${s.heapMb.toFixed(0)}`).join(', ')} (RSS/heap MB)`);
  } finally {
    for (const c of clients) c.close();
    await listening?.dispose();
    await sub?.endAsync(true);
    await broker.dispose();
    await sims.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
