/**
 * The MQTT fault matrix: each link fault (a proxy between the gateway's Sparkplug publisher and
 * Mosquitto) while a counter changes five times a second. Every fault has its own edge node and
 * proxy, all in one gateway, side by side; an edge node without a proxy publishes throughout.
 *
 * For every row: every value reaches an independent subscriber (connected to the broker itself),
 * none lost, whatever the fault did to the connection; the values the fault held up come from
 * the store-and-forward buffer (historical) once the link is back; the gateway alive; live again
 * within a bound after the fault clears; the edge node without a proxy unaffected. What each row
 * observed is compared with the table below, and written to docs/reliability.md
 * (BIFROST_UPDATE_DOCS=1) or checked against it.
 */
import { strict as assert } from 'node:assert';
import mqtt, { type MqttClient } from 'mqtt';
import { decodePayload } from '../../gateway/mqtt/sparkplug/payload';
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';
import type { GatewayProcess } from '../../tools/gatewayClient';
import { delay, startGateway, tcpDevice, waitFor } from '../integration/harness';
import { hasMosquitto, Mosquitto } from '../integration/mosquitto';
import { checkOrUpdateSection, markdownTable } from './docTable';
import { FaultProxy, type Fault, type FrameCodec } from './faultProxy';

/** MQTT: a fixed header byte, the remaining length (1-4 bytes, 7 bits each), then that many bytes. */
const mqttFrames: FrameCodec = {
  frameLength(buf) {
    let remaining = 0;
    for (let i = 1; i <= 4; i++) {
      if (buf.length <= i) return 0;
      remaining += (buf[i]! & 0x7f) * 128 ** (i - 1);
      if ((buf[i]! & 0x80) === 0) return buf.length >= 1 + i + remaining ? 1 + i + remaining : 0;
    }
    // Not a frame we can follow: hand on what there is, the client will judge it.
    return buf.length;
  },
};

const KEEPALIVE_S = 2;
const FAULT_MS = 8000;
const TICK_MS = 200;
/** Keep alive (1.5 × 2 s), the connect timeout (10 s) of an attempt the fault swallowed, the 2 s retry, a margin. */
const RECOVERY_BOUND_MS = 20_000;

interface Row {
  name: string;
  means: string;
  fault: Fault;
  expect: { during: string; afterwards: string; recovery: string };
}

const MATRIX: Row[] = [
  {
    name: 'latency',
    means: "every packet from the broker held back 300-400 ms (acknowledgements, pings)",
    fault: { kind: 'latency', ms: 300, jitterMs: 100 },
    expect: { during: 'values flow', afterwards: 'every value', recovery: '≤ 20 s' },
  },
  {
    name: 'stall',
    means: 'bytes held both ways, nothing forwarded until the fault clears',
    fault: { kind: 'stall' },
    expect: { during: 'values held', afterwards: 'every value, some from the buffer', recovery: '≤ 20 s, reconnected' },
  },
  {
    name: 'drop connections',
    means: 'every connection destroyed, new ones as soon as they are accepted',
    fault: { kind: 'drop' },
    expect: { during: 'values held', afterwards: 'every value, some from the buffer', recovery: '≤ 20 s, reconnected' },
  },
  {
    name: 'half-open',
    means: 'connections accepted and kept, nothing ever forwarded or answered on them (a cut cable)',
    fault: { kind: 'half-open' },
    expect: { during: 'values held', afterwards: 'every value, some from the buffer', recovery: '≤ 20 s, reconnected' },
  },
  {
    name: 'reset mid-frame',
    means: 'the first 3 bytes of a packet from the broker, then a TCP reset',
    fault: { kind: 'reset-mid-frame', bytes: 3 },
    expect: { during: 'values held', afterwards: 'every value, some from the buffer', recovery: '≤ 20 s, reconnected' },
  },
  {
    name: 'garbage',
    means: 'each packet from the broker replaced by as many pseudo-random bytes',
    fault: { kind: 'garbage' },
    expect: { during: 'values flow, then held', afterwards: 'every value, some from the buffer', recovery: '≤ 20 s, reconnected' },
  },
  {
    name: 'truncated packets',
    means: 'the first 2 bytes of each packet from the broker, the rest never comes',
    fault: { kind: 'truncate', bytes: 2 },
    expect: { during: 'values flow, then held', afterwards: 'every value, some from the buffer', recovery: '≤ 20 s, reconnected' },
  },
  {
    name: 'slow drip',
    means: 'packets from the broker one byte every 20 ms',
    fault: { kind: 'drip', intervalMs: 20 },
    expect: { during: 'values flow', afterwards: 'every value', recovery: '≤ 20 s' },
  },
];

