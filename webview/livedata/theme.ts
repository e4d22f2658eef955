import { buildPalette, parseColour, PALETTE_SIZE, toHex, type Rgb } from './palette';

/**
 * Colours and fonts for the canvas, read from VS Code's theme variables. CSS follows theme
 * changes by itself; a canvas does not, so the chart asks again when the theme changes.
 */
export interface ChartTheme {
  foreground: string;
  mutedForeground: string;
  grid: string;
  background: string;
  font: string;
  /** One colour per series, in order (see palette.ts); series past the end reuse them with a dash pattern. */
  palette: string[];
}

/** The theme's chart colours, first in every palette, in this order. */
export const PALETTE_VARIABLES = ['blue', 'orange', 'green', 'purple', 'yellow', 'red'] as const;

/** Dash patterns for series beyond the palette, so they stay distinguishable. */
export const DASHES: number[][] = [[], [6, 3], [2, 3], [8, 3, 2, 3]];

/** The dash pattern of the series with this colour index. */
export function dashOf(colorIndex: number): number[] {
  return DASHES[Math.floor(colorIndex / PALETTE_SIZE) % DASHES.length];
}

/**
 * Classes that colour an element like the series (`.series-color-N` reads the variable
 * `--series-color-N`, which applyPalette sets) and give a swatch its dash pattern.
 */
export function seriesClasses(colorIndex: number): string {
  return `series-color-${colorIndex % PALETTE_SIZE} series-dash-${Math.floor(colorIndex / PALETTE_SIZE) % DASHES.length}`;
}

/** Sets the palette's colours as `--series-color-N` on `root`, for the CSS of legends and swatches. */
export function applyPalette(root: HTMLElement, palette: readonly string[]): void {
  palette.forEach((colour, i) => root.style.setProperty(`--series-color-${i}`, colour));
}

export function readTheme(): ChartTheme {
  const style = getComputedStyle(document.body);
  const v = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  const foreground = v('--vscode-editor-foreground', v('--vscode-foreground', '#cccccc'));
  const background = v('--vscode-editor-background', '#1e1e1e');
  const fontFamily = v('--vscode-font-family', 'sans-serif');
  const themeColours = PALETTE_VARIABLES.map((name) => rgbOf(v(`--vscode-charts-${name}`, fallbackColours[name])));
  return {
    foreground,
    mutedForeground: v('--vscode-descriptionForeground', foreground),
    grid: v('--vscode-charts-lines', 'rgba(128, 128, 128, 0.35)'),
    background,
    font: `11px ${fontFamily}`,
    palette: buildPalette(themeColours, rgbOf(background), rgbOf(foreground)).map(toHex),
  };
}

const fallbackColours: Record<(typeof PALETTE_VARIABLES)[number], string> = {
  blue: '#3794ff',
  orange: '#d18616',
  green: '#89d185',
  purple: '#b180d7',
  yellow: '#cca700',
  red: '#f14c4c',
};

let normaliser: CanvasRenderingContext2D | null | undefined;

/** Any CSS colour as sRGB: the canvas turns names and hsl() into #rrggbb or rgba(). */
function rgbOf(colour: string): Rgb {
  const direct = parseColour(colour);
  if (direct) return direct;
  normaliser ??= document.createElement('canvas').getContext('2d');
  if (normaliser) {
    normaliser.fillStyle = '#808080';
    normaliser.fillStyle = colour;
    const parsed = parseColour(String(normaliser.fillStyle));
    if (parsed) return parsed;
  }
  return [128, 128, 128];
}

/**
 * Calls `onChange` when VS Code switches theme: it sets a class on <body> and the variables on
 * <html>'s style attribute. Changes arriving together are reported once.
 */
export function watchTheme(onChange: () => void): () => void {
  let pending = false;
  const observer = new MutationObserver(() => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      onChange();
    });
  });
  observer.observe(document.body, { attributes: true, attributeFilter: ['class', 'style', 'data-vscode-theme-kind'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['class', 'style'] });
  return () => observer.disconnect();
}
