/**
 * /health's verdict from the device list and the health contributors: failing, with the reason,
 * when fewer than half of the enabled devices are connected (disabled devices do not count) or a
 * contributor's check is not ok. And /metrics reads the drivers' and the core's counters as they
 * are when scraped, in the shapes Prometheus expects.
 */
import { strict as assert } from 'node:assert';
import { HealthContributors, type HealthCheck } from '../../gateway/core/health';
import { DeviceStatsCollector } from '../../gateway/core/stats';
import { ClientTraffic, DeliveredValues } from '../../gateway/core/traffic';
import type { GatewayCore } from '../../gateway/gatewayCore';
import type { DeviceInfo } from '../../gateway/protocol';
import type { PublisherStats } from '../../gateway/mqtt/sparkplugPublisher';
import { GatewayMetrics } from '../../gateway/ws/metrics';

function device(id: string, status: DeviceInfo['status'], enabled = true, requests = 0): DeviceInfo {
  return {
    id, name: id, protocol: 'modbus-tcp', endpoint: '', status, lastError: null, enabled, allowWrites: false, pollIntervalMs: 1000, tags: [], source: 'config',
    stats: { requests, errors: 0, timeouts: 0, reconnects: 0, skippedScans: 0, latencyP50Ms: 0.004 * 1000, latencyP99Ms: null },
  } as unknown as DeviceInfo;
}

interface FakeCore {
  devices: { list(): DeviceInfo[]; statsOf(id: string): DeviceStatsCollector | undefined };
  delivered: DeliveredValues;
  clients: ClientTraffic;
  health: HealthContributors;
  sessionCount: number;
  started: number;
  publisherStats(): (PublisherStats & { name: string })[];
}

/** The parts of the core that the metrics read, each the real class. */
function fakeCore(devices: DeviceInfo[], stats = new Map<string, DeviceStatsCollector>()): FakeCore {
  return {
    devices: { list: () => devices, statsOf: (id: string) => stats.get(id) },
    delivered: new DeliveredValues(),
    clients: new ClientTraffic(),
    health: new HealthContributors(),
    sessionCount: 2,
    started: Date.now() - 5000,
    publisherStats: () => [],
  };
}

function core(devices: DeviceInfo[], stats = new Map<string, DeviceStatsCollector>()): GatewayCore {
  return fakeCore(devices, stats) as unknown as GatewayCore;
}