/**
 * What reached the host live during a fault (`at`: arrival times from a settling second after it
 * began): all along, nothing, or values until the connection was taken for dead.
 */
function during(at: readonly number[], t0: number, t1: number): string {
  const expected = (t1 - t0 - 1500) / TICK_MS;
  if (at.length >= expected * 0.8) return 'values flow';
  if (at.length === 0) return 'values held';
  if (at[at.length - 1]! < t1 - 1500) return 'values flow, then held';
  if (at[0]! > t0 + 3000) return 'values held, then flow';
  return 'values partly held';
}

const slug = (name: string) => name.replace(/[^a-z]+/g, '-');

interface Seen {
  value: number;
  at: number;
  historical: boolean;
}

(hasMosquitto ? describe : describe.skip)('MQTT fault matrix (Sparkplug B publishers through a proxy, Mosquitto)', function () {
  this.timeout(150_000);
  let broker: Mosquitto;
  let plc: ModbusTcpSimulator;
  let host: MqttClient;
  let gw: GatewayProcess;
  let pid: number | undefined;
  const proxies = new Map<string, FaultProxy>();
  /** Per edge node, every value of the counter the host got, in arrival order. */
  const seen = new Map<string, Seen[]>();
  const observed = new Map<string, { during: string; afterwards: string; recovery: string; recoveryMs: number; violations: string[] }>();
  let direct: { missing: number[]; maxGapMs: number } | undefined;

  before(async () => {
    broker = await Mosquitto.start({ persistent: true });
    plc = new ModbusTcpSimulator();
    await plc.start();
    host = await mqtt.connectAsync(broker.url, { clientId: 'faults-host', clean: false, reconnectPeriod: 200 });
    host.on('message', (topic, payload) => {
      const m = /^spBv1\.0\/plant1\/(DBIRTH|DDATA)\/([^/]+)\/plc1$/.exec(topic);
      if (!m) return;
      const list = seen.get(m[2]!) ?? [];
      seen.set(m[2]!, list);
      for (const metric of decodePayload(payload).metrics) {
        if (typeof metric.value === 'number') list.push({ value: metric.value, at: Date.now(), historical: metric.isHistorical === true });
      }
    });
    await host.subscribeAsync('spBv1.0/plant1/#', { qos: 1 });
    for (const row of MATRIX) {
      const proxy = new FaultProxy({ targetPort: broker.port, codec: mqttFrames });
      await proxy.start();
      proxies.set(row.name, proxy);
    }
    gw = await startGateway(['--data-dir', broker.dir + '-gateway']);
    pid = gw.child.pid;
    const publisher = (edgeNodeId: string, url: string) => ({ type: 'sparkplug', broker: url, groupId: 'plant1', edgeNodeId, keepaliveS: KEEPALIVE_S, storeAndForward: { maxBytes: 1 << 22 } });
    const { problems } = await gw.connection.sendRequest<{ problems: unknown[] }>('bifrost/config/load', {
      devices: [tcpDevice('plc1', plc.port, { tags: [{ name: 'count', area: 'holding', address: 0, type: 'uint16' }] })],
      publish: [publisher('direct', broker.url), ...MATRIX.map((row) => publisher(slug(row.name), `mqtt://127.0.0.1:${proxies.get(row.name)!.port}`))],
    });
    assert.deepEqual(problems, []);
  });

  after(async () => {
    await gw?.close();
    await host?.endAsync(true);
    for (const p of proxies.values()) await p.close();
    await plc?.stop();
    await broker?.dispose();
    const { rmSync } = await import('node:fs');
    if (broker) rmSync(broker.dir + '-gateway', { recursive: true, force: true });
  });

  it('runs every fault side by side while the counter changes', async () => {
    let n = 1;
    plc.holdings[0] = n;
    const nodes = ['direct', ...MATRIX.map((r) => slug(r.name))];
    await waitFor('every edge node publishing', () => nodes.every((node) => seen.get(node)?.some((s) => s.value === 1)) || undefined, 30_000);
    // Slower than the 100 ms poll, so that every value is read.
    const counter = setInterval(() => (plc.holdings[0] = ++n), TICK_MS);
    try {
      await delay(1000);
      const acceptedBefore = new Map(MATRIX.map((row) => [row.name, proxies.get(row.name)!.accepted]));
      const t0 = Date.now();
      for (const row of MATRIX) proxies.get(row.name)!.set(row.fault);
      await delay(FAULT_MS);
      for (const row of MATRIX) proxies.get(row.name)!.clear();
      const t1 = Date.now();
      const clearedAt = n;
      // Live again: a value taken after the clear arrives, not from the buffer.
      const recovered = await Promise.all(
        MATRIX.map((row) =>
          waitFor(`${row.name}: live values after the fault`, () => {
            const s = (seen.get(slug(row.name)) ?? []).find((v) => v.value > clearedAt && !v.historical);
            return s ? s.at - t1 : undefined;
          }, RECOVERY_BOUND_MS + 10_000).catch(() => Infinity),
        ),
      );
      await delay(1000);
      clearInterval(counter);
      const last = n;
      await waitFor(`every value up to ${last} at every edge node`, () => nodes.every((node) => {
        const got = new Set((seen.get(node) ?? []).map((s) => s.value));
        for (let v = 1; v <= last; v++) if (!got.has(v)) return false;
        return true;
      }) || undefined, 60_000).catch(() => undefined);

      const missingOf = (node: string) => {
        const got = new Set((seen.get(node) ?? []).map((s) => s.value));
        return Array.from({ length: last }, (_, i) => i + 1).filter((v) => !got.has(v));
      };
      MATRIX.forEach((row, i) => {
        const list = seen.get(slug(row.name)) ?? [];
        const violations: string[] = [];
        const missing = missingOf(slug(row.name));
        if (missing.length > 0) violations.push(`${missing.length} values never arrived: ${missing.slice(0, 10).join(', ')}`);
        // During the fault, after a settling second: did values still reach the host live?
        const liveTimes = list.filter((s) => s.at > t0 + 1500 && s.at < t1 && !s.historical).map((s) => s.at);
        const historical = list.filter((s) => s.historical && s.value > 1).length;
        const ms = recovered[i]!;
        observed.set(row.name, {
          during: during(liveTimes, t0, t1),
          afterwards: missing.length > 0 ? `${missing.length} lost` : historical > 0 ? 'every value, some from the buffer' : 'every value',
          // A bound, not the time (which depends on where the reconnect stood): the table stays the same from run to run.
          recovery: ms > RECOVERY_BOUND_MS ? 'not live again' : `≤ ${RECOVERY_BOUND_MS / 1000} s${proxies.get(row.name)!.accepted > acceptedBefore.get(row.name)! ? ', reconnected' : ''}`,
          recoveryMs: ms,
          violations,
        });
      });
      const directList = seen.get('direct') ?? [];
      let maxGapMs = 0;
      for (let i = 1; i < directList.length; i++) if (directList[i]!.at >= t0) maxGapMs = Math.max(maxGapMs, directList[i]!.at - directList[i - 1]!.at);
      direct = { missing: missingOf('direct'), maxGapMs };
      console.log(`      live again after the clear: ${MATRIX.map((r) => `${r.name} ${observed.get(r.name)!.recoveryMs} ms`).join(', ')}; the direct edge node's longest gap ${maxGapMs} ms`);
    } finally {
      clearInterval(counter);
    }
  });

  for (const row of MATRIX) {
    it(`${row.name}: ${row.means}`, () => {
      const o = observed.get(row.name);
      assert.ok(o, 'the row ran');
      assert.deepEqual(o.violations, []);
      assert.deepEqual({ during: o.during, afterwards: o.afterwards, recovery: o.recovery }, row.expect);
    });
  }

  it('the edge node without a proxy published every value throughout, live', () => {
    assert.ok(direct);
    assert.deepEqual(direct.missing, []);
    assert.ok(direct.maxGapMs < 2000, `a gap of ${direct.maxGapMs} ms between its values`);
  });

  it('is still the same gateway process, answering', async () => {
    assert.equal(gw.child.exitCode, null);
    assert.equal(gw.child.pid, pid);
    await gw.connection.sendRequest('bifrost/devices/list');
  });

  it('matches the table in docs/reliability.md', () => {
    const rows = MATRIX.map((row) => {
      const o = observed.get(row.name);
      return [row.name, o?.during ?? '?', o?.afterwards ?? '?', o?.recovery ?? '?'];
    });
    const doc = [markdownTable(['fault', 'during the fault', 'afterwards', 'live again'], rows), '', ...MATRIX.map((row) => `- **${row.name}**: ${row.means}.`)].join('\n');
    checkOrUpdateSection('mqtt', doc);
  });
});
