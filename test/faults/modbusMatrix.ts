/**
 * The Modbus fault matrix runner, for each framing that rides on TCP (Modbus TCP, and RTU over TCP
 * from a serial server): each link fault (injected by a proxy between the gateway and our
 * simulator) against a one-off read, a subscription's polling and a write, while a healthy device
 * beside it is polled throughout. Every fault gets its own simulator, proxy and three devices (one
 * per kind of request), and the faults run side by side in one gateway: a fault's trouble stays on
 * its own link, and the run stays short.
 *
 * For every cell: never a wrong value (registers change, so a stale or misrouted answer would
 * show), never a write reported done that the device does not hold, the gateway alive, the device
 * good again after the fault clears within the backoff bound, and the healthy device's values
 * fresh throughout. What each cell observed is compared with the framing's table, and written to
 * docs/reliability.md (BIFROST_UPDATE_DOCS=1) or checked against it.
 */
import { strict as assert } from 'node:assert';
import type { GatewayProcess } from '../../tools/gatewayClient';
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';
import type { DeviceConfig, DeviceListResult, SubscribeResult, TagReading, TagsReadResult, TagsWriteResult } from '../../gateway/protocol';
import { delay, startGateway, tcpDevice, ValueLog, waitFor } from '../integration/harness';
import { checkOrUpdateSection, markdownTable } from './docTable';
import { RegisterHistory } from './registerHistory';
import { FaultProxy, type Fault, type FrameCodec } from './faultProxy';

/** Each faulty device's request timeout. */
export const TIMEOUT_MS = 500;
/** The faulty devices' subscriptions. */
const POLL_MS = 200;
/** The healthy device's subscription. */
const HEALTHY_POLL_MS = 100;
/** How long each fault lasts while the subscription is watched. */
const FAULT_MS = 3000;
/** Readings this soon after the fault began may still be answers from before it. */
const SETTLE_MS = 400;
/** The links' reconnect backoff tops out at 10 s (queuedLink.ts); recovery must come within it and a margin. */
const BACKOFF_MAX_MS = 10_000;
const RECOVERY_BOUND_MS = BACKOFF_MAX_MS + 5_000;
/** A good reading must carry a value the register held no longer ago than this. */
const STALE_MS = TIMEOUT_MS + 700;

/** Registers of each fault's simulator: one per kind of request. */
const READ_REG = 0;
const POLL_REG = 1;
const WRITE_REG = 2;

export interface Expected {
  read: string;
  poll: string;
  write: string;
  recovery: string;
}

export interface Row {
  name: string;
  /** One line for the document. */
  means: string;
  fault: Fault;
  expect: Expected;
}

/**
 * The link faults every framing on TCP meets alike: their names, what they do and the fault; each
 * matrix gives them its expectations, beside faults of its own.
 */
export const LINK_FAULTS = {
  latency: { name: 'latency + jitter', means: 'every answer held back 150-250 ms, within the 500 ms timeout', fault: { kind: 'latency', ms: 150, jitterMs: 100 } },
  stall: { name: 'stall', means: 'bytes held both ways, nothing forwarded until the fault clears', fault: { kind: 'stall' } },
  drop: { name: 'drop connections', means: 'every connection destroyed, new ones as soon as they are accepted', fault: { kind: 'drop' } },
  halfOpen: { name: 'half-open', means: 'connections accepted and kept, nothing ever forwarded or answered on them', fault: { kind: 'half-open' } },
  garbage: { name: 'garbage', means: 'each answer replaced by as many pseudo-random bytes', fault: { kind: 'garbage' } },
  duplicate: { name: 'duplicate answer', means: 'each answer sent twice, back to back in one segment', fault: { kind: 'duplicate' } },
  late: { name: 'late answer', means: 'each answer delivered 1500 ms late, past the timeout, if the connection is still there', fault: { kind: 'late', ms: 1500 } },
  oneLate: { name: 'one late answer', means: 'the next answer on each open connection delivered 1500 ms late, later ones on time', fault: { kind: 'late', ms: 1500, firstOnly: true } },
  everyOther: { name: 'every other answer', means: 'per connection, the 2nd, 4th, … answer dropped', fault: { kind: 'every-other' } },
} satisfies Record<string, Omit<Row, 'expect'>>;

