import * as assert from 'node:assert/strict';
import { axisScale, formatAxisNumbers } from '../../webview/livedata/axisLabels';
import { seeded } from './seeded';

/** Reads a label back as a number, independently of the formatter: `27.5M` → 27 500 000. */
function parseLabel(label: string): number {
  const m = /^(-?\d+(?:\.\d+)?)(k|M|G|T|P|E|e-?\d+)?$/.exec(label);
  assert.ok(m, `"${label}" is a number with an optional suffix`);
  const powers: Record<string, number> = { k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
  const suffix = m[2] ?? '';
  const exponent = suffix === '' ? 0 : suffix.startsWith('e') ? Number(suffix.slice(1)) : powers[suffix];
  // Read as decimal text, so that 2.5M is the double nearest 2 500 000 and not 2.5 × 1e6.
  return Number(`${m[1]}e${exponent}`);
}

/** Ticks as uPlot makes them: multiples of the step, added up and rounded to its decimals. */
function uPlotTicks(min: number, max: number, step: number): number[] {
  const e = Math.floor(Math.log10(step) + 1e-9);
  const quarter = Math.abs(step / 10 ** e - 2.5) < 1e-9;
  const round = (x: number) => Number(x.toFixed(Math.min(100, Math.max(0, -e + (quarter ? 1 : 0)))));
  const ticks: number[] = [];
  for (let v = round(Math.ceil(min / step) * step); v <= max && ticks.length < 50; v = round(v + step)) ticks.push(Object.is(v, -0) ? 0 : v);
  return ticks;
}

/** The step uPlot would choose: 1, 2, 2.5 or 5 × 10^k, for about `count` ticks over the range. */
function stepFor(span: number, count: number): number {
  const raw = span / count;
  const e = Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) {
    const step = Number(`${m}e${e}`);
    if (step >= raw) return step;
  }
  return Number(`1e${e + 1}`);
}

function checkAxis(ticks: number[], step: number): string[] {
  const labels = formatAxisNumbers(ticks, step);
  const at = `ticks ${JSON.stringify(ticks)} step ${step} → ${JSON.stringify(labels)}`;
  assert.equal(labels.length, ticks.length);
  for (let i = 0; i < ticks.length; i++) {
    if (i > 0) assert.notEqual(labels[i], labels[i - 1], `neighbours differ: ${at}`);
    // Each label is its tick: off by far less than one step (a double's rounding at most).
    const back = parseLabel(labels[i]);
    assert.ok(Math.abs(back - ticks[i]) <= step * 1e-3, `${labels[i]} reads back as ${ticks[i]}: ${at}`);
  }
  const suffixes = new Set(labels.filter((l) => l !== '0').map((l) => l.replace(/^-?[\d.]+/, '')));
  assert.ok(suffixes.size <= 1, `one scale per axis: ${at}`);
  return labels;
}

