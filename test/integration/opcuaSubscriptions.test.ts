/**
 * A device's OPC UA subscriptions against node-opcua's server on 127.0.0.1: values, chunked
 * creation of 10,000 items against a server that takes 500 per call, deadbands, revised
 * intervals, refused nodes, detach/attach (same session, and a new one after a server restart),
 * the watchdog, and close.
 */
import { strict as assert } from 'node:assert';
import {
  AttributeIds,
  TimestampsToReturn,
  coerceNodeId,
  type ClientSession,
  type ClientSessionRawSubscriptionService,
  type NodeId,
} from 'node-opcua-client';
import type { Logger } from '../../gateway/log';
import type { TagReading } from '../../gateway/protocol';
import { DeviceSubscriptions, type DeviceSubscriptionsOptions, type MonitoredTag } from '../../gateway/opcua/subscriptions';
import { freePort, waitFor } from './harness';
import { NS, OpcUaPeer, openSession, tempFolder } from './opcuaSubscriptionsPeer';

class Lines implements Logger {
  readonly lines: string[] = [];
  trace(): void {}
  debug(m: string): void {
    this.lines.push(`[debug] ${m}`);
  }
  info(m: string): void {
    this.lines.push(`[info] ${m}`);
  }
  warn(m: string): void {
    this.lines.push(`[warn] ${m}`);
  }
  error(m: string): void {
    this.lines.push(`[error] ${m}`);
  }
  enabled(): boolean {
    return true;
  }
  has(re: RegExp): string | undefined {
    return this.lines.find((l) => re.test(l));
  }
}

/** What a sink got: batches, in order. */
class Received {
  readonly batches: TagReading[][] = [];
  readonly sink = (items: TagReading[]) => void this.batches.push(items);
  get all(): TagReading[] {
    return this.batches.flat();
  }
  of(key: string): TagReading[] {
    return this.all.filter((r) => r.tag === key);
  }
  last(key: string): TagReading | undefined {
    return this.of(key).at(-1);
  }
}

