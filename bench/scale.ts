/**
 * Many devices in one gateway: N Modbus TCP devices of 10 tags each, polled every second, each
 * with a TCP connection of its own. The simulators run in a process of their own, several
 * devices per simulator port (each device is still its own connection).
 *
 * Reported: connections held, gateway CPU and RSS, the age of values when they arrive, and
 * whether every tag got a fresh reading within two intervals (the largest gap between two
 * deliveries of one tag), each with how it grows with the device count.
 */
import type { DeviceListResult, DeviceStatusNotification, SubscribeResult, ValuesNotification } from '../gateway/protocol';
import { spawnFastGateway } from './fastClient';

export interface ScaleResult {
  devices: number;
  connected: number;
  connectS: number;
  cpuPct: number;
  rssMb: number;
  valuesPerS: number;
  ageP50: number;
  ageP99: number;
  ageMax: number;
  /** Largest time between two deliveries of one tag, p50/p99/max over the tags, in ms. */
  gapP50: number;
  gapP99: number;
  gapMax: number;
  /** Tags that got no reading at all in the window. */
  silentTags: number;
  skipped: number;
}

export interface ScaleDeps {
  ports: number[];
  cpuSeconds(pid: number): { user: number; system: number };
  rssMb(pid: number): number;
  pct(xs: number[], p: number): number;
}

const TAGS = Array.from({ length: 10 }, (_, i) => `holding:${i * 3}`);
const INTERVAL_MS = 1000;

export async function scaleRun(devices: number, seconds: number, d: ScaleDeps): Promise<ScaleResult> {
  // As docs/protocol.md recommends for thousands of devices; BIFROST_BENCH_NODE_ARGS overrides.
  const gw = await spawnFastGateway(process.env['BIFROST_BENCH_NODE_ARGS']?.split(' ').filter(Boolean) ?? ['--max-semi-space-size=16']);
  try {
    const pid = gw.child.pid!;
    const config = Array.from({ length: devices }, (_, i) => ({
      id: `dev${i}`,
      protocol: 'modbus-tcp',
      host: '127.0.0.1',
      port: d.ports[i % d.ports.length]!,
      timeoutMs: 3000,
      pollIntervalMs: INTERVAL_MS,
    }));
    const t0 = Date.now();
    const status = new Map<string, string>();
    gw.onNotification('bifrost/deviceStatus', (p) => {
      const n = p as DeviceStatusNotification;
      status.set(n.id, n.status);
    });
    await gw.request('bifrost/config/load', { devices: config });
    // Per tag, by subscription and tag index: the client must keep up with 100,000 readings a
    // second at 10,000 devices, or the benchmark measures the client's lag instead of the gateway.
    const slotOf = new Map<string, number>();
    const tagIndex = new Map(TAGS.map((t, i) => [t, i]));
    const arrivals = new Float64Array(devices * TAGS.length).fill(NaN);
    const gaps = new Float64Array(devices * TAGS.length);
    let measuring = false;
    let values = 0;
    const ages: number[] = [];
    let sample = 0;
    gw.onNotification('bifrost/values', (p) => {
      const n = p as ValuesNotification;
      const base = slotOf.get(n.subscriptionId);
      if (base === undefined) return; // before its subscribe answer was read: not measured yet
      const now = Date.now();
      for (const r of n.items) {
        const slot = base + tagIndex.get(r.tag)!;
        if (measuring) {
          values++;
          const before = arrivals[slot]!;
          if (!Number.isNaN(before) && now - before > gaps[slot]!) gaps[slot] = now - before;
          // Every 7th reading's age: enough samples, far less work for this process.
          if (++sample % 7 === 0) ages.push(now - r.timestamp);
        }
        arrivals[slot] = now;
      }
    });
    // Subscribe while the devices connect: a device's first values come once it has answered.
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < devices; i++) {
      const slot = i * TAGS.length;
      pending.push(gw.request<SubscribeResult>('bifrost/subscribe', { deviceId: `dev${i}`, tags: TAGS, intervalMs: INTERVAL_MS, onChangeOnly: false }).then((r) => slotOf.set(r.subscriptionId, slot)));
      if (pending.length >= 500) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    // Counted from status notifications: listing 10,000 devices a few times a second would be a load of its own.
    const connectedNow = () => [...status.values()].filter((s) => s === 'connected').length;
    while (connectedNow() < devices && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 100));
    const connected = connectedNow();
    const connectS = (Date.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 3 * INTERVAL_MS)); // settle onto the scan grid
    const before = await gw.request<DeviceListResult>('bifrost/devices/list');
    const cpu0 = d.cpuSeconds(pid);
    const start = Date.now();
    arrivals.fill(NaN);
    measuring = true;
    const rss: number[] = [];
    for (let s = 0; s < seconds; s++) {
      await new Promise((r) => setTimeout(r, 1000));
      rss.push(d.rssMb(pid));
    }
    measuring = false;
    const elapsed = (Date.now() - start) / 1000;
    const cpu1 = d.cpuSeconds(pid);
    const after = await gw.request<DeviceListResult>('bifrost/devices/list');
    let skipped = 0;
    for (const dev of after.devices) {
      const b = before.devices.find((x) => x.id === dev.id);
      if (b) skipped += dev.stats.skippedScans - b.stats.skippedScans;
    }
    const gapList: number[] = [];
    let silentTags = 0;
    for (let i = 0; i < gaps.length; i++) {
      if (Number.isNaN(arrivals[i]!)) silentTags++;
      else if (gaps[i]! > 0) gapList.push(gaps[i]!);
    }
    return {
      devices,
      connected,
      connectS,
      cpuPct: ((cpu1.user + cpu1.system - cpu0.user - cpu0.system) / elapsed) * 100,
      rssMb: largest(rss),
      valuesPerS: values / elapsed,
      ageP50: d.pct(ages, 0.5),
      ageP99: d.pct(ages, 0.99),
      ageMax: largest(ages),
      gapP50: d.pct(gapList, 0.5),
      gapP99: d.pct(gapList, 0.99),
      gapMax: largest(gapList),
      silentTags,
      skipped,
    };
  } finally {
    await gw.close();
  }
}

/** Math.max(...xs) overflows the stack beyond about 100,000 arguments. */
function largest(xs: readonly number[]): number {
  let m = 0;
  for (const x of xs) if (x > m) m = x;
  return m;
}
