/**
 * Lets the extension-host tests look into the workbench's webviews, which the extension host
 * cannot read: a small HTTP server on 127.0.0.1 that answers from the browser page.
 *   GET /webviews → { "texts": [visible text of each Bifrost webview] }
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Frame, Page } from 'playwright-core';
import { EXTENSION_ID } from './code-server';

export interface Bridge {
  url: string;
  close(): Promise<void>;
}

/**
 * A webview is two nested frames: VS Code's host page (its URL names the extension) and, inside
 * it, the page the extension wrote.
 */
export function extensionWebviewFrames(page: Page): Frame[] {
  return page.frames().filter((f) => f.parentFrame()?.url().includes(`extensionId=${EXTENSION_ID}`) ?? false);
}

export async function webviewTexts(page: Page): Promise<string[]> {
  const texts = await Promise.all(extensionWebviewFrames(page).map((f) => f.evaluate(() => document.body?.innerText ?? '').catch(() => '')));
  return texts.filter((t) => t !== '');
}

export async function startBridge(page: () => Page | undefined): Promise<Bridge> {
  const server = createServer((req, res) => {
    const current = page();
    if (req.url !== '/webviews' || !current) {
      res.writeHead(current ? 404 : 503).end(current ? 'unknown path' : 'no workbench yet');
      return;
    }
    webviewTexts(current).then(
      (texts) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ texts })),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
