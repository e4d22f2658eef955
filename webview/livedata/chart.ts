import uPlot from 'uplot';
import type { Cell } from './alignedData';
import type { ChartStyle } from '../messages';
import { formatAxisNumbers } from './axisLabels';
import { formatClock, formatNumber, formatTime } from './format';
import { LANE_MIN_PX, laneRange, layoutScales, layoutSignature, numericRange, STRIP_GAP_PX, stripHeight, type ScaleLayout, type UnitGroup } from './scaleLayout';
import { dashOf, seriesClasses, type ChartTheme } from './theme';

/** A line on the chart. */
export interface ChartLine {
  key: string;
  label: string;
  unit?: string;
  /** A line on its unit's scale, or a lane in the boolean strip. */
  style: Exclude<ChartStyle, 'none'>;
  /** Index into the theme's palette (and dash patterns past its end). */
  colorIndex: number;
}

/** What the chart draws: a shared time column and one value array per line, in line order. */
export interface ChartPoints {
  x: number[];
  ys: Cell[][];
  /** The time span shown, in milliseconds since the epoch. */
  range: [number, number];
}

export interface ChartFrame extends ChartPoints {
  /** What the legend shows for each line while the cursor is not over the plot: its latest reading. */
  latest: string[];
}

export interface LiveChartEvents {
  /** The user showed or hid a line from the legend. */
  visibilityChanged(key: string, shown: boolean): void;
}

/**
 * The live chart: uPlot with stepped lines (a reading holds until the next one), a gap after
 * every bad reading, and the last good value carried to the right edge only while the series'
 * newest reading is good. Each unit has its own y scale and axis; booleans are drawn in lanes
 * along the bottom (see scaleLayout.ts). Rebuilt when the lines, the theme or the set of axes
 * change; otherwise only fed data.
 */
export class LiveChart {
  private plot: uPlot | undefined;
  private lines: ChartLine[] = [];
  private layout: ScaleLayout | undefined;
  private theme: ChartTheme | undefined;
  private frame: ChartFrame | undefined;
  /** The bottom of each numeric scale's data area: no ticks below it, that is the lanes' strip. */
  private readonly floors = new Map<string, number>();
  private rebuildPending = false;
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
    this.theme = theme;
    this.frame = frame;
    this.floors.clear();
    if (lines.length === 0) return;

    const shown = lines.map((line) => !hidden.has(line.key));
    const layout = layoutScales(lines, shown);
    this.layout = layout;
    // Room for every lane with its name, and some for the numbers: the table gives way first.
    const lanesPx = layout.laneCount * LANE_MIN_PX + (layout.numericShown ? STRIP_GAP_PX + NUMERIC_MIN_PX : 0);
    this.plotBox.style.minHeight = layout.laneCount > 0 ? `${UNIT_ROW_PX + lanesPx + TIME_AXIS_PX}px` : '';
    const axisGroups = layout.groups.filter((g) => g.side !== undefined);
    const { width, height } = this.boxSize();

    // The lanes' names sit left of the plot, in the room the left axes leave: the outermost
    // left axis widens when the others leave too little.
    const lefts = axisGroups.filter((g) => g.side === 'left');
    const outermost = lefts.at(-1);
    const laneRoom = layout.laneCount > 0 ? this.laneGutter(layout, theme) : 0;
    const natural = new Map<string, number>();
    const sizeLeft = (group: UnitGroup, size: number): number => {
      natural.set(group.scale, size);
      if (group !== outermost) return size;
      const others = lefts.reduce((sum, g) => sum + (g === group ? 0 : (natural.get(g.scale) ?? 0)), 0);
      return Math.max(size, laneRoom - others);
    };

    const scales: uPlot.Scales = { x: { time: true, auto: false } };
    for (const group of layout.groups) {
      scales[group.scale] = {
        auto: true,
        range: (u, min, max) => {
          const plotPx = plotHeight(u);
          const { range, floor } = numericRange(min, max, stripHeight(layout, plotPx), plotPx);
          this.floors.set(group.scale, floor);
          return range;
        },
      };
    }
    for (const lane of layout.lanes) {
      const position = lane.position;
      // Auto only so that it is worked out again with the others (after a resize, say).
      scales[lane.scale] = { auto: true, range: (u) => (position === undefined ? [0, 1] : laneRange(position, layout, plotHeight(u))) };
    }

