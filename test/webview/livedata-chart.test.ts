import * as assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { seriesInfoOf } from '../../extension/liveData/panelTags';
import { SeriesStore } from '../../extension/liveData/seriesStore';
import type { LiveReading, SeriesInfo, SeriesSnapshot } from '../../webview/messages';
import { distance, MIN_DISTANCE, oklab, parseColour } from '../../webview/livedata/palette';
import { startHarness, type Harness, type PanelPage } from './harness';

const RESULTS = resolve(__dirname, '../../test-results');

/** Records the text uPlot draws on its canvas (the axes' labels), with where and in which colour. */
const TEXT_RECORDER = `
window.__texts = [];
const fillText = CanvasRenderingContext2D.prototype.fillText;
CanvasRenderingContext2D.prototype.fillText = function (text, x, y, ...rest) {
  window.__texts.push({ text: String(text), x, y, fill: String(this.fillStyle) });
  return fillText.call(this, text, x, y, ...rest);
};
`;

interface DrawnText {
  text: string;
  x: number;
  y: number;
  fill: string;
}

const CLOCK = /^\d\d:\d\d:\d\d$/;

/** The text of the next full redraw (the time axis' labels are drawn in every one). */
async function nextDrawnTexts(panel: PanelPage): Promise<DrawnText[]> {
  await panel.page.evaluate(() => ((window as unknown as { __texts: DrawnText[] }).__texts = []));
  await panel.page.waitForFunction(() => (window as unknown as { __texts: DrawnText[] }).__texts.some((t) => /^\d\d:\d\d:\d\d$/.test(t.text)));
  const texts = await panel.page.evaluate(() => (window as unknown as { __texts: DrawnText[] }).__texts);
  const seen = new Set<string>();
  return texts.filter((t) => {
    const id = `${t.text}@${Math.round(t.x)},${Math.round(t.y)}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function curve(end: number, f: (secondsAgo: number) => number): { t: number[]; v: (number | null)[] } {
  const t: number[] = [];
  const v: (number | null)[] = [];
  for (let i = 600; i >= 0; i--) {
    t.push(end - i * 100);
    v.push(f(i / 10));
  }
  return { t, v };
}

function snap(info: SeriesInfo, points: { t: number[]; v: (number | null)[] }, last: LiveReading): SeriesSnapshot {
  const nums = points.v.filter((x): x is number => x !== null);
  return { info, last, range: nums.length ? { min: Math.min(...nums), max: Math.max(...nums) } : { min: null, max: null }, points };
}

async function save(page: Page, name: string): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, name), await page.screenshot());
}

/** Legend rows as [label, value]; the first is the time. */
async function legendRows(page: Page): Promise<[string, string][]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('.legend .u-series'), (row) => [row.querySelector('.u-label')?.textContent ?? '', row.querySelector('.u-value')?.textContent ?? ''] as [string, string]),
  );
}

async function tableValues(page: Page): Promise<Map<string, string>> {
  const rows = await page.evaluate(() =>
    Array.from(document.querySelectorAll('table.readings tbody tr'), (tr) => [tr.querySelector('.tag span:last-child')?.textContent ?? '', tr.querySelector('td.value')?.textContent ?? ''] as [string, string]),
  );
  return new Map(rows);
}

describe('Live Data chart: axis labels, colours, legend (headless Chromium)', function () {
  this.timeout(90_000);
  let harness: Harness;

  before(async () => {
    harness = await startHarness();
  });

  after(async () => {
    await harness?.close();
  });

  it('labels a y axis with a 2.5 M step 2.5M, 5M, 7.5M…', async () => {
    const panel = await harness.open({ width: 1000, height: 800, initScript: TEXT_RECORDER });
    try {
      const now = Date.now();
      const energy = seriesInfoOf({ deviceId: 'meter', deviceName: 'Energy meter', tag: 'energy_total', unit: 'Wh', valueKind: 'number' });
      const points = curve(now, (ago) => 28_000_000 - ago * 450_000);
      await panel.post({ type: 'snapshot', now, retentionMs: 600_000, series: [snap(energy, points, { value: 28_000_000, quality: 'good', timestamp: now })] });
      await panel.page.waitForSelector('.plot canvas');
      await panel.frames(3);
      const texts = await nextDrawnTexts(panel);
      await save(panel.page, 'livedata-axis-2.5M.png');

      const labels = texts.filter((t) => !CLOCK.test(t.text)).sort((a, b) => a.y - b.y);
      const values = labels.map((l) => Number(l.text.replace(/M$/, 'e6')));
      const at = JSON.stringify(labels.map((l) => l.text));
      assert.ok(labels.length >= 6, `enough ticks: ${at}`);
      for (let i = 1; i < values.length; i++) assert.equal(values[i - 1] - values[i], 2_500_000, `ticks every 2.5 M, top to bottom: ${at}`);
      // What each label must say, worked out here from its value: every digit it needs.
      assert.deepEqual(
        labels.map((l) => l.text),
        values.map((v) => (v === 0 ? '0' : `${v / 1e6}M`)),
      );
      assert.ok(labels.some((l) => l.text === '27.5M') && labels.some((l) => l.text === '7.5M'), at);
      assert.deepEqual(await panel.problems(), []);
    } finally {
      await panel.page.close();
    }
  });

  describe('with 14 tags of a boiler, 5 of them booleans', () => {
    const boiler: [string, string | undefined, 'number' | 'boolean' | 'string'][] = [
      ['temperature', '°C', 'number'],
      ['pressure', 'bar', 'number'],
      ['flue_temperature', '°C', 'number'],
      ['setpoint', '°C', 'number'],
      ['high_limit', '°C', 'number'],
      ['energy_total', 'Wh', 'number'],
      ['burner_runtime', 's', 'number'],
      ['status_word', undefined, 'number'],
      ['overtemp_alarm', undefined, 'boolean'],
      ['burner_on', undefined, 'boolean'],
      ['burner_enable', undefined, 'boolean'],
      ['water_flow_ok', undefined, 'boolean'],
      ['flame_detected', undefined, 'boolean'],
      ['serial_number', undefined, 'string'],
    ];
    const lanes = boiler.filter(([, , kind]) => kind === 'boolean').map(([tag]) => tag);

    function boilerSeries(now: number): SeriesSnapshot[] {
      return boiler.map(([tag, unit, valueKind], k) => {
        const info = seriesInfoOf({ deviceId: 'boiler', deviceName: 'Boiler Controller', tag, valueKind, ...(unit ? { unit } : {}) });
        if (valueKind === 'string') return snap(info, { t: [], v: [] }, { value: 'BLR-7741', quality: 'good', timestamp: now });
        // Each line its own shape, so that none hides another.
        const points = curve(now, (ago) =>
          valueKind === 'boolean' ? Math.floor(ago / (5 + k)) % 2 : Math.round((50 + 10 * k + (3 + k) * Math.sin(ago / (2 + k / 2) + k)) * 100) / 100,
        );
        const last = points.v[points.v.length - 1] as number;
        return snap(info, points, { value: valueKind === 'boolean' ? last === 1 : last, quality: 'good', timestamp: now });
      });
    }

    for (const [name, width, height, theme] of [
      ['wide, dark', 1390, 800, 'dark'],
      ['wide, light', 1390, 800, 'light'],
      ['narrow, dark', 560, 520, 'dark'],
      ['narrow, light', 560, 520, 'light'],
      ['small, dark', 700, 400, 'dark'],
    ] as const) {
      it(`gives every series its own colour, its latest value in the legend and every lane its name (${name}, ${width}×${height})`, async () => {
        const panel = await harness.open({ width, height, theme });
        try {
          const now = Date.now();
          await panel.post({ type: 'snapshot', now, retentionMs: 600_000, series: boilerSeries(now) });
          await panel.page.waitForFunction(() => document.querySelectorAll('table.readings tbody tr').length === 14);
          await panel.page.waitForSelector('.plot canvas');
          await panel.frames(4);
          await save(panel.page, `livedata-14-${name.replace(', ', '-')}-${width}x${height}.png`);

          // Not hovering: the time says so, and every series shows its latest reading, as the table does.
          const rows = await legendRows(panel.page);
          assert.deepEqual(rows[0], ['Time', 'latest']);
          const table = await tableValues(panel.page);
          assert.equal(rows.length, 14, 'time and the 13 charted series');
          for (const [label, value] of rows.slice(1)) assert.equal(value, table.get(label), `${label} in the legend`);
          assert.ok(!rows.some(([, v]) => v === '—'));

          // Thirteen colours, each clearly different, each drawn.
          const colours = await panel.page.evaluate(() =>
            Array.from(document.querySelectorAll<HTMLElement>('.legend .u-series .u-marker'))
              .slice(1)
              .map((m) => getComputedStyle(m).borderTopColor),
          );
          const rgbs = colours.map((c) => parseColour(c)!);
          assert.equal(new Set(colours).size, 13, `no colour twice: ${colours.join(' ')}`);
          for (let i = 0; i < rgbs.length; i++) {
            for (let j = i + 1; j < rgbs.length; j++) {
              const d = distance(oklab(rgbs[i]), oklab(rgbs[j]));
              assert.ok(d >= MIN_DISTANCE, `${rows[i + 1][0]} (${colours[i]}) and ${rows[j + 1][0]} (${colours[j]}) look alike: ${d.toFixed(3)}`);
            }
          }
          const drawn = await panel.page.evaluate((want) => {
            const c = document.querySelector<HTMLCanvasElement>('.plot canvas')!;
            const { data } = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
            const counts = want.map(() => 0);
            for (let i = 0; i < data.length; i += 4) {
              // A 1 px line's pixels are partly transparent: they keep its colour, with less alpha.
              if (data[i + 3] < 60) continue;
              want.forEach((rgb, k) => {
                if (Math.abs(data[i] - rgb[0]) < 10 && Math.abs(data[i + 1] - rgb[1]) < 10 && Math.abs(data[i + 2] - rgb[2]) < 10) counts[k]++;
              });
            }
            return counts;
          }, rgbs as unknown as number[][]);
          drawn.forEach((n, k) => assert.ok(n > 30, `${rows[k + 1][0]} is drawn in ${colours[k]} (${n} pixels)`));

          // Every boolean lane has its name beside it, one above the other, cut with … if need be.
          const names = await panel.page.evaluate(() => {
            const over = document.querySelector('.plot .u-over')!.getBoundingClientRect();
            return {
              overLeft: over.left,
              names: Array.from(document.querySelectorAll<HTMLElement>('.plot .lane-name'), (e) => {
                const r = e.getBoundingClientRect();
                return { text: e.textContent, title: e.title, visible: !e.hidden && r.height > 0, top: r.top, bottom: r.bottom, left: r.left, right: r.right, cut: e.scrollWidth > e.clientWidth };
              }),
            };
          });
          assert.deepEqual(
            names.names.map((n) => n.text),
            lanes,
          );
          for (const [i, n] of names.names.entries()) {
            assert.ok(n.visible, `${n.text} is shown`);
            assert.equal(n.title, n.text, 'the whole name as tooltip');
            assert.ok(n.right <= names.overLeft, `${n.text} stays left of the plot`);
            assert.ok(n.left >= 0, `${n.text} starts inside the panel`);
            if (i > 0) assert.ok(n.top >= names.names[i - 1].bottom - 3, `${n.text} does not cover ${names.names[i - 1].text}`);
          }
          assert.deepEqual(await panel.problems(), []);
        } finally {
          await panel.page.close();
        }
      });
    }

    it('shows the readings under the cursor while hovering, and the latest again after', async () => {
      const panel = await harness.open({ width: 1390, height: 800 });
      try {
        const now = Date.now();
        await panel.post({ type: 'snapshot', now, retentionMs: 600_000, series: boilerSeries(now) });
        await panel.page.waitForSelector('.plot canvas');
        await panel.frames(4);
        const latest = await legendRows(panel.page);
        const over = (await panel.page.locator('.plot .u-over').boundingBox())!;
        await panel.page.mouse.move(over.x + over.width * 0.3, over.y + over.height * 0.5);
        await panel.page.waitForFunction(() => document.querySelector('.legend .u-series .u-value')?.textContent !== 'latest');
        const hovered = await legendRows(panel.page);
        assert.match(hovered[0][1], /^\d\d:\d\d:\d\d\.\d{3}$/, 'the time under the cursor');
        assert.equal(hovered[1][0], 'temperature');
        assert.match(hovered[1][1], /^\d+(\.\d+)? °C$/);
        assert.match(hovered.find(([l]) => l === 'burner_on')![1], /^(true|false)$/);
        assert.notDeepEqual(
          hovered.slice(1, 8).map(([, v]) => v),
          latest.slice(1, 8).map(([, v]) => v),
          'values from 18 s ago, not the latest',
        );
        await panel.page.mouse.move(over.x + over.width * 0.5, over.y + over.height + 300);
        await panel.page.waitForFunction(() => document.querySelector('.legend .u-series .u-value')?.textContent === 'latest');
        assert.deepEqual(await legendRows(panel.page), latest);
        await save(panel.page, 'livedata-14-after-hover.png');
      } finally {
        await panel.page.close();
      }
    });
  });

  it('shows a uint64 beyond 2^53 with every digit in the legend, and a bad reading as bad', async () => {
    const panel = await harness.open({ width: 1000, height: 600 });
    try {
      const now = Date.now();
      const counter = seriesInfoOf({ deviceId: 'plc1', deviceName: 'Line 1 PLC', tag: 'energy_counter', unit: 'Wh', valueKind: 'integer', dataType: 'uint64' });
      const level = seriesInfoOf({ deviceId: 'plc1', deviceName: 'Line 1 PLC', tag: 'tank_level', unit: '%', valueKind: 'number', dataType: 'float32' });
      const store = new SeriesStore({ retentionMs: 600_000, maxPoints: 12_000 });
      store.add(counter);
      store.add(level);
      for (let i = 300; i >= 0; i--) {
        store.ingest(counter.key, { value: (18_446_744_073_709_551_615n - BigInt(i) * 1_000_000_007n).toString(), quality: 'good', timestamp: now - i * 100 });
        if (i > 0) store.ingest(level.key, { value: 40 + i / 10, quality: 'good', timestamp: now - i * 100 });
      }
      store.ingest(level.key, { value: null, quality: 'bad', timestamp: now, error: 'Device did not answer within 1000 ms' });
      await panel.post({ type: 'snapshot', now, retentionMs: 600_000, series: store.snapshot(now) });
      await panel.page.waitForSelector('.plot canvas');
      await panel.frames(4);
      await save(panel.page, 'livedata-legend-uint64.png');
      assert.deepEqual(await legendRows(panel.page), [
        ['Time', 'latest'],
        ['energy_counter', '18446744073709551615 Wh'],
        ['tank_level', 'bad'],
      ]);
    } finally {
      await panel.page.close();
    }
  });
});
