/**
 * A look into the browser that shows the workbench, when the launcher offers one
 * (BIFROST_E2E_BROWSER = its address on 127.0.0.1). Webviews are pages of their own that the
 * extension host cannot read; the launcher can.
 */

export interface BrowserBridge {
  /** The visible text of every Bifrost webview in the workbench. */
  webviewTexts(): Promise<string[]>;
}

/** What a launcher without a browser (VS Code's own test runner) sets BIFROST_E2E_BROWSER to. */
export const NO_BROWSER = 'none';

/**
 * The bridge, or undefined where the launcher said there is no browser. A launcher that says
 * nothing is a mistake, not a reason to skip the checks that look into webviews.
 */
export function browserBridge(): BrowserBridge | undefined {
  const base = process.env.BIFROST_E2E_BROWSER;
  if (base === NO_BROWSER) return undefined;
  if (!base) {
    throw new Error(`BIFROST_E2E_BROWSER is not set: the launcher must give its browser bridge's address, or "${NO_BROWSER}" where no browser shows the workbench`);
  }
  return {
    async webviewTexts() {
      const response = await fetch(`${base}/webviews`);
      if (!response.ok) throw new Error(`the browser bridge answered ${response.status}: ${await response.text()}`);
      return ((await response.json()) as { texts: string[] }).texts;
    },
  };
}
