import * as assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { restoreTags, seriesInfoOf } from '../../extension/liveData/panelTags';
import { SeriesStore } from '../../extension/liveData/seriesStore';
import type { LiveReading, SeriesInfo, SeriesSnapshot } from '../../webview/messages';
import { DARK_THEME, LIGHT_THEME, startHarness, type Harness, type PanelPage } from './harness';

const RESULTS = resolve(__dirname, '../../test-results');

const tank = seriesInfoOf({ deviceId: 'plc1', deviceName: 'Line 1 PLC', tag: 'tank_level', unit: '%', valueKind: 'number', dataType: 'float32' });
const pump = seriesInfoOf({ deviceId: 'plc1', deviceName: 'Line 1 PLC', tag: 'pump_running', valueKind: 'boolean', dataType: 'bool' });
const motor = seriesInfoOf({ deviceId: 'plc1', deviceName: 'Line 1 PLC', tag: 'motor_temp', unit: '°C', valueKind: 'integer', dataType: 'int16' });
const pressure = seriesInfoOf({ deviceId: 'plc2', deviceName: 'Packer', tag: 'line_pressure', unit: 'bar', valueKind: 'number', dataType: 'float32' });
const recipe = seriesInfoOf({ deviceId: 'plc2', deviceName: 'Packer', tag: 'recipe_name', valueKind: 'string', dataType: 'string[16]' });

const TIMEOUT_TEXT = 'Device did not answer within 1000 ms';

/** A test curve: 60 s of readings at 10 Hz ending at `end`, computed from time. */
function curve(end: number, f: (secondsAgo: number) => number): { t: number[]; v: (number | null)[] } {
  const t: number[] = [];
  const v: (number | null)[] = [];
  for (let i = 600; i >= 0; i--) {
    t.push(end - i * 100);
    v.push(f(i / 10));
  }
  return { t, v };
}

function snapshotSeries(now: number): SeriesSnapshot[] {
  const tankPoints = curve(now, (ago) => 50 + 20 * Math.sin(ago / 6));
  const tankLast = tankPoints.v[tankPoints.v.length - 1] as number;
  const pumpPoints = { t: [now - 55_000, now - 40_000, now - 25_000, now - 10_000], v: [1, 0, 1, 0] as (number | null)[] };
  const motorPoints = curve(now, (ago) => 60 - ago * 0.1);
  // Good until 20 s ago, then the device stopped answering.
  const pressurePoints = curve(now - 20_000, (ago) => 4 + Math.cos(ago / 3));
  pressurePoints.t.push(now - 19_900);
  pressurePoints.v.push(null);
  const reading = (value: LiveReading['value'], timestamp: number, quality: LiveReading['quality'] = 'good', error?: string): LiveReading =>
    error ? { value, quality, timestamp, error } : { value, quality, timestamp };
  const range = (v: (number | null)[]) => {
    const nums = v.filter((x): x is number => x !== null);
    return { min: Math.min(...nums), max: Math.max(...nums) };
  };
  const snap = (info: SeriesInfo, last: LiveReading | null, points: { t: number[]; v: (number | null)[] }): SeriesSnapshot => ({
    info,
    last,
    range: points.v.some((x) => x !== null) ? range(points.v) : { min: null, max: null },
    points,
  });
  return [
    snap(tank, reading(tankLast, now), tankPoints),
    snap(pump, reading(false, now - 10_000), pumpPoints),
    snap(motor, reading(60, now, 'uncertain', 'Value held: sensor warming up'), motorPoints),
    snap(pressure, reading(null, now - 200, 'bad', TIMEOUT_TEXT), pressurePoints),
    snap(recipe, reading('RECIPE-7', now - 30_000), { t: [], v: [] }),
  ];
}

async function rowTexts(page: Page, info: SeriesInfo): Promise<string[]> {
  return page.locator(`tr[data-key="${cssEscape(info.key)}"] td`).allInnerTexts();
}

function cssEscape(key: string): string {
  return key.replace(/["\\]/g, '\\$&');
}

/**
 * Counts pixels of the chart canvas drawn in a colour, within a vertical band of the plotting
 * area (axes, coloured like their line when they have one, are left out).
 */
async function colourPixels(page: Page, hex: string, fromFraction = 0, toFraction = 1): Promise<number> {
  return page.evaluate(
    ({ hex, fromFraction, toFraction }) => {
      const canvas = document.querySelector<HTMLCanvasElement>('.plot canvas');
      const over = document.querySelector<HTMLElement>('.plot .u-over');
      if (!canvas || !over) return -1;
      const ctx = canvas.getContext('2d');
      if (!ctx) return -1;
      const { data, width } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      const want = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
      let count = 0;
      const scale = canvas.width / canvas.getBoundingClientRect().width;
      const box = over.getBoundingClientRect();
      const origin = canvas.getBoundingClientRect();
      const left = (box.left - origin.left) * scale;
      const x0 = Math.floor(left + box.width * scale * fromFraction);
      const x1 = Math.floor(left + box.width * scale * toFraction);
      const y0 = Math.floor((box.top - origin.top) * scale);
      const y1 = Math.ceil((box.bottom - origin.top) * scale);
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const i = (y * width + x) * 4;
          // The canvas is transparent: a line's edge pixels keep its colour and get less alpha.
          if (data[i + 3] > 60 && Math.abs(data[i] - want[0]) < 12 && Math.abs(data[i + 1] - want[1]) < 12 && Math.abs(data[i + 2] - want[2]) < 12) count++;
        }
      }
      return count;
    },
    { hex, fromFraction, toFraction },
  );
}

async function canvasFingerprint(page: Page): Promise<string> {
  return page.evaluate(() => document.querySelector<HTMLCanvasElement>('.plot canvas')?.toDataURL() ?? '');
}