const node = (name: string): NodeId => coerceNodeId(`ns=${NS};s=${name}`);
const tag = (name: string, extra: Partial<MonitoredTag> = {}): MonitoredTag => ({ key: name, nodeId: node(name), samplingIntervalMs: 50, queueSize: 1, ...extra });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('OPC UA subscriptions (node-opcua server on 127.0.0.1)', function () {
  this.timeout(120_000);
  let peer: OpcUaPeer;
  let port: number;
  const pki = tempFolder();
  const sessions: { close(): Promise<void> }[] = [];
  const devices: DeviceSubscriptions[] = [];

  async function session(): Promise<ClientSession> {
    const s = await openSession(peer.endpointUrl, pki.folder);
    sessions.push(s);
    return s.session;
  }
  function device(log: Logger, more: Partial<DeviceSubscriptionsOptions> = {}): DeviceSubscriptions {
    const d = new DeviceSubscriptions({ deviceId: 'plc1', log, defaultMaxMonitoredItemsPerCall: 1000, ...more });
    devices.push(d);
    return d;
  }

  before(async () => {
    port = await freePort();
    peer = await OpcUaPeer.start({ port, maxMonitoredItemsPerCall: 500, bulk: 10_000 });
  });

  async function closeAll(): Promise<void> {
    for (const d of devices.splice(0)) await d.close();
    for (const s of sessions.splice(0)) await s.close().catch(() => undefined);
  }

  afterEach(closeAll);

  after(async () => {
    await closeAll();
    await peer?.dispose();
    pki.remove();
  });

  it('reports first values of every item in one batch, then changes', async () => {
    const log = new Lines();
    const s = await session();
    const d = device(log);
    await d.attach(s);
    const got = new Received();
    const sub = d.subscribe([tag('Counter'), tag('Level')], { publishingIntervalMs: 100, onChangeOnly: true }, got.sink);
    assert.deepEqual(sub.keys, ['Counter', 'Level']);
    const first = await waitFor('first counter value', () => got.of('Counter')[0], 30_000);
    assert.equal(first.quality, 'good');
    assert.ok(got.batches.some((b) => b.some((r) => r.tag === 'Counter') && b.some((r) => r.tag === 'Level')), 'the first values of both items come in one batch');
    const later = await waitFor('a changed counter value', () => got.of('Counter').find((r) => r.value !== first.value));
    assert.equal(typeof later.value, 'number');
    assert.ok((later.value as number) > (first.value as number));
    assert.equal(sub.revisedIntervalMs, 100);
    sub.close();
    await waitFor('the subscription deleted on the server', () => peer.subscriptionsOf(s).length === 0);
  });

  it('creates 10,000 monitored items in calls the server takes (500), and deletes them', async () => {
    const s = await session();
    // The server really refuses a bigger call: otherwise this test would prove nothing.
    const raw = await s.createSubscription2({ requestedPublishingInterval: 500 });
    await assert.rejects(
      (s as ClientSession & ClientSessionRawSubscriptionService).createMonitoredItems({
        subscriptionId: raw.subscriptionId,
        timestampsToReturn: TimestampsToReturn.Both,
        itemsToCreate: Array.from({ length: 501 }, (_x, i) => ({ itemToMonitor: { nodeId: node(`Bulk.${i}`), attributeId: AttributeIds.Value }, monitoringMode: 2, requestedParameters: { clientHandle: i + 1, samplingInterval: 500, queueSize: 1, discardOldest: true } })),
      }),
      /BadTooManyOperations/,
    );
    await raw.terminate();

    const sizes: number[] = [];
    const client = (s as unknown as { _client: NodeJS.EventEmitter })._client;
    const onRequest = (req: { schema?: { name: string }; itemsToCreate?: unknown[] }) => {
      if (req.schema?.name === 'CreateMonitoredItemsRequest') sizes.push(req.itemsToCreate?.length ?? 0);
    };
    client.on('send_request', onRequest);
    const log = new Lines();
    const d = device(log);
    const got = new Received();
    const n = 10_000;
    const keys = new Set<string>();
    const t0 = Date.now();
    await d.attach(s);
    const sub = d.subscribe(Array.from({ length: n }, (_x, i) => tag(`Bulk.${i}`, { samplingIntervalMs: 500 })), { publishingIntervalMs: 500, onChangeOnly: true }, (items) => {
      got.sink(items);
      for (const r of items) keys.add(r.tag);
    });
    await waitFor('a value of every item', () => keys.size === n, 90_000);
    const ours = Date.now() - t0;
    client.off('send_request', onRequest);
    assert.equal(sizes.reduce((a, b) => a + b, 0), n);
    assert.ok(Math.max(...sizes) <= 500, `calls of ${Math.max(...sizes)} items`);
    assert.equal(got.all.filter((r) => r.quality !== 'good').length, 0);
    assert.equal(got.last('Bulk.9999')?.value, 9999);
    assert.equal(peer.monitoredItemCount(s), n);

    // The bare library, same server, same run: monitorItems in 20 calls of 500 (one call of 10,000 is refused).
    const bare = await s.createSubscription2({ requestedPublishingInterval: 500, publishingEnabled: true });
    try {
      const seen = new Set<number>();
      const t1 = Date.now();
      for (let start = 0; start < n; start += 500) {
        await new Promise<void>((resolve, reject) =>
          bare.monitorItems(
            Array.from({ length: 500 }, (_x, i) => ({ nodeId: node(`Bulk.${start + i}`), attributeId: AttributeIds.Value })),
            { samplingInterval: 500, queueSize: 1, discardOldest: true },
            TimestampsToReturn.Both,
            (err, group) => {
              if (err || !group) return reject(err ?? new Error('no group'));
              group.on('changed', (_m, _dv, i: number) => seen.add(start + i));
              resolve();
            },
          ),
        );
      }
      await waitFor('a value of every bare item', () => seen.size === n, 90_000);
      const theirs = Date.now() - t1;
      console.log(`      10,000 monitored items to first values: DeviceSubscriptions ${ours} ms, bare monitorItems in calls of 500 ${theirs} ms`);
    } finally {
      await bare.terminate();
    }

    sub.close();
    await waitFor('every item gone on the server', () => peer.subscriptionsOf(s).length === 0, 30_000);
  });

  it('halves the call size when a server advertises no limit but refuses big calls', async () => {
    const s = await session();
    peer.advertiseMaxMonitoredItemsPerCall(0);
    try {
      const log = new Lines();
      const d = device(log, { defaultMaxMonitoredItemsPerCall: 1000 });
      await d.attach(s);
      const keys = new Set<string>();
      d.subscribe(Array.from({ length: 1200 }, (_x, i) => tag(`Bulk.${i}`, { samplingIntervalMs: 500 })), { publishingIntervalMs: 500, onChangeOnly: true }, (items) => {
        for (const r of items) if (r.quality === 'good') keys.add(r.tag);
      });
      await waitFor('1200 values', () => keys.size === 1200, 60_000);
      assert.ok(log.has(/refused 1000 monitored items in one call \(BadTooManyOperations\): sending 500 per call/), log.lines.join('\n'));
      assert.equal(peer.monitoredItemCount(s), 1200);
      await d.close();
    } finally {
      peer.advertiseMaxMonitoredItemsPerCall(500);
    }
  });

  it('applies absolute and percent deadbands on the server, and a refused percent deadband in the gateway', async () => {
    const log = new Lines();
    const s = await session();
    const d = device(log);
    peer.set('Raw', 0);
    peer.set('LevelPercent', 50);
    peer.set('RawPercent', 100);
    await d.attach(s);
    const got = new Received();
    d.subscribe(
      [
        tag('Raw', { deadband: { type: 'absolute', value: 5 } }),
        tag('LevelPercent', { deadband: { type: 'percent', value: 10 } }),
        tag('RawPercent', { deadband: { type: 'percent', value: 10 } }),
      ],
      { publishingIntervalMs: 100, onChangeOnly: true },
      got.sink,
    );
    await waitFor('first values', () => got.last('Raw') && got.last('LevelPercent') && got.last('RawPercent'), 30_000);
    // Within the deadbands: absolute 5; 10 % of the EURange 0..100; 10 % of the last value reported (100).
    for (const [raw, level, pct] of [[1, 52, 103], [3, 55, 105]]) {
      peer.set('Raw', raw);
      peer.set('LevelPercent', level);
      peer.set('RawPercent', pct);
      await sleep(300);
    }
    peer.set('Raw', 10);
    peer.set('LevelPercent', 70);
    peer.set('RawPercent', 125);
    await waitFor('the changes beyond the deadbands', () => got.last('Raw')?.value === 10 && got.last('LevelPercent')?.value === 70 && got.last('RawPercent')?.value === 125);
    assert.deepEqual(got.of('Raw').map((r) => r.value), [0, 10]);
    assert.deepEqual(got.of('LevelPercent').map((r) => r.value), [50, 70]);
    assert.deepEqual(got.of('RawPercent').map((r) => r.value), [100, 125]);
    const notices = log.lines.filter((l) => /refused the percent deadband/.test(l));
    assert.equal(notices.length, 1, log.lines.join('\n'));
    assert.match(notices[0], /plc1: ns=1;s=RawPercent: the server refused the percent deadband \(BadMonitoredItemFilterUnsupported; a percent deadband needs the node's EURange\): the gateway applies it instead/);
  });

  it('reports every sample when onChangeOnly is false', async () => {
    const s = await session();
    const d = device(new Lines());
    peer.set('Raw', 7);
    await d.attach(s);
    const got = new Received();
    d.subscribe([tag('Raw', { deadband: { type: 'absolute', value: 100 } })], { publishingIntervalMs: 100, onChangeOnly: false }, got.sink);
    await waitFor('first value', () => got.last('Raw'));
    peer.set('Raw', 8);
    await waitFor('a change the deadband would have hidden', () => got.last('Raw')?.value === 8);
    assert.deepEqual(got.of('Raw').map((r) => r.value), [7, 8]);
  });

  it('reports the revised publishing interval, and logs it once', async () => {
    const log = new Lines();
    const s = await session();
    const d = device(log);
    await d.attach(s);
    const got = new Received();
    const sub = d.subscribe([tag('Counter')], { publishingIntervalMs: 1, onChangeOnly: true }, got.sink);
    await waitFor('a value', () => got.last('Counter'));
    assert.ok(sub.revisedIntervalMs !== null && sub.revisedIntervalMs > 1, `revised ${sub.revisedIntervalMs}`);
    const sub2 = d.subscribe([tag('Level')], { publishingIntervalMs: 1, onChangeOnly: true }, got.sink);
    await waitFor('a level value', () => got.last('Level'));
    assert.equal(sub2.revisedIntervalMs, sub.revisedIntervalMs, 'one OPC UA subscription per interval');
    assert.equal(peer.subscriptionsOf(s).length, 1);
    const lines = log.lines.filter((l) => /publishes every/.test(l));
    assert.deepEqual(lines, [`[info] plc1: subscription at 1 ms: the server publishes every ${sub.revisedIntervalMs} ms instead`]);
  });

  it('reports an unknown node bad with its status name, the others run', async () => {
    const s = await session();
    const d = device(new Lines());
    await d.attach(s);
    const got = new Received();
    d.subscribe([tag('Counter'), tag('DoesNotExist')], { publishingIntervalMs: 100, onChangeOnly: true }, got.sink);
    const bad = await waitFor('the unknown node', () => got.last('DoesNotExist'));
    assert.equal(bad.quality, 'bad');
    assert.equal(bad.status, 'BadNodeIdUnknown');
    assert.match(bad.error ?? '', /^plc1: ns=1;s=DoesNotExist: BadNodeIdUnknown \(/);
    const first = await waitFor('a counter value', () => got.last('Counter'));
    await waitFor('a changed counter value', () => got.of('Counter').some((r) => r.value !== first.value));
    assert.ok(got.of('Counter').every((r) => r.quality === 'good'));
    assert.equal(got.of('DoesNotExist').length, 1);
  });

  it('detach reports every item bad at once; attach to the same session resumes with one set of items', async () => {
    const s = await session();
    const d = device(new Lines());
    await d.attach(s);
    const got = new Received();
    d.subscribe([tag('Counter'), tag('Level'), tag('Counter', { key: 'Counter.again' })], { publishingIntervalMs: 100, onChangeOnly: true }, got.sink);
    await waitFor('values', () => got.last('Counter') && got.last('Level') && got.last('Counter.again'));
    const before = got.batches.length;
    d.detach('connection lost (socket closed)');
    assert.equal(got.batches.length, before + 1, 'one batch, at once');
    const batch = got.batches[before];
    assert.deepEqual(batch.map((r) => r.tag).sort(), ['Counter', 'Counter.again', 'Level']);
    for (const r of batch) {
      assert.equal(r.quality, 'bad');
      assert.equal(r.error, 'plc1: connection lost (socket closed)');
    }
    await sleep(500);
    assert.equal(got.batches.length, before + 1, 'nothing after the bad batch while detached');
    await d.attach(s);
    await waitFor('values again', () => got.last('Counter')?.quality === 'good' && got.last('Level')?.quality === 'good' && got.last('Counter.again')?.quality === 'good');
    assert.equal(peer.subscriptionsOf(s).length, 1, 'the old subscription is deleted');
    assert.equal(peer.monitoredItemCount(s), 3);
  });

  it('a subscription made before the first attach is bad until then; one of two sharing an interval leaves, the other runs', async () => {
    const s = await session();
    const d = device(new Lines());
    const a = new Received();
    const b = new Received();
    const subA = d.subscribe([tag('Counter'), tag('Level')], { publishingIntervalMs: 100, onChangeOnly: true }, a.sink);
    d.subscribe([tag('Counter')], { publishingIntervalMs: 100, onChangeOnly: true }, b.sink);
    assert.deepEqual(a.all.map((r) => [r.tag, r.quality, r.error]), [['Counter', 'bad', 'plc1: not connected yet'], ['Level', 'bad', 'plc1: not connected yet']]);
    await d.attach(s);
    await waitFor('values of both', () => a.last('Level')?.quality === 'good' && b.last('Counter')?.quality === 'good');
    assert.equal(peer.subscriptionsOf(s).length, 1, 'one OPC UA subscription for the interval');
    assert.equal(peer.monitoredItemCount(s), 3);
    subA.close();
    await waitFor('its items deleted', () => peer.monitoredItemCount(s) === 1);
    const count = a.all.length;
    const mark = b.of('Counter').length;
    await waitFor('the other still runs', () => b.of('Counter').length > mark + 2);
    assert.equal(a.all.length, count, 'nothing for the closed one');
    assert.equal(peer.subscriptionsOf(s).length, 1);
  });

  it('a subscription that stops publishing is recreated by the watchdog', async () => {
    const log = new Lines();
    const s = await session();
    const d = device(log, { maxKeepAliveCount: 3, watchdogMarginMs: 1500, watchdogTickMs: 200 });
    await d.attach(s);
    const got = new Received();
    d.subscribe([tag('Counter')], { publishingIntervalMs: 100, onChangeOnly: true }, got.sink);
    await waitFor('a value', () => got.last('Counter'));
    const [stalled] = peer.subscriptionsOf(s);
    peer.stall(stalled);
    const why = await waitFor('the watchdog', () => log.has(/sent nothing/), 20_000);
    assert.match(why, /plc1: the subscription at 100 ms sent nothing \(no data, no keep-alive\) for \d+\.\d s; recreating it/);
    const marked = got.all.findIndex((r) => r.quality === 'bad');
    assert.ok(marked >= 0, 'the stale values were reported bad');
    await waitFor('values again', () => got.all.slice(marked).some((r) => r.quality === 'good'), 20_000);
    const now = peer.subscriptionsOf(s);
    assert.equal(now.length, 1);
    assert.notEqual(now[0].id, stalled.id);
  });

  it('close deletes the server-side subscriptions', async () => {
    const s = await session();
    const d = device(new Lines());
    await d.attach(s);
    const got = new Received();
    d.subscribe([tag('Counter')], { publishingIntervalMs: 100, onChangeOnly: true }, got.sink);
    d.subscribe([tag('Level')], { publishingIntervalMs: 200, onChangeOnly: true }, got.sink);
    await waitFor('values', () => got.last('Counter') && got.last('Level'));
    assert.equal(peer.subscriptionsOf(s).length, 2);
    await d.close();
    assert.equal(peer.subscriptionsOf(s).length, 0);
    const count = got.batches.length;
    await sleep(400);
    assert.equal(got.batches.length, count, 'nothing after close');
  });

  describe('after the server restarted on the same port', () => {
    let peer2: OpcUaPeer;
    let port2: number;
    before(async () => {
      port2 = await freePort();
      peer2 = await OpcUaPeer.start({ port: port2, maxMonitoredItemsPerCall: 500 });
    });
    after(async () => {
      await peer2?.dispose();
    });

    it('values resume on a new session, and on the session node-opcua repaired, with one set of items each', async () => {
      const a = await openSession(peer2.endpointUrl, pki.folder);
      sessions.push(a);
      const log = new Lines();
      const d = device(log);
      a.client.on('connection_lost', () => d.detach('connection lost'));
      await d.attach(a.session);
      const got = new Received();
      d.subscribe([tag('Counter'), tag('Level')], { publishingIntervalMs: 100, onChangeOnly: true }, got.sink);
      await waitFor('values', () => got.last('Counter')?.quality === 'good');

      await peer2.stop();
      await waitFor('bad after the connection was lost', () => got.last('Counter')?.quality === 'bad', 20_000);
      assert.equal(got.last('Level')?.error, 'plc1: connection lost');
      peer2 = await OpcUaPeer.start({ port: port2, maxMonitoredItemsPerCall: 500 });

      // node-opcua repairs the session object by itself (a new session on the new server).
      const restored = new Promise<void>((resolve) => a.session.once('session_restored', () => resolve()));
      await restored;
      await d.attach(a.session);
      await waitFor('values again', () => got.last('Counter')?.quality === 'good' && got.last('Level')?.quality === 'good', 20_000);
      await sleep(500);
      assert.equal(peer2.subscriptionsOf(a.session).length, 1, 'one subscription, not one of ours and one repaired by node-opcua');
      assert.equal(peer2.monitoredItemCount(a.session), 2);

      // A new session of its own on the same server.
      const b = await openSession(peer2.endpointUrl, pki.folder);
      sessions.push(b);
      d.detach('session replaced');
      await d.attach(b.session);
      const mark = got.all.length;
      await waitFor('values on the new session', () => got.all.slice(mark).filter((r) => r.quality === 'good').length >= 2, 20_000);
      assert.equal(peer2.monitoredItemCount(b.session), 2);
      await d.close();
      assert.equal(peer2.subscriptionsOf(b.session).length, 0);
    });
  });
});

