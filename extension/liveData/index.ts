import * as vscode from 'vscode';
import type { ChartTag, LiveValueSources } from '../client/liveValues';
import type { HistorySource } from './history';
import { LiveDataPanel, type PostedMessage, webviewRoot } from './liveDataPanel';
import type { SeriesContents } from './seriesStore';
import { restoreTags } from './panelTags';

export const LIVE_DATA_VIEW_TYPE = 'bifrost.liveData';

const PANEL_TITLE = 'Live Data';

/**
 * All open Live Data panels. Panels come back after a window reload with their tags: the
 * webview saves its tag list in its state, and the serializer registered here reads it back.
 * Restoring needs the activation event `onWebviewPanel:bifrost.liveData` in package.json.
 */
export class LiveDataPanels implements vscode.Disposable {
  private readonly panels = new Set<LiveDataPanel>();
  /** Most recently focused first. */
  private focusOrder: LiveDataPanel[] = [];
  private readonly registration: vscode.Disposable;
  private readonly postEmitter = new vscode.EventEmitter<PostedMessage>();

  /** Every message any panel posted to its webview, with whether it was delivered (tests and diagnostics). */
  readonly onDidPost = this.postEmitter.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly sources: LiveValueSources,
    private readonly log: vscode.LogOutputChannel,
    private readonly history?: HistorySource,
  ) {
    this.registration = vscode.window.registerWebviewPanelSerializer(LIVE_DATA_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state: unknown) => {
        const { tags, problems } = restoreTags(state);
        for (const problem of problems) this.log.warn(`Live Data: ${problem}`);
        this.track(new LiveDataPanel(panel, this.context.extensionUri, this.sources, this.log, tags, this.history));
      },
    });
  }

  /** Adds tags to the most recently focused panel, opening a panel if none is open. */
  add(tags: ChartTag[]): void {
    if (tags.length === 0) return;
    const target = this.focusOrder[0];
    if (!target) {
      this.create(tags);
      return;
    }
    target.add(tags);
    target.reveal();
  }

  /** Opens a new, empty panel. */
  openNew(): void {
    this.create([]);
  }

  /** What each open panel holds, most recently focused first (tests and diagnostics). */
  contents(): SeriesContents[][] {
    return this.focusOrder.map((p) => p.contents());
  }

  dispose(): void {
    this.registration.dispose();
    for (const panel of [...this.panels]) panel.dispose();
    this.postEmitter.dispose();
  }

  private create(tags: ChartTag[]): LiveDataPanel {
    const panel = vscode.window.createWebviewPanel(LIVE_DATA_VIEW_TYPE, PANEL_TITLE, vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [webviewRoot(this.context.extensionUri)],
    });
    return this.track(new LiveDataPanel(panel, this.context.extensionUri, this.sources, this.log, tags, this.history));
  }

  private track(panel: LiveDataPanel): LiveDataPanel {
    this.panels.add(panel);
    this.focusOrder.unshift(panel);
    panel.onDidPost((posted) => this.postEmitter.fire(posted));
    panel.onDidFocus(() => {
      this.focusOrder = [panel, ...this.focusOrder.filter((p) => p !== panel)];
    });
    panel.onDidDispose(() => {
      this.panels.delete(panel);
      this.focusOrder = this.focusOrder.filter((p) => p !== panel);
    });
    return panel;
  }
}