/** Decodes a PNG in a blank page and counts pixels that differ from the top-left one. */
async function nonBackgroundPixels(harness: Harness, png: Buffer): Promise<number> {
  const page = await harness.browser.newPage();
  await page.addInitScript('globalThis.__name = (f) => f;');
  try {
    return await page.evaluate(async (b64) => {
      const blob = await (await fetch(`data:image/png;base64,${b64}`)).blob();
      const bitmap = await createImageBitmap(blob);
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(bitmap, 0, 0);
      const { data } = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
      let differing = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i] !== data[0] || data[i + 1] !== data[1] || data[i + 2] !== data[2]) differing++;
      }
      return differing;
    }, png.toString('base64'));
  } finally {
    await page.close();
  }
}

describe('Live Data webview (headless Chromium)', function () {
  this.timeout(60_000);
  let harness: Harness;
  let panel: PanelPage;

  before(async () => {
    harness = await startHarness();
  });

  after(async () => {
    await harness?.close();
  });

  it('shows a hint in an empty panel', async () => {
    const empty = await harness.open();
    try {
      await empty.post({ type: 'snapshot', now: Date.now(), retentionMs: 600_000, series: [] });
      await empty.frames();
      const hint = empty.page.locator('.empty-hint');
      assert.ok(await hint.isVisible());
      assert.match(await hint.innerText(), /Right-click a tag in the Tag Explorer → Add to Chart/);
      assert.equal(await empty.page.locator('.chart-section').isVisible(), false);
      mkdirSync(RESULTS, { recursive: true });
      writeFileSync(join(RESULTS, 'livedata-empty.png'), await empty.page.screenshot());
      assert.deepEqual(await empty.problems(), []);
    } finally {
      await empty.page.close();
    }
  });

  describe('with a snapshot and deltas', () => {
    before(async () => {
      panel = await harness.open();
      await panel.post({ type: 'snapshot', now: Date.now(), retentionMs: 600_000, series: snapshotSeries(Date.now()) });
      await panel.page.waitForSelector('.plot canvas');
      await panel.frames(3);
    });

    after(async () => {
      await panel?.page.close();
    });

    it('asks the host for data once it has loaded', async () => {
      const posted = await panel.posted();
      assert.deepEqual(posted[0], { type: 'ready' });
    });

    it('shows values with units, quality, timestamps and min/max in the table', async () => {
      assert.equal(await panel.page.locator('table.readings tbody tr').count(), 5);
      const [device, tag, type, value, quality, time, min, max] = await rowTexts(panel.page, tank);
      assert.equal(device, 'Line 1 PLC');
      assert.equal(tag.trim(), 'tank_level');
      assert.equal(type, 'float32');
      assert.match(value, /^\d+(\.\d+)? %$/);
      assert.equal(quality, 'good');
      assert.match(time, /^\d\d:\d\d:\d\d\.\d{3}$/);
      assert.match(min, /^\d+(\.\d+)? %$/);
      assert.match(max, /^\d+(\.\d+)? %$/);

      const pumpRow = await rowTexts(panel.page, pump);
      assert.deepEqual([pumpRow[3], pumpRow[6], pumpRow[7]], ['false', 'false', 'true'], 'booleans read as true/false');
      const motorRow = await rowTexts(panel.page, motor);
      assert.equal(motorRow[3], '60 °C');
      assert.equal(motorRow[4], 'uncertain');
      const recipeRow = await rowTexts(panel.page, recipe);
      assert.equal(recipeRow[3], 'RECIPE-7');
      assert.ok(await panel.page.locator(`tr[data-key="${cssEscape(recipe.key)}"] .swatch.not-charted`).count(), 'text is not charted');
    });

    it('shows a bad reading as bad, with the reason as tooltip', async () => {
      const row = panel.page.locator(`tr[data-key="${cssEscape(pressure.key)}"]`);
      assert.match((await row.getAttribute('class')) ?? '', /\bbad\b/);
      const badge = row.locator('.quality');
      assert.equal(await badge.innerText(), 'bad');
      assert.equal(await badge.getAttribute('title'), TIMEOUT_TEXT);
      assert.equal((await rowTexts(panel.page, pressure))[3], '—');
    });

    it('draws the chart, with a gap where the readings went bad', async () => {
      assert.ok((await colourPixels(panel.page, '#3794ff')) > 100, 'tank_level (blue) is drawn');
      assert.ok((await colourPixels(panel.page, '#89d185')) > 100, 'motor_temp (green) is drawn');
      // line_pressure (purple) went bad 20 s before the end of a 60 s window.
      assert.ok((await colourPixels(panel.page, '#b180d7', 0, 0.55)) > 50, 'line_pressure is drawn while good');
      assert.equal(await colourPixels(panel.page, '#b180d7', 0.8, 1), 0, 'no line after the bad reading');
      const legend = await panel.page.locator('.legend .u-series').allInnerTexts();
      assert.equal(legend.length, 5, 'time and the four charted series');
      assert.ok(legend.some((l) => l.includes('tank_level')));
      assert.ok(!legend.some((l) => l.includes('recipe_name')));
    });

    it('applies deltas: new readings, a reading going bad, min/max', async () => {
      const now = Date.now();
      await panel.post({
        type: 'delta',
        now,
        series: [
          { key: tank.key, points: { t: [now], v: [88.25] }, last: { value: 88.25, quality: 'good', timestamp: now }, range: { min: 30, max: 88.25 } },
          { key: motor.key, points: { t: [now], v: [null] }, last: { value: null, quality: 'bad', timestamp: now, error: 'Connection refused' } },
        ],
      });
      await panel.page.waitForFunction((key) => document.querySelector(`tr[data-key='${key}'] td.value`)?.textContent === '88.25 %', tank.key);
      const tankRow = await rowTexts(panel.page, tank);
      assert.equal(tankRow[7], '88.25 %');
      const motorBadge = panel.page.locator(`tr[data-key="${cssEscape(motor.key)}"] .quality`);
      assert.equal(await motorBadge.innerText(), 'bad');
      assert.equal(await motorBadge.getAttribute('title'), 'Connection refused');
    });

    it('freezes the chart while paused and catches up on resume', async () => {
      await panel.page.locator('vscode-toolbar-button[label="Pause the chart"]').click();
      await panel.frames(3);
      const frozen = await canvasFingerprint(panel.page);
      const now = Date.now();
      await panel.post({
        type: 'delta',
        now,
        series: [{ key: tank.key, points: { t: [now], v: [5] }, last: { value: 5, quality: 'good', timestamp: now }, range: { min: 5, max: 88.25 } }],
      });
      await panel.page.waitForFunction((key) => document.querySelector(`tr[data-key='${key}'] td.value`)?.textContent === '5 %', tank.key);
      await panel.frames(5);
      assert.equal(await canvasFingerprint(panel.page), frozen, 'the table is live, the chart is not');
      assert.match(await panel.page.locator('.toolbar .status').innerText(), /paused/);

      await panel.page.locator('vscode-toolbar-button[label="Resume the chart"]').click();
      await panel.page.waitForFunction((before) => document.querySelector<HTMLCanvasElement>('.plot canvas')?.toDataURL() !== before, frozen);
    });

    it('saves the tag list and view settings, never values', async () => {
      const state = await panel.savedState();
      assert.ok(state);
      assert.equal(state.version, 2);
      assert.equal(state.windowMs, 60_000);
      assert.deepEqual(
        state.tags.map((t) => t.tag),
        ['tank_level', 'pump_running', 'motor_temp', 'line_pressure', 'recipe_name'],
      );
      assert.deepEqual(state.tags[0], { deviceId: 'plc1', deviceName: 'Line 1 PLC', tag: 'tank_level', unit: '%', valueKind: 'number', dataType: 'float32' });
      assert.doesNotMatch(JSON.stringify(state), /88\.25|RECIPE-7/);
    });

    it('changes the time window from the toolbar and remembers it', async () => {
      // The snapshot holds the last minute of tank_level (blue): in a 1 min window it spans the
      // plot, in a 5 min window only the right fifth of it.
      const blueIn = (from: number, to: number) => colourPixels(panel.page, '#3794ff', from, to);
      assert.ok((await blueIn(0.4, 0.6)) > 50, 'tank_level crosses the middle of a 1 min window');
      await panel.page.locator('vscode-single-select').click();
      await panel.page.getByRole('option', { name: '5 min' }).click();
      await panel.page.waitForFunction(() => (window as unknown as { __state: { windowMs: number } }).__state.windowMs === 300_000);
      await panel.frames(3);
      assert.equal(await blueIn(0, 0.6), 0, 'nothing drawn where the 5 min window has no data');
      assert.ok((await blueIn(0.85, 1)) > 50, 'the minute of data sits at the right end');
      await panel.page.locator('vscode-single-select').click();
      await panel.page.getByRole('option', { name: '1 min' }).click();
      await panel.page.waitForFunction(() => (window as unknown as { __state: { windowMs: number } }).__state.windowMs === 60_000);
      await panel.frames(3);
      assert.ok((await blueIn(0.4, 0.6)) > 50, 'back to 1 min, the minute fills the plot again');
    });

    it('hides a series from the legend and remembers it', async () => {
      await panel.page.locator('.legend .u-series', { hasText: 'pump_running' }).locator('th').click();
      await panel.page.waitForFunction(() => {
        const s = (window as unknown as { __state: { hidden: string[] } }).__state;
        return s.hidden.length === 1;
      });
      assert.deepEqual((await panel.savedState())?.hidden, [pump.key]);
    });

    it('follows a theme change', async () => {
      await panel.page.evaluate((theme) => {
        document.body.classList.replace('vscode-dark', 'vscode-light');
        for (const [k, v] of Object.entries(theme)) document.body.style.setProperty(k, v);
      }, LIGHT_THEME);
      await panel.page.waitForFunction(() => {
        const c = document.querySelector<HTMLCanvasElement>('.plot canvas');
        const ctx = c?.getContext('2d');
        if (!c || !ctx) return false;
        const d = ctx.getImageData(0, 0, c.width, c.height).data;
        for (let i = 0; i < d.length; i += 4) if (d[i] === 0x1a && d[i + 1] === 0x85 && d[i + 2] === 0xff) return true;
        return false;
      });
      assert.equal(await colourPixels(panel.page, '#3794ff'), 0, 'no dark-theme blue left');
      assert.equal(await panel.page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(255, 255, 255)');
      // Back to dark for the screenshot.
      await panel.page.evaluate(() => {
        document.body.classList.replace('vscode-light', 'vscode-dark');
      });
    });

    it('asks the host to remove a row, reset min/max and clear', async () => {
      await panel.page.locator(`tr[data-key="${cssEscape(recipe.key)}"] vscode-icon`).click();
      await panel.page.locator('vscode-toolbar-button[label="Reset min/max"]').click();
      await panel.page.locator('vscode-toolbar-button[label="Clear the chart history"]').click();
      const posted = await panel.posted();
      assert.deepEqual(posted.slice(1), [{ type: 'removeSeries', key: recipe.key }, { type: 'resetMinMax' }, { type: 'clearChart' }]);

      await panel.post({ type: 'delta', now: Date.now(), removed: [recipe.key], series: [] });
      await panel.page.waitForFunction(() => document.querySelectorAll('table.readings tbody tr').length === 4);
      assert.equal((await panel.savedState())?.tags.length, 4);
    });

    it('looks like a panel: the screenshot is not blank', async () => {
      await panel.page.evaluate((theme) => {
        for (const [k, v] of Object.entries(theme)) document.body.style.setProperty(k, v);
      }, DARK_THEME);
      await panel.post({ type: 'snapshot', now: Date.now(), retentionMs: 600_000, series: snapshotSeries(Date.now()) });
      await panel.page.waitForFunction(() => document.querySelectorAll('table.readings tbody tr').length === 5);
      await panel.frames(4);
      const png = await panel.page.screenshot({ fullPage: true });
      mkdirSync(RESULTS, { recursive: true });
      writeFileSync(join(RESULTS, 'livedata.png'), png);
      const differing = await nonBackgroundPixels(harness, png);
      assert.ok(differing > 20_000, `only ${differing} pixels differ from the background`);
      assert.deepEqual(await panel.problems(), [], 'no CSP violations or errors');
    });
  });

  it('thins a dense 10-minute window without losing a spike or a gap', async () => {
    const dense = await harness.open({ savedState: { version: 1, tags: [], windowMs: 600_000, hidden: [] } });
    try {
      const now = Date.now();
      const t: number[] = [];
      const v: (number | null)[] = [];
      const gapV: (number | null)[] = [];
      for (let i = 6000; i >= 1; i--) {
        t.push(now - i * 100);
        v.push(i === 3000 ? 1000 : 40 + 10 * Math.sin(i / 50)); // one reading spikes, 5 minutes ago
        gapV.push(i === 1500 ? null : i < 1500 ? undefined! : 20 + 5 * Math.cos(i / 40)); // bad for the last 2.5 minutes
      }
      const gapT = t.filter((_, i) => gapV[i] !== undefined);
      await dense.post({
        type: 'snapshot',
        now,
        retentionMs: 600_000,
        series: [
          { info: tank, last: { value: v[v.length - 1], quality: 'good', timestamp: now }, range: { min: 30, max: 1000 }, points: { t, v } },
          {
            info: pressure,
            last: { value: null, quality: 'bad', timestamp: now, error: TIMEOUT_TEXT },
            range: { min: 15, max: 25 },
            points: { t: gapT, v: gapV.filter((x) => x !== undefined) },
          },
        ],
      });
      await dense.page.waitForSelector('.plot canvas');
      await dense.frames(3);
      const spikeColumns = await dense.page.evaluate(() => {
        // Rows of the canvas (top fifth of the plot) where the blue line reaches: the spike.
        const c = document.querySelector<HTMLCanvasElement>('.plot canvas')!;
        const { data, width } = c.getContext('2d')!.getImageData(0, 0, c.width, Math.floor(c.height / 5));
        let hits = 0;
        for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i] - 0x37) < 24 && Math.abs(data[i + 1] - 0x94) < 24 && Math.abs(data[i + 2] - 0xff) < 24) hits++;
        return { hits, width };
      });
      assert.ok(spikeColumns.hits > 5, 'the single spike still reaches the top of the chart');
      // line_pressure is the second line: orange.
      assert.ok((await colourPixels(dense.page, '#d18616', 0, 0.7)) > 50, 'line_pressure is drawn while good');
      assert.equal(await colourPixels(dense.page, '#d18616', 0.8, 1), 0, 'no line after it went bad');
      assert.deepEqual(await dense.problems(), []);
    } finally {
      await dense.page.close();
    }
  });

  describe('with the mix of a real plant: °C, bar, m³/h, Wh and booleans', () => {
    const plant = (tag: string, unit?: string) => seriesInfoOf({ deviceId: 'plant', deviceName: 'Demo plant', tag, valueKind: unit ? 'number' : 'boolean', ...(unit ? { unit } : {}) });
    const energy = plant('energy_total', 'Wh');
    const temp = plant('reactor_temp', '°C');
    const inlet = plant('inlet_pressure', 'bar');
    const flow = plant('feed_flow', 'm³/h');
    const pumpOn = plant('pump_running');
    const valveOpen = plant('valve_open');

    function plantSeries(now: number): SeriesSnapshot[] {
      const snap = (info: SeriesInfo, points: { t: number[]; v: (number | null)[] }, value: LiveReading['value']): SeriesSnapshot => {
        const nums = points.v.filter((x): x is number => x !== null);
        return { info, last: { value, quality: 'good', timestamp: now }, range: { min: Math.min(...nums), max: Math.max(...nums) }, points };
      };
      const bits = (period: number, phase: number) => curve(now, (ago) => (Math.floor((ago + phase) / period) % 2 === 0 ? 1 : 0));
      const last = (p: { v: (number | null)[] }) => p.v[p.v.length - 1] as number;
      const e = curve(now, (ago) => 18_700_000 - ago * 120);
      const t = curve(now, (ago) => 70 + 4 * Math.sin(ago / 8));
      const p = curve(now, (ago) => 2.4 + 0.15 * Math.cos(ago / 5));
      const f = curve(now, (ago) => 42 + 6 * Math.sin(ago / 11 + 1));
      const pump = bits(17, 3);
      const valve = bits(9, 0);
      return [
        snap(energy, e, last(e)),
        snap(temp, t, last(t)),
        snap(inlet, p, last(p)),
        snap(flow, f, last(f)),
        snap(pumpOn, pump, last(pump) === 1),
        snap(valveOpen, valve, last(valve) === 1),
      ];
    }

    /** Rows of the canvas (as a share of its height) where a colour is drawn: top and bottom. */
    async function rowsOf(page: Page, hex: string): Promise<{ top: number; bottom: number } | undefined> {
      return page.evaluate((hex) => {
        const c = document.querySelector<HTMLCanvasElement>('.plot canvas')!;
        const { data, width, height } = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
        const want = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
        let top = -1;
        let bottom = -1;
        for (let y = 0; y < height; y++) {
          for (let x = 0; x < width; x++) {
            const i = (y * width + x) * 4;
            if (data[i + 3] > 200 && Math.abs(data[i] - want[0]) < 12 && Math.abs(data[i + 1] - want[1]) < 12 && Math.abs(data[i + 2] - want[2]) < 12) {
              if (top < 0) top = y;
              bottom = y;
              break;
            }
          }
        }
        return top < 0 ? undefined : { top: top / height, bottom: bottom / height };
      }, hex);
    }

    async function axisUnits(page: Page): Promise<string[]> {
      return page.locator('.plot .axis-unit:visible').allInnerTexts();
    }

    for (const [width, height] of [
      [1000, 500],
      [1600, 900],
    ]) {
      it(`gives each unit its own scale and axis (${width}×${height})`, async () => {
        const mixed = await harness.open({ width, height });
        try {
          const now = Date.now();
          await mixed.post({ type: 'snapshot', now, retentionMs: 600_000, series: plantSeries(now) });
          await mixed.page.waitForSelector('.plot canvas');
          await mixed.frames(4);
          mkdirSync(RESULTS, { recursive: true });
          writeFileSync(join(RESULTS, `livedata-units-${width}x${height}.png`), await mixed.page.screenshot());

          // reactor_temp (orange) swings 66..74 °C beside 18.7 MWh: on its own scale it fills the numeric area.
          const tempRows = await rowsOf(mixed.page, '#d18616');
          assert.ok(tempRows, 'reactor_temp is drawn');
          assert.ok(tempRows.bottom - tempRows.top > 0.3, `reactor_temp spans ${((tempRows.bottom - tempRows.top) * 100).toFixed(1)}% of the height`);
          assert.deepEqual((await axisUnits(mixed.page)).sort(), ['Wh', 'bar', 'm³/h', '°C'].sort(), 'one labelled axis per unit');
          const flowRows = await rowsOf(mixed.page, '#b180d7');
          assert.ok(flowRows && flowRows.bottom - flowRows.top > 0.3, 'feed_flow spans the numeric area too');
          // The booleans are drawn in lanes below every numeric line, one above the other.
          const pumpRows = await rowsOf(mixed.page, '#cca700');
          const valveRows = await rowsOf(mixed.page, '#f14c4c');
          assert.ok(pumpRows && valveRows, 'both booleans are drawn');
          for (const numeric of [tempRows, flowRows]) assert.ok(pumpRows.top > numeric.bottom, 'pump_running lies below the numeric lines');
          assert.ok(valveRows.top > pumpRows.bottom, 'each boolean has its own lane');
          assert.ok(valveRows.bottom - pumpRows.top < 0.4, 'the lanes stay a strip at the bottom');
          assert.deepEqual(await mixed.problems(), []);
        } finally {
          await mixed.page.close();
        }
      });
    }

    it('drops the axis of a unit whose lines are all hidden, and brings it back', async () => {
      const mixed = await harness.open({ width: 1000, height: 500 });
      try {
        const now = Date.now();
        await mixed.post({ type: 'snapshot', now, retentionMs: 600_000, series: plantSeries(now) });
        await mixed.page.waitForSelector('.plot canvas');
        await mixed.frames(3);
        await mixed.page.locator('.legend .u-series', { hasText: 'energy_total' }).locator('th').click();
        await mixed.page.waitForFunction(() => !Array.from(document.querySelectorAll('.plot .axis-unit'), (e) => e.textContent).includes('Wh'));
        assert.deepEqual((await axisUnits(mixed.page)).sort(), ['bar', 'm³/h', '°C'].sort());
        assert.equal(await colourPixels(mixed.page, '#3794ff'), 0, 'energy_total is not drawn');
        assert.ok((await colourPixels(mixed.page, '#d18616')) > 100, 'the others still are');
        assert.deepEqual((await mixed.savedState())?.hidden, [energy.key]);
        const legendRow = mixed.page.locator('.legend .u-series', { hasText: 'energy_total' });
        assert.match((await legendRow.getAttribute('class')) ?? '', /u-off/, 'the legend still shows it switched off');

        await legendRow.locator('th').click();
        await mixed.page.waitForFunction(() => Array.from(document.querySelectorAll('.plot .axis-unit'), (e) => e.textContent).includes('Wh'));
        assert.ok((await colourPixels(mixed.page, '#3794ff')) > 100, 'energy_total is drawn again');
        assert.deepEqual((await mixed.savedState())?.hidden, []);
        assert.deepEqual(await mixed.problems(), []);
      } finally {
        await mixed.page.close();
      }
    });
  });

  describe('with 14 tags of one device, 5 of them booleans, added one by one', () => {
    const boiler: [string, string | undefined, boolean][] = [
      ['temperature', '°C', false],
      ['pressure', 'bar', false],
      ['flue_temperature', '°C', false],
      ['setpoint', '°C', false],
      ['high_limit', '°C', false],
      ['energy_total', 'Wh', false],
      ['burner_runtime', 's', false],
      ['status_word', undefined, false],
      ['overtemp_alarm', undefined, true],
      ['burner_on', undefined, true],
      ['burner_enable', undefined, true],
      ['water_flow_ok', undefined, true],
      ['flame_detected', undefined, true],
      ['serial_number', undefined, false],
    ];

    function boilerSeries(now: number): SeriesSnapshot[] {
      return boiler.map(([tag, unit, bool], k) => {
        const valueKind = tag === 'serial_number' ? 'string' : bool ? 'boolean' : 'number';
        const info = seriesInfoOf({ deviceId: 'boiler', deviceName: 'Boiler Controller', tag, valueKind, ...(unit ? { unit } : {}) });
        if (tag === 'serial_number') {
          return { info, last: { value: 'BLR-7741', quality: 'good', timestamp: now }, range: { min: null, max: null }, points: { t: [], v: [] } };
        }
        const points = curve(now, (ago) => (bool ? Math.floor(ago / (5 + k)) % 2 : 50 + 10 * k + 5 * Math.sin(ago / 3)));
        const nums = points.v as number[];
        const last = nums[nums.length - 1];
        return { info, last: { value: bool ? last === 1 : last, quality: 'good', timestamp: now }, range: { min: Math.min(...nums), max: Math.max(...nums) }, points };
      });
    }

    for (const [width, height] of [
      [1390, 800],
      [700, 400],
      [1000, 500],
    ]) {
      it(`keeps the whole chart inside its box, above the legend (${width}×${height})`, async () => {
        const boilerPanel = await harness.open({ width, height });
        try {
          const now = Date.now();
          const all = boilerSeries(now);
          // As in VS Code: each "Add to Chart" builds the chart again, one more line each time.
          for (let n = 1; n <= all.length; n++) {
            await boilerPanel.post({ type: 'snapshot', now, retentionMs: 600_000, series: all.slice(0, n) });
            await boilerPanel.frames(2);
          }
          await boilerPanel.page.waitForFunction(() => document.querySelectorAll('table.readings tbody tr').length === 14);
          await boilerPanel.frames(3);
          mkdirSync(RESULTS, { recursive: true });
          writeFileSync(join(RESULTS, `livedata-boiler-${width}x${height}.png`), await boilerPanel.page.screenshot());

          const m = await boilerPanel.page.evaluate(() => {
            const box = (sel: string) => document.querySelector(sel)!.getBoundingClientRect();
            const plot = box('.plot');
            const root = box('.plot > .uplot');
            const over = box('.plot .u-over');
            const legend = box('.legend');
            const table = box('.table-section');
            const units = Array.from(document.querySelectorAll('.plot .axis-unit'), (e) => e.getBoundingClientRect().top);
            // The lowest row of the canvas drawn under the plotting area: the time axis' labels.
            const c = document.querySelector<HTMLCanvasElement>('.plot canvas')!;
            const cBox = c.getBoundingClientRect();
            const scale = c.height / cBox.height;
            const { data, width: w } = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
            const x0 = Math.floor((over.left - cBox.left) * scale);
            const x1 = Math.floor((over.right - cBox.left) * scale);
            let lowest = -1;
            for (let y = Math.ceil((over.bottom - cBox.top) * scale) + 1; y < c.height; y++) {
              for (let x = x0; x < x1; x++) {
                if (data[(y * w + x) * 4 + 3] > 60) {
                  lowest = y;
                  break;
                }
              }
            }
            const visibleBottom = Math.min(plot.bottom, legend.top);
            return {
              plot: [plot.top, plot.bottom],
              root: [root.top, root.bottom],
              canvas: [cBox.top, cBox.bottom],
              overBottom: over.bottom,
              labelsBottom: lowest < 0 ? -1 : cBox.top + (lowest + 1) / scale,
              visibleBottom,
              legendBottom: legend.bottom,
              tableTop: table.top,
              unitsTop: Math.min(...units),
            };
          });
          const at = JSON.stringify(m);
          assert.ok(m.root[0] >= m.plot[0] && m.root[1] <= m.plot[1] + 0.5, `uPlot fits its box: ${at}`);
          assert.ok(m.canvas[1] <= m.plot[1] + 0.5, `the canvas ends inside the box: ${at}`);
          assert.ok(m.unitsTop >= m.plot[0], `the unit row is inside the box: ${at}`);
          assert.ok(m.overBottom < m.visibleBottom, `the plotting area (lanes included) is visible: ${at}`);
          assert.ok(m.labelsBottom > m.overBottom, `the time axis has labels: ${at}`);
          assert.ok(m.labelsBottom <= m.visibleBottom + 0.5, `the time labels are whole, above the legend: ${at}`);
          assert.ok(m.legendBottom <= m.tableTop, `the legend stays above the table: ${at}`);
          assert.deepEqual(await boilerPanel.problems(), []);
        } finally {
          await boilerPanel.page.close();
        }
      });
    }
  });

  describe('with a uint64 beyond 2^53, an array, a structure and a string', () => {
    const plc = (tag: string, valueKind: SeriesInfo['valueKind'], dataType: string, unit?: string) =>
      seriesInfoOf({ deviceId: 'plc1', deviceName: 'Line 1 PLC', tag, valueKind, dataType, ...(unit ? { unit } : {}) });
    const energy = plc('energy_counter', 'integer', 'uint64', 'Wh');
    const level = plc('tank_level', 'number', 'float32', '%');
    const running = plc('pump_running', 'boolean', 'bool');
    const profile = plc('speed_profile', 'array', 'int16[24]');
    const batch = plc('batch_id', 'string', 'string[20]');
    const recipe = plc('recipe', 'structure', 'RecipeT');
    const U64_MAX = 18_446_744_073_709_551_615n;
    const STEP = 1_000_000_007n;
    const profileValue = Array.from({ length: 24 }, (_, i) => 1200 + 35 * i);
    const recipeValue = { name: 'IPA', mash_temp: 66.5, boil_min: 60, hops: ['Citra', 'Mosaic'], dry_hop: true };

    /** Filled by the host's own store, as the panel's host would send it. */
    function kindsSnapshot(now: number): SeriesSnapshot[] {
      const store = new SeriesStore({ retentionMs: 600_000, maxPoints: 12_000 });
      for (const info of [energy, level, running, profile, batch, recipe]) store.add(info);
      for (let i = 600; i >= 0; i--) {
        const t = now - i * 100;
        // Ends on 2^64 - 1: every value is beyond 2^53 and travels as a decimal string.
        store.ingest(energy.key, { value: (U64_MAX - BigInt(i) * STEP).toString(), quality: 'good', timestamp: t });
        store.ingest(level.key, { value: 50 + 20 * Math.sin(i / 60), quality: 'good', timestamp: t });
        store.ingest(running.key, { value: Math.floor(i / 150) % 2 === 0, quality: 'good', timestamp: t });
      }
      store.ingest(profile.key, { value: profileValue, quality: 'good', timestamp: now });
      store.ingest(batch.key, { value: 'B-2024-0042', quality: 'good', timestamp: now });
      store.ingest(recipe.key, { value: recipeValue, quality: 'good', timestamp: now });
      return store.snapshot(now);
    }

    let kinds: PanelPage;
    before(async () => {
      kinds = await harness.open({ width: 1000, height: 600 });
      await kinds.post({ type: 'snapshot', now: Date.now(), retentionMs: 600_000, series: kindsSnapshot(Date.now()) });
      await kinds.page.waitForSelector('.plot canvas');
      await kinds.frames(4);
      mkdirSync(RESULTS, { recursive: true });
      writeFileSync(join(RESULTS, 'livedata-kinds.png'), await kinds.page.screenshot());
    });
    after(async () => {
      await kinds?.page.close();
    });

    it('charts the uint64 and shows its exact value, min and max in the table', async () => {
      // Charted first: blue.
      assert.ok((await colourPixels(kinds.page, '#3794ff')) > 100, 'energy_counter is drawn');
      const legend = await kinds.page.locator('.legend .u-series').allInnerTexts();
      assert.ok(legend.some((l) => l.includes('energy_counter')));
      const [, , type, value, , , min, max] = await rowTexts(kinds.page, energy);
      assert.equal(type, 'uint64');
      assert.equal(value, '18446744073709551615 Wh', 'every digit, not the nearest double');
      assert.equal(min, `${U64_MAX - 600n * STEP} Wh`);
      assert.equal(max, '18446744073709551615 Wh');
      const fit = await kinds.page.evaluate(() => ({
        table: document.querySelector<HTMLElement>('table.readings')!.offsetWidth,
        room: document.querySelector<HTMLElement>('.table-section')!.clientWidth,
      }));
      assert.ok(fit.table <= fit.room, `twenty digits in three columns still fit a 1000 px panel: ${JSON.stringify(fit)}`);
      assert.equal(await kinds.page.locator(`tr[data-key="${cssEscape(energy.key)}"] td:nth-child(2)`).getAttribute('title'), 'energy_counter\nuint64 (integer)\nLine 1 PLC');
    });

    it('shows the array, the structure and the string in the table and not in the chart', async () => {
      const legend = await kinds.page.locator('.legend .u-series').allInnerTexts();
      assert.equal(legend.length, 4, 'time and the three charted series');
      for (const info of [profile, batch, recipe]) {
        assert.ok(!legend.some((l) => l.includes(info.tag)), `${info.tag} has no line`);
        assert.equal(await kinds.page.locator(`tr[data-key="${cssEscape(info.key)}"] .swatch.not-charted`).count(), 1);
      }
      const profileCell = kinds.page.locator(`tr[data-key="${cssEscape(profile.key)}"] td.value`);
      assert.match(await profileCell.innerText(), /^\[1200, 1235, 1270, .*, …\]$/, 'compact, cut with …');
      assert.equal(await profileCell.getAttribute('title'), `[${profileValue.join(', ')}]`, 'whole in the tooltip');
      const recipeCell = kinds.page.locator(`tr[data-key="${cssEscape(recipe.key)}"] td.value`);
      assert.equal(await recipeCell.innerText(), '{name: "IPA", …}');
      assert.equal(await recipeCell.getAttribute('title'), '{name: "IPA", mash_temp: 66.5, boil_min: 60, hops: ["Citra", "Mosaic"], dry_hop: true}');
      const batchRow = await rowTexts(kinds.page, batch);
      assert.deepEqual([batchRow[2], batchRow[3], batchRow[6], batchRow[7]], ['string[20]', 'B-2024-0042', '—', '—']);
      assert.match(await kinds.page.locator(`tr[data-key="${cssEscape(batch.key)}"] .swatch`).getAttribute('title') ?? '', /Text is not charted/);
    });

    it('keeps the boolean in a lane below the lines', async () => {
      assert.deepEqual(await kinds.page.locator('.plot .lane-name').allInnerTexts(), ['pump_running']);
      // Charted third: green; the level is orange.
      const lane = await kinds.page.evaluate(() => {
        const c = document.querySelector<HTMLCanvasElement>('.plot canvas')!;
        const { data, width, height } = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
        const rows = (rgb: number[]) => {
          let top = -1;
          let bottom = -1;
          for (let y = 0; y < height; y++) {
            for (let x = 0; x < width; x++) {
              const i = (y * width + x) * 4;
              if (data[i + 3] > 200 && rgb.every((v, k) => Math.abs(data[i + k] - v) < 12)) {
                if (top < 0) top = y;
                bottom = y;
                break;
              }
            }
          }
          return { top, bottom };
        };
        return { bool: rows([0x89, 0xd1, 0x85]), level: rows([0xd1, 0x86, 0x16]), energy: rows([0x37, 0x94, 0xff]) };
      });
      assert.ok(lane.bool.top > 0 && lane.level.top >= 0 && lane.energy.top >= 0, JSON.stringify(lane));
      assert.ok(lane.bool.top > lane.level.bottom && lane.bool.top > lane.energy.bottom, `the lane lies below the lines: ${JSON.stringify(lane)}`);
      assert.deepEqual(await kinds.problems(), []);
    });

    it('drops the Type, then the Device column only when the table would not fit', async () => {
      const columns = (page: Page) =>
        page.evaluate(() =>
          Array.from(document.querySelectorAll<HTMLElement>('table.readings th'))
            .filter((th) => getComputedStyle(th).display !== 'none' && th.textContent !== '')
            .map((th) => th.textContent),
        );
      assert.deepEqual(await columns(kinds.page), ['Tag', 'Value', 'Quality', 'Timestamp', 'Min', 'Max'], 'in 1000 px, twenty digits thrice leave no room');
      const wide = await harness.open({ width: 1400, height: 600 });
      try {
        await wide.post({ type: 'snapshot', now: Date.now(), retentionMs: 600_000, series: kindsSnapshot(Date.now()) });
        await wide.page.waitForSelector('.plot canvas');
        await wide.frames(4);
        writeFileSync(join(RESULTS, 'livedata-kinds-1400.png'), await wide.page.screenshot());
        assert.deepEqual(await columns(wide.page), ['Device', 'Tag', 'Type', 'Value', 'Quality', 'Timestamp', 'Min', 'Max']);
        assert.deepEqual(await wide.problems(), []);
      } finally {
        await wide.page.close();
      }
    });

    it('saves each tag with its kind and data type', async () => {
      const state = await kinds.savedState();
      assert.equal(state?.version, 2);
      assert.deepEqual(
        state?.tags.map((t) => [t.tag, t.valueKind, t.dataType]),
        [
          ['energy_counter', 'integer', 'uint64'],
          ['tank_level', 'number', 'float32'],
          ['pump_running', 'boolean', 'bool'],
          ['speed_profile', 'array', 'int16[24]'],
          ['batch_id', 'string', 'string[20]'],
          ['recipe', 'structure', 'RecipeT'],
        ],
      );
    });
  });

  it('restores a panel saved by version 1: tags without a kind get one from their first readings', async () => {
    const saved = {
      version: 1,
      tags: [
        { deviceId: 'plc1', deviceName: 'Line 1 PLC', tag: 'tank_level', unit: '%' },
        { deviceId: 'plc1', deviceName: 'Line 1 PLC', tag: 'pump_running' },
        { deviceId: 'plc2', deviceName: 'Packer', tag: 'recipe_name' },
      ],
      windowMs: 300_000,
      hidden: [],
    };
    // The host's side of a restore, with its own code: the tag list from the saved state, then readings.
    const { tags, problems } = restoreTags(saved);
    assert.deepEqual(problems, []);
    const store = new SeriesStore({ retentionMs: 600_000, maxPoints: 12_000 });
    const infos = tags.map((t) => seriesInfoOf(t));
    for (const info of infos) store.add(info);
    const restored = await harness.open({ savedState: saved });
    try {
      assert.equal(await restored.page.evaluate(() => document.querySelector<HTMLElement & { value: string }>('vscode-single-select')?.value), '300000');
      const now = Date.now();
      // Before any reading the kinds are not known: the tags are lines for now.
      await restored.post({ type: 'snapshot', now, retentionMs: 600_000, series: store.snapshot(now) });
      await restored.page.waitForFunction(() => document.querySelectorAll('table.readings tbody tr').length === 3);
      store.recording = true;
      store.snapshot(now);
      for (let i = 300; i >= 0; i--) {
        const t = now - i * 1000;
        store.ingest(infos[0].key, { value: 50 + 20 * Math.sin(i / 30), quality: 'good', timestamp: t });
        store.ingest(infos[1].key, { value: Math.floor(i / 40) % 2 === 0, quality: 'good', timestamp: t });
      }
      store.ingest(infos[2].key, { value: 'RECIPE-7', quality: 'good', timestamp: now });
      const delta = store.takeDelta()!;
      await restored.post({ type: 'delta', now, ...delta });
      await restored.page.waitForFunction(() => document.querySelectorAll('.plot .lane-name').length === 1);
      await restored.frames(3);
      mkdirSync(RESULTS, { recursive: true });
      writeFileSync(join(RESULTS, 'livedata-restored-v1.png'), await restored.page.screenshot());

      assert.deepEqual(await restored.page.locator('.plot .lane-name').allInnerTexts(), ['pump_running'], 'the boolean is a lane');
      assert.ok((await colourPixels(restored.page, '#3794ff')) > 100, 'tank_level is drawn');
      const legend = await restored.page.locator('.legend .u-series').allInnerTexts();
      assert.ok(!legend.some((l) => l.includes('recipe_name')), 'the text is not charted');
      assert.equal((await rowTexts(restored.page, infos[2]))[3], 'RECIPE-7');
      assert.equal(await restored.page.locator(`tr[data-key="${cssEscape(infos[0].key)}"] td:nth-child(2)`).getAttribute('title'), 'tank_level\nnumber (from its readings)\nLine 1 PLC');
      const state = await restored.savedState();
      assert.equal(state?.version, 2);
      assert.deepEqual(state?.tags, saved.tags, 'inferred kinds are not saved');
      assert.equal(state?.windowMs, 300_000);
      assert.deepEqual(await restored.problems(), []);
    } finally {
      await restored.page.close();
    }
  });

  it('restores its view settings from saved state', async () => {
    const restored = await harness.open({ savedState: { version: 1, tags: [], windowMs: 300_000, hidden: [tank.key] } });
    try {
      assert.equal(await restored.page.evaluate(() => document.querySelector<HTMLElement & { value: string }>('vscode-single-select')?.value), '300000');
      await restored.post({ type: 'snapshot', now: Date.now(), retentionMs: 600_000, series: snapshotSeries(Date.now()) });
      await restored.page.waitForSelector('.plot canvas');
      await restored.frames(3);
      assert.equal(await colourPixels(restored.page, '#3794ff'), 0, 'the hidden series is not drawn');
      assert.ok((await colourPixels(restored.page, '#89d185')) > 50);
      assert.deepEqual(await restored.problems(), []);
    } finally {
      await restored.page.close();
    }
  });
});
