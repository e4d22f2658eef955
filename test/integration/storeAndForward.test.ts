/**
 * Store and forward through the built gateway, against Mosquitto: a counter in our simulator
 * changes every 200 ms while the broker is away for 30 s; afterwards every value arrives (as
 * historical DDATA, in order, with its timestamp), none lost; the gateway killed with SIGKILL
 * while buffering sends what it kept once restarted; a primary host's STATE gates the births;
 * two gateways publish side by side. The test's subscriber keeps a persistent session on a
 * persistent broker, so it misses nothing the broker took while the subscriber was away.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { decodePayload, type Payload } from '../../gateway/mqtt/sparkplug/payload';
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';
import { defaultGatewayPath, type GatewayProcess } from '../../tools/gatewayClient';
import { delay, metricSample, startGateway, tcpDevice, waitFor } from './harness';
import { hasMosquitto, Mosquitto } from './mosquitto';

const withMosquitto = hasMosquitto ? describe : describe.skip;

interface Received {
  topic: string;
  payload: Payload;
}

/** A value of the counter as it reached the host: in a birth, live, or historical. */
interface Seen {
  value: number;
  timestamp: number;
  kind: 'birth' | 'live' | 'historical';
}

withMosquitto(hasMosquitto ? 'Store and forward (Sparkplug B, Mosquitto)' : 'Store and forward: SKIPPED, mosquitto is not installed (apt-get install mosquitto)', function () {
  this.timeout(120_000);
  let broker: Mosquitto;
  let plc: ModbusTcpSimulator;
  let host: MqttClient;
  let dataDir: string;
  const gateways: GatewayProcess[] = [];
  const received: Received[] = [];
  /** The test host's connection, as it went: told when a wait for what it should have received fails. */
  const hostEvents: string[] = [];
  let counter: NodeJS.Timeout | undefined;

  const device = () => tcpDevice('plc1', plc.port, { tags: [{ name: 'count', area: 'holding', address: 0, type: 'uint16' }] });
  const publisher = (edgeNodeId: string, extra: Record<string, unknown> = {}) => ({
    type: 'sparkplug',
    broker: broker.url,
    groupId: 'plant1',
    edgeNodeId,
    storeAndForward: { maxBytes: 1 << 20 },
    ...extra,
  });
  const topic = (type: string, node: string, dev?: string) => `spBv1.0/plant1/${type}/${node}${dev ? `/${dev}` : ''}`;
  const of = (type: string, node: string, dev?: string) => received.filter((r) => r.topic === topic(type, node, dev));

  /** Every value of plc1's counter that edge node `node` published, in the order the host got them. */
  function seen(node: string): Seen[] {
    const out: Seen[] = [];
    for (const r of received) {
      if (r.topic === topic('DBIRTH', node, 'plc1')) {
        for (const m of r.payload.metrics) if (m.name === 'count') out.push({ value: m.value as number, timestamp: Number(m.timestamp), kind: 'birth' });
      } else if (r.topic === topic('DDATA', node, 'plc1')) {
        for (const m of r.payload.metrics) out.push({ value: m.value as number, timestamp: Number(m.timestamp), kind: m.isHistorical ? 'historical' : 'live' });
      }
    }
    return out;
  }

  async function gateway(config: { publish: unknown[] }, args: string[] = []): Promise<GatewayProcess> {
    const gw = await startGateway(['--data-dir', dataDir, ...args]);
    gateways.push(gw);
    const { problems } = await gw.connection.sendRequest<{ problems: unknown[] }>('bifrost/config/load', { devices: [device()], ...config });
    assert.deepEqual(problems, []);
    return gw;
  }

  /** How many reads of holding registers plc1 has answered. */
  const reads = () => plc.functionCodeCounts[3]!;

  /**
   * Counts up from `from`, a step every 200 ms at most and only once the value it holds has been
   * read: polled every 100 ms, each value would be read anyway, but on a loaded machine a poll can
   * come late, and a value changed twice between two reads would never be seen.
   */
  function count(from: number): () => number {
    let n = from;
    plc.holdings[0] = n;
    let readsAtChange = reads();
    counter = setInterval(() => {
      if (reads() === readsAtChange) return;
      plc.holdings[0] = ++n;
      readsAtChange = reads();
    }, 200);
    return () => n;
  }
  function stopCounting(): void {
    clearInterval(counter);
    counter = undefined;
  }

  before(async () => {
    broker = await Mosquitto.start({ persistent: true });
    plc = new ModbusTcpSimulator();
    await plc.start();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-data-'));
    host = await mqtt.connectAsync(broker.url, { clientId: 'sf-test-host', clean: false, reconnectPeriod: 200 });
    const t0 = Date.now();
    for (const e of ['connect', 'close', 'offline', 'reconnect'] as const) host.on(e, () => hostEvents.push(`${e} +${Date.now() - t0} ms`));
    host.on('error', (err) => hostEvents.push(`error ${err.message} +${Date.now() - t0} ms`));
    host.on('message', (t, payload) => {
      if (t.startsWith('spBv1.0/STATE/')) return;
      received.push({ topic: t, payload: decodePayload(payload) });
    });
    await host.subscribeAsync('spBv1.0/plant1/#', { qos: 1 });
  });

  afterEach(() => stopCounting());

  after(async () => {
    stopCounting();
    for (const gw of gateways) await gw.close();
    await host?.endAsync(true);
    await plc?.stop();
    await broker?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the broker away for 30 s while a value changes: afterwards every value arrives, historical ones in order with their timestamps, none lost', async () => {
    // With /metrics and /health, to see the outage as an operator would.
    const tokens = path.join(dataDir, 'tokens.json');
    const added = spawnSync(process.execPath, [defaultGatewayPath(), 'token', 'add', 'prometheus', '--metrics', '--tokens', tokens], { encoding: 'utf8' });
    assert.equal(added.status, 0, added.stderr);
    const auth = { headers: { Authorization: `Bearer ${added.stdout.trim()}` } };
    const gw = await gateway({ publish: [publisher('edge1')] }, ['--listen', '127.0.0.1:0', '--tokens', tokens]);
    const base = (await waitFor('the listener', () => /listening on ws:\/\/(\S+)\/rpc/.exec(gw.stderr())?.[1])).replace(/^/, 'http://');
    const metric = async (name: string) => metricSample(await (await fetch(`${base}/metrics`, auth)).text(), `${name}{publisher="sparkplug plant1/edge1"}`);
    await waitFor('the DBIRTH of plc1', () => of('DBIRTH', 'edge1', 'plc1')[0]);
    const now = count(1);
    await waitFor('live values', () => seen('edge1').filter((s) => s.kind === 'live').length >= 5 || undefined);
    assert.equal((await fetch(`${base}/health`, auth)).status, 200);
    await broker.pause();
    const lastBefore = now();
    await delay(15_000);
    const unhealthy = await fetch(`${base}/health`, auth);
    assert.equal(unhealthy.status, 503);
    assert.match(((await unhealthy.json()) as { reasons: string[] }).reasons.join('\n'), /sparkplug plant1\/edge1: /);
    assert.equal(await metric('bifrost_mqtt_online'), 0);
    assert.ok((await metric('bifrost_mqtt_buffered_values'))! >= 50, 'values buffered');
    await delay(15_000);
    const lastDuring = now();
    await broker.resume();
    await waitFor('the NBIRTH after the outage', () => of('NBIRTH', 'edge1')[1], 30_000).catch((err: Error) => {
      throw new Error(
        `${err.message}; the gateway said:\n${gw.stderr().split('\n').filter((l) => /sparkplug|publish/.test(l)).slice(-20).join('\n')}\nthe host: ${hostEvents.slice(-12).join(', ')}; got ${received.map((r) => r.topic.split('/').slice(2).join('/')).slice(-8).join(', ')}\nthe broker:\n${broker.logTail()}`,
      );
    });
    // Until the publisher is back (it tries every 2 s), values still go to the buffer.
    const lastBuffered = now();
    await delay(1000);
    stopCounting();
    const last = now();
    await waitFor(`every value up to ${last}`, () => {
      const values = new Set(seen('edge1').map((s) => s.value));
      return Array.from({ length: last }, (_, i) => i + 1).every((v) => values.has(v)) || undefined;
    }, 30_000);
    const all = seen('edge1');
    // The counter's first reading (0) may be historical too: read before the first connect, it was kept.
    const historical = all.filter((s) => s.kind === 'historical' && s.value >= 1);
    assert.ok(historical.length >= lastDuring - lastBefore - 2, `${historical.length} historical values for the ${lastDuring - lastBefore} changes of the outage`);
    for (let i = 1; i < historical.length; i++) {
      assert.ok(historical[i]!.value > historical[i - 1]!.value, `historical values in order: ${historical[i - 1]!.value} then ${historical[i]!.value}`);
      assert.ok(historical[i]!.timestamp >= historical[i - 1]!.timestamp, 'with their own timestamps, in order');
    }
    // Each was taken while the broker was away (give or take the moments of the cut).
    assert.ok(historical.every((s) => s.value >= lastBefore - 2 && s.value <= lastBuffered + 2), `${lastBefore} to ${lastBuffered}: ${JSON.stringify(historical.map((s) => s.value))}`);
    const ddata = all.filter((s) => s.kind !== 'birth').map((s) => s.value);
    // QoS 1 allows a message sent at the moment of the cut to come twice; nothing else may.
    assert.ok(ddata.length - new Set(ddata).size <= 2, `duplicates: ${ddata.length - new Set(ddata).size}`);
    assert.doesNotMatch(gw.stderr(), /dropped/);
    await waitFor('the buffer empty', async () => (await metric('bifrost_mqtt_buffered_values')) === 0 || undefined);
    assert.ok((await metric('bifrost_mqtt_replayed_values_total'))! >= historical.length);
    assert.equal(await metric('bifrost_mqtt_dropped_values_total'), 0);
    assert.equal((await fetch(`${base}/health`, auth)).status, 200);
  });

  it('the gateway killed with SIGKILL while buffering: restarted, it sends what it had kept', async () => {
    const config = { publish: [publisher('edge2')] };
    const first = await gateway(config);
    const birth = await waitFor('the NBIRTH of edge2', () => of('NBIRTH', 'edge2')[0]);
    const firstBdSeq = birth.payload.metrics.find((m) => m.name === 'bdSeq')!.value as bigint;
    await waitFor('the DBIRTH of plc1 from edge2', () => of('DBIRTH', 'edge2', 'plc1')[0]);
    await broker.pause();
    const now = count(1000);
    await delay(3000);
    stopCounting();
    const kept = now();
    // The last value read, and given its moment to reach the buffer; then killed without a chance to clean up.
    const readsAtStop = reads();
    await waitFor('a read of the last value', () => reads() > readsAtStop || undefined);
    await delay(300);
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    gateways.splice(gateways.indexOf(first), 1);
    first.connection.dispose();
    await broker.resume();
    const second = await gateway(config);
    await waitFor(`the values 1000 to ${kept} from the buffer`, () => {
      const values = new Set(seen('edge2').filter((s) => s.kind === 'historical').map((s) => s.value));
      return Array.from({ length: kept - 999 }, (_, i) => 1000 + i).every((v) => values.has(v)) || undefined;
    }, 30_000);
    const births = of('NBIRTH', 'edge2');
    const bdSeq = births[births.length - 1]!.payload.metrics.find((m) => m.name === 'bdSeq')!.value as bigint;
    assert.ok(Number((bdSeq - firstBdSeq) & 0xffn) >= 1, `the restarted node's bdSeq ${bdSeq} follows the last one's ${firstBdSeq}`);
    await second.close();
    gateways.splice(gateways.indexOf(second), 1);
  });

  it('with a primary host: born only while its STATE says online; while it is offline values are kept, then sent as historical', async () => {
    const state = (online: boolean) => host.publishAsync('spBv1.0/STATE/scada', JSON.stringify({ online, timestamp: Date.now() }), { qos: 1, retain: true });
    await state(false);
    const gw = await gateway({ publish: [publisher('edge3', { primaryHostId: 'scada' })] });
    await waitFor('the publisher connected', () => /edge3: connected to/.test(gw.stderr()) || undefined);
    await delay(500);
    assert.equal(of('NBIRTH', 'edge3').length, 0, 'no birth while the primary host is offline');
    await state(true);
    await waitFor('the DBIRTH once the host is online', () => of('DBIRTH', 'edge3', 'plc1')[0]);
    await state(false);
    const death = await waitFor('NDEATH when the host goes offline', () => of('NDEATH', 'edge3')[0]);
    assert.equal(death.payload.metrics[0]?.name, 'bdSeq');
    const now = count(2000);
    await delay(1500);
    stopCounting();
    const last = now();
    await delay(300);
    assert.equal(of('NBIRTH', 'edge3').length, 1, 'not born again while the host is offline');
    await state(true);
    await waitFor(`the values 2000 to ${last} as historical data`, () => {
      const values = new Set(seen('edge3').filter((s) => s.kind === 'historical').map((s) => s.value));
      return Array.from({ length: last - 1999 }, (_, i) => 2000 + i).every((v) => values.has(v)) || undefined;
    });
    await host.publishAsync('spBv1.0/STATE/scada', '', { qos: 1, retain: true });
    await gw.close();
    gateways.splice(gateways.indexOf(gw), 1);
  });

  it('two gateways publish to one broker side by side, each an edge node with its own sequence', async () => {
    const a = await gateway({ publish: [publisher('gw-a', { storeAndForward: undefined })] });
    const b = await gateway({ publish: [publisher('gw-b', { storeAndForward: undefined })] });
    count(3000);
    for (const node of ['gw-a', 'gw-b']) {
      await waitFor(`values 3000+ from ${node}`, () => seen(node).filter((s) => s.kind === 'live' && s.value > 3002).length > 0 || undefined);
      const seqs = received.filter((r) => r.topic.startsWith(`spBv1.0/plant1/`) && r.topic.split('/')[3] === node && !r.topic.includes('NDEATH')).map((r) => Number(r.payload.seq));
      assert.equal(seqs[0], 0, `${node} starts at seq 0`);
      seqs.forEach((s, i) => assert.equal(s, i & 0xff, `${node}: seq ${s} at position ${i} (${seqs.join(',')})`));
    }
    stopCounting();
    for (const gw of [a, b]) {
      await gw.close();
      gateways.splice(gateways.indexOf(gw), 1);
    }
  });
});
