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
  /** One colour per series, in order; series past the end reuse them with a dash pattern. */
  palette: string[];
}

/** The order of `--vscode-charts-*` colours; the matching CSS classes are `.series-color-N`. */
export const PALETTE_VARIABLES = ['blue', 'orange', 'green', 'purple', 'yellow', 'red'] as const;

/** Dash patterns for series beyond the palette, so they stay distinguishable. */
export const DASHES: number[][] = [[], [6, 3], [2, 3], [8, 3, 2, 3]];

export function readTheme(): ChartTheme {
  const style = getComputedStyle(document.body);
  const v = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  const foreground = v('--vscode-editor-foreground', v('--vscode-foreground', '#cccccc'));
  const fontFamily = v('--vscode-font-family', 'sans-serif');
  return {
    foreground,
    mutedForeground: v('--vscode-descriptionForeground', foreground),
    grid: v('--vscode-charts-lines', 'rgba(128, 128, 128, 0.35)'),
    background: v('--vscode-editor-background', '#1e1e1e'),
    font: `11px ${fontFamily}`,
    palette: PALETTE_VARIABLES.map((name) => v(`--vscode-charts-${name}`, fallbackColours[name])),
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
