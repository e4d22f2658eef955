/**
 * Series colours: as many clearly different colours as a panel charts, readable on the theme's
 * background. The theme's own chart colours come first (so a panel looks like the rest of VS
 * Code), each only if it is clearly different from the ones before it (Light Modern's orange and
 * yellow are almost the same), as the theme chose them; the rest are picked one by one from a grid of colours in the
 * lightness band that reads well on the background, each the one farthest from every colour
 * already taken, the background and the text colour included. Distances are in OKLab, where
 * equal distances look about equally different.
 *
 * No DOM here: colours are sRGB triples, 0-255.
 */

export type Rgb = readonly [number, number, number];
type Lab = readonly [number, number, number];

/** Colours in a palette: the most series one panel shows with a colour of their own. */
export const PALETTE_SIZE = 16;
/** The least OKLab distance between two colours of a palette (and from the background and text). */
export const MIN_DISTANCE = 0.08;

/** WCAG's least contrast for graphics (lines, swatches) against the background, for the extra colours. */
const MIN_CONTRAST = 3;
/** OKLab lightness of the band the extra colours are taken from, on dark and on light backgrounds. */
const DARK_BAND: readonly [number, number] = [0.6, 0.86];
const LIGHT_BAND: readonly [number, number] = [0.42, 0.66];

export function buildPalette(themeColours: readonly Rgb[], background: Rgb, foreground: Rgb): Rgb[] {
  const taken: Lab[] = [oklab(background), oklab(foreground)];
  const palette: Rgb[] = [];
  const farFromTaken = (lab: Lab) => Math.min(...taken.map((t) => distance(t, lab)));
  for (const colour of themeColours) {
    if (palette.length === PALETTE_SIZE) break;
    const lab = oklab(colour);
    if (farFromTaken(lab) < MIN_DISTANCE) continue;
    palette.push(colour);
    taken.push(lab);
  }
  const dark = oklab(background)[0] < 0.5;
  const candidates = candidateColours(dark ? DARK_BAND : LIGHT_BAND).filter((c) => contrastRatio(c.rgb, background) >= MIN_CONTRAST);
  while (palette.length < PALETTE_SIZE) {
    let best = candidates[0];
    let bestDistance = -1;
    for (const c of candidates) {
      const d = farFromTaken(c.lab);
      if (d > bestDistance) {
        best = c;
        bestDistance = d;
      }
    }
    palette.push(best.rgb);
    taken.push(best.lab);
  }
  return palette;
}

interface Candidate {
  rgb: Rgb;
  lab: Lab;
}

let cachedBand: readonly [number, number] | undefined;
let cachedCandidates: Candidate[] = [];

/** Colours of the band, every 10° of hue at a few lightnesses and chromas, inside sRGB. */
function candidateColours(band: readonly [number, number]): Candidate[] {
  if (cachedBand === band) return cachedCandidates;
  const out: Candidate[] = [];
  for (let L = band[0]; L <= band[1] + 1e-9; L += 0.04) {
    for (const C of [0.1, 0.13, 0.16, 0.19]) {
      for (let h = 0; h < 360; h += 10) {
        const rad = (h * Math.PI) / 180;
        const rgb = fromOklab([L, C * Math.cos(rad), C * Math.sin(rad)]);
        if (rgb) out.push({ rgb, lab: oklab(rgb) });
      }
    }
  }
  cachedBand = band;
  cachedCandidates = out;
  return out;
}

export function distance(a: Lab, b: Lab): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

export function oklab([r, g, b]: Rgb): Lab {
  const [R, G, B] = [r, g, b].map(toLinear);
  const l = Math.cbrt(0.4122214708 * R + 0.5363325363 * G + 0.0514459929 * B);
  const m = Math.cbrt(0.2119034982 * R + 0.6806995451 * G + 0.1073969566 * B);
  const s = Math.cbrt(0.0883024619 * R + 0.2817188376 * G + 0.6299787005 * B);
  return [0.2104542553 * l + 0.793617785 * m - 0.0040720468 * s, 1.9779984951 * l - 2.428592205 * m + 0.4505937099 * s, 0.0259040371 * l + 0.7827717662 * m - 0.808675766 * s];
}

/** The sRGB colour of an OKLab one, or undefined outside sRGB. */
function fromOklab([L, a, b]: Lab): Rgb | undefined {
  const l = (L + 0.3963377774 * a + 0.2158037573 * b) ** 3;
  const m = (L - 0.1055613458 * a - 0.0638541728 * b) ** 3;
  const s = (L - 0.0894841775 * a - 1.291485548 * b) ** 3;
  const linear = [4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s, -1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s, -0.0041960863 * l - 0.7034186147 * m + 1.707614701 * s];
  if (linear.some((c) => c < 0 || c > 1)) return undefined;
  const [r, g, bl] = linear.map((c) => Math.round(255 * (c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055)));
  return [r, g, bl];
}

/** WCAG contrast ratio of two colours. */
function contrastRatio(a: Rgb, b: Rgb): number {
  const luminance = (c: Rgb) => 0.2126 * toLinear(c[0]) + 0.7152 * toLinear(c[1]) + 0.0722 * toLinear(c[2]);
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

function toLinear(c: number): number {
  const x = c / 255;
  return x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
}

export function toHex(rgb: Rgb): string {
  return `#${rgb.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}

/** `#rgb`, `#rrggbb`, `#rrggbbaa`, `rgb(…)` or `rgba(…)` as sRGB (alpha dropped); undefined for anything else. */
export function parseColour(text: string): Rgb | undefined {
  const t = text.trim().toLowerCase();
  const hex = /^#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/.exec(t);
  if (hex) {
    const digits = hex[1].length <= 4 ? [...hex[1]].map((d) => d + d).join('') : hex[1];
    return [0, 2, 4].map((i) => parseInt(digits.slice(i, i + 2), 16)) as unknown as Rgb;
  }
  const fn = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/.exec(t);
  if (fn) return [1, 2, 3].map((i) => Math.min(255, Math.round(Number(fn[i])))) as unknown as Rgb;
  return undefined;
}
