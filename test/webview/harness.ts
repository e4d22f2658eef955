/**
 * Loads a built webview (Live Data, or the register inspector) in headless Chromium, in a page shaped like the one VS Code
 * shows: the panel's real HTML and CSP, VS Code's dark (or light) theme variables on <body>, and a stand-in
 * for the host API that records what the panel posts and keeps its saved state.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { renderPanelPage } from '../../extension/liveData/html';
import type { FromInspector, ToInspector } from '../../webview/inspectorMessages';
import type { FromWebview, LiveDataViewState, ToWebview } from '../../webview/messages';
import { CHROMIUM, HEADLESS_CHROMIUM_ARGS } from '../../tools/chromium';

export const DIST_WEBVIEW = resolve(__dirname, '../../dist/webview');

/** Dark Modern-like theme values, as VS Code sets them for a webview. */
export const DARK_THEME: Record<string, string> = {
  '--vscode-font-family': '"Segoe WPC", "Segoe UI", "Ubuntu", "Droid Sans", sans-serif',
  '--vscode-font-size': '13px',
  '--vscode-font-weight': 'normal',
  '--vscode-editor-font-family': '"Droid Sans Mono", "monospace", monospace',
  '--vscode-foreground': '#cccccc',
  '--vscode-editor-foreground': '#cccccc',
  '--vscode-editor-background': '#1f1f1f',
  '--vscode-descriptionForeground': '#9d9d9d',
  '--vscode-disabledForeground': '#cccccc80',
  '--vscode-errorForeground': '#f85149',
  '--vscode-focusBorder': '#0078d4',
  '--vscode-icon-foreground': '#cccccc',
  '--vscode-charts-foreground': '#cccccc',
  '--vscode-charts-lines': '#cccccc80',
  '--vscode-charts-red': '#f14c4c',
  '--vscode-charts-blue': '#3794ff',
  '--vscode-charts-yellow': '#cca700',
  '--vscode-charts-orange': '#d18616',
  '--vscode-charts-green': '#89d185',
  '--vscode-charts-purple': '#b180d7',
  '--vscode-testing-iconPassed': '#73c991',
  '--vscode-editorWarning-foreground': '#cca700',
  '--vscode-inputValidation-errorBackground': '#5a1d1d',
  '--vscode-inputValidation-errorBorder': '#be1100',
  '--vscode-panel-border': '#2b2b2b',
  '--vscode-editorWidget-border': '#313131',
  '--vscode-editorGroup-border': '#ffffff17',
  '--vscode-list-hoverBackground': '#2a2d2e',
  '--vscode-toolbar-hoverBackground': '#5a5d5e50',
  '--vscode-inputOption-activeBackground': '#2489db82',
  '--vscode-inputOption-activeBorder': '#2488db',
  '--vscode-settings-dropdownBackground': '#313131',
  '--vscode-settings-dropdownBorder': '#3c3c3c',
  '--vscode-settings-dropdownForeground': '#cccccc',
  '--vscode-settings-dropdownListBorder': '#454545',
  '--vscode-dropdown-background': '#313131',
  '--vscode-dropdown-border': '#3c3c3c',
  '--vscode-dropdown-foreground': '#cccccc',
  '--vscode-list-activeSelectionBackground': '#04395e',
  '--vscode-list-activeSelectionForeground': '#ffffff',
};

/** Light Modern-like values for the variables a theme switch changes most visibly. */
export const LIGHT_THEME: Record<string, string> = {
  ...DARK_THEME,
  '--vscode-foreground': '#3b3b3b',
  '--vscode-editor-foreground': '#3b3b3b',
  '--vscode-editor-background': '#ffffff',
  '--vscode-descriptionForeground': '#3b3b3b',
  '--vscode-charts-foreground': '#616161',
  '--vscode-charts-lines': '#61616180',
  '--vscode-charts-red': '#e51400',
  '--vscode-charts-blue': '#1a85ff',
  '--vscode-charts-yellow': '#bf8803',
  '--vscode-charts-orange': '#d18616',
  '--vscode-charts-green': '#388a34',
  '--vscode-charts-purple': '#652d90',
  '--vscode-list-hoverBackground': '#f2f2f2',
  '--vscode-panel-border': '#e5e5e5',
  '--vscode-editorWidget-border': '#c8c8c8',
  '--vscode-icon-foreground': '#3b3b3b',
  '--vscode-dropdown-background': '#ffffff',
  '--vscode-dropdown-border': '#cecece',
  '--vscode-dropdown-foreground': '#3b3b3b',
  '--vscode-settings-dropdownBackground': '#ffffff',
  '--vscode-settings-dropdownBorder': '#cecece',
  '--vscode-settings-dropdownForeground': '#3b3b3b',
  '--vscode-settings-dropdownListBorder': '#c8c8c8',
  '--vscode-list-activeSelectionBackground': '#e8e8e8',
  '--vscode-list-activeSelectionForeground': '#000000',
};

/** Runs in the page before the panel's script: what VS Code provides to a webview. */
function standInHostScript(theme: Record<string, string>, kind: 'dark' | 'light', savedState: unknown): string {
  return `
window.__posted = [];
window.__state = ${JSON.stringify(savedState ?? null)};
window.__problems = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__problems.push('CSP blocked ' + e.violatedDirective + ': ' + (e.blockedURI || 'inline'));
});
window.addEventListener('error', (e) => window.__problems.push('Error: ' + e.message));
let acquired = false;
window.acquireVsCodeApi = () => {
  if (acquired) throw new Error('acquireVsCodeApi called twice');
  acquired = true;
  return {
    postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
    getState: () => window.__state,
    setState: (s) => { window.__state = JSON.parse(JSON.stringify(s)); },
  };
};
document.body.classList.add('vscode-${kind}');
document.body.dataset.vscodeThemeKind = 'vscode-${kind}';
for (const [k, v] of Object.entries(${JSON.stringify(theme)})) document.body.style.setProperty(k, v);
`;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.ttf': 'font/ttf',
  '.map': 'application/json',
};

