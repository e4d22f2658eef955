import type { ChartStyle } from '../messages';

/**
 * Which y scale each chart line uses. Numeric lines are grouped by unit: a group shares one
 * auto-ranging scale and one axis labelled with the unit, so 70 °C and 18 MWh never share a
 * scale. Booleans get a lane each in a strip along the bottom of the plot, like the traces of
 * a logic analyser; the numeric lines are drawn above the strip.
 */

/** Axes beside the plot; groups past these get a scale but no axis of their own. */
export const MAX_AXES = 4;
/** Height of one boolean lane, and the space between the lanes and the numeric area, in CSS px. */
export const LANE_PX = 18;
export const STRIP_GAP_PX = 8;
/** The least height of a lane: enough for its name beside it (11 px text). */
export const LANE_MIN_PX = 12;
/** The lanes take at most this share of the plot's height at LANE_PX each… */
const STRIP_SHARE = 0.4;
/** …and up to this share when that is what keeps LANE_MIN_PX for each, so that every lane is named. */
const MAX_STRIP_SHARE = 0.6;
/** Space above and below a boolean trace inside its lane, as a share of the lane. */
const LANE_MARGIN = 0.2;

export interface ScaleLine {
  unit?: string;
  /** Charted lines only: `none` never reaches the chart. */
  style: Exclude<ChartStyle, 'none'>;
}

export interface UnitGroup {
  /** The uPlot scale key. */
  scale: string;
  unit: string | undefined;
  /** Indexes of its lines. */
  lines: number[];
  /** Where its axis goes; undefined: no axis (every line hidden, or past MAX_AXES). */
  side: 'left' | 'right' | undefined;
}

export interface Lane {
  scale: string;
  line: number;
  /** 0 for the top lane of the strip; undefined while the line is hidden. */
  position: number | undefined;
}

export interface ScaleLayout {
  groups: UnitGroup[];
  lanes: Lane[];
  /** Lanes of shown booleans. */
  laneCount: number;
  /** Whether any numeric line is shown: if not, the lanes take the whole plot. */
  numericShown: boolean;
  /** The scale key of each line, in line order. */
  scaleOf: string[];
}

/** `shown[i]`: whether line i is switched on in the legend. */
export function layoutScales(lines: readonly ScaleLine[], shown: readonly boolean[]): ScaleLayout {
  const groups: UnitGroup[] = [];
  const lanes: Lane[] = [];
  const scaleOf: string[] = [];
  const byUnit = new Map<string, UnitGroup>();
  lines.forEach((line, i) => {
    if (line.style === 'lane') {
      const lane: Lane = { scale: `lane${lanes.length}`, line: i, position: undefined };
      lanes.push(lane);
      scaleOf.push(lane.scale);
      return;
    }
    const unit = line.unit?.trim() || undefined;
    const id = unit ?? '';
    let group = byUnit.get(id);
    if (!group) {
      group = { scale: `unit${groups.length}`, unit, lines: [], side: undefined };
      byUnit.set(id, group);
      groups.push(group);
    }
    group.lines.push(i);
    scaleOf.push(group.scale);
  });
  let axes = 0;
  let numericShown = false;
  for (const group of groups) {
    if (!group.lines.some((i) => shown[i] !== false)) continue;
    numericShown = true;
    if (axes === MAX_AXES) continue;
    group.side = axes % 2 === 0 ? 'left' : 'right';
    axes++;
  }
  let laneCount = 0;
  for (const lane of lanes) if (shown[lane.line] !== false) lane.position = laneCount++;
  return { groups, lanes, laneCount, numericShown, scaleOf };
}

/** Which groups have an axis and which lines have a lane: when this changes, the chart is rebuilt. */
export function layoutSignature(layout: ScaleLayout): string {
  return [...layout.groups.map((g) => g.side ?? '-'), ...layout.lanes.map((l) => l.position ?? '-')].join(',');
}

/** Height in CSS px of the boolean strip, gap included, in a plot `plotPx` high. */
export function stripHeight(layout: Pick<ScaleLayout, 'laneCount' | 'numericShown'>, plotPx: number): number {
  if (layout.laneCount === 0) return 0;
  if (!layout.numericShown) return plotPx + STRIP_GAP_PX;
  const preferred = Math.min(layout.laneCount * LANE_PX + STRIP_GAP_PX, plotPx * STRIP_SHARE);
  const named = Math.min(layout.laneCount * LANE_MIN_PX + STRIP_GAP_PX, plotPx * MAX_STRIP_SHARE);
  return Math.max(preferred, named);
}

/** A range around the data with some air above and below. */
export function paddedRange(min: number | null, max: number | null): [number, number] {
  if (min === null || max === null) return [0, 1];
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    return [min - pad, max + pad];
  }
  const pad = (max - min) * 0.08;
  return [min - pad, max + pad];
}

/**
 * The range of a numeric scale whose data fills the plot above the boolean strip: the padded
 * data range, stretched downwards so that its bottom (`floor`) sits on top of the strip.
 */
export function numericRange(min: number | null, max: number | null, stripPx: number, plotPx: number): { range: [number, number]; floor: number } {
  const [lo, hi] = paddedRange(min, max);
  const share = plotPx > 0 ? Math.min(stripPx / plotPx, MAX_STRIP_SHARE) : 0;
  return { range: [lo - ((hi - lo) * share) / (1 - share), hi], floor: lo };
}

/** The range of a lane's scale that puts false and true inside lane `position` of the strip. */
export function laneRange(position: number, layout: Pick<ScaleLayout, 'laneCount' | 'numericShown'>, plotPx: number): [number, number] {
  const strip = stripHeight(layout, plotPx) - STRIP_GAP_PX;
  const lanePx = Math.max(1, strip / layout.laneCount);
  const bottomPx = (layout.laneCount - 1 - position) * lanePx;
  const H = Math.max(1, plotPx);
  const f0 = (bottomPx + lanePx * LANE_MARGIN) / H;
  const f1 = (bottomPx + lanePx * (1 - LANE_MARGIN)) / H;
  return [-f0 / (f1 - f0), (1 - f0) / (f1 - f0)];
}
