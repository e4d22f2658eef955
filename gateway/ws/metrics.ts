/**
 * `GET /metrics` (Prometheus text format, prom-client) and `GET /health` of the listener. The
 * device counters are the drivers' own (`DeviceInfo.stats`, `bus`, the collectors the core lends
 * them), the client counters the core's (`core.delivered`, `core.clients`), all read when
 * scraped: nothing is counted twice. Names `bifrost_…` in base units, counters ending in `_total`.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { HealthCheck } from '../core/health';
import { DURATION_BUCKETS_S, type DurationHistogram } from '../core/stats';
import { DROP_REASONS, UNAUTHENTICATED } from '../core/traffic';
import type { GatewayCore } from '../gatewayCore';
import type { DeviceInfo } from '../protocol';

export interface HealthReport {
  status: 'ok' | 'failing';
  /** Why it is failing; empty when ok. */
  reasons: string[];
  devices: { enabled: number; connected: number };
  /** What the contributors (core.health) answered; a check that is not ok is among the reasons too. */
  checks: HealthCheck[];
  sessions: number;
  uptimeSeconds: number;
}

/** At least this share of the enabled devices must be connected for the gateway to be healthy. */
export const HEALTHY_SHARE = 0.5;

export interface MetricsOptions {
  /**
   * The client names that may still come back (the tokens file's names), or null when unknown:
   * the series of a client that has no connection and no token any more end at the next scrape.
   */
  clientNames?: () => ReadonlySet<string> | null;
}

export class GatewayMetrics {
  readonly registry = new Registry();

