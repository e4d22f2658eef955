import * as assert from 'node:assert/strict';
import { renderLiveDataPage } from '../../extension/liveData/html';
import { restoreTags, seriesInfoOf, seriesKey } from '../../extension/liveData/panelTags';
import { SeriesStore } from '../../extension/liveData/seriesStore';
import { chartValueOf, compareExact, exactNumberOf, inferKind } from '../../extension/liveData/seriesValues';
import { TimeSeriesRing } from '../../extension/liveData/timeSeriesRing';
import type { LiveReading, SeriesInfo } from '../../webview/messages';

const pump: SeriesInfo = seriesInfoOf({ deviceId: 'plc1', deviceName: 'Line 1 PLC', tag: 'pump_speed', unit: 'rpm' });
const valve: SeriesInfo = seriesInfoOf({ deviceId: 'plc1', deviceName: 'Line 1 PLC', tag: 'valve_open' });
const counter: SeriesInfo = seriesInfoOf({ deviceId: 'plc1', deviceName: 'Line 1 PLC', tag: 'energy_counter', unit: 'Wh', valueKind: 'integer', dataType: 'uint64' });
const profile: SeriesInfo = seriesInfoOf({ deviceId: 'plc1', deviceName: 'Line 1 PLC', tag: 'profile', valueKind: 'array', dataType: 'int16[4]' });
const recipe: SeriesInfo = seriesInfoOf({ deviceId: 'plc1', deviceName: 'Line 1 PLC', tag: 'recipe', valueKind: 'structure' });
const batch: SeriesInfo = seriesInfoOf({ deviceId: 'plc1', deviceName: 'Line 1 PLC', tag: 'batch', valueKind: 'string', dataType: 'string[20]' });
const runningBit: SeriesInfo = seriesInfoOf({ deviceId: 'plc1', deviceName: 'Line 1 PLC', tag: 'running', valueKind: 'boolean', dataType: 'bool' });

/** 2^64 - 1 and its neighbours: one double (18446744073709551616) stands for all of them. */
const U64_MAX = '18446744073709551615';
const U64_MAX_LESS_1 = '18446744073709551614';

function good(value: LiveReading['value'], timestamp: number): LiveReading {
  return { value, quality: 'good', timestamp };
}

describe('livedata: TimeSeriesRing', () => {
  it('keeps points oldest first and overwrites the oldest when full', () => {
    const ring = new TimeSeriesRing(3);
    for (let i = 1; i <= 5; i++) ring.push(i * 10, i);
    assert.equal(ring.length, 3);
    assert.deepEqual(ring.toPoints(), { t: [30, 40, 50], v: [3, 4, 5] });
    assert.equal(ring.lastTime(), 50);
  });

  it('stores gaps as null and drops points older than a time', () => {
    const ring = new TimeSeriesRing(10);
    ring.push(1, 1);
    ring.push(2, null);
    ring.push(3, 3);
    assert.deepEqual(ring.toPoints(), { t: [1, 2, 3], v: [1, null, 3] });
    ring.dropBefore(2);
    assert.deepEqual(ring.toPoints(), { t: [2, 3], v: [null, 3] });
    assert.deepEqual(ring.toPoints(3), { t: [3], v: [3] });
    ring.replaceLast(null);
    assert.equal(ring.lastValue(), null);
  });

  it('refuses a capacity that is not a positive integer', () => {
    assert.throws(() => new TimeSeriesRing(0), /positive integer/);
  });
});