export const AT_ONCE = '≤ 2 s';
export const RECONNECTED = '≤ 15 s, reconnected';

/** A device the faults stand in front of: its holding registers, where it listens, how it stops. */
export interface Target {
  holdings: Uint16Array;
  port: number;
  stop(): Promise<void>;
}

export interface ModbusMatrix {
  title: string;
  /** The section of docs/reliability.md its table goes to. */
  section: string;
  rows: Row[];
  codec: FrameCodec;
  /** Why a reading is bad or a request failed, in a few stable words. */
  cause(message: string): string;
  startTarget(): Promise<Target>;
  /** A device of this framing at `port` (the proxy's). */
  device(id: string, port: number, opts: { timeoutMs: number; pollIntervalMs: number; allowWrites?: boolean }): DeviceConfig;
  /**
   * Each device of a row behind a proxy of its own (on one target), rather than the three behind
   * one: RTU devices at one address share a line, and on a shared line which device's request a
   * fault hits (every other answer, the next answer late) would be a race.
   */
  proxyPerDevice: boolean;
}

/** A row's proxies, one or one per device, switched and counted as one. */
class Proxies {
  constructor(readonly all: FaultProxy[]) {}

  set(fault: Fault): void {
    for (const p of this.all) p.set(fault);
  }

  clear(): void {
    for (const p of this.all) p.clear();
  }

  get open(): number {
    return this.all.reduce((n, p) => n + p.open, 0);
  }

  get upstreamOpen(): number {
    return this.all.reduce((n, p) => n + p.upstreamOpen, 0);
  }

  get accepted(): number {
    return this.all.reduce((n, p) => n + p.accepted, 0);
  }

  /** The port the `i`th device of the row connects to. */
  port(i: number): number {
    return this.all[i % this.all.length]!.port;
  }
}

/** Each device holds one connection: three per row. */
const CONNECTIONS_PER_ROW = 3;

/** Two requests' outcomes as one cell. */
function pairCell(a: string, b: string): string {
  return a === b ? a : `${a}, then ${b}`;
}

/**
 * Recovery as a bound, so the table stays the same from run to run. Without a new connection it
 * is the next poll. After a lost connection it depends on where the jittered reconnect backoff
 * stood when the fault cleared (measured here: 0.2 s to about 4 s), so it is told as the bound the
 * backoff guarantees: its largest delay plus a margin.
 */
function bucket(ms: number, reconnected: boolean): string {
  const bound = `${Math.ceil(RECOVERY_BOUND_MS / 1000)} s`;
  // The next poll, with a wide margin for a busy machine (measured: 0.1-0.4 s).
  if (!reconnected && ms <= 2000) return AT_ONCE;
  const how = reconnected ? ', reconnected' : '';
  return ms <= RECOVERY_BOUND_MS ? `≤ ${bound}${how}` : `> ${bound}${how}`;
}

interface Observed {
  read: string;
  poll: string;
  write: string;
  recovery: string;
  recoveryMs: number;
  /** Wrong values, unconfirmed writes, anything that must never happen. */
  violations: string[];
  maxOpen: number;
}

let nextValue = 1000;
/** A value no register held before. */
function fresh(): number {
  nextValue = nextValue >= 60000 ? 1000 : nextValue + 1;
  return nextValue;
}

