import * as assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type { TagReading } from '../../gateway/protocol';
import type { LiveDataPanels as LiveDataPanelsClass } from '../../extension/liveData/index';
import type { ChartTag } from '../../extension/client/liveValues';
import type { DeltaMessage, SnapshotMessage, ToWebview } from '../../webview/messages';
import { fakeLog, fakeWindow, installFakeVscode, type FakeWebviewPanel, type LogLine } from './livedata-fakeVscode';

interface FakeSubscription {
  deviceId: string;
  tags: string[];
  disposed: boolean;
  push(items: TagReading[]): void;
}

/** A LiveValueSource that lets the test deliver readings. */
class FakeSource {
  readonly subscriptions: FakeSubscription[] = [];
  failFor = new Set<string>();
  subscribe(deviceId: string, tags: string[], _intervalMs: number | undefined, onValues: (items: TagReading[]) => void) {
    if (this.failFor.has(deviceId)) throw new Error(`Unknown device "${deviceId}"`);
    const sub: FakeSubscription = { deviceId, tags: [...tags], disposed: false, push: (items) => onValues(items) };
    this.subscriptions.push(sub);
    return { dispose: () => (sub.disposed = true) };
  }
  live(deviceId?: string): FakeSubscription[] {
    return this.subscriptions.filter((s) => !s.disposed && (deviceId === undefined || s.deviceId === deviceId));
  }
}

const tag = (deviceId: string, name: string, unit?: string): ChartTag => ({ deviceId, deviceName: deviceId.toUpperCase(), tag: name, ...(unit ? { unit } : {}) });
const good = (name: string, value: TagReading['value'], timestamp: number): TagReading => ({ tag: name, value, quality: 'good', timestamp });

async function until(what: string, condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`gave up waiting: ${what}`);
}

function sent(panel: FakeWebviewPanel): ToWebview[] {
  return panel.webview.sent as ToWebview[];
}
function lastOf<T extends ToWebview['type']>(panel: FakeWebviewPanel, type: T): Extract<ToWebview, { type: T }> | undefined {
  return sent(panel).filter((m): m is Extract<ToWebview, { type: T }> => m.type === type).at(-1);
}

