import * as assert from 'node:assert/strict';
import { seriesInfoOf } from '../../extension/liveData/panelTags';
import { SeriesStore } from '../../extension/liveData/seriesStore';
import type { SeriesSnapshot } from '../../webview/messages';
import { AlignedSeriesData, lowerBound, snapTime } from '../../webview/livedata/alignedData';
import { compactValue, formatExtreme, formatNumber, formatValue, formatWindow, fullValueText, VALUE_CHARS } from '../../webview/livedata/format';
import { LiveDataModel } from '../../webview/livedata/panelModel';
import { restoreSettings, viewStateOf } from '../../webview/livedata/viewState';

const a = seriesInfoOf({ deviceId: 'plc1', deviceName: 'PLC 1', tag: 'a', unit: 'bar' });
const b = seriesInfoOf({ deviceId: 'plc2', deviceName: 'PLC 2', tag: 'b' });

function snap(info = a, t: number[] = [], v: (number | null)[] = []): SeriesSnapshot {
  return { info, last: null, range: { min: null, max: null }, points: { t, v } };
}

describe('livedata: AlignedSeriesData', () => {
  it('shares one time column; other series get undefined (carried over), not null (a gap)', () => {
    const d = new AlignedSeriesData();
    d.addSeries();
    d.addSeries();
    d.insert([
      { series: 0, t: 100, v: 1 },
      { series: 1, t: 150, v: 7 },
      { series: 0, t: 200, v: null },
    ]);
    assert.deepEqual(d.x, [100, 150, 200]);
    assert.deepEqual(d.ys[0], [1, undefined, null]);
    assert.deepEqual(d.ys[1], [undefined, 7, undefined]);
    assert.equal(d.lastCell(0), null);
    assert.equal(d.lastCell(1), 7);
  });

  it('puts readings a few milliseconds apart into one column, and late ones in order', () => {
    const d = new AlignedSeriesData();
    d.addSeries();
    d.addSeries();
    d.insert([{ series: 0, t: 1000, v: 1 }]);
    d.insert([{ series: 1, t: 1003, v: 2 }]);
    assert.deepEqual(d.x, [1000]);
    d.insert([{ series: 0, t: 2000, v: 3 }]);
    d.insert([{ series: 1, t: 1500, v: 4 }]); // arrived late
    assert.deepEqual(d.x, [1000, 1500, 2000]);
    assert.deepEqual(d.ys[0], [1, undefined, 3]);
    assert.deepEqual(d.ys[1], [2, 4, undefined]);
    assert.equal(snapTime(1004), 1000);
    assert.equal(snapTime(1005), 1010);
  });

  it('drops old columns and removes series', () => {
    const d = new AlignedSeriesData();
    d.addSeries();
    d.addSeries();
    d.insert([1, 2, 3, 4].map((i) => ({ series: i % 2, t: i * 100, v: i })));
    d.dropBefore(250);
    assert.deepEqual(d.x, [300, 400]);
    assert.deepEqual(d.ys, [[undefined, 4], [3, undefined]]);
    d.removeSeries(0);
    assert.deepEqual(d.ys, [[3, undefined]]);
    const added = d.addSeries();
    assert.deepEqual(d.ys[added], [undefined, undefined]);
  });

  it('finds positions by binary search', () => {
    assert.equal(lowerBound([], 5), 0);
    assert.equal(lowerBound([1, 3, 5], 3), 1);
    assert.equal(lowerBound([1, 3, 5], 4), 2);
    assert.equal(lowerBound([1, 3, 5], 9), 3);
  });
});