describe('livedata: y-axis labels', () => {
  it('labels a 2.5 M step with the decimal it needs', () => {
    const ticks = [2.5e6, 5e6, 7.5e6, 10e6, 12.5e6, 15e6, 17.5e6, 20e6, 22.5e6, 25e6, 27.5e6];
    assert.deepEqual(checkAxis(ticks, 2.5e6), ['2.5M', '5M', '7.5M', '10M', '12.5M', '15M', '17.5M', '20M', '22.5M', '25M', '27.5M']);
    assert.deepEqual(checkAxis([27.5e6, 22.5e6, 12.5e6, 7.5e6, 2.5e6], 5e6), ['27.5M', '22.5M', '12.5M', '7.5M', '2.5M'], 'ticks off the step get their digits too');
  });

  it('labels fractions, negatives, zero, and plain numbers below 10 000', () => {
    assert.deepEqual(checkAxis([0.1, 0.2, 0.30000000000000004, 0.4], 0.1), ['0.1', '0.2', '0.3', '0.4']);
    assert.deepEqual(checkAxis([0.2, 0.25], 0.05), ['0.2', '0.25']);
    assert.deepEqual(checkAxis([-0.5, -0.25, 0, 0.25], 0.25), ['-0.5', '-0.25', '0', '0.25']);
    assert.deepEqual(checkAxis([-45_000, -40_000], 5_000), ['-45k', '-40k']);
    assert.deepEqual(checkAxis([-5e6, -2.5e6, 0, 2.5e6], 2.5e6), ['-5M', '-2.5M', '0', '2.5M']);
    assert.deepEqual(checkAxis([9_000, 9_500], 500), ['9000', '9500']);
    assert.deepEqual(checkAxis([0, 2e6, 8e6, 20e6], 2e6), ['0', '2M', '8M', '20M']);
    assert.deepEqual(checkAxis([18_734_500, 18_734_600], 100), ['18.7345M', '18.7346M']);
    assert.deepEqual(checkAxis([-0, 1], 1), ['0', '1'], 'no minus zero');
  });

  it('labels very large and very small values with one scale for the axis', () => {
    assert.deepEqual(checkAxis([1.8e19, 1.84e19], 4e16), ['18E', '18.4E']);
    assert.deepEqual(checkAxis([2e21, 4e21], 2e21), ['2e21', '4e21']);
    assert.deepEqual(checkAxis([1e-5, 2e-5, 3e-5], 1e-5), ['10e-6', '20e-6', '30e-6']);
    assert.deepEqual(checkAxis([2.5e-10, 5e-10], 2.5e-10), ['250e-12', '500e-12']);
    assert.deepEqual(checkAxis([0.001, 0.0015], 0.0005), ['0.001', '0.0015']);
    assert.deepEqual(axisScale(999_999), { exponent: 3, suffix: 'k' });
    assert.deepEqual(axisScale(1e6), { exponent: 6, suffix: 'M' });
  });

  it('labels a uint64 counter near 2^64, charted as the nearest doubles of its decimal strings', () => {
    // What the host sends for 18446744073709551615 and its neighbours a billion apart.
    const values = [0, 1, 2, 3, 4].map((i) => Number((18_446_744_073_709_551_615n - BigInt(i) * 1_000_000_000n).toString()));
    const min = Math.min(...values);
    const ticks = uPlotTicks(min, Math.max(...values), 1e9);
    assert.ok(ticks.length >= 3);
    const labels = checkAxis(ticks, 1e9);
    assert.ok(labels.every((l) => /^18\.4467440\d+E$/.test(l)), JSON.stringify(labels));
  });

  it('keeps labels distinct and exact for many random ranges (property)', () => {
    const random = seeded(20_240_611);
    let checked = 0;
    for (let run = 0; run < 4000; run++) {
      // Magnitudes from 1e-12 to 1e20, spans from a millionth of the value to many times it.
      const magnitude = 10 ** (random() * 32 - 12);
      const centre = (random() < 0.3 ? -1 : 1) * magnitude * random();
      const span = magnitude * 10 ** (-random() * 6) * (0.5 + random() * 4);
      const min = centre - span / 2;
      const max = centre + span / 2;
      const step = stepFor(span, 3 + Math.floor(random() * 8));
      // A span of a double's last digits has no distinct ticks to label.
      if (step < Math.max(Math.abs(min), Math.abs(max)) * 1e-13) continue;
      const ticks = uPlotTicks(min, max, step);
      if (ticks.length < 2) continue;
      checkAxis(ticks, step);
      // The same ticks computed without rounding (float noise in every addition).
      const noisy = ticks.map((_, i) => ticks[0] + i * step);
      checkAxis(noisy, step);
      checked++;
    }
    assert.ok(checked > 3000, `${checked} axes checked`);
  });

  it('keeps labels short when the step is a round number', () => {
    const random = seeded(7);
    for (let run = 0; run < 1000; run++) {
      const e = Math.floor(random() * 30) - 12;
      const step = Number(`${[1, 2, 2.5, 5][Math.floor(random() * 4)]}e${e}`);
      const start = Math.floor(random() * 40) - 20;
      const mantissa = step / Number(`1e${e}`);
      const ticks = Array.from({ length: 6 }, (_, i) => Number(`${(start + i) * mantissa}e${e}`));
      for (const label of checkAxis(ticks, step)) assert.ok(label.length <= 9, `"${label}" fits an axis (step ${step})`);
    }
  });
});