  constructor(
    private readonly core: GatewayCore,
    options: MetricsOptions = {},
  ) {
    // Node's own (memory, event loop, handles), as bifrost_process_… and bifrost_nodejs_….
    collectDefaultMetrics({ register: this.registry, prefix: 'bifrost_' });
    const devices = () => core.devices.list().filter((d) => d.enabled);
    const counter = (name: string, help: string, value: (d: DeviceInfo) => number | undefined) =>
      new Counter({
        name,
        help,
        labelNames: ['device', 'protocol'],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const d of devices()) {
            const v = value(d);
            if (v !== undefined) this.inc({ device: d.id, protocol: d.protocol }, v);
          }
        },
      });
    counter('bifrost_device_requests_total', 'Requests sent to the device.', (d) => d.stats.requests);
    counter('bifrost_device_errors_total', 'Failed requests: exceptions, timeouts, bad answers, lost connections.', (d) => d.stats.errors);
    counter('bifrost_device_timeouts_total', 'Requests the device did not answer in time.', (d) => d.stats.timeouts);
    counter('bifrost_device_reconnects_total', 'Connections made again after one was lost.', (d) => d.stats.reconnects);
    counter('bifrost_device_connect_failures_total', 'Connection attempts that failed.', (d) => d.stats.connectFailures);
    counter('bifrost_device_skipped_scans_total', 'Scans that could not start because the previous one had not finished.', (d) => d.stats.skippedScans);
    counter('bifrost_serial_crc_errors_total', 'Answers on the device\'s serial bus with a wrong CRC (the line\'s count).', (d) => d.bus?.crcErrors);
    new Gauge({
      name: 'bifrost_device_connected',
      help: '1 while the device is connected (it has answered), else 0.',
      labelNames: ['device', 'protocol'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const d of devices()) this.set({ device: d.id, protocol: d.protocol }, d.status === 'connected' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'bifrost_device_request_latency_seconds',
      help: 'Request round trip over a recent window, by quantile (0.5, 0.99).',
      labelNames: ['device', 'protocol', 'quantile'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const d of devices()) {
          if (d.stats.latencyP50Ms !== null) this.set({ device: d.id, protocol: d.protocol, quantile: '0.5' }, d.stats.latencyP50Ms / 1000);
          if (d.stats.latencyP99Ms !== null) this.set({ device: d.id, protocol: d.protocol, quantile: '0.99' }, d.stats.latencyP99Ms / 1000);
        }
      },
    });
    new Counter({
      name: 'bifrost_values_delivered_total',
      help: 'Values sent to sessions in bifrost/values notifications, each counted once per session it went to (the editor, WebSocket clients, publishers, the service poller).',
      labelNames: ['device', 'protocol'],
      registers: [this.registry],
      collect() {
        this.reset();
        const all = core.devices.list();
        core.delivered.prune(new Set(all.map((d) => d.id)));
        for (const d of all) {
          const n = core.delivered.of(d.id);
          if (n > 0) this.inc({ device: d.id, protocol: d.protocol }, n);
        }
      },
    });
    // The client series are read in one pass at each scrape: the names to keep are read first.
    const clients = () => {
      const names = options.clientNames?.() ?? null;
      if (names) core.clients.prune((name) => name.startsWith('@') || names.has(name));
      return core.clients.entries();
    };
    new Counter({
      name: 'bifrost_client_messages_total',
      help: `JSON-RPC messages from (in) and to (out) each client: the token's name, @stdio or @ipc for the editor's connection, ${UNAUTHENTICATED} before a token.`,
      labelNames: ['client', 'direction'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [client, c] of clients()) {
          this.inc({ client, direction: 'in' }, c.received);
          this.inc({ client, direction: 'out' }, c.sent);
        }
      },
    });
    new Counter({
      name: 'bifrost_client_drops_total',
      help: `Messages not served and connections dropped, by client and reason (${DROP_REASONS.join(', ')}).`,
      labelNames: ['client', 'reason'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [client, c] of core.clients.entries()) for (const reason of DROP_REASONS) this.inc({ client, reason }, c.drops[reason]);
      },
    });
    new Gauge({
      name: 'bifrost_client_connections',
      help: 'Connections open now, by client.',
      labelNames: ['client'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [client, c] of core.clients.entries()) this.set({ client }, c.open);
      },
    });
    // Per publisher (label: `sparkplug <group>/<edge node>`), counted since it started.
    const publisherMetric = (Kind: typeof Counter | typeof Gauge, name: string, help: string, value: (s: ReturnType<GatewayCore['publisherStats']>[number]) => number) =>
      new Kind({
        name,
        help,
        labelNames: ['publisher'],
        registers: [this.registry],
        collect(this: Counter | Gauge) {
          this.reset();
          for (const s of core.publisherStats()) {
            if (this instanceof Gauge) this.set({ publisher: s.name }, value(s));
            else this.inc({ publisher: s.name }, value(s));
          }
        },
      });
    publisherMetric(Gauge, 'bifrost_mqtt_online', '1 while the publisher sends live (connected to its broker, its primary host online), else 0.', (s) => (s.online ? 1 : 0));
    publisherMetric(Counter, 'bifrost_mqtt_publishes_total', 'MQTT messages published (births, deaths, data, historical data).', (s) => s.published);
    publisherMetric(Gauge, 'bifrost_mqtt_buffered_values', 'Values in the store-and-forward buffer, waiting for the broker.', (s) => s.buffered);
    publisherMetric(Gauge, 'bifrost_mqtt_buffered_bytes', 'Bytes the buffered values take (what storeAndForward.maxBytes bounds).', (s) => s.bufferedBytes);
    publisherMetric(Counter, 'bifrost_mqtt_replayed_values_total', 'Buffered values sent after an outage (as historical data) and acknowledged.', (s) => s.replayed);
    publisherMetric(Counter, 'bifrost_mqtt_dropped_values_total', 'Values dropped: the buffer was full, or a device or tag is no longer published.', (s) => s.dropped);
    new Gauge({
      name: 'bifrost_sessions',
      help: 'Client sessions: the editor or stdio client, WebSocket clients, publishers, the service poller.',
      registers: [this.registry],
      collect() {
        this.set(core.sessionCount);
      },
    });
  }

  async text(): Promise<string> {
    const durations: { labels: Record<string, string>; histogram: DurationHistogram }[] = [];
    for (const d of this.core.devices.list()) {
      const stats = d.enabled ? this.core.devices.statsOf(d.id) : undefined;
      if (stats) durations.push({ labels: { device: d.id, protocol: d.protocol }, histogram: stats.durations() });
    }
    return `${await this.registry.metrics()}\n${durationHistogramText(durations)}`;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  health(): HealthReport {
    const enabled = this.core.devices.list().filter((d) => d.enabled);
    const connected = enabled.filter((d) => d.status === 'connected').length;
    const reasons: string[] = [];
    if (enabled.length > 0 && connected < enabled.length * HEALTHY_SHARE) {
      reasons.push(`${connected} of ${enabled.length} enabled devices are connected (at least ${Math.round(HEALTHY_SHARE * 100)} % must be)`);
    }
    const checks = this.core.health.checks();
    for (const c of checks) if (!c.ok) reasons.push(`${c.name}: ${c.reason}`);
    return {
      status: reasons.length ? 'failing' : 'ok',
      reasons,
      devices: { enabled: enabled.length, connected },
      checks,
      sessions: this.core.sessionCount,
      uptimeSeconds: Math.round((Date.now() - this.core.started) / 1000),
    };
  }
}

const DURATION_NAME = 'bifrost_device_request_duration_seconds';
const DURATION_HELP = 'Round trip of each answered request to the device, since the device started (failed requests are in bifrost_device_errors_total).';

/**
 * `bifrost_device_request_duration_seconds` in the text format. prom-client's Histogram counts
 * its own observations and has no way to show counts kept elsewhere, and the devices' collectors
 * keep them (DeviceStatsCollector.durations): so this one histogram is written here, by the
 * format's rules (cumulative buckets, `+Inf` equal to `_count`).
 */
export function durationHistogramText(series: readonly { labels: Record<string, string>; histogram: DurationHistogram }[]): string {
  const lines = [`# HELP ${DURATION_NAME} ${DURATION_HELP}`, `# TYPE ${DURATION_NAME} histogram`];
  for (const { labels, histogram } of series) {
    const own = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
    let cumulative = 0;
    for (let i = 0; i < DURATION_BUCKETS_S.length; i++) {
      cumulative += histogram.counts[i]!;
      lines.push(`${DURATION_NAME}_bucket{${own},le="${DURATION_BUCKETS_S[i]}"} ${cumulative}`);
    }
    lines.push(`${DURATION_NAME}_bucket{${own},le="+Inf"} ${histogram.count}`);
    lines.push(`${DURATION_NAME}_sum{${own}} ${histogram.sumSeconds}`);
    lines.push(`${DURATION_NAME}_count{${own}} ${histogram.count}`);
  }
  return `${lines.join('\n')}\n`;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