describe('livedata: chartValueOf', () => {
  it('charts numbers, booleans as 0/1, bad and null as gaps, text not at all', () => {
    assert.equal(chartValueOf('number', good(21.5, 1)), 21.5);
    assert.equal(chartValueOf('boolean', good(true, 1)), 1);
    assert.equal(chartValueOf('boolean', good(false, 1)), 0);
    assert.equal(chartValueOf('number', good(null, 1)), null);
    assert.equal(chartValueOf('number', { value: 21.5, quality: 'bad', timestamp: 1, error: 'timeout' }), null);
    assert.equal(chartValueOf('number', { value: 21.5, quality: 'uncertain', timestamp: 1 }), 21.5);
    assert.equal(chartValueOf('string', good('RUN', 1)), undefined);
  });

  it('takes the kind from the series, not from the value: 64-bit integers as decimal strings are charted', () => {
    assert.equal(chartValueOf('integer', good(U64_MAX, 1)), 2 ** 64, 'the nearest double');
    assert.equal(chartValueOf('integer', good('-9223372036854775808', 1)), -(2 ** 63));
    assert.equal(chartValueOf('integer', good(42, 1)), 42);
    assert.equal(chartValueOf('integer', good('not a number', 1)), null, 'a value that does not fit its kind is a gap');
    assert.equal(chartValueOf('boolean', good(1, 1)), null);
    for (const kind of ['string', 'array', 'structure', 'unknown'] as const) {
      assert.equal(chartValueOf(kind, good(7, 1)), undefined, `${kind} is never charted, even when a value looks numeric`);
    }
    assert.equal(chartValueOf('array', good([1, 2, 3], 1)), undefined);
    assert.equal(chartValueOf(undefined, good(null, 1)), null, 'kind not known yet: a gap, as a line would have');
  });

  it('keeps integers exact and orders them exactly', () => {
    assert.equal(exactNumberOf(U64_MAX), U64_MAX);
    assert.equal(exactNumberOf('+0012'), 12, 'small ones become numbers');
    assert.equal(exactNumberOf('1.5'), undefined);
    assert.equal(exactNumberOf(Number.NaN), undefined);
    assert.ok(compareExact(U64_MAX_LESS_1, U64_MAX) < 0, 'the same double, different integers');
    assert.ok(compareExact(U64_MAX, 5) > 0);
    assert.ok(compareExact(-3, '-9223372036854775808') > 0);
    assert.equal(compareExact('9007199254740993', '9007199254740993'), 0);
    assert.ok(compareExact(2.5, 2) > 0);
  });

  it('infers a kind from a value only for tags that came without one', () => {
    assert.equal(inferKind(3), 'number');
    assert.equal(inferKind(true), 'boolean');
    assert.equal(inferKind('RUN'), 'string');
    assert.equal(inferKind([1]), 'array');
    assert.equal(inferKind({ a: 1 }), 'structure');
    assert.equal(inferKind(null), undefined);
  });
});

