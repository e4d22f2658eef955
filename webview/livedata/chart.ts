import uPlot from 'uplot';
import type { Cell } from './alignedData';
import { formatAxisNumbers, formatClock, formatNumber, type ValueKind } from './format';
import { DASHES, type ChartTheme } from './theme';

/** A line on the chart. */
export interface ChartLine {
  key: string;
  label: string;
  unit?: string;
  kind: ValueKind;
  /** Index into the theme's palette (and dash patterns past its end). */
  colorIndex: number;
}

/** What the chart draws: a shared time column and one value array per line, in line order. */
export interface ChartFrame {
  x: number[];
  ys: Cell[][];
  /** The time span shown, in milliseconds since the epoch. */
  range: [number, number];
}

export interface LiveChartEvents {
  /** The user showed or hid a line from the legend. */
  visibilityChanged(key: string, shown: boolean): void;
}

/**
 * The live chart: uPlot with stepped lines (a reading holds until the next one), a gap after
 * every bad reading, and the last good value carried to the right edge only while the series'
 * newest reading is good. Rebuilt when the lines or the theme change; otherwise only fed data.
 */
export class LiveChart {
  private plot: uPlot | undefined;
  private lines: ChartLine[] = [];
  private readonly resizeObserver: ResizeObserver;

  constructor(
    private readonly plotBox: HTMLElement,
    private readonly legendBox: HTMLElement,
    private readonly events: LiveChartEvents,
  ) {
    this.resizeObserver = new ResizeObserver(() => this.fitToBox());
    this.resizeObserver.observe(plotBox);
  }

  get lineCount(): number {
    return this.lines.length;
  }

  /** Width of the plotting area in CSS pixels (0 before the first build). */
  get plotWidth(): number {
    return this.plot ? this.plot.bbox.width / devicePixelRatio : 0;
  }

  /** Builds the chart anew for these lines; `hidden` keys start switched off. */
  rebuild(lines: ChartLine[], hidden: ReadonlySet<string>, theme: ChartTheme, frame: ChartFrame): void {
    this.plot?.destroy();
    this.plot = undefined;
    this.legendBox.replaceChildren();
    this.lines = lines;
    if (lines.length === 0) return;

    const { width, height } = this.boxSize();
    const options: uPlot.Options = {
      width,
      height,
      ms: 1,
      pxAlign: 1,
      legend: { show: true, live: true, mount: (_u, el) => this.legendBox.append(el) },
      cursor: {
        drag: { x: false, y: false, setScale: false },
        // Readings hold until the next one: under the cursor is the value read before it.
        hover: { bias: -1 as uPlot.Cursor.HoverBias },
        points: { size: 7 },
      },
      scales: {
        x: { time: true, auto: false },
        y: { auto: true, range: (_u, min, max) => paddedRange(min, max) },
      },
      axes: [
        axisStyle(theme, { space: 80, values: (_u, splits) => splits.map((t) => formatClock(t)) }),
        axisStyle(theme, { size: 60, values: (_u, splits, _axis, _space, step) => formatAxisNumbers(splits, step) }),
      ],
      series: [{}, ...lines.map((line) => this.seriesOptions(line, theme, !hidden.has(line.key)))],
      hooks: {
        setSeries: [
          (u, index) => {
            if (index === null || index === 0) return;
            const line = this.lines[index - 1];
            if (line) this.events.visibilityChanged(line.key, u.series[index].show !== false);
          },
        ],
      },
    };
    this.plot = new uPlot(options, toAligned(frame), this.plotBox);
    this.setRange(frame.range);
  }

  /** New data and time span for the same lines. */
  update(frame: ChartFrame): void {
    const plot = this.plot;
    if (!plot) return;
    plot.batch(() => {
      plot.setData(toAligned(frame), false);
      this.setRange(frame.range);
    });
  }

  destroy(): void {
    this.resizeObserver.disconnect();
    this.plot?.destroy();
    this.plot = undefined;
  }

  private setRange([min, max]: [number, number]): void {
    this.plot?.setScale('x', { min, max });
  }

  private seriesOptions(line: ChartLine, theme: ChartTheme, show: boolean): uPlot.Series {
    const colour = theme.palette[line.colorIndex % theme.palette.length];
    const dash = DASHES[Math.floor(line.colorIndex / theme.palette.length) % DASHES.length];
    const unit = line.unit ? ` ${line.unit}` : '';
    return {
      label: line.label,
      show,
      stroke: colour,
      width: 1,
      dash,
      spanGaps: false,
      paths: (u, seriesIdx, idx0, idx1) => (endsGood(u.data[seriesIdx]) ? heldToEdge : stepped)(u, seriesIdx, idx0, idx1),
      gaps: (u, seriesIdx, idx0, idx1) => gapsAfterBadReadings(u, seriesIdx, idx0, idx1),
      value: (_u, v) => (v === null || v === undefined ? '—' : line.kind === 'bool' ? (v >= 1 ? 'true' : 'false') : formatNumber(v) + unit),
      points: { stroke: colour, fill: theme.background },
    };
  }

  private boxSize(): { width: number; height: number } {
    return { width: Math.max(100, this.plotBox.clientWidth), height: Math.max(80, this.plotBox.clientHeight) };
  }

  private fitToBox(): void {
    if (!this.plot) return;
    const size = this.boxSize();
    if (size.width !== this.plot.width || size.height !== this.plot.height) this.plot.setSize(size);
  }
}

const stepped = uPlot.paths.stepped!({ align: 1 });
const heldToEdge = uPlot.paths.stepped!({ align: 1, extend: true });

function toAligned(frame: ChartFrame): uPlot.AlignedData {
  return [frame.x, ...frame.ys] as uPlot.AlignedData;
}

/** True when the newest reading of a series is a value (not a gap): only then is it still current. */
function endsGood(ys: uPlot.AlignedData[number]): boolean {
  for (let i = ys.length - 1; i >= 0; i--) {
    const v = ys[i];
    if (v !== undefined) return v !== null;
  }
  return false;
}

/**
 * A gap runs from a bad reading to the next good one. uPlot's own gaps stop at the next column,
 * which here is usually another series' reading, so they are worked out again.
 */
function gapsAfterBadReadings(u: uPlot, seriesIdx: number, idx0: number, idx1: number): [number, number][] {
  const xs = u.data[0];
  const ys = u.data[seriesIdx];
  const halfStroke = ((u.series[seriesIdx].width ?? 1) * devicePixelRatio) / 2;
  const right = u.bbox.left + u.bbox.width;
  const gaps: [number, number][] = [];
  for (let i = idx0; i <= idx1; i++) {
    if (ys[i] !== null) continue;
    let next = i + 1;
    while (next < ys.length && (ys[next] === null || ys[next] === undefined)) next++;
    const from = Math.round(u.valToPos(xs[i], 'x', true)) + halfStroke;
    const to = next < ys.length ? Math.round(u.valToPos(xs[next], 'x', true)) + halfStroke : right;
    gaps.push([from, to]);
    i = next - 1;
  }
  return gaps;
}

function paddedRange(min: number | null, max: number | null): uPlot.Range.MinMax {
  if (min === null || max === null) return [0, 1];
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    return [min - pad, max + pad];
  }
  const pad = (max - min) * 0.08;
  return [min - pad, max + pad];
}

function axisStyle(theme: ChartTheme, extra: Partial<uPlot.Axis>): uPlot.Axis {
  return {
    stroke: theme.mutedForeground,
    font: theme.font,
    grid: { stroke: theme.grid, width: 1 },
    ticks: { stroke: theme.grid, width: 1, size: 4 },
    ...extra,
  };
}
