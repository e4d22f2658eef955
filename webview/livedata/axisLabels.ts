/**
 * Y-axis labels: every label is its tick's value, with the digits that value needs.
 *
 * One scale for the whole axis, chosen by its largest tick: plain numbers below 10 000, then
 * k, M, G, T, P, E (and e21, e24… past them), and e-6, e-9… below 0.001. The number of
 * decimals comes from the step between ticks (a 2.5M step needs one: 2.5M, 5M, 7.5M), and from
 * the ticks themselves when they are not multiples of the step; trailing zeros are dropped.
 */

const SI_SUFFIX: Readonly<Record<number, string>> = { 3: 'k', 6: 'M', 9: 'G', 12: 'T', 15: 'P', 18: 'E' };

/** Below this largest tick, labels are plain numbers (9000, 9500 rather than 9k, 9.5k). */
const PLAIN_BELOW = 1e4;
/** Below this largest tick, labels are scaled down (25e-6 rather than 0.000025). */
const SMALL_BELOW = 1e-3;
/** A double carries about 15 significant decimal digits; more would show float noise. */
const MAX_SIGNIFICANT = 15;
/** A label is exact when its tick is this close to it, as a share of the step (or of the last digit). */
const EXACT_WITHIN = 1e-3;
/** The step is a whole number of the last digit shown, to this share of itself. */
const STEP_EXACT_WITHIN = 1e-6;

export interface AxisScale {
  /** The power of ten the labels are divided by. */
  exponent: number;
  suffix: string;
}

/** The scale of an axis whose largest tick (by magnitude) is `largest`. */
export function axisScale(largest: number): AxisScale {
  if (!(largest >= PLAIN_BELOW || (largest > 0 && largest < SMALL_BELOW)) || !Number.isFinite(largest)) return { exponent: 0, suffix: '' };
  const exponent = 3 * Math.floor(powerOfTen(largest) / 3);
  return { exponent, suffix: SI_SUFFIX[exponent] ?? `e${exponent}` };
}

/** The labels of `ticks`, `step` apart. */
export function formatAxisNumbers(ticks: readonly number[], step: number): string[] {
  const finite = ticks.filter((t) => Number.isFinite(t));
  const largest = Math.max(0, ...finite.map((t) => Math.abs(t)));
  const { exponent, suffix } = axisScale(largest);
  const scaled = (x: number) => divideByPowerOfTen(x, exponent);
  const stepScaled = Math.abs(scaled(step));
  // No more decimals than a double holds for the largest tick.
  const cap = Math.max(0, MAX_SIGNIFICANT - 1 - (largest > 0 ? powerOfTen(largest) - exponent : 0));
  const hasStep = Number.isFinite(stepScaled) && stepScaled > 0;
  // The fewest decimals that show the step whole (2.5 → 1, 0.05 → 2)…
  let decimals = hasStep ? fewestDecimals(stepScaled, 0, cap, () => stepScaled * STEP_EXACT_WITHIN) : 0;
  // …and every tick to within a thousandth of a step: a double's rounding, nothing more.
  const tolerance = (d: number) => (hasStep ? stepScaled : Number(`1e-${d}`)) * EXACT_WITHIN;
  for (const t of finite) decimals = fewestDecimals(Math.abs(scaled(t)), decimals, cap, tolerance);
  return ticks.map((t) => {
    if (!Number.isFinite(t)) return String(t);
    const text = trimZeros(scaled(t).toFixed(decimals));
    return text === '0' || text === '-0' ? '0' : text + suffix;
  });
}

/** The exponent of the largest power of ten not above x (x > 0), free of log10's rounding. */
function powerOfTen(x: number): number {
  let e = Math.floor(Math.log10(x));
  if (Number(`1e${e}`) > x) e--;
  else if (Number(`1e${e + 1}`) <= x) e++;
  return e;
}

/** x / 10^exponent, as exactly as a double allows (10^-6 is not exact; 10^6 is). */
function divideByPowerOfTen(x: number, exponent: number): number {
  return exponent >= 0 ? x / Number(`1e${exponent}`) : x * Number(`1e${-exponent}`);
}

/** The fewest decimals, from `from` up to `cap`, that show x to within `tolerance(decimals)`. */
function fewestDecimals(x: number, from: number, cap: number, tolerance: (decimals: number) => number): number {
  for (let d = from; d < cap; d++) {
    const unit = Number(`1e${d}`);
    if (Math.abs(x - Math.round(x * unit) / unit) <= tolerance(d)) return d;
  }
  return Math.max(from, cap);
}

function trimZeros(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}
