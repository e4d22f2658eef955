import * as assert from 'node:assert/strict';
import { ColourSlots } from '../../webview/livedata/colourSlots';
import { buildPalette, distance, MIN_DISTANCE, oklab, PALETTE_SIZE, parseColour, toHex, type Rgb } from '../../webview/livedata/palette';

const rgb = (hex: string): Rgb => parseColour(hex)!;

/** VS Code's chart colours (blue, orange, green, purple, yellow, red), editor background and foreground. */
const THEMES: Record<string, { charts: string[]; background: string; foreground: string }> = {
  'Dark Modern': { charts: ['#3794ff', '#d18616', '#89d185', '#b180d7', '#cca700', '#f14c4c'], background: '#1f1f1f', foreground: '#cccccc' },
  'Light Modern': { charts: ['#1a85ff', '#d18616', '#388a34', '#652d90', '#bf8803', '#e51400'], background: '#ffffff', foreground: '#3b3b3b' },
  'Dark High Contrast': { charts: ['#3794ff', '#d18616', '#89d185', '#b180d7', '#cca700', '#f14c4c'], background: '#000000', foreground: '#ffffff' },
};

/** WCAG contrast ratio: lines and swatches are graphics, which need 3:1 against their background. */
function contrast(a: Rgb, b: Rgb): number {
  const lum = (c: Rgb) => {
    const [r, g, bl] = c.map((v) => {
      const x = v / 255;
      return x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

describe('livedata: series colours', () => {
  for (const [name, theme] of Object.entries(THEMES)) {
    it(`gives ${PALETTE_SIZE} clearly different colours, readable in ${name}`, () => {
      const background = rgb(theme.background);
      const palette = buildPalette(theme.charts.map(rgb), background, rgb(theme.foreground));
      assert.equal(palette.length, PALETTE_SIZE);
      const hexes = palette.map(toHex);
      for (let i = 0; i < palette.length; i++) {
        for (let j = i + 1; j < palette.length; j++) {
          const d = distance(oklab(palette[i]), oklab(palette[j]));
          assert.ok(d >= MIN_DISTANCE, `${hexes[i]} and ${hexes[j]} are ${d.toFixed(3)} apart`);
        }
        assert.ok(distance(oklab(palette[i]), oklab(rgb(theme.foreground))) >= MIN_DISTANCE, `${hexes[i]} is not the text colour`);
        // The theme's own colours are as the theme chose them (Light Modern's orange has 2.94).
        if (theme.charts.includes(hexes[i])) continue;
        const ratio = contrast(palette[i], background);
        assert.ok(ratio >= 3, `${hexes[i]} on ${theme.background}: contrast ${ratio.toFixed(2)}`);
      }
      assert.deepEqual(buildPalette(theme.charts.map(rgb), background, rgb(theme.foreground)).map(toHex), hexes, 'the same theme, the same palette');
    });
  }

  it("starts with the theme's own chart colours, skipping one that looks like an earlier one", () => {
    const dark = THEMES['Dark Modern'];
    assert.deepEqual(buildPalette(dark.charts.map(rgb), rgb(dark.background), rgb(dark.foreground)).slice(0, 6).map(toHex), dark.charts);
    const light = THEMES['Light Modern'];
    const palette = buildPalette(light.charts.map(rgb), rgb(light.background), rgb(light.foreground)).map(toHex);
    // Light Modern's yellow (#bf8803) is almost its orange (#d18616).
    assert.deepEqual(palette.slice(0, 5), ['#1a85ff', '#d18616', '#388a34', '#652d90', '#e51400']);
    assert.ok(!palette.includes('#bf8803'));
  });

  it('reads the colour formats themes use', () => {
    assert.deepEqual(parseColour('#3794FF'), [0x37, 0x94, 0xff]);
    assert.deepEqual(parseColour('#cccccc80'), [0xcc, 0xcc, 0xcc]);
    assert.deepEqual(parseColour('#fa0'), [0xff, 0xaa, 0x00]);
    assert.deepEqual(parseColour('rgba(12, 34, 56, 0.5)'), [12, 34, 56]);
    assert.equal(parseColour('var(--x)'), undefined);
  });
});

describe('livedata: colours of a panel', () => {
  it('gives 14 series 14 colours and keeps them while series come and go', () => {
    const slots = new ColourSlots();
    const keys = Array.from({ length: 14 }, (_, i) => `s${i}`);
    slots.assign(keys);
    const first = keys.map((k) => slots.get(k)!);
    assert.deepEqual(first, [...Array(14).keys()], 'one colour each, no colour twice');
    assert.ok(first.every((c) => c < PALETTE_SIZE), 'all within the palette: no dashed repeats');

    // Two removed: the others keep theirs; a newcomer takes the lowest free colour.
    slots.assign(keys.filter((k) => k !== 's2' && k !== 's5').concat('new'));
    assert.equal(slots.get('s2'), undefined);
    assert.equal(slots.get('new'), 2);
    for (const k of keys) if (k !== 's2' && k !== 's5') assert.equal(slots.get(k), first[keys.indexOf(k)], `${k} kept its colour`);
    // Reordered: still the same colours.
    slots.assign(['s13', 'new', 's0']);
    assert.deepEqual([slots.get('s13'), slots.get('new'), slots.get('s0')], [13, 2, 0]);
    slots.assign(['s13', 'new', 's0', 'a', 'b']);
    assert.deepEqual([slots.get('a'), slots.get('b')], [1, 3], 'free colours are used before any repeats');
  });
});
