import * as vscode from 'vscode';
import type { TagReading } from '../../gateway/protocol';
import type { FromWebview, LiveReading, PanelTag, ToWebview } from '../../webview/messages';
import { userMessage } from '../client/errors';
import type { LiveValueSources } from '../client/liveValues';
import type { HistorySource } from './history';
import { makeNonce, renderLiveDataPage } from './html';
import { seriesInfoOf, seriesKey } from './panelTags';
import type { SeriesInfo } from '../../webview/messages';
import { type SeriesContents, SeriesStore } from './seriesStore';

/** History kept per series: the longest time window the chart offers. */
export const RETENTION_MS = 10 * 60_000;
/** Points per series: 10 minutes at 20 readings per second. A faster tag keeps less history. */
export const MAX_POINTS_PER_SERIES = 12_000;
/** Deltas to a visible panel are batched at most this often. */
const DELTA_INTERVAL_MS = 75;

/** A message a panel posted to its webview, and whether VS Code delivered it. */
export interface PostedMessage {
  readonly message: ToWebview;
  readonly delivered: boolean;
}

export function webviewRoot(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
}

/**
 * One Live Data panel. It owns the panel's data (the webview only shows it) and one value
 * subscription per device, disposed with the panel. A hidden panel gets no messages; the data
 * keeps buffering, and the panel gets one snapshot when it is shown again, then deltas.
 */
export class LiveDataPanel implements vscode.Disposable {
  private readonly store = new SeriesStore({ retentionMs: RETENTION_MS, maxPoints: MAX_POINTS_PER_SERIES });
  private readonly subscriptions = new Map<string, vscode.Disposable>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  private readonly focusEmitter = new vscode.EventEmitter<void>();
  private readonly postEmitter = new vscode.EventEmitter<PostedMessage>();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;

  /** Fires once, when the panel is closed. */
  readonly onDidDispose = this.disposeEmitter.event;
  /** Fires when the panel becomes the active one. */
  readonly onDidFocus = this.focusEmitter.event;
  /** Fires for every message posted to the webview, once VS Code says whether it was delivered (tests and diagnostics). */
  readonly onDidPost = this.postEmitter.event;

  constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly sources: LiveValueSources,
    private readonly log: vscode.LogOutputChannel,
    tags: readonly PanelTag[],
    /** Where a new series' chart is backfilled from, for tags whose node keeps history. */
    private readonly history?: HistorySource,
  ) {
    const root = webviewRoot(extensionUri);
    const webview = panel.webview;
    webview.options = { enableScripts: true, localResourceRoots: [root] };
    webview.html = renderLiveDataPage({
      cspSource: webview.cspSource,
      nonce: makeNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'livedata.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'livedata.css')).toString(),
      codiconUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'codicon.css')).toString(),
    });
    this.disposables.push(
      this.disposeEmitter,
      this.focusEmitter,
      this.postEmitter,
      panel.onDidDispose(() => this.dispose()),
      panel.onDidChangeViewState(() => this.viewStateChanged()),
      webview.onDidReceiveMessage((m: unknown) => this.received(m)),
    );
    this.add(tags);
  }

  /**
   * Adds the tags not already in the panel; returns how many were added. A tag already there
   * without a kind of its own (restored from an old state) takes the kind it comes with now.
   */
  add(tags: readonly PanelTag[]): number {
    const devices = new Map<string, DeviceAt>();
    let added = 0;
    let described = false;
    for (const tag of tags) {
      const info = seriesInfoOf(tag);
      if (!this.store.add(info)) {
        if (this.store.describe(info)) described = true;
        continue;
      }
      devices.set(deviceKey(tag), { gatewayId: tag.gatewayId, deviceId: tag.deviceId });
      added++;
      void this.fillFromHistory(info);
    }
    for (const at of devices.values()) this.resubscribe(at);
    if (added > 0 || described) this.scheduleFlush();
    return added;
  }

  /**
   * Backfills a new series from the server's history, over the longest window the chart shows,
   * while live values already flow. A failure is logged and marked on the series' row, nothing
   * more: it never holds up live values.
   */
  private async fillFromHistory(info: SeriesInfo): Promise<void> {
    if (!this.history) return;
    const end = Date.now();
    const start = end - RETENTION_MS;
    let readings: TagReading[] | undefined;
    try {
      readings = await this.history.backfill(info, start, end, MAX_POINTS_PER_SERIES);
    } catch (err) {
      if (this.disposed || !this.store.has(info.key)) return;
      const error = userMessage(err);
      this.log.warn(`Live Data: the history of ${info.deviceId}/${info.tag} could not be read: ${error}`);
      this.store.backfill(info.key, [], { state: 'failed', error });
      this.sendSnapshot();
      return;
    }
    if (!readings || this.disposed || !this.store.has(info.key)) return;
    const live = readings.map((r): LiveReading => ({ value: r.value, quality: r.quality, timestamp: r.timestamp, ...(r.error !== undefined ? { error: r.error } : {}) }));
    const added = this.store.backfill(info.key, live, { state: 'filled', points: readings.length, from: start, to: end });
    this.log.debug(`Live Data: ${info.deviceId}/${info.tag}: ${readings.length} value(s) of history, ${added} charted before the live values`);
    this.sendSnapshot();
  }

  /** The series and their last readings, as the panel holds them. */
  contents(): SeriesContents[] {
    return this.store.contents();
  }

  reveal(): void {
    this.panel.reveal(undefined, true);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    for (const sub of this.subscriptions.values()) sub.dispose();
    this.subscriptions.clear();
    this.disposeEmitter.fire();
    this.panel.dispose();
    for (const d of this.disposables) d.dispose();
  }

  private remove(key: string): void {
    const info = this.store.list().find((s) => s.key === key);
    if (!info || !this.store.remove(key)) return;
    this.resubscribe(info);
    this.scheduleFlush();
  }

  /** One subscription per device (of one gateway), made again whenever the device's tag list changes. */
  private resubscribe(at: DeviceAt): void {
    const { gatewayId, deviceId } = at;
    const key = deviceKey(at);
    this.subscriptions.get(key)?.dispose();
    this.subscriptions.delete(key);
    const tags = this.store.list().filter((s) => deviceKey(s) === key).map((s) => s.tag);
    if (tags.length === 0 || this.disposed) return;
    try {
      this.subscriptions.set(key, this.sources(gatewayId).subscribe(deviceId, tags, undefined, (items) => this.valuesArrived(at, items)));
    } catch (err) {
      // Show why on every affected row rather than leaving them silently empty.
      const error = `Could not subscribe to device "${deviceId}": ${err instanceof Error ? err.message : String(err)}`;
      this.log.error(error);
      const timestamp = Date.now();
      for (const tag of tags) this.store.ingest(seriesKey(deviceId, tag, gatewayId), { value: null, quality: 'bad', timestamp, error });
      this.scheduleFlush();
    }
  }

  private valuesArrived({ gatewayId, deviceId }: DeviceAt, items: TagReading[]): void {
    if (this.disposed) return;
    for (const item of items) {
      const key = seriesKey(deviceId, item.tag, gatewayId);
      if (!this.store.has(key)) {
        // Removed a moment ago, or reported under another name than the one asked for.
        this.log.trace(`Live Data: reading for ${deviceId}/${item.tag}, which the panel does not show.`);
        continue;
      }
      const reading: LiveReading = { value: item.value, quality: item.quality, timestamp: item.timestamp };
      if (item.error !== undefined) reading.error = item.error;
      this.store.ingest(key, reading);
    }
    this.scheduleFlush();
  }

  private viewStateChanged(): void {
    if (this.panel.active) this.focusEmitter.fire();
    if (this.panel.visible) {
      if (!this.store.recording) this.sendSnapshot();
    } else {
      this.store.recording = false;
      if (this.flushTimer) clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
  }

  private received(message: unknown): void {
    if (!isFromWebview(message)) {
      this.log.warn(`Live Data: ignored a malformed message from the panel: ${JSON.stringify(message)?.slice(0, 200)}`);
      return;
    }
    switch (message.type) {
      case 'ready':
        this.sendSnapshot();
        break;
      case 'removeSeries':
        this.remove(message.key);
        break;
      case 'resetMinMax':
        this.store.resetRanges();
        this.scheduleFlush();
        break;
      case 'clearChart':
        this.store.clearHistory();
        this.sendSnapshot();
        break;
    }
  }

  private sendSnapshot(): void {
    if (this.disposed || !this.panel.visible) return;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.store.recording = true;
    const now = Date.now();
    this.post({ type: 'snapshot', now, retentionMs: RETENTION_MS, series: this.store.snapshot(now) });
  }

  private scheduleFlush(): void {
    if (this.flushTimer || !this.store.recording || this.disposed) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      const delta = this.store.takeDelta();
      if (!delta) return;
      const message: ToWebview = { type: 'delta', now: Date.now(), series: delta.series };
      if (delta.removed.length > 0) message.removed = delta.removed;
      if (delta.added.length > 0) message.added = delta.added;
      this.post(message);
    }, DELTA_INTERVAL_MS);
  }

  private post(message: ToWebview): void {
    this.panel.webview.postMessage(message).then(
      (delivered) => {
        this.postEmitter.fire({ message, delivered });
        // Not delivered: the page is (re)loading; it asks for a snapshot once it is ready.
        if (!delivered) this.log.trace(`Live Data: a ${message.type} message was not delivered.`);
      },
      (err: unknown) => this.log.warn(`Live Data: could not post to the panel: ${String(err)}`),
    );
  }
}

/** A device on a gateway (undefined: the local one). */
interface DeviceAt {
  readonly gatewayId?: string | undefined;
  readonly deviceId: string;
}

function deviceKey(at: DeviceAt): string {
  return JSON.stringify([at.gatewayId ?? '', at.deviceId]);
}

function isFromWebview(m: unknown): m is FromWebview {
  if (typeof m !== 'object' || m === null) return false;
  const type = (m as { type?: unknown }).type;
  switch (type) {
    case 'ready':
    case 'resetMinMax':
    case 'clearChart':
      return true;
    case 'removeSeries':
      return typeof (m as { key?: unknown }).key === 'string';
    default:
      return false;
  }
}