/** The value of one exposition line, e.g. `name{a="b"}`; undefined when the line is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('gateway metrics and health', () => {
  it('is ok while at least half of the enabled devices are connected, and says why when not', () => {
    assert.equal(new GatewayMetrics(core([device('a', 'connected'), device('b', 'connecting')])).health().status, 'ok');
    const failing = new GatewayMetrics(core([device('a', 'connected'), device('b', 'connecting'), device('c', 'disconnected'), device('d', 'connecting', false)])).health();
    assert.equal(failing.status, 'failing');
    assert.deepEqual(failing.devices, { enabled: 3, connected: 1 });
    assert.match(failing.reasons[0]!, /1 of 3 enabled devices are connected/);
    assert.equal(new GatewayMetrics(core([])).health().status, 'ok', 'a gateway with no device is not failing');
  });

  it('reads the counters when scraped: what the driver counts now, not what it counted before', async () => {
    const list = [device('a', 'connected', true, 5)];
    const metrics = new GatewayMetrics(core(list));
    assert.match(await metrics.text(), /^bifrost_device_requests_total\{device="a",protocol="modbus-tcp"\} 5$/m);
    list[0] = device('a', 'connected', true, 9);
    const text = await metrics.text();
    assert.match(text, /^bifrost_device_requests_total\{device="a",protocol="modbus-tcp"\} 9$/m);
    assert.match(text, /^bifrost_device_request_latency_seconds\{device="a",protocol="modbus-tcp",quantile="0\.5"\} 0\.004$/m);
    assert.doesNotMatch(text, /quantile="0\.99"/, 'no sample, no value');
  });

  it('shows each device\'s request durations as a cumulative histogram in seconds, with the sum and count', async () => {
    const stats = new DeviceStatsCollector();
    for (const ms of [0.4, 3, 3, 40, 20_000]) stats.recordLatency(ms);
    const metrics = new GatewayMetrics(core([device('a', 'connected'), device('idle', 'connected')], new Map([['a', stats]])));
    const text = await metrics.text();
    const s = (le: string) => sample(text, `bifrost_device_request_duration_seconds_bucket{device="a",protocol="modbus-tcp",le="${le}"}`);
    assert.match(text, /^# TYPE bifrost_device_request_duration_seconds histogram$/m);
    assert.equal(s('0.001'), 1);
    assert.equal(s('0.0025'), 1);
    assert.equal(s('0.005'), 3, 'cumulative: the 3 ms requests and the faster one');
    assert.equal(s('0.05'), 4);
    assert.equal(s('10'), 4, 'the 20 s request is above the last bound');
    assert.equal(s('+Inf'), 5);
    assert.equal(sample(text, 'bifrost_device_request_duration_seconds_count{device="a",protocol="modbus-tcp"}'), 5);
    assert.ok(Math.abs(sample(text, 'bifrost_device_request_duration_seconds_sum{device="a",protocol="modbus-tcp"}')! - 20.0464) < 1e-9);
    assert.doesNotMatch(text, /duration_seconds_bucket\{[^}]*device="idle"/, 'a device without lent counters has no series');
    stats.recordLatency(1);
    assert.equal(sample(await metrics.text(), 'bifrost_device_request_duration_seconds_count{device="a",protocol="modbus-tcp"}'), 6, 'read when scraped');
  });

  it('fails /health while a contributor\'s check is not ok, with its reason, and recovers when it is', () => {
    const c = fakeCore([device('a', 'connected')]);
    const metrics = new GatewayMetrics(c as unknown as GatewayCore);
    let link: HealthCheck = { name: 'mqtt publisher plant', ok: true };
    const remove = c.health.add(() => [link, { name: 'mqtt publisher spare', ok: true }]);
    assert.equal(metrics.health().status, 'ok');
    assert.deepEqual(metrics.health().checks, [{ name: 'mqtt publisher plant', ok: true }, { name: 'mqtt publisher spare', ok: true }]);
    link = { name: 'mqtt publisher plant', ok: false, reason: 'the broker refused the connection: not authorized' };
    const failing = metrics.health();
    assert.equal(failing.status, 'failing');
    assert.deepEqual(failing.reasons, ['mqtt publisher plant: the broker refused the connection: not authorized']);
    link = { name: 'mqtt publisher plant', ok: true };
    assert.equal(metrics.health().status, 'ok', 'asked at every request: the link came back');
    c.health.add(() => {
      throw new Error('no state yet');
    });
    assert.match(metrics.health().reasons[0]!, /a health check failed: no state yet/, 'a contributor that throws is a failed check');
    remove();
    assert.deepEqual(metrics.health().reasons, ['health check: a health check failed: no state yet']);
  });

  it('counts delivered values by device, and forgets a device that is gone', async () => {
    const list = [device('a', 'connected'), device('b', 'connected')];
    const c = fakeCore(list);
    const metrics = new GatewayMetrics(c as unknown as GatewayCore);
    c.delivered.add('a', 10);
    c.delivered.add('a', 5);
    c.delivered.add('b', 1);
    let text = await metrics.text();
    assert.equal(sample(text, 'bifrost_values_delivered_total{device="a",protocol="modbus-tcp"}'), 15);
    assert.equal(sample(text, 'bifrost_values_delivered_total{device="b",protocol="modbus-tcp"}'), 1);
    list.pop();
    text = await metrics.text();
    assert.equal(sample(text, 'bifrost_values_delivered_total{device="b",protocol="modbus-tcp"}'), undefined);
    assert.equal(c.delivered.of('b'), 0, 'its count is dropped, not only hidden');
  });

  it('counts messages and drops by client name, shares them between connections of one token, and ends the series of a removed token', async () => {
    const c = fakeCore([]);
    let names = new Set(['panel', 'scada']);
    const metrics = new GatewayMetrics(c as unknown as GatewayCore, { clientNames: () => names });
    const one = c.clients.open('panel');
    const two = c.clients.open('panel');
    const editor = c.clients.open('@stdio');
    one.received();
    one.sent();
    one.sent();
    two.received();
    two.dropped('rate_limited');
    editor.received();
    let text = await metrics.text();
    assert.equal(sample(text, 'bifrost_client_messages_total{client="panel",direction="in"}'), 2);
    assert.equal(sample(text, 'bifrost_client_messages_total{client="panel",direction="out"}'), 2);
    assert.equal(sample(text, 'bifrost_client_messages_total{client="@stdio",direction="in"}'), 1);
    assert.equal(sample(text, 'bifrost_client_drops_total{client="panel",reason="rate_limited"}'), 1);
    assert.equal(sample(text, 'bifrost_client_drops_total{client="panel",reason="slow_reader"}'), 0, 'every reason is shown, from 0');
    assert.equal(sample(text, 'bifrost_client_connections{client="panel"}'), 2);
    one.close();
    two.close();
    two.close();
    text = await metrics.text();
    assert.equal(sample(text, 'bifrost_client_connections{client="panel"}'), 0, 'closing twice counts once');
    assert.equal(sample(text, 'bifrost_client_messages_total{client="panel",direction="in"}'), 2, 'the counts outlive the connections while the token exists');
    names = new Set(['scada']);
    text = await metrics.text();
    assert.doesNotMatch(text, /client="panel"/, 'the token was removed and no connection is open');
    assert.equal(sample(text, 'bifrost_client_messages_total{client="@stdio",direction="in"}'), 1, 'the built-in clients stay');
  });

  it('shows each publisher: online, messages published, values buffered (and their bytes), replayed and dropped', async () => {
    const fake = fakeCore([]);
    const stats: PublisherStats & { name: string } = { name: 'sparkplug plant1/gw1', online: false, reason: 'broker away', published: 12, buffered: 340, bufferedBytes: 9000, replayed: 5, dropped: 2 };
    fake.publisherStats = () => [stats];
    const text = await new GatewayMetrics(fake as unknown as GatewayCore).text();
    const at = (name: string) => sample(text, `${name}{publisher="sparkplug plant1/gw1"}`);
    assert.equal(at('bifrost_mqtt_online'), 0);
    assert.equal(at('bifrost_mqtt_publishes_total'), 12);
    assert.equal(at('bifrost_mqtt_buffered_values'), 340);
    assert.equal(at('bifrost_mqtt_buffered_bytes'), 9000);
    assert.equal(at('bifrost_mqtt_replayed_values_total'), 5);
    assert.equal(at('bifrost_mqtt_dropped_values_total'), 2);
    stats.online = true;
    stats.replayed = 345;
    const later = await new GatewayMetrics(fake as unknown as GatewayCore).text();
    assert.equal(sample(later, 'bifrost_mqtt_online{publisher="sparkplug plant1/gw1"}'), 1);
    assert.equal(sample(later, 'bifrost_mqtt_replayed_values_total{publisher="sparkplug plant1/gw1"}'), 345);
  });
});