export function describeModbusMatrix(m: ModbusMatrix): void {
  const { cause } = m;
  describe(m.title, function () {
    this.timeout(120_000);
    let gw: GatewayProcess;
    let values: ValueLog;
    const targets: Target[] = [];
    let healthySim: ModbusTcpSimulator | undefined;
    const proxies: Proxies[] = [];
    const observed = new Map<string, Observed>();
    let healthy: { maxAgeMs: number; violations: string[]; samples: number };
    let pid: number | undefined;

    const slug = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
    const list = async () => (await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list')).devices;

    async function read(deviceId: string): Promise<TagReading> {
      const res = await gw.connection.sendRequest<TagsReadResult>('bifrost/tags/read', { deviceId, tags: [`holding:${READ_REG}`] });
      return res.results[0]!;
    }

    /** A write's outcome; `ok` only when the gateway said the device confirmed it. */
    async function write(deviceId: string, value: number): Promise<{ ok: boolean; code: number; message: string }> {
      try {
        const res = await gw.connection.sendRequest<TagsWriteResult>('bifrost/tags/write', { deviceId, tag: `holding:${WRITE_REG}`, value });
        return { ok: res.value === value, code: 0, message: `wrote ${String(res.value)}` };
      } catch (err) {
        const e = err as { code?: number; message?: string };
        return { ok: false, code: e.code ?? -1, message: e.message ?? String(err) };
      }
    }

    async function runRow(row: Row, target: Target, proxy: Proxies, pollSub: string): Promise<Observed> {
      const id = slug(row.name);
      const violations: string[] = [];
      const readHistory = new RegisterHistory(target.holdings, READ_REG, STALE_MS);
      const pollHistory = new RegisterHistory(target.holdings, POLL_REG, STALE_MS);
      let maxOpen = 0;
      const watchOpen = setInterval(() => (maxOpen = Math.max(maxOpen, proxy.open)), 50);
      // The poll register keeps changing, so a stale answer taken for a fresh one shows.
      const ticker = setInterval(() => pollHistory.set(fresh()), 300);

      const readOnce = async (): Promise<string> => {
        const v = fresh();
        readHistory.set(v);
        const reading = await read(`${id}-read`);
        if (process.env['FAULT_DEBUG']) console.log(id, 'read', reading.quality, reading.value, reading.error);
        if (reading.quality === 'good') {
          if (reading.value !== v) violations.push(`read ${String(reading.value)}, the register held ${v}`);
          return 'good';
        }
        if (reading.value !== null) violations.push(`a ${reading.quality} reading carried value ${String(reading.value)}`);
        return `${reading.quality} · ${cause(reading.error ?? '')}`;
      };
      const writeOnce = async (): Promise<string> => {
        const v = fresh();
        const r = await write(`${id}-write`, v);
        if (process.env['FAULT_DEBUG']) console.log(id, 'write', r.ok, r.code, r.message);
        if (r.ok) {
          // Reported done: the device must hold it.
          if (target.holdings[WRITE_REG] !== v) violations.push(`write of ${v} reported done, the device holds ${target.holdings[WRITE_REG]}`);
          return 'good';
        }
        return `error ${r.code} · ${cause(r.message)}`;
      };
      /**
       * The first request under the fault, and a second: at once after a good one (what a fault
       * that lets one answer through does next), after a failure only once the device answered
       * again on a new connection (asked any earlier, its fate would depend on where the
       * reconnection stands: a race).
       */
      const twice = async (device: string, once: () => Promise<string>): Promise<string> => {
        const a = await once();
        if (!a.startsWith('good')) {
          // Only once the device answered again on a new connection (the fault let it through).
          const back = await waitFor(`${device} connected`, async () => (await list()).find((d) => d.id === device)?.status === 'connected', 2500).then(
            () => true,
            () => false,
          );
          if (!back) return a;
        }
        const b = await once();
        return pairCell(a, b);
      };

      try {
        // Good before the fault.
        await waitFor(`${id}: a good read before the fault`, async () => (await readOnce()).startsWith('good'), 15_000);
        await waitFor(`${id}: a good write before the fault`, async () => (await writeOnce()).startsWith('good'), 15_000);
        const pollStart = Date.now();
        await waitFor(`${id}: a good poll before the fault`, () => {
          const r = values.latest(pollSub, `holding:${POLL_REG}`);
          return r?.quality === 'good' && r.timestamp > pollStart;
        }, 15_000);

        const acceptedBefore = proxy.accepted;
        proxy.set(row.fault);
        const t0 = Date.now();
        const [readCell, writeCell] = await Promise.all([twice(`${id}-read`, readOnce), twice(`${id}-write`, writeOnce), delay(FAULT_MS)]);
        const seen = new Set<string>();
        for (const r of (values.batches.get(pollSub) ?? []).flat()) {
          if (r.timestamp < t0 + SETTLE_MS || r.timestamp > t0 + FAULT_MS) continue;
          if (r.quality === 'good') {
            seen.add('good');
            const wrong = pollHistory.check(r.value, r.timestamp);
            if (wrong) violations.push(`poll: ${wrong}`);
          } else {
            seen.add(`${r.quality} · ${cause(r.error ?? '')}`);
            if (r.value !== null) violations.push(`a ${r.quality} polled reading carried value ${String(r.value)}`);
          }
        }
        const pollCell = [...seen].sort().join(' + ') || 'nothing';

        // Cleared: each device good again, with right values.
        proxy.clear();
        const t1 = Date.now();
        const deadline = t1 + RECOVERY_BOUND_MS + 5_000;
        const until = async (what: string, ok: () => Promise<boolean> | boolean): Promise<number> => {
          for (;;) {
            if (await ok()) return Date.now() - t1;
            if (Date.now() > deadline) throw new Error(`${id}: ${what} not good again ${deadline - t1} ms after the fault cleared`);
            await delay(100);
          }
        };
        const recovered = await Promise.all([
          until('read', async () => (await readOnce()).startsWith('good')),
          until('write', async () => (await writeOnce()).startsWith('good')),
          until('poll', () => {
            const r = values.latest(pollSub, `holding:${POLL_REG}`);
            return r?.quality === 'good' && r.timestamp > t1;
          }),
        ]);
        const recoveryMs = Math.max(...recovered);
        // Whatever the fault did, the devices are back on their connections, no more.
        await waitFor(`${id}: one connection per device`, () => proxy.open <= CONNECTIONS_PER_ROW, 5_000).catch(() => violations.push(`${proxy.open} connections open after recovery`));
        return { read: readCell, poll: pollCell, write: writeCell, recovery: bucket(recoveryMs, proxy.accepted > acceptedBefore), recoveryMs, violations, maxOpen };
      } finally {
        clearInterval(ticker);
        clearInterval(watchOpen);
        proxy.clear();
      }
    }

    before(async () => {
      gw = await startGateway();
      pid = gw.child.pid;
      values = new ValueLog(gw.connection);
      healthySim = new ModbusTcpSimulator();
      await healthySim.start();
      const devices: DeviceConfig[] = [tcpDevice('healthy', healthySim.port, { timeoutMs: 1000, pollIntervalMs: HEALTHY_POLL_MS })];
      const byRow: { row: Row; target: Target; proxy: Proxies }[] = [];
      for (const row of m.rows) {
        const target = await m.startTarget();
        targets.push(target);
        const proxy = new Proxies(Array.from({ length: m.proxyPerDevice ? 3 : 1 }, () => new FaultProxy({ targetPort: target.port, codec: m.codec })));
        await Promise.all(proxy.all.map((p) => p.start()));
        proxies.push(proxy);
        const id = slug(row.name);
        const opts = { timeoutMs: TIMEOUT_MS, pollIntervalMs: POLL_MS };
        devices.push(m.device(`${id}-read`, proxy.port(0), opts), m.device(`${id}-poll`, proxy.port(1), opts), m.device(`${id}-write`, proxy.port(2), { ...opts, allowWrites: true }));
        byRow.push({ row, target, proxy });
      }
      const { problems } = await gw.connection.sendRequest<{ problems: unknown[] }>('bifrost/config/load', { devices });
      assert.deepEqual(problems, []);

      const healthyHistory = new RegisterHistory(healthySim.holdings, 0, STALE_MS);
      const healthySub = await gw.connection.sendRequest<SubscribeResult>('bifrost/subscribe', { deviceId: 'healthy', tags: ['holding:0'], intervalMs: HEALTHY_POLL_MS, onChangeOnly: false });
      await waitFor('the healthy device polled', () => values.latest(healthySub.subscriptionId, 'holding:0')?.quality === 'good');
      healthy = { maxAgeMs: 0, violations: [], samples: 0 };
      const healthyTicker = setInterval(() => healthyHistory.set(fresh()), 250);
      const watch = setInterval(() => {
        const r = values.latest(healthySub.subscriptionId, 'holding:0');
        healthy.samples++;
        if (!r) return;
        healthy.maxAgeMs = Math.max(healthy.maxAgeMs, Date.now() - r.timestamp);
        if (r.quality !== 'good') healthy.violations.push(`healthy device: ${r.quality} (${r.error ?? ''})`);
      }, 100);

      const subs = await Promise.all(
        byRow.map(({ row }) =>
          gw.connection.sendRequest<SubscribeResult>('bifrost/subscribe', { deviceId: `${slug(row.name)}-poll`, tags: [`holding:${POLL_REG}`], intervalMs: POLL_MS, onChangeOnly: false }),
        ),
      );
      try {
        await Promise.all(
          byRow.map(async ({ row, target, proxy }, i) => {
            try {
              observed.set(row.name, await runRow(row, target, proxy, subs[i]!.subscriptionId));
            } catch (err) {
              const failed = `failed: ${(err as Error).message}`;
              observed.set(row.name, { read: failed, poll: failed, write: failed, recovery: failed, recoveryMs: NaN, violations: [failed], maxOpen: proxy.open });
            }
          }),
        );
      } finally {
        clearInterval(watch);
        clearInterval(healthyTicker);
      }
      // The measured times behind the table's bounds, for the record.
      const times = m.rows.map((row) => `${row.name} ${observed.get(row.name)?.recoveryMs ?? '?'} ms`);
      console.log(`      recovery after clear(): ${times.join(', ')}; healthy device's latest value at most ${healthy.maxAgeMs} ms old`);
      // Every healthy reading carried a value the register held lately.
      for (const r of (values.batches.get(healthySub.subscriptionId) ?? []).flat()) {
        if (r.quality !== 'good') continue;
        const wrong = healthyHistory.check(r.value, r.timestamp);
        if (wrong) healthy.violations.push(`healthy device: ${wrong}`);
      }
    });

    after(async () => {
      await gw?.close();
      await Promise.all(proxies.splice(0).flatMap((p) => p.all.map((one) => one.close())));
      await Promise.all(targets.splice(0).map((t) => t.stop()));
      await healthySim?.stop();
    });

    for (const row of m.rows) {
      it(`${row.name}: ${row.means}`, () => {
        const o = observed.get(row.name);
        assert.ok(o, 'the cell ran');
        assert.deepEqual(o.violations, []);
        assert.ok(o.recoveryMs <= RECOVERY_BOUND_MS, `good again after ${o.recoveryMs} ms, beyond ${RECOVERY_BOUND_MS} ms`);
        assert.ok(o.maxOpen <= 2 * CONNECTIONS_PER_ROW, `${o.maxOpen} connections open at once through the proxy for 3 devices`);
        assert.deepEqual({ read: o.read, poll: o.poll, write: o.write, recovery: o.recovery }, row.expect);
      });
    }

    it('kept polling the healthy device throughout, with fresh, right values', () => {
      assert.deepEqual(healthy.violations, []);
      assert.ok(healthy.samples > 20);
      // Polled every 100 ms: a value 2 s old means the faults held it up.
      assert.ok(healthy.maxAgeMs < 2000, `the healthy device's latest value got ${healthy.maxAgeMs} ms old`);
    });

    it('is still the same gateway process, answering, and leaves no connection behind', async () => {
      assert.equal(gw.child.exitCode, null);
      assert.equal(gw.child.pid, pid);
      const devices = await list();
      assert.equal(devices.length, 1 + m.rows.length * 3);
      await gw.connection.sendRequest('bifrost/config/load', { devices: [] });
      await waitFor('every proxied connection closed', () => proxies.every((p) => p.open === 0 && p.upstreamOpen === 0), 10_000);
    });

    it('matches the table in docs/reliability.md', () => {
      const rows = m.rows.map((row) => {
        const o = observed.get(row.name);
        return [row.name, o?.read ?? '?', o?.poll ?? '?', o?.write ?? '?', o?.recovery ?? '?'];
      });
      const faults = m.rows.map((row) => `- **${row.name}**: ${row.means}.`);
      checkOrUpdateSection(m.section, [markdownTable(['fault', 'read', 'poll', 'write', 'recovery'], rows), '', ...faults].join('\n'));
    });
  });
}
