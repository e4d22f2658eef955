/**
 * Reading and driving VS Code's workbench from the browser, as a person would: rows of the Tag
 * Explorer, inline actions, the command palette, the input box, modal dialogs and webviews.
 * Selectors are VS Code's own classes (VS Code 1.100).
 */
import type { Frame, Locator, Page } from 'playwright-core';
import { extensionWebviewFrames } from '../../tools/e2e-bridge';
import { waitFor } from '../extension-host/waitFor';

export const QUICK_INPUT = '.quick-input-widget';
export const DIALOG = '.monaco-dialog-box';

export interface TreeRow {
  level: number;
  label: string;
  description: string;
}

/** The Tag Explorer's rendered rows, top to bottom (only those on screen). */
export function treeRows(page: Page): Promise<TreeRow[]> {
  return page.$$eval('.part.sidebar .monaco-list-row', (rows) =>
    rows.map((row) => ({
      level: Number(row.getAttribute('aria-level') ?? 0),
      label: row.querySelector('.label-name')?.textContent?.trim() ?? '',
      description: row.querySelector('.label-description')?.textContent?.trim() ?? '',
    })),
  );
}

/** The tags shown under a device, with what they show. */
export function tagsOf(rows: TreeRow[], device: string): TreeRow[] {
  const start = rows.findIndex((r) => r.level === 1 && r.label === device);
  if (start < 0) return [];
  const end = rows.findIndex((r, i) => i > start && r.level === 1);
  return rows.slice(start + 1, end < 0 ? undefined : end);
}

export function describeRows(rows: TreeRow[]): string {
  return rows.map((r) => `${'  '.repeat(Math.max(0, r.level - 1))}${r.label} ${r.description}`.trimEnd()).join(' | ') || '(no rows)';
}

/** A row of the Tag Explorer: a device (level 1), or a row below it (a tag, a folder, a folder's rows at 3 and deeper). */
export function treeRow(page: Page, label: string, level: number): Locator {
  return page.locator(`.part.sidebar .monaco-list-row[aria-level="${level}"]`).filter({
    has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }),
  });
}

/** Opens a collapsed row by its twistie, as a person would, and waits until its children show. */
export async function expandRow(row: Locator): Promise<void> {
  if ((await row.getAttribute('aria-expanded')) === 'true') return;
  const expanded = row.and(row.page().locator('[aria-expanded="true"]'));
  await row.locator('.monaco-tl-twistie').click();
  // A click that lands while the row repaints (its device's row changed) is lost, and a person
  // clicks again: so does this, once.
  const lost = await expanded.waitFor({ state: 'visible', timeout: 5000 }).then(() => false, () => true);
  if (lost && (await row.getAttribute('aria-expanded')) !== 'true') {
    await row.locator('.monaco-tl-twistie').click();
    await expanded.waitFor({ state: 'visible' });
  }
}

/** Closes an open row by its twistie and waits until it shows closed. */
export async function collapseRow(row: Locator): Promise<void> {
  if ((await row.getAttribute('aria-expanded')) !== 'true') return;
  await row.locator('.monaco-tl-twistie').click();
  const collapsed = row.and(row.page().locator('[aria-expanded="false"]'));
  // As in expandRow: a click lost to a repaint is given again, once.
  const lost = await collapsed.waitFor({ state: 'visible', timeout: 5000 }).then(() => false, () => true);
  if (lost && (await row.getAttribute('aria-expanded')) === 'true') {
    await row.locator('.monaco-tl-twistie').click();
    await collapsed.waitFor({ state: 'visible' });
  }
}

/** Parks the mouse on the empty middle of the activity bar, where nothing shows a tooltip. */
export async function restMouse(page: Page): Promise<void> {
  await page.mouse.move(20, Math.round((page.viewportSize()?.height ?? 1000) * 0.6));
}

/**
 * The tooltip a row shows once the mouse rests on it, holding `text`. A row repainted while the
 * hover was pending loses it (the pointer never entered the new row): a person moves away and
 * back, and so does this, a few times.
 */
export async function hoverTooltip(row: Locator, text: string, timeoutMs = 20_000): Promise<Locator> {
  const page = row.page();
  const hover = page.locator('.monaco-hover, .workbench-hover', { hasText: text }).first();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await restMouse(page);
    await page.waitForTimeout(200);
    await row.hover();
    const left = deadline - Date.now();
    const shown = await hover.waitFor({ state: 'visible', timeout: Math.max(500, Math.min(5000, left)) }).then(() => true, () => false);
    if (shown) return hover;
    if (Date.now() >= deadline) throw new Error(`no tooltip with "${text}" on the row within ${timeoutMs} ms (hovered several times)`);
  }
}

/** Clicks one of a row's inline actions (they show while the mouse is on the row). */
export async function clickInlineAction(row: Locator, action: string): Promise<void> {
  await row.hover();
  await row.locator(`.actions .action-label[aria-label="${action}"]`).click();
}

/** Runs a command from the palette by its full title, as shown there. */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator(`${QUICK_INPUT} input.input`);
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${title}`);
  const row = page.locator(`${QUICK_INPUT} .monaco-list-row[aria-label^="${title}"]`).first();
  await row.waitFor({ state: 'visible' });
  await row.click();
}

/** The page of the first Bifrost webview that has `selector`, once there is one. */
export function webviewWith(page: Page, selector: string, what: string): Promise<Frame> {
  return waitFor(
    what,
    async () => {
      for (const frame of extensionWebviewFrames(page)) {
        if ((await frame.locator(selector).count().catch(() => 0)) > 0) return frame;
      }
      return undefined;
    },
    () => `${extensionWebviewFrames(page).length} Bifrost webview(s)`,
    { timeoutMs: 30_000, everyMs: 200 },
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