describe('livedata: LiveDataModel', () => {
  it('replaces everything on a snapshot and reports a structure change', () => {
    const m = new LiveDataModel();
    m.apply({ type: 'snapshot', now: 1000, retentionMs: 600_000, series: [snap(a, [900, 950], [1, 2]), snap(b)] }, 1000);
    let changes = m.takeChanges();
    assert.equal(changes.structure, true);
    assert.deepEqual(m.series.map((s) => s.info.key), [a.key, b.key]);
    assert.deepEqual(m.data.ys[0], [1, 2]);
    assert.equal(m.series[0].style, 'line', 'a series whose kind is not known yet is a line until its first reading');

    m.apply({ type: 'snapshot', now: 2000, retentionMs: 600_000, series: [snap(b)] }, 2000);
    changes = m.takeChanges();
    assert.equal(changes.structure, true);
    assert.deepEqual(m.series.map((s) => s.info.key), [b.key]);
    assert.equal(m.data.columnCount, 0);
  });

  it('applies deltas: rows that changed, points, removals and additions in order', () => {
    const m = new LiveDataModel();
    m.apply({ type: 'snapshot', now: 1000, retentionMs: 600_000, series: [snap(a)] }, 1000);
    m.takeChanges();
    m.apply(
      {
        type: 'delta',
        now: 1100,
        series: [{ key: a.key, points: { t: [1100], v: [5] }, last: { value: 5, quality: 'good', timestamp: 1100 }, range: { min: 5, max: 5 } }],
      },
      1100,
    );
    let changes = m.takeChanges();
    assert.equal(changes.structure, false);
    assert.deepEqual([...changes.rows], [a.key]);
    assert.equal(changes.points, true);
    assert.deepEqual(m.series[0].range, { min: 5, max: 5 });

    m.apply({ type: 'delta', now: 1200, removed: [a.key], added: [snap(b, [1200], [1])], series: [{ key: a.key, last: { value: 1, quality: 'good', timestamp: 1200 } }] }, 1200);
    changes = m.takeChanges();
    assert.equal(changes.structure, true);
    assert.deepEqual(m.series.map((s) => s.info.key), [b.key]);
    assert.deepEqual(m.data.ys, [[undefined, 1]]);
  });

  it('takes how a series is shown from its kind, and follows the host when the kind becomes known', () => {
    const m = new LiveDataModel();
    const kinds = ['number', 'integer', 'boolean', 'string', 'array', 'structure', 'unknown'] as const;
    const infos = kinds.map((valueKind) => seriesInfoOf({ deviceId: 'plc1', deviceName: 'PLC 1', tag: valueKind, valueKind }));
    m.apply({ type: 'snapshot', now: 0, retentionMs: 600_000, series: [...infos.map((i) => snap(i)), snap(b)] }, 0);
    assert.deepEqual(
      m.series.map((s) => s.style),
      ['line', 'line', 'lane', 'none', 'none', 'none', 'none', 'line'],
    );
    m.takeChanges();
    m.apply({ type: 'delta', now: 1, series: [{ key: b.key, last: { value: 'RUN', quality: 'good', timestamp: 1 } }] }, 1);
    assert.equal(m.takeChanges().structure, false, 'the webview never guesses a kind from a value');
    assert.equal(m.series[7].style, 'line');
    m.apply({ type: 'delta', now: 2, series: [{ key: b.key, info: { ...b, valueKind: 'string', kindInferred: true } }] }, 2);
    assert.equal(m.takeChanges().structure, true);
    assert.equal(m.series[7].style, 'none');
    assert.equal(m.series[7].info.valueKind, 'string');
  });

  it("follows the host's clock and trims history past the retention", () => {
    const m = new LiveDataModel();
    m.apply({ type: 'snapshot', now: 100_000, retentionMs: 10_000, series: [snap(a, [10_000, 95_000], [1, 2])] }, 40_000);
    assert.equal(m.hostNow(41_000), 101_000);
    assert.deepEqual(m.data.x, [95_000], 'older than retention plus slack: dropped');
  });

  it('reproduces the host store: a snapshot then deltas give the same chart data as one snapshot', () => {
    const store = new SeriesStore({ retentionMs: 600_000, maxPoints: 1000 });
    store.add(a);
    store.add(b);
    store.recording = true;
    const viaDeltas = new LiveDataModel();
    viaDeltas.apply({ type: 'snapshot', now: 0, retentionMs: 600_000, series: store.snapshot(0) }, 0);
    for (let t = 100; t <= 3000; t += 100) {
      store.ingest(a.key, t === 1500 ? { value: null, quality: 'bad', timestamp: t, error: 'timeout' } : { value: t / 100, quality: 'good', timestamp: t });
      if (t % 300 === 0) store.ingest(b.key, { value: t % 600 === 0, quality: 'good', timestamp: t + 7 });
      if (t % 500 === 0) {
        const delta = store.takeDelta();
        if (delta) viaDeltas.apply({ type: 'delta', now: t, ...delta }, t);
      }
    }
    const whole = new LiveDataModel();
    whole.apply({ type: 'snapshot', now: 3000, retentionMs: 600_000, series: store.snapshot(3000) }, 3000);
    assert.deepEqual(viaDeltas.data.x, whole.data.x);
    assert.deepEqual(viaDeltas.data.ys, whole.data.ys);
    assert.equal(whole.data.ys[0][whole.data.x.indexOf(1500)], null);
  });
});