describe('livedata: SeriesStore', () => {
  const options = { retentionMs: 1000, maxPoints: 100 };

  it('tracks last reading and min/max, and resets min/max', () => {
    const store = new SeriesStore(options);
    store.add(pump);
    store.ingest(pump.key, good(5, 100));
    store.ingest(pump.key, good(-2, 200));
    store.ingest(pump.key, { value: null, quality: 'bad', timestamp: 300, error: 'Device did not answer' });
    store.ingest(pump.key, good(3, 400));
    let [snap] = store.snapshot(400);
    assert.deepEqual(snap.range, { min: -2, max: 5 });
    assert.deepEqual(snap.last, good(3, 400));
    assert.deepEqual(snap.points, { t: [100, 200, 300, 400], v: [5, -2, null, 3] });
    store.resetRanges();
    [snap] = store.snapshot(400);
    assert.deepEqual(snap.range, { min: null, max: null });
    store.ingest(pump.key, good(7, 500));
    [snap] = store.snapshot(500);
    assert.deepEqual(snap.range, { min: 7, max: 7 });
  });

  it('ignores stale readings and replaces a point with the same timestamp', () => {
    const store = new SeriesStore(options);
    store.add(pump);
    store.ingest(pump.key, good(1, 100));
    store.ingest(pump.key, good(9, 50));
    store.ingest(pump.key, good(2, 100));
    const [snap] = store.snapshot(100);
    assert.deepEqual(snap.points, { t: [100], v: [2] });
    assert.equal(snap.last?.value, 2);
  });

  it('keeps one gap point for a long outage, and no chart points for text', () => {
    const store = new SeriesStore(options);
    store.add(pump);
    store.add(valve);
    for (let t = 100; t <= 500; t += 100) store.ingest(pump.key, { value: null, quality: 'bad', timestamp: t, error: 'down' });
    store.ingest(valve.key, good('OPEN', 100));
    const [p, v] = store.snapshot(500);
    assert.deepEqual(p.points, { t: [100], v: [null] });
    assert.equal(p.last?.timestamp, 500);
    assert.deepEqual(v.points, { t: [], v: [] });
    assert.equal(v.last?.value, 'OPEN');
    assert.deepEqual(v.range, { min: null, max: null });
  });

  it('keeps only the retention window and at most maxPoints', () => {
    const store = new SeriesStore({ retentionMs: 1000, maxPoints: 5 });
    store.add(pump);
    for (let t = 0; t <= 3000; t += 100) store.ingest(pump.key, good(t, t));
    let [snap] = store.snapshot(3000);
    assert.deepEqual(snap.points.t, [2600, 2700, 2800, 2900, 3000]);

    const slow = new SeriesStore({ retentionMs: 1000, maxPoints: 100 });
    slow.add(pump);
    for (let t = 0; t <= 3000; t += 500) slow.ingest(pump.key, good(t, t));
    [snap] = slow.snapshot(3000);
    assert.deepEqual(snap.points.t, [2000, 2500, 3000]);
    // A panel shown later sees only what is still inside the window.
    [snap] = slow.snapshot(3600);
    assert.deepEqual(snap.points.t, [3000]);
  });

  it('collects deltas only while recording, and a snapshot starts them afresh', () => {
    const store = new SeriesStore(options);
    store.add(pump);
    store.ingest(pump.key, good(1, 100));
    assert.equal(store.takeDelta(), undefined, 'a hidden panel collects nothing');

    store.recording = true;
    store.snapshot(100);
    store.ingest(pump.key, good(2, 200));
    store.ingest(pump.key, good(3, 300));
    const delta = store.takeDelta();
    assert.deepEqual(delta, {
      removed: [],
      added: [],
      series: [{ key: pump.key, points: { t: [200, 300], v: [2, 3] }, last: good(3, 300), range: { min: 1, max: 3 } }],
    });
    assert.equal(store.takeDelta(), undefined);

    store.ingest(pump.key, good(2, 400));
    const next = store.takeDelta();
    assert.deepEqual(next?.series, [{ key: pump.key, points: { t: [400], v: [2] }, last: good(2, 400) }], 'range unchanged: not sent');

    store.ingest(pump.key, good(4, 500));
    store.snapshot(500);
    assert.equal(store.takeDelta(), undefined, 'the snapshot already held it');
  });

  it('reports added and removed series in deltas', () => {
    const store = new SeriesStore(options);
    store.recording = true;
    store.add(pump);
    store.ingest(pump.key, good(1, 100));
    let delta = store.takeDelta();
    assert.equal(delta?.added.length, 1);
    assert.deepEqual(delta?.added[0].points, { t: [100], v: [1] });
    assert.deepEqual(delta?.series, [], 'an added series travels whole, not twice');

    store.add(valve);
    store.remove(valve.key);
    store.remove(pump.key);
    delta = store.takeDelta();
    assert.deepEqual(delta, { removed: [pump.key], added: [], series: [] });
    assert.equal(store.size, 0);
  });

  it('clears history but keeps last readings and min/max', () => {
    const store = new SeriesStore(options);
    store.add(pump);
    store.ingest(pump.key, good(4, 100));
    store.clearHistory();
    const [snap] = store.snapshot(100);
    assert.deepEqual(snap.points, { t: [], v: [] });
    assert.equal(snap.last?.value, 4);
    assert.deepEqual(snap.range, { min: 4, max: 4 });
  });

  it('charts a uint64 beyond 2^53 as the nearest double and keeps min/max exact', () => {
    const store = new SeriesStore(options);
    store.add(counter);
    store.ingest(counter.key, good(7, 100));
    store.ingest(counter.key, good(U64_MAX_LESS_1, 200));
    store.ingest(counter.key, good(U64_MAX, 300));
    store.ingest(counter.key, good(U64_MAX_LESS_1, 400));
    const [snap] = store.snapshot(400);
    assert.deepEqual(snap.points, { t: [100, 200, 300, 400], v: [7, 2 ** 64, 2 ** 64, 2 ** 64] });
    assert.deepEqual(snap.range, { min: 7, max: U64_MAX }, 'min/max compare the integers, not their doubles');
    assert.equal(snap.last?.value, U64_MAX_LESS_1, 'the reading keeps every digit');
    assert.deepEqual(snap.info, counter, 'kind and data type travel with the series');

    store.resetRanges();
    store.ingest(counter.key, good(U64_MAX, 500));
    store.ingest(counter.key, good(U64_MAX_LESS_1, 600));
    assert.deepEqual(store.snapshot(600)[0].range, { min: U64_MAX_LESS_1, max: U64_MAX });
  });

  it('never charts strings, arrays, structures; a boolean stays 0/1', () => {
    const store = new SeriesStore(options);
    for (const info of [profile, recipe, batch, runningBit]) store.add(info);
    store.ingest(profile.key, good([1, 2, 3, 4], 100));
    store.ingest(recipe.key, good({ name: 'IPA', temp: 66.5 }, 100));
    store.ingest(batch.key, good('12345', 100));
    store.ingest(runningBit.key, good(true, 100));
    store.ingest(runningBit.key, good(false, 200));
    const [p, r, b, bit] = store.snapshot(200);
    for (const s of [p, r, b]) {
      assert.deepEqual(s.points, { t: [], v: [] }, `${s.info.tag} has no chart points`);
      assert.deepEqual(s.range, { min: null, max: null });
    }
    assert.deepEqual(p.last?.value, [1, 2, 3, 4]);
    assert.deepEqual(r.last?.value, { name: 'IPA', temp: 66.5 });
    assert.equal(b.last?.value, '12345', 'a string of digits stays text');
    assert.deepEqual(bit.points, { t: [100, 200], v: [1, 0] });
    assert.deepEqual(bit.range, { min: 0, max: 1 });
  });

  it('infers the kind of a tag without one from its first value, once, and says so in a delta', () => {
    const store = new SeriesStore(options);
    store.add(valve);
    store.recording = true;
    store.snapshot(0);
    store.ingest(valve.key, { value: null, quality: 'bad', timestamp: 100, error: 'down' });
    assert.equal(store.takeDelta()?.series[0].info, undefined, 'no value, nothing to infer from');
    store.ingest(valve.key, good('OPEN', 200));
    const delta = store.takeDelta();
    assert.deepEqual(delta?.series[0].info, { ...valve, valueKind: 'string', kindInferred: true });
    store.ingest(valve.key, good(3, 300));
    assert.equal(store.takeDelta()?.series[0].info, undefined, 'inferred once');
    assert.equal(store.list()[0].valueKind, 'string');
    assert.deepEqual(store.snapshot(300)[0].points, { t: [100], v: [null] }, 'a gap while unknown, nothing once text');
  });

  it('takes the kind of a tag added again over an inferred one, with fresh min/max', () => {
    const store = new SeriesStore(options);
    const restored = seriesInfoOf({ deviceId: 'plc1', deviceName: 'Line 1 PLC', tag: 'energy_counter', unit: 'Wh' });
    store.add(restored);
    store.ingest(restored.key, good(U64_MAX, 100));
    assert.equal(store.list()[0].valueKind, 'string', 'from the JSON type alone a uint64 looks like text');
    assert.deepEqual(store.snapshot(100)[0].points, { t: [], v: [] });

    store.recording = true;
    store.snapshot(100);
    assert.equal(store.describe(counter), true);
    assert.deepEqual(store.list()[0], counter, 'kindInferred is gone');
    store.ingest(counter.key, good(U64_MAX_LESS_1, 200));
    const delta = store.takeDelta();
    assert.deepEqual(delta?.series, [
      { key: counter.key, info: counter, points: { t: [200], v: [2 ** 64] }, last: good(U64_MAX_LESS_1, 200), range: { min: U64_MAX_LESS_1, max: U64_MAX_LESS_1 } },
    ]);
    assert.equal(store.describe({ ...counter, valueKind: 'number' }), false, "a tag's own kind is never replaced");
    assert.equal(store.describe(seriesInfoOf({ deviceId: 'plc1', deviceName: 'x', tag: 'energy_counter' })), false, 'nothing to give');
  });

  it('ignores readings for series it does not hold', () => {
    const store = new SeriesStore(options);
    store.recording = true;
    store.ingest(seriesKey('plc9', 'x'), good(1, 1));
    assert.equal(store.takeDelta(), undefined);
  });
});

