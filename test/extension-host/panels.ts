/**
 * What the Live Data panels' host side sends to their webviews, as the test API reports it:
 * readings of one series as they were delivered, in every host (a webview's page itself can only
 * be read from a browser, see browserBridge.ts).
 */
import type * as vscode from 'vscode';
import type { BifrostTestApi } from '../../extension/main';
import type { SeriesContents } from '../../extension/liveData/seriesStore';
import type { LiveReading, ToWebview } from '../../webview/messages';

/** The readings of series `key` a message carries: its last reading in a snapshot or an added series, or in a delta. */
export function readingsIn(message: ToWebview, key: string): LiveReading[] {
  const snapshots = message.type === 'snapshot' ? message.series : (message.added ?? []);
  const out = snapshots.filter((s) => s.info.key === key && s.last).map((s) => s.last!);
  if (message.type === 'delta') for (const d of message.series) if (d.key === key && d.last) out.push(d.last);
  return out;
}

export interface PanelWatch extends vscode.Disposable {
  /** Readings of series `key` that reached a webview since the watch began, oldest first. */
  delivered(key: string): LiveReading[];
}

/** Keeps what every panel delivers to its webview from now on, until disposed. */
export function watchPanels(api: BifrostTestApi): PanelWatch {
  const messages: ToWebview[] = [];
  const listener = api.liveData.onDidPost(({ message, delivered }) => {
    if (delivered) messages.push(message);
  });
  return {
    delivered: (key) => messages.flatMap((m) => readingsIn(m, key)),
    dispose: () => listener.dispose(),
  };
}

/** The series `key` as a panel's host side holds it (the first panel that has it, most recently focused first). */
export function heldSeries(api: BifrostTestApi, key: string): SeriesContents | undefined {
  for (const panel of api.liveData.contents()) {
    const found = panel.find((s) => s.info.key === key);
    if (found) return found;
  }
  return undefined;
}