describe('livedata: panel host (extension side, in-memory vscode)', () => {
  let uninstall: () => void;
  let LiveDataPanels: typeof LiveDataPanelsClass;
  let panels: LiveDataPanelsClass;
  let source: FakeSource;
  let log: LogLine[];

  before(() => {
    uninstall = installFakeVscode();
    // Loaded after the fake is in place, through require so that `vscode` resolves to it.
    const load = createRequire(__filename);
    ({ LiveDataPanels } = load('../../extension/liveData/index') as typeof import('../../extension/liveData/index'));
  });
  after(() => uninstall());

  beforeEach(() => {
    fakeWindow.created.length = 0;
    source = new FakeSource();
    log = [];
    const context = { extensionUri: { path: '/ext' }, subscriptions: [] };
    panels = new LiveDataPanels(context as never, (() => source) as never, fakeLog(log) as never);
  });
  afterEach(() => panels.dispose());

  function openWithReady(tags: ChartTag[]): FakeWebviewPanel {
    panels.add(tags);
    const panel = fakeWindow.created.at(-1)!;
    panel.webview.receive.fire({ type: 'ready' });
    return panel;
  }

  it('opens a panel with a strict page and subscribes once per device', () => {
    panels.add([tag('plc1', 'level', '%'), tag('plc1', 'pump'), tag('plc2', 'pressure', 'bar')]);
    assert.equal(fakeWindow.created.length, 1);
    const panel = fakeWindow.created[0];
    assert.equal(panel.viewType, 'bifrost.liveData');
    const options = panel.webview.options as { enableScripts: boolean; localResourceRoots: { path: string }[] };
    assert.equal(options.enableScripts, true);
    assert.deepEqual(options.localResourceRoots.map((u) => u.path), ['/ext/dist/webview'], 'only the built webview files');
    assert.match(panel.webview.html, /script-src 'nonce-[A-Za-z0-9]{32}'/);
    assert.doesNotMatch(panel.webview.html, /level|pressure/, 'no data in the HTML');
    assert.deepEqual(
      source.live().map((s) => [s.deviceId, s.tags]),
      [
        ['plc1', ['level', 'pump']],
        ['plc2', ['pressure']],
      ],
    );
  });

  it('sends a snapshot when the page is ready, then batched deltas', async () => {
    const panel = openWithReady([tag('plc1', 'level', '%'), tag('plc1', 'pump')]);
    const snapshot = lastOf(panel, 'snapshot') as SnapshotMessage;
    assert.deepEqual(snapshot.series.map((s) => s.info.tag), ['level', 'pump']);
    assert.equal(snapshot.retentionMs, 600_000);

    const [sub] = source.live('plc1');
    sub.push([good('level', 41.5, 1000), good('pump', true, 1000)]);
    sub.push([good('level', 42, 1100)]);
    sub.push([{ tag: 'level', value: null, quality: 'bad', timestamp: 1200, error: 'Timeout after 1000 ms' }]);
    await until('a delta', () => sent(panel).some((m) => m.type === 'delta'));
    const deltas = sent(panel).filter((m) => m.type === 'delta') as DeltaMessage[];
    assert.equal(deltas.length, 1, 'readings arriving together travel in one message');
    const level = deltas[0].series.find((s) => s.key === snapshot.series[0].info.key);
    assert.deepEqual(level?.points, { t: [1000, 1100, 1200], v: [41.5, 42, null] });
    assert.deepEqual(level?.last, { value: null, quality: 'bad', timestamp: 1200, error: 'Timeout after 1000 ms' });
    assert.deepEqual(level?.range, { min: 41.5, max: 42 });
    const pump = deltas[0].series.find((s) => s.key === snapshot.series[1].info.key);
    assert.deepEqual(pump?.points, { t: [1000], v: [1] }, 'booleans chart as 0/1');
  });

  it('tells what each panel holds and every message it posted, with whether it was delivered, without changing what it sends', async () => {
    const posted: { type: string; delivered: boolean }[] = [];
    const listener = panels.onDidPost(({ message, delivered }) => posted.push({ type: message.type, delivered }));
    try {
      const panel = openWithReady([tag('plc1', 'level', '%'), tag('plc1', 'batch')]);
      const [sub] = source.live('plc1');
      sub.push([good('level', 41.5, 1000), good('batch', 'B-17', 1000)]);
      sub.push([good('level', 42, 1100)]);
      const [contents] = panels.contents();
      assert.deepEqual(
        contents.map((c) => [c.info.tag, c.last?.value, c.points, c.range]),
        [
          ['level', 42, 2, { min: 41.5, max: 42 }],
          // Inferred a string: in the table, not on the chart.
          ['batch', 'B-17', 0, { min: null, max: null }],
        ],
      );
      await until('a delta', () => sent(panel).some((m) => m.type === 'delta'));
      const delta = lastOf(panel, 'delta')!;
      assert.deepEqual(delta.series.find((d) => d.key === contents[0].info.key)?.points, { t: [1000, 1100], v: [41.5, 42] }, 'looking did not take the changes');
      await until('the delta reported', () => posted.some((p) => p.type === 'delta'));
      assert.deepEqual(posted, [
        { type: 'snapshot', delivered: true },
        { type: 'delta', delivered: true },
      ]);

      panel.webview.alive = false;
      sub.push([good('level', 43, 1200)]);
      await until('an undelivered delta reported', () => posted.length === 3);
      assert.deepEqual(posted[2], { type: 'delta', delivered: false });
    } finally {
      listener.dispose();
    }
  });

  it('sends nothing to a hidden panel, and one snapshot with everything when it is shown', async () => {
    const panel = openWithReady([tag('plc1', 'level')]);
    panel.setView(false, false);
    const before = sent(panel).length;
    const [sub] = source.live('plc1');
    const start = Date.now();
    for (let t = 1; t <= 5; t++) sub.push([good('level', t, start + t * 100)]);
    await new Promise((r) => setTimeout(r, 150)); // longer than a delta batch
    assert.equal(sent(panel).length, before, 'nothing posted while hidden');

    panel.setView(true, true);
    assert.equal(sent(panel).length, before + 1);
    const snapshot = lastOf(panel, 'snapshot')!;
    assert.deepEqual(snapshot.series[0].points.v, [1, 2, 3, 4, 5], 'the host kept buffering');
    assert.deepEqual(snapshot.series[0].range, { min: 1, max: 5 });
  });

  it('adds tags to the most recently focused panel and resubscribes that device', async () => {
    panels.openNew();
    panels.openNew();
    const [first, second] = fakeWindow.created;
    for (const p of [first, second]) p.webview.receive.fire({ type: 'ready' });
    first.setView(true, true);
    second.setView(true, false);

    panels.add([tag('plc1', 'level')]);
    assert.equal(fakeWindow.created.length, 2, 'no new panel');
    assert.equal(first.revealed, 1);
    panels.add([tag('plc1', 'pump'), tag('plc1', 'level')]);
    assert.deepEqual(source.live().map((s) => s.tags), [['level', 'pump']], 'one subscription per device, with every tag');
    assert.equal(source.subscriptions.length, 2);
    await until('a delta', () => sent(first).some((m) => m.type === 'delta'));
    const delta = lastOf(first, 'delta')!;
    assert.deepEqual(delta.added?.map((s) => s.info.tag), ['level', 'pump']);
    assert.equal(sent(second).filter((m) => m.type === 'delta').length, 0);
  });

  it('removes a row on request and drops the device subscription with its last tag', async () => {
    const panel = openWithReady([tag('plc1', 'level'), tag('plc2', 'pressure')]);
    const snapshot = lastOf(panel, 'snapshot')!;
    const pressureKey = snapshot.series[1].info.key;
    panel.webview.receive.fire({ type: 'removeSeries', key: pressureKey });
    assert.deepEqual(source.live().map((s) => s.deviceId), ['plc1']);
    await until('a delta', () => sent(panel).some((m) => m.type === 'delta'));
    assert.deepEqual(lastOf(panel, 'delta')?.removed, [pressureKey]);
  });

  it('resets min/max and clears history on request', async () => {
    const panel = openWithReady([tag('plc1', 'level')]);
    source.live('plc1')[0].push([good('level', 3, 100), good('level', 9, 200)]);
    panel.webview.receive.fire({ type: 'resetMinMax' });
    await until('a delta', () => sent(panel).some((m) => m.type === 'delta'));
    assert.deepEqual(lastOf(panel, 'delta')?.series[0].range, { min: null, max: null });

    panel.webview.receive.fire({ type: 'clearChart' });
    const snapshot = lastOf(panel, 'snapshot')!;
    assert.deepEqual(snapshot.series[0].points, { t: [], v: [] });
    assert.equal(snapshot.series[0].last?.value, 9);
  });

  it('disposes the subscriptions with the panel, and the next add opens a new one', async () => {
    const panel = openWithReady([tag('plc1', 'level'), tag('plc2', 'pressure')]);
    const subs = source.live();
    panel.dispose();
    assert.ok(subs.every((s) => s.disposed));
    subs[0].push([good('level', 1, 1)]);
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(sent(panel).filter((m) => m.type === 'delta').length, 0);

    panels.add([tag('plc3', 'x')]);
    assert.equal(fakeWindow.created.length, 2);
    assert.deepEqual(source.live().map((s) => s.deviceId), ['plc3']);
  });

  it('restores panels after a reload from the saved tag list, reporting what it could not use', async () => {
    const serializer = fakeWindow.serializers.get('bifrost.liveData');
    assert.ok(serializer, 'a serializer is registered');
    const restored = fakeWindow.createWebviewPanel('bifrost.liveData', 'Live Data');
    await serializer.deserializeWebviewPanel(restored, {
      version: 1,
      tags: [tag('plc1', 'level', '%'), { deviceId: 'plc1' }],
      windowMs: 60_000,
      hidden: [],
    });
    assert.match(restored.webview.html, /livedata\.js/);
    assert.deepEqual(source.live().map((s) => [s.deviceId, s.tags]), [['plc1', ['level']]]);
    assert.ok(log.some((l) => l.level === 'warn' && /Saved tag #2/.test(l.text)));
    panels.add([tag('plc1', 'pump')]);
    assert.equal(fakeWindow.created.length, 1, 'the restored panel takes new tags');
  });

  it("takes each series' kind from its tag: a uint64 beyond 2^53 is charted, an array and a string are not", async () => {
    const panel = openWithReady([
      { ...tag('plc1', 'energy', 'Wh'), valueKind: 'integer', dataType: 'uint64' },
      { ...tag('plc1', 'profile'), valueKind: 'array', dataType: 'int16[3]' },
      { ...tag('plc1', 'batch'), valueKind: 'string', dataType: 'string[8]' },
    ]);
    const snapshot = lastOf(panel, 'snapshot')!;
    assert.deepEqual(
      snapshot.series.map((s) => [s.info.tag, s.info.valueKind, s.info.dataType]),
      [
        ['energy', 'integer', 'uint64'],
        ['profile', 'array', 'int16[3]'],
        ['batch', 'string', 'string[8]'],
      ],
    );
    const [energyKey, profileKey, batchKey] = snapshot.series.map((s) => s.info.key);
    source.live('plc1')[0].push([good('energy', '18446744073709551615', 1000), good('profile', [1, 2, 3], 1000), good('batch', '42', 1000)]);
    source.live('plc1')[0].push([good('energy', '18446744073709551614', 1100)]);
    await until('a delta', () => sent(panel).some((m) => m.type === 'delta'));
    const delta = lastOf(panel, 'delta')!;
    const energy = delta.series.find((s) => s.key === energyKey);
    assert.deepEqual(energy?.points, { t: [1000, 1100], v: [2 ** 64, 2 ** 64] }, 'charted as the nearest double');
    assert.deepEqual(energy?.range, { min: '18446744073709551614', max: '18446744073709551615' }, 'min/max exact');
    assert.equal(energy?.last?.value, '18446744073709551614');
    const profile = delta.series.find((s) => s.key === profileKey);
    assert.deepEqual(profile?.last?.value, [1, 2, 3]);
    assert.equal(profile?.points, undefined, 'an array is never charted');
    const batch = delta.series.find((s) => s.key === batchKey);
    assert.equal(batch?.last?.value, '42');
    assert.equal(batch?.points, undefined, 'nor a string, even of digits');
  });

  it('restores a version 1 panel, infers kinds from first readings, and takes the kind of a tag added again', async () => {
    const serializer = fakeWindow.serializers.get('bifrost.liveData')!;
    const restored = fakeWindow.createWebviewPanel('bifrost.liveData', 'Live Data');
    await serializer.deserializeWebviewPanel(restored, { version: 1, tags: [tag('plc1', 'energy', 'Wh'), tag('plc1', 'level', '%')], windowMs: 60_000, hidden: [] });
    restored.webview.receive.fire({ type: 'ready' });
    const snapshot = lastOf(restored, 'snapshot')!;
    assert.deepEqual(snapshot.series.map((s) => s.info.valueKind), [undefined, undefined], 'old tags come back without a kind');
    const [energyKey, levelKey] = snapshot.series.map((s) => s.info.key);

    const [sub] = source.live('plc1');
    sub.push([good('energy', '18446744073709551615', 1000), good('level', 40, 1000)]);
    await until('a delta', () => sent(restored).some((m) => m.type === 'delta'));
    let delta = lastOf(restored, 'delta')!;
    assert.deepEqual(delta.series.find((s) => s.key === levelKey)?.info?.valueKind, 'number');
    assert.deepEqual(delta.series.find((s) => s.key === levelKey)?.points, { t: [1000], v: [40] });
    const energy = delta.series.find((s) => s.key === energyKey);
    assert.equal(energy?.info?.valueKind, 'string', 'as before its kind was known: a uint64 string looks like text');
    assert.equal(energy?.info?.kindInferred, true);

    const deltas = sent(restored).length;
    const subscriptions = source.subscriptions.length;
    panels.add([{ ...tag('plc1', 'energy', 'Wh'), valueKind: 'integer', dataType: 'uint64' }]);
    await until('a second delta', () => sent(restored).length > deltas);
    delta = lastOf(restored, 'delta')!;
    assert.deepEqual(delta.series, [{ key: energyKey, info: { ...snapshot.series[0].info, valueKind: 'integer', dataType: 'uint64' }, range: { min: null, max: null } }]);
    assert.equal(source.subscriptions.length, subscriptions, 'describing a tag does not resubscribe');
    sub.push([good('energy', '18446744073709551614', 1100)]);
    await until('a third delta', () => sent(restored).length > deltas + 1);
    assert.deepEqual(lastOf(restored, 'delta')!.series[0].points, { t: [1100], v: [2 ** 64] }, 'charted from now on');
  });

  it('shows why a device could not be subscribed, on its rows', () => {
    source.failFor.add('ghost');
    const panel = openWithReady([tag('ghost', 'x')]);
    const [series] = lastOf(panel, 'snapshot')!.series;
    assert.equal(series.last?.quality, 'bad');
    assert.match(series.last?.error ?? '', /Could not subscribe to device "ghost": Unknown device/);
    assert.ok(log.some((l) => l.level === 'error'));
  });

  it('ignores malformed messages from the page, with a log line', () => {
    const panel = openWithReady([tag('plc1', 'level')]);
    const before = sent(panel).length;
    panel.webview.receive.fire({ type: 'removeSeries' });
    panel.webview.receive.fire('hello');
    assert.equal(sent(panel).length, before);
    assert.equal(source.live().length, 1);
    assert.equal(log.filter((l) => l.level === 'warn').length, 2);
  });
});