export interface PanelPage {
  page: Page;
  /** Sends a message to the panel as the extension host would. */
  post(message: ToWebview): Promise<void>;
  /** What the panel has posted so far. */
  posted(): Promise<FromWebview[]>;
  savedState(): Promise<LiveDataViewState | null>;
  /** CSP violations and uncaught errors in the page. */
  problems(): Promise<string[]>;
  /** Resolves after the page has rendered `n` more frames. */
  frames(n?: number): Promise<void>;
}

/** The register inspector's page, like PanelPage with its own messages. */
export interface InspectorPage extends Omit<PanelPage, 'post' | 'posted' | 'savedState'> {
  post(message: ToInspector): Promise<void>;
  posted(): Promise<FromInspector[]>;
}

export interface OpenOptions {
  savedState?: unknown;
  width?: number;
  height?: number;
  /** The variables on <body>, dark by default. */
  theme?: 'dark' | 'light';
  /** Runs before the panel's script. */
  initScript?: string;
}

export interface Harness {
  browser: BrowserContext;
  /** A Live Data panel. */
  open(options?: OpenOptions): Promise<PanelPage>;
  /** A register inspector panel. */
  openInspector(options?: OpenOptions): Promise<InspectorPage>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  if (!existsSync(join(DIST_WEBVIEW, 'livedata.js'))) {
    throw new Error(`${join(DIST_WEBVIEW, 'livedata.js')} is missing: build first with "node esbuild.mjs".`);
  }
  let pageHtml = '';
  let hostScript = '';
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (path === '/') return send(res, 200, 'text/html', pageHtml);
    if (path === '/host-stand-in.js') return send(res, 200, 'text/javascript', hostScript);
    const file = join(DIST_WEBVIEW, path.replace(/^\/webview\//, ''));
    if (path.startsWith('/webview/') && file.startsWith(DIST_WEBVIEW) && existsSync(file)) {
      return send(res, 200, CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', readFileSync(file));
    }
    send(res, 404, 'text/plain', 'not found');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const userDataDir = mkdtempSync(join(tmpdir(), 'livedata-chromium-'));
  let browser: BrowserContext;
  try {
    // A persistent context is how Playwright takes a profile folder of our choosing: a fresh one.
    browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      viewport: { width: 1000, height: 720 },
      args: [...HEADLESS_CHROMIUM_ARGS],
    });
  } catch (err) {
    server.close();
    rmSync(userDataDir, { recursive: true, force: true });
    throw err;
  }

  /** Loads the bundle `name` (livedata, inspector) in a new page, as VS Code would. */
  async function openPage(name: string, title: string, options: OpenOptions) {
      const nonce = 'test' + Math.random().toString(36).slice(2);
      hostScript = standInHostScript(options.theme === 'light' ? LIGHT_THEME : DARK_THEME, options.theme ?? 'dark', options.savedState);
      pageHtml = renderPanelPage({
        cspSource: origin,
        nonce,
        scriptUri: `${origin}/webview/${name}.js`,
        styleUri: `${origin}/webview/${name}.css`,
        codiconUri: `${origin}/webview/codicon.css`,
      }, title).replace('<script type="module"', `<script nonce="${nonce}" src="${origin}/host-stand-in.js"></script>\n<script type="module"`);
      const page = await browser.newPage();
      // The test runner's transpiler wraps named functions in __name(); page.evaluate sends
      // their source to the page, which needs the helper too.
      await page.addInitScript('globalThis.__name = (f) => f;');
      if (options.initScript) await page.addInitScript(options.initScript);
      await page.setViewportSize({ width: options.width ?? 1000, height: options.height ?? 720 });
      await page.goto(origin + '/');
      await page.waitForFunction(() => (window as unknown as StandIn).__posted.some((m) => m.type === 'ready'));
      return {
        page,
        // As unknown: Playwright's argument types recurse without end on the recursive LiveValue.
        post: (message: unknown) => page.evaluate((m) => window.postMessage(m, '*'), message),
        posted: () => page.evaluate(() => (window as unknown as StandIn).__posted),
        savedState: () => page.evaluate(() => (window as unknown as StandIn).__state),
        problems: () => page.evaluate(() => (window as unknown as StandIn).__problems),
        frames: (n = 2) =>
          page.evaluate(
            (count) =>
              new Promise<void>((done) => {
                const step = (left: number) => (left === 0 ? done() : requestAnimationFrame(() => step(left - 1)));
                step(count);
              }),
            n,
          ),
      };
  }

  return {
    browser,
    async open(options = {}) {
      const p = await openPage('livedata', 'Live Data', options);
      return { ...p, posted: async () => (await p.posted()) as FromWebview[], savedState: async () => (await p.savedState()) as LiveDataViewState | null };
    },
    async openInspector(options = {}) {
      const p = await openPage('inspector', 'Registers', options);
      return { ...p, posted: async () => (await p.posted()) as unknown as FromInspector[] };
    },
    async close() {
      await browser.close();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

interface StandIn {
  __posted: { type: string }[];
  __state: unknown;
  __problems: string[];
}

function send(res: import('node:http').ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}
