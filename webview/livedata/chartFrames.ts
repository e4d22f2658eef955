import { lowerBound, TIME_GRID_MS, type AlignedSeriesData } from './alignedData';
import type { ChartFrame, ChartPoints } from './chart';
import { MinMaxDecimator } from './decimator';

/** Thin the data once the window holds this many columns per pixel; stop below the lower one. */
const THIN_ABOVE_PER_PIXEL = 4;
const STOP_THINNING_BELOW_PER_PIXEL = 2;

/**
 * The bucket width for thinning: the narrowest of 10·2^k ms that is at least one pixel wide.
 * On a fixed grid, so a slightly resized chart keeps its buckets.
 */
export function bucketFor(msPerPixel: number): number {
  let bucket = TIME_GRID_MS;
  while (bucket < msPerPixel) bucket *= 2;
  return bucket;
}

/**
 * Decides what the chart draws: the model's columns as they are while few enough, or a thinned
 * copy once a long window holds many more points than it has pixels. The thinned copy is kept
 * up to date incrementally between frames.
 */
export class ChartFrameBuilder {
  private readonly decimator = new MinMaxDecimator();
  private thinning = false;
  private builtFrom: { data: AlignedSeriesData; shape: number; series: string } | undefined;

  get isThinning(): boolean {
    return this.thinning;
  }

  /** `series`: indexes into `data.ys` of the charted series, in chart order. */
  build(data: AlignedSeriesData, series: readonly number[], range: [number, number], plotWidthPx: number): ChartPoints {
    const changedFrom = data.takeChangedFrom();
    const width = Math.max(1, plotWidthPx);
    const columnsInView = data.x.length - lowerBound(data.x, range[0]);
    const ys = series.map((i) => data.ys[i]);
    this.thinning = columnsInView > (this.thinning ? STOP_THINNING_BELOW_PER_PIXEL : THIN_ABOVE_PER_PIXEL) * width;
    if (!this.thinning) {
      this.builtFrom = undefined;
      return { x: data.x, ys, range };
    }
    const bucketMs = bucketFor((range[1] - range[0]) / width);
    const id = series.join(',');
    const from = this.builtFrom;
    if (from && from.data === data && from.shape === data.shapeVersion && from.series === id && this.decimator.bucketMs === bucketMs) {
      this.decimator.update(data.x, ys, changedFrom);
    } else {
      this.decimator.rebuild(data.x, ys, bucketMs);
      this.builtFrom = { data, shape: data.shapeVersion, series: id };
    }
    return { x: this.decimator.x, ys: this.decimator.ys, range };
  }
}

/** A copy that later builds cannot change: what a paused chart keeps showing. */
export function frozenCopy(frame: ChartFrame): ChartFrame {
  return { x: frame.x.slice(), ys: frame.ys.map((y) => y.slice()), range: [frame.range[0], frame.range[1]], latest: frame.latest.slice() };
}