describe('livedata: restoreTags', () => {
  it('reads tags back from saved state, dropping duplicates', () => {
    const restored = restoreTags({
      version: 1,
      tags: [
        { deviceId: 'plc1', deviceName: 'Line 1 PLC', tag: 'pump_speed', unit: 'rpm' },
        { deviceId: 'plc1', deviceName: 'Line 1 PLC', tag: 'pump_speed', unit: 'rpm' },
        { deviceId: 'plc2', tag: 'level' },
      ],
      windowMs: 60000,
      hidden: [],
    });
    assert.deepEqual(restored.tags, [
      { deviceId: 'plc1', deviceName: 'Line 1 PLC', tag: 'pump_speed', unit: 'rpm' },
      { deviceId: 'plc2', deviceName: 'plc2', tag: 'level' },
    ]);
    assert.deepEqual(restored.problems, []);
  });

  it('restores kind and data type from a version 2 state; version 1 tags come back without a kind', () => {
    const v2 = restoreTags({
      version: 2,
      tags: [
        { deviceId: 'plc1', deviceName: 'Line 1 PLC', tag: 'energy_counter', unit: 'Wh', valueKind: 'integer', dataType: 'uint64' },
        { deviceId: 'plc1', deviceName: 'Line 1 PLC', tag: 'future', valueKind: 'matrix', dataType: 42 },
      ],
      windowMs: 60000,
      hidden: [],
    });
    assert.deepEqual(v2.tags, [
      { deviceId: 'plc1', deviceName: 'Line 1 PLC', tag: 'energy_counter', unit: 'Wh', valueKind: 'integer', dataType: 'uint64' },
      { deviceId: 'plc1', deviceName: 'Line 1 PLC', tag: 'future' },
    ]);
    assert.deepEqual(v2.problems, []);
    const v1 = restoreTags({ version: 1, tags: [{ deviceId: 'plc1', deviceName: 'Line 1 PLC', tag: 'energy_counter', unit: 'Wh' }], windowMs: 60000, hidden: [] });
    assert.deepEqual(v1.tags, [{ deviceId: 'plc1', deviceName: 'Line 1 PLC', tag: 'energy_counter', unit: 'Wh' }]);
    assert.equal(seriesInfoOf(v1.tags[0]).valueKind, undefined, 'inferred later, from the first reading');
  });

  it('says which saved entries it could not use', () => {
    const restored = restoreTags({ tags: [{ deviceId: 'plc1' }, 42, { deviceId: 'plc1', tag: 'ok' }] });
    assert.equal(restored.tags.length, 1);
    assert.equal(restored.problems.length, 2);
    assert.match(restored.problems[0], /#1 .*left out/);
    assert.match(restoreTags('garbage').problems[0], /no tag list/);
    assert.deepEqual(restoreTags(undefined), { tags: [], problems: [] });
  });
});

describe('livedata: page', () => {
  it('has a strict CSP with a nonce and no inline script', () => {
    const html = renderLiveDataPage({
      cspSource: 'https://webview.example',
      nonce: 'abc123',
      scriptUri: 'https://webview.example/livedata.js',
      styleUri: 'https://webview.example/livedata.css',
      codiconUri: 'https://webview.example/codicon.css',
    });
    assert.match(html, /default-src 'none'/);
    assert.match(html, /script-src 'nonce-abc123'/);
    assert.doesNotMatch(html, /unsafe-inline|unsafe-eval/);
    const scripts = html.match(/<script[^>]*>/g) ?? [];
    assert.equal(scripts.length, 1);
    assert.match(scripts[0], /nonce="abc123"/);
    assert.match(scripts[0], /src="https:\/\/webview.example\/livedata.js"/);
    assert.doesNotMatch(html, /style="/);
  });
});
