/**
 * How the Live Data webview keeps up with many series at 10 Hz over a 10-minute window, in
 * headless Chromium (software canvas, no GPU: slower than a real VS Code window).
 *   node esbuild.mjs --production && npx tsx test/webview/livedata.bench.ts
 *
 * Each scenario loads 10 minutes of history in one snapshot, then streams deltas every 100 ms
 * (as the host batches them) from inside the page for STREAM_SECONDS, and reports:
 * - snapshot: time from posting it to the frame that shows it,
 * - cpu: main-thread busy time of the page per second of streaming (1.0 = one core),
 * - frames: intervals between animation frames (a stutter shows as long intervals),
 * - long tasks: main-thread tasks over 50 ms.
 */
import type { CDPSession } from 'playwright-core';
import type { SeriesSnapshot, ToWebview } from '../../webview/messages';
import { startHarness } from './harness';

const STREAM_SECONDS = 40;

interface Scenario {
  name: string;
  series: number;
  /** Series per device: series of one device share their timestamps. */
  perDevice: number;
  windowMs: number;
}

const SCENARIOS: Scenario[] = [
  { name: '20 series, 4 devices, 10 min window', series: 20, perDevice: 5, windowMs: 600_000 },
  { name: '20 series, 4 devices, 30 s window', series: 20, perDevice: 5, windowMs: 30_000 },
  { name: '50 series, each read on its own, 10 min window', series: 50, perDevice: 1, windowMs: 600_000 },
];

function value(series: number, t: number): number {
  return 50 + 40 * Math.sin(t / (2000 + series * 300) + series);
}

/** 10 minutes at 10 Hz per series; devices read a few milliseconds apart. */
function history(s: Scenario, now: number): SeriesSnapshot[] {
  const out: SeriesSnapshot[] = [];
  for (let i = 0; i < s.series; i++) {
    const device = Math.floor(i / s.perDevice);
    const offset = device * 23; // ms: devices are not read at the same instant
    const t: number[] = [];
    const v: number[] = [];
    for (let k = 6000; k > 0; k--) {
      const at = now - k * 100 + offset;
      t.push(at);
      v.push(value(i, at));
    }
    const key = JSON.stringify([`dev${device}`, `tag${i}`]);
    out.push({
      info: { key, deviceId: `dev${device}`, deviceName: `Device ${device}`, tag: `tag${i}`, unit: 'bar', valueKind: 'number', dataType: 'float32' },
      last: { value: v[v.length - 1], quality: 'good', timestamp: t[t.length - 1] },
      range: { min: Math.min(...v), max: Math.max(...v) },
      points: { t, v },
    });
  }
  return out;
}

async function taskSeconds(cdp: CDPSession): Promise<number> {
  const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
  return metrics.find((m) => m.name === 'TaskDuration')?.value ?? NaN;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))];
}

async function run(): Promise<void> {
  const harness = await startHarness();
  try {
    for (const s of SCENARIOS) {
      const panel = await harness.open({ savedState: { version: 1, tags: [], windowMs: s.windowMs, hidden: [] }, width: 1200, height: 800 });
      const cdp = await panel.page.context().newCDPSession(panel.page);
      await cdp.send('Performance.enable');

      const snapshot: ToWebview = { type: 'snapshot', now: Date.now(), retentionMs: 600_000, series: history(s, Date.now()) };
      const snapshotMs = await panel.page.evaluate(
        (m) =>
          new Promise<number>((done) => {
            const start = performance.now();
            window.postMessage(m, '*');
            // The message is handled, then applied in the next frame; the frame after that is on screen.
            requestAnimationFrame(() => requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now() - start))));
          }),
        // As unknown: Playwright's argument types recurse without end on the recursive LiveValue.
        snapshot as unknown,
      );

      const keys = (snapshot.series as SeriesSnapshot[]).map((x) => x.info.key);
      const busyBefore = await taskSeconds(cdp);
      const result = await panel.page.evaluate(
        ({ keys, perDevice, seconds }) =>
          new Promise<{ intervals: number[]; longTasks: number; longest: number }>((done) => {
            const intervals: number[] = [];
            let longTasks = 0;
            let longest = 0;
            new PerformanceObserver((list) => {
              for (const e of list.getEntries()) {
                longTasks++;
                longest = Math.max(longest, e.duration);
              }
            }).observe({ type: 'longtask' });
            let last = performance.now();
            let frames = true;
            const onFrame = (t: number) => {
              intervals.push(t - last);
              last = t;
              if (frames) requestAnimationFrame(onFrame);
            };
            requestAnimationFrame(onFrame);
            // One delta per 100 ms, as the host batches them: each series has one new reading.
            const timer = setInterval(() => {
              const now = Date.now();
              const series = keys.map((key, i) => {
                const t = now + Math.floor(i / perDevice) * 23;
                const v = 50 + 40 * Math.sin(t / (2000 + i * 300) + i);
                return { key, points: { t: [t], v: [v] }, last: { value: v, quality: 'good', timestamp: t } };
              });
              window.postMessage({ type: 'delta', now, series }, '*');
            }, 100);
            setTimeout(() => {
              clearInterval(timer);
              frames = false;
              done({ intervals, longTasks, longest });
            }, seconds * 1000);
          }),
        { keys, perDevice: s.perDevice, seconds: STREAM_SECONDS },
      );
      const busy = (await taskSeconds(cdp)) - busyBefore;
      const sorted = [...result.intervals].sort((a, b) => a - b);
      const columns = await panel.page.evaluate(() => document.querySelectorAll('table.readings tbody tr').length);
      console.log(
        [
          `${s.name} (${s.series * 6000} points in history, ${columns} rows)`,
          `  snapshot shown after ${snapshotMs.toFixed(0)} ms`,
          `  cpu while streaming: ${(busy / STREAM_SECONDS).toFixed(2)} of one core`,
          `  frame interval ms: p50 ${percentile(sorted, 0.5).toFixed(1)}, p99 ${percentile(sorted, 0.99).toFixed(1)}, max ${sorted[sorted.length - 1].toFixed(1)} (${sorted.length} frames)`,
          `  long tasks (>50 ms): ${result.longTasks}, longest ${result.longest.toFixed(0)} ms`,
        ].join('\n'),
      );
      const problems = await panel.problems();
      if (problems.length > 0) console.log('  problems:', problems);
      await panel.page.close();
    }
  } finally {
    await harness.close();
  }
}

run().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