    const options: uPlot.Options = {
      width,
      height,
      ms: 1,
      pxAlign: 1,
      // Room above the plot for the units over the axes.
      padding: [UNIT_ROW_PX, axisGroups.some((g) => g.side === 'right') ? 0 : 12, 0, axisGroups.some((g) => g.side === 'left') ? 0 : this.laneGutter(layout, theme)],
      legend: { show: true, live: true, mount: (_u, el) => this.legendBox.append(el) },
      cursor: {
        drag: { x: false, y: false, setScale: false },
        // Readings hold until the next one: under the cursor is the value read before it.
        hover: { bias: -1 as uPlot.Cursor.HoverBias },
        points: { size: 7 },
      },
      scales,
      axes: [
        axisStyle(theme, theme.mutedForeground, { space: 80, size: TIME_AXIS_PX, values: (_u, splits) => splits.map((t) => formatClock(t)) }),
        ...axisGroups.map((group, i) => this.axisOptions(group, theme, i === 0, (natural) => sizeLeft(group, natural))),
      ],
      series: [{ value: (_u, v, _s, idx) => (idx === null || idx === undefined ? 'latest' : formatTime(v)) }, ...lines.map((line, i) => this.seriesOptions(line, i, layout.scaleOf[i], theme, shown[i]))],
      hooks: {
        draw: [(u) => this.placeLaneLabels(u)],
        setSeries: [
          (u, index, opts) => {
            if (index === null || index === 0 || opts.show === undefined) return;
            const line = this.lines[index - 1];
            if (line) this.events.visibilityChanged(line.key, u.series[index].show !== false);
            this.relayoutIfNeeded();
          },
        ],
      },
    };
    this.plot = new uPlot(options, toAligned(frame), this.plotBox);
    this.labelAxes(this.plot, axisGroups);
    this.labelLanes(this.plot, layout);
    this.setRange(frame.range);
    // The box was measured with the legend emptied; with the new legend in it, it is shorter
    // again. If it is back to the size last seen, the resize observer says nothing: fit now.
    this.fitToBox();
  }

  /** New data and time span for the same lines. */
  update(frame: ChartFrame): void {
    const plot = this.plot;
    this.frame = frame;
    if (!plot) return;
    plot.batch(() => {
      plot.setData(toAligned(frame), false);
      this.setRange(frame.range);
      // Not hovering, the legend shows the latest readings: they may have changed.
      plot.setLegend({});
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

  /**
   * A line was shown or hidden: the chart is built again if that changes the axes or lanes,
   * so that no axis stays on screen with nothing drawn against it.
   */
  private relayoutIfNeeded(): void {
    const plot = this.plot;
    const layout = this.layout;
    if (!plot || !layout) return;
    const shown = this.lines.map((_, i) => plot.series[i + 1].show !== false);
    if (layoutSignature(layoutScales(this.lines, shown)) === layoutSignature(layout)) return;
    if (this.rebuildPending) return;
    this.rebuildPending = true;
    // Not from inside uPlot's own event handler: the legend it is handling goes away.
    requestAnimationFrame(() => {
      this.rebuildPending = false;
      const current = this.plot;
      if (!current || !this.theme || !this.frame) return;
      const hidden = new Set(this.lines.filter((_, i) => current.series[i + 1].show === false).map((l) => l.key));
      this.rebuild(this.lines, hidden, this.theme, this.frame);
    });
  }

  /** `sized`: the axis' width from the width its numbers and unit need. */
  private axisOptions(group: UnitGroup, theme: ChartTheme, withGrid: boolean, sized: (natural: number) => number): uPlot.Axis {
    const only = group.lines.length === 1 ? this.lines[group.lines[0]] : undefined;
    const colour = only ? lineColour(only, theme) : theme.mutedForeground;
    const unit = unitText(group, this.lines);
    const keep = (splits: number[]) => {
      const floor = this.floors.get(group.scale);
      if (floor === undefined || splits.length < 2) return splits;
      const eps = Math.abs(splits[1] - splits[0]) * 1e-6;
      return splits.map((s) => (s >= floor - eps ? s : null)) as number[];
    };
    return axisStyle(theme, colour, {
      scale: group.scale,
      side: group.side === 'left' ? 3 : 1,
      space: 24,
      gap: 4,
      filter: (_u, splits) => keep(splits),
      values: (_u, splits, _axis, _space, step) => axisNumbers(splits, step),
      size: (_u, values) => sized(AXIS_GAPS_PX + Math.max(textWidth(theme.font, unit), ...(values ?? []).map((v) => textWidth(theme.font, v ?? '')))),
      ticks: { stroke: theme.grid, width: 1, size: 4, filter: (_u, splits) => keep(splits) },
      grid: { show: withGrid, stroke: theme.grid, width: 1, filter: (_u, splits) => keep(splits) },
    });
  }

  /** Room left of the plot for the lanes' names. */
  private laneGutter(layout: ScaleLayout, theme: ChartTheme): number {
    const names = layout.lanes.filter((l) => l.position !== undefined).map((l) => textWidth(theme.font, this.lines[l.line].label));
    return names.length === 0 ? 12 : Math.min(LANE_NAME_MAX_PX, Math.max(...names) + 12);
  }

  /** The name of each boolean beside its lane, left of the plot. */
  private labelLanes(plot: uPlot, layout: ScaleLayout): void {
    for (const lane of layout.lanes) {
      if (lane.position === undefined) continue;
      const line = this.lines[lane.line];
      const name = document.createElement('span');
      name.className = `lane-name ${colourClass(line)}`;
      name.textContent = line.label;
      // The whole name when the room left of the plot cuts it.
      name.title = line.label;
      name.dataset.scale = lane.scale;
      // Hovering a name is not hovering the plot (the names sit in uPlot's box, left of it).
      name.addEventListener('mousemove', (e) => e.stopPropagation());
      name.addEventListener('mousedown', (e) => e.stopPropagation());
      plot.over.append(name);
    }
    this.placeLaneLabels(plot);
  }

  /** Keeps the lanes' names level with their lanes and within the room left of the plot. */
  private placeLaneLabels(u: uPlot): void {
    const names = u.over.querySelectorAll<HTMLElement>('.lane-name');
    if (names.length === 0) return;
    const room = `${Math.max(0, u.over.offsetLeft - 6)}px`;
    const middles = Array.from(names, (name) => Math.round(u.valToPos(0.5, name.dataset.scale ?? '')));
    // Lanes squeezed thinner than a line of text: names would overlap, the legend says which is which.
    const fits = middles.every((m, i) => i === 0 || Math.abs(m - middles[i - 1]) >= LANE_MIN_PX - 0.5);
    names.forEach((name, i) => {
      const middle = `${middles[i]}px`;
      if (name.style.top !== middle) name.style.top = middle;
      if (name.style.maxWidth !== room) name.style.maxWidth = room;
      if (name.hidden === fits) name.hidden = !fits;
    });
  }

  /** The unit over each y axis, as text in uPlot's box for that axis. */
  private labelAxes(plot: uPlot, axisGroups: UnitGroup[]): void {
    // uPlot gives every shown axis a box, in axis order; the first is the time axis.
    const boxes = plot.root.querySelectorAll<HTMLElement>('.u-axis');
    axisGroups.forEach((group, i) => {
      const box = boxes[i + 1];
      if (!box) return;
      const label = document.createElement('span');
      const only = group.lines.length === 1 ? this.lines[group.lines[0]] : undefined;
      label.className = `axis-unit ${group.side}${only ? ` ${colourClass(only)}` : ''}`;
      label.textContent = unitText(group, this.lines);
      label.title = group.lines.map((l) => this.lines[l].label).join(', ');
      label.dataset.scale = group.scale;
      box.append(label);
    });
  }

  /** The legend's text: the reading under the cursor, or the latest one while not hovering. */
  private legendValue(lineIndex: number, v: number | null | undefined, idx: number | null | undefined): string {
    if (idx === null || idx === undefined) return this.frame?.latest[lineIndex] ?? '—';
    const line = this.lines[lineIndex];
    if (v === null || v === undefined) return '—';
    if (line.style === 'lane') return v >= 1 ? 'true' : 'false';
    return line.unit ? `${formatNumber(v)} ${line.unit}` : formatNumber(v);
  }

  private seriesOptions(line: ChartLine, lineIndex: number, scale: string, theme: ChartTheme, show: boolean): uPlot.Series {
    const colour = lineColour(line, theme);
    const dash = dashOf(line.colorIndex);
    const bool = line.style === 'lane';
    const series: uPlot.Series = {
      label: line.label,
      scale,
      show,
      stroke: colour,
      width: bool ? 1.5 : 1,
      dash,
      spanGaps: false,
      paths: (u, seriesIdx, idx0, idx1) => (endsGood(u.data[seriesIdx]) ? heldToEdge : stepped)(u, seriesIdx, idx0, idx1),
      gaps: (u, seriesIdx, idx0, idx1) => gapsAfterBadReadings(u, seriesIdx, idx0, idx1),
      value: (_u, v, _s, idx) => this.legendValue(lineIndex, v, idx),
      points: { stroke: colour, fill: theme.background },
    };
    if (bool) {
      // A band while true, on the lane's false level.
      series.fill = translucent(colour, 0.25);
      series.fillTo = 0;
    }
    return series;
  }

  private boxSize(): { width: number; height: number } {
    return { width: Math.max(100, this.plotBox.clientWidth), height: Math.max(80, this.plotBox.clientHeight) };
  }

  private fitToBox(): void {
    if (!this.plot) return;
    const size = this.boxSize();
    if (size.width === this.plot.width && size.height === this.plot.height) return;
    this.plot.setSize(size);
    // The lanes are sized in pixels: their scales are worked out again for the new height.
    if (this.frame) this.setRange(this.frame.range);
  }
}

/** Height of the row above the plot that holds the units. */
const UNIT_ROW_PX = 20;
/** Height of the time axis below the plot. */
const TIME_AXIS_PX = 32;
/** The least height left to the numeric lines above the boolean strip. */
const NUMERIC_MIN_PX = 48;
/** The widest the names of the booleans may make the room left of the plot. */
const LANE_NAME_MAX_PX = 120;
/** Tick, gap and margin beside an axis' numbers. */
const AXIS_GAPS_PX = 14;

function plotHeight(u: uPlot): number {
  const px = u.bbox.height / devicePixelRatio;
  // Before its first layout uPlot has no plot box yet: close enough for the first ranging.
  return px > 0 ? px : Math.max(1, u.height - UNIT_ROW_PX - 30);
}

function lineColour(line: ChartLine, theme: ChartTheme): string {
  return theme.palette[line.colorIndex % theme.palette.length];
}

function colourClass(line: ChartLine): string {
  return seriesClasses(line.colorIndex);
}

/** What the axis is labelled: its unit; for lines without one, the line's name if it is alone. */
function unitText(group: UnitGroup, lines: ChartLine[]): string {
  if (group.unit) return group.unit;
  return group.lines.length === 1 ? lines[group.lines[0]].label : 'no unit';
}

/** formatAxisNumbers for the ticks left after filtering (the others are null). */
function axisNumbers(splits: (number | null)[], step: number): string[] {
  const kept = splits.filter((s): s is number => s !== null);
  const texts = formatAxisNumbers(kept, step);
  let next = 0;
  return splits.map((s) => (s === null ? '' : texts[next++]));
}

let measure: CanvasRenderingContext2D | null | undefined;

function textWidth(font: string, text: string): number {
  measure ??= document.createElement('canvas').getContext('2d');
  if (!measure) return text.length * 7;
  measure.font = font;
  return Math.ceil(measure.measureText(text).width);
}

/** The colour at `alpha`, for fills: hex colours directly, anything else through color-mix. */
export function translucent(colour: string, alpha: number): string {
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})([0-9a-f]{2})?$/i.exec(colour.trim());
  if (hex) {
    const digits = hex[1].length === 3 ? [...hex[1]].map((d) => d + d).join('') : hex[1];
    const a = Math.round(alpha * (hex[2] ? parseInt(hex[2], 16) / 255 : 1) * 255);
    return `#${digits}${a.toString(16).padStart(2, '0')}`;
  }
  return `color-mix(in srgb, ${colour} ${Math.round(alpha * 100)}%, transparent)`;
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

function axisStyle(theme: ChartTheme, stroke: string, extra: Partial<uPlot.Axis>): uPlot.Axis {
  return {
    stroke,
    font: theme.font,
    grid: { stroke: theme.grid, width: 1 },
    ticks: { stroke: theme.grid, width: 1, size: 4 },
    ...extra,
  };
}