describe('livedata: formatting', () => {
  it('shows numbers without float noise, with units', () => {
    assert.equal(formatNumber(0.1 + 0.2), '0.3');
    assert.equal(formatNumber(1234567), '1234567');
    assert.equal(formatNumber(21.456789), '21.4568');
    assert.equal(formatNumber(0.00001234), '1.234e-5');
    assert.equal(formatValue(3.5, 'number', 'bar'), '3.5 bar');
    assert.equal(formatValue(true, 'boolean', 'bar'), 'true');
    assert.equal(formatValue('9007199254740993', 'integer'), '9007199254740993', '64-bit strings keep every digit');
    assert.equal(formatValue('18446744073709551615', 'integer', 'Wh'), '18446744073709551615 Wh', 'with the unit, as numbers have');
    assert.equal(formatValue(4_503_599_627_370_497, 'integer'), '4503599627370497', 'integers below 2^53 show every digit too');
    assert.equal(formatValue('RUN', 'string', 'bar'), 'RUN', 'no unit after text');
    assert.equal(formatValue(null, 'number', 'bar'), '—');
    assert.equal(formatExtreme(1, 'boolean'), 'true');
    assert.equal(formatExtreme(null, 'number', 'bar'), '—');
    assert.equal(formatExtreme('18446744073709551615', 'integer', 'Wh'), '18446744073709551615 Wh');
    assert.equal(formatWindow(30_000), '30 s');
    assert.equal(formatWindow(600_000), '10 min');
  });
});

describe('livedata: arrays and structures', () => {
  it('shows them compactly, cut with … past a width, and whole in the tooltip', () => {
    assert.equal(compactValue([1, 2, 3]), '[1, 2, 3]');
    assert.equal(compactValue({ a: 1, b: true }), '{a: 1, b: true}');
    assert.equal(compactValue({ 'two words': 'x', n: null, list: [0.1 + 0.2, { q: [] }] }), '{"two words": "x", n: null, list: [0.3, {q: []}]}');
    const long = Array.from({ length: 100 }, (_, i) => i);
    const cut = compactValue(long, 40);
    assert.equal(cut, '[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, …]');
    assert.equal(formatValue(long, 'array'), compactValue(long, VALUE_CHARS), 'the table cell cuts');
    assert.ok(formatValue(long, 'array').length <= VALUE_CHARS + ', …]'.length);
    assert.equal(compactValue({ alpha: 1, beta: { gamma: [1, 2, 3] } }, 26), '{alpha: 1, beta: {gamma: […]}}', 'every open bracket is closed');
    assert.equal(fullValueText(long, 'array'), `[${long.join(', ')}]`);
    assert.equal(fullValueText({ x: 0.1 + 0.2 }, 'structure'), '{x: 0.30000000000000004}', 'the tooltip has every digit');
    assert.equal(fullValueText('a long text', 'string'), 'a long text');
    assert.equal(fullValueText('18446744073709551615', 'integer'), undefined, 'numbers are whole in the cell');
    assert.equal(fullValueText(3, 'number'), undefined);
  });
});

describe('livedata: view settings', () => {
  it('restores what is valid and defaults the rest', () => {
    assert.deepEqual(restoreSettings({ windowMs: 300_000, hidden: ['k', 3] }), { windowMs: 300_000, hidden: new Set(['k']) });
    assert.deepEqual(restoreSettings({ windowMs: 12345 }), { windowMs: 60_000, hidden: new Set() });
    assert.deepEqual(restoreSettings('nonsense'), { windowMs: 60_000, hidden: new Set() });
  });

  it('saves tags without values, and hidden keys only of series still there', () => {
    const state = viewStateOf([a], { windowMs: 30_000, hidden: new Set([a.key, b.key]) });
    assert.deepEqual(state, {
      version: 2,
      tags: [{ deviceId: 'plc1', deviceName: 'PLC 1', tag: 'a', unit: 'bar' }],
      windowMs: 30_000,
      hidden: [a.key],
    });
  });

  it('saves the kind a tag came with, never one inferred from readings', () => {
    const counter = seriesInfoOf({ deviceId: 'plc1', deviceName: 'PLC 1', tag: 'n', valueKind: 'integer', dataType: 'uint64' });
    const guessed = { ...seriesInfoOf({ deviceId: 'plc1', deviceName: 'PLC 1', tag: 'm', dataType: 'uint64' }), valueKind: 'string' as const, kindInferred: true as const };
    assert.deepEqual(viewStateOf([counter, guessed], { windowMs: 60_000, hidden: new Set() }).tags, [
      { deviceId: 'plc1', deviceName: 'PLC 1', tag: 'n', valueKind: 'integer', dataType: 'uint64' },
      { deviceId: 'plc1', deviceName: 'PLC 1', tag: 'm', dataType: 'uint64' },
    ]);
  });
});
