/**
 * A look into the browser that shows the workbench, when the launcher offers one
 * (BIFROST_E2E_BROWSER = its address on 127.0.0.1). Webviews are pages of their own that the
 * extension host cannot read; the launcher can.
 */

export interface BrowserBridge {
  /** The visible text of every Bifrost webview in the workbench. */
  webviewTexts(): Promise<string[]>;
}

export function browserBridge(): BrowserBridge | undefined {
  const base = process.env.BIFROST_E2E_BROWSER;
  if (!base) return undefined;
  return {
    async webviewTexts() {
      const response = await fetch(`${base}/webviews`);
      if (!response.ok) throw new Error(`the browser bridge answered ${response.status}: ${await response.text()}`);
      return ((await response.json()) as { texts: string[] }).texts;
    },
  };
}
