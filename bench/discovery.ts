/**
 * The `discovery` section: `bifrost/discover` over a /24 of loopback addresses (all of
 * 127.0.0.0/8 reaches this machine, and a closed port refuses at once) with three live
 * simulators, through the built gateway over stdio. Twice: simulators that answer every unit id
 * (as most Modbus TCP devices do), and simulators with one unit whose other unit ids stay
 * silent (as a gateway to a serial bus may), where each silent unit id costs timeouts.
 */
import type { DiscoveredNotification, DiscoverResult } from '../gateway/protocol';
import { ModbusTcpSimulator } from '../gateway/sim/modbusServer';
import { spawnGateway } from '../tools/gatewayClient';
import { freePort, median } from './stats';

const HOSTS = ['127.0.5.10', '127.0.5.20', '127.0.5.30'];
const IDENTITY = { vendorName: 'Bench Controls', productCode: 'BC-1', revision: '1.0' };
const RUNS = 3;

interface Scan {
  ms: number;
  found: number;
  hostsFound: number;
  probed: number;
}

async function scans(unitIds: number[] | undefined, timeoutMs: number): Promise<Scan[]> {
  const port = await freePort();
  const sims = HOSTS.map((host) => new ModbusTcpSimulator({ host, port, identity: IDENTITY, ...(unitIds ? { unitIds } : {}) }));
  for (const s of sims) await s.start();
  const gw = await spawnGateway();
  try {
    const found = new Map<string, DiscoveredNotification['items']>();
    gw.connection.onNotification('bifrost/discovered', (n: DiscoveredNotification) => void found.set(n.discoveryId, [...(found.get(n.discoveryId) ?? []), ...n.items]));
    const out: Scan[] = [];
    for (let i = 0; i < RUNS; i++) {
      const id = `bench-${i}`;
      const r = await gw.connection.sendRequest<DiscoverResult>('bifrost/discover', { discoveryId: id, modbus: { targets: ['127.0.5.0/24'], ports: [port], timeoutMs } });
      const items = found.get(id) ?? [];
      out.push({ ms: r.durationMs, found: r.found, hostsFound: new Set(items.map((x) => (x.protocol === 'modbus-tcp' ? x.host : ''))).size, probed: r.probed });
    }
    return out;
  } finally {
    await gw.close();
    for (const s of sims) await s.stop();
  }
}

export async function discoverySection(): Promise<void> {
  const timeoutMs = 1000;
  console.log(`\n## Discovery: a /24 of loopback addresses, three live simulators, default unit ids 1, 255, 0, timeout ${timeoutMs} ms (median of ${RUNS})`);
  for (const [label, unitIds] of [
    ['simulators answering every unit id', undefined],
    ['simulators with unit 1 only (255 and 0 silent)', [1]],
  ] as const) {
    const runs = await scans(unitIds ? [...unitIds] : undefined, timeoutMs);
    const ms = median(runs.map((r) => r.ms));
    const all = runs.every((r) => r.hostsFound === HOSTS.length);
    console.log(`  ${label.padEnd(48)} ${String(Math.round(ms)).padStart(6)} ms (runs ${runs.map((r) => r.ms).join(', ')}); ${runs[0]!.found} units on ${runs[0]!.hostsFound} of ${HOSTS.length} hosts found, ${runs[0]!.probed} probes${all ? '' : '; NOT ALL FOUND'} (goal: all found, ≤ 3000 ms)`);
  }
}
