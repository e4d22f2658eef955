import * as assert from 'node:assert/strict';
import { LANE_MIN_PX, LANE_PX, laneRange, layoutScales, layoutSignature, MAX_AXES, numericRange, STRIP_GAP_PX, stripHeight, type ScaleLine } from '../../webview/livedata/scaleLayout';

const num = (unit?: string): ScaleLine => (unit === undefined ? { style: 'line' } : { style: 'line', unit });
const bool: ScaleLine = { style: 'lane' };

/** Where value v of range [min, max] is drawn, as a share of the plot height from the bottom. */
const at = ([min, max]: [number, number], v: number) => (v - min) / (max - min);

describe('Live Data scale layout', () => {
  it('groups lines by unit, one scale and axis per unit, alternating sides', () => {
    const layout = layoutScales([num('°C'), num('Wh'), num('°C'), num('bar'), num()], [true, true, true, true, true]);
    assert.deepEqual(
      layout.groups.map((g) => [g.unit, g.lines, g.side]),
      [
        ['°C', [0, 2], 'left'],
        ['Wh', [1], 'right'],
        ['bar', [3], 'left'],
        [undefined, [4], 'right'],
      ],
    );
    assert.equal(layout.scaleOf[0], layout.scaleOf[2]);
    assert.equal(new Set(layout.scaleOf).size, 4);
  });

  it('gives booleans a lane each, never a numeric scale, whatever their unit', () => {
    const layout = layoutScales([bool, num('%'), { style: 'lane', unit: '%' }], [true, true, true]);
    assert.equal(layout.groups.length, 1);
    assert.deepEqual(
      layout.lanes.map((l) => [l.line, l.position]),
      [
        [0, 0],
        [2, 1],
      ],
    );
    assert.equal(layout.laneCount, 2);
  });

  it('gives no axis to a unit whose lines are all hidden, and no lane to a hidden boolean', () => {
    const lines = [num('Wh'), num('°C'), bool, bool];
    const all = layoutScales(lines, [true, true, true, true]);
    const some = layoutScales(lines, [false, true, false, true]);
    assert.deepEqual(
      some.groups.map((g) => g.side),
      [undefined, 'left'],
    );
    assert.deepEqual(
      some.lanes.map((l) => l.position),
      [undefined, 0],
    );
    assert.notEqual(layoutSignature(all), layoutSignature(some));
    assert.equal(layoutSignature(all), layoutSignature(layoutScales(lines, [true, true, true, true])));
  });

  it(`shows at most ${MAX_AXES} axes`, () => {
    const units = ['a', 'b', 'c', 'd', 'e', 'f'];
    const layout = layoutScales(
      units.map((u) => num(u)),
      units.map(() => true),
    );
    assert.equal(layout.groups.filter((g) => g.side).length, MAX_AXES);
    assert.equal(new Set(layout.scaleOf).size, units.length, 'every unit keeps its own scale');
  });

  it('puts numeric data above the boolean strip and each boolean inside its lane', () => {
    const plotPx = 400;
    const layout = layoutScales([num('°C'), bool, bool], [true, true, true]);
    const strip = stripHeight(layout, plotPx) / plotPx;
    const { range, floor } = numericRange(66, 74, stripHeight(layout, plotPx), plotPx);
    assert.ok(Math.abs(at(range, floor) - strip) < 1e-9, 'the data area starts on top of the strip');
    assert.ok(at(range, 66) > strip && at(range, 74) < 1);
    const top = laneRange(0, layout, plotPx);
    const bottom = laneRange(1, layout, plotPx);
    for (const lane of [top, bottom]) {
      assert.ok(at(lane, 0) > 0 && at(lane, 1) < strip, 'inside the strip');
      assert.ok(at(lane, 1) > at(lane, 0));
    }
    assert.ok(at(bottom, 1) < at(top, 0), 'lanes do not overlap');
  });

  it('keeps the strip small in a short plot, tall enough to name each lane, and gives booleans the whole plot when they are alone', () => {
    const some = layoutScales([num('bar'), ...Array<ScaleLine>(3).fill(bool)], Array<boolean>(4).fill(true));
    assert.equal(stripHeight(some, 400), 3 * LANE_PX + STRIP_GAP_PX, 'roomy lanes in a tall plot');
    assert.equal(stripHeight(some, 120), 48, 'in a short one at most 40%, while that leaves each lane room for its name');
    const five = layoutScales([num('bar'), ...Array<ScaleLine>(5).fill(bool)], Array<boolean>(6).fill(true));
    assert.equal(stripHeight(five, 120), 5 * LANE_MIN_PX + STRIP_GAP_PX, 'more than 40% rather than nameless lanes');
    const many = layoutScales([num('bar'), ...Array<ScaleLine>(10).fill(bool)], Array<boolean>(11).fill(true));
    assert.equal(stripHeight(many, 100), 60, 'never more than 60%: the numbers keep room');
    const alone = layoutScales([bool, bool], [true, true]);
    const lane = laneRange(0, alone, 300);
    assert.ok(at(lane, 1) > 0.8, 'the top lane reaches the top of the plot');
  });

  it('has no strip without booleans', () => {
    const layout = layoutScales([num('bar')], [true]);
    assert.equal(stripHeight(layout, 300), 0);
    assert.deepEqual(numericRange(2, 3, 0, 300).range, [2 - 0.08, 3 + 0.08]);
  });
});
