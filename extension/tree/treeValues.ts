import * as vscode from 'vscode';
import type { TagReading } from '../../gateway/protocol';
import type { LiveValueSource } from '../client/liveValues';
import { valueKey } from './nodes';

/** The tags the tree shows on one device: rows whose parents are all expanded. */
export interface ShownTags {
  readonly gateway: { readonly id: string; readonly values: LiveValueSource };
  readonly deviceId: string;
  readonly refs: readonly string[];
}

/**
 * The Tag Explorer's live values: while the view is visible, one subscription per device for the
 * tags it shows, at the device's own interval; none while it is hidden. The values themselves
 * stay in the gateway's value hub (the one cache); this only says which rows to repaint.
 */
export class TreeValues implements vscode.Disposable {
  private shown: readonly ShownTags[] = [];
  private readonly subscriptions = new Map<string, { signature: string; handle: vscode.Disposable }>();
  private visible = false;
  private readonly emitter = new vscode.EventEmitter<string[]>();

  /** Value keys (see valueKey) of rows whose reading changed. */
  readonly onDidChange = this.emitter.event;

  setVisible(visible: boolean): void {
    if (visible === this.visible) return;
    this.visible = visible;
    this.sync();
  }

  /** What the tree shows now. */
  show(shown: readonly ShownTags[]): void {
    this.shown = shown;
    this.sync();
  }

  private sync(): void {
    const wanted = new Map<string, ShownTags & { signature: string }>();
    if (this.visible) {
      for (const s of this.shown) {
        if (s.refs.length === 0) continue;
        wanted.set(JSON.stringify([s.gateway.id, s.deviceId]), { ...s, signature: s.refs.join('\u0000') });
      }
    }
    for (const [key, w] of wanted) {
      const had = this.subscriptions.get(key);
      if (had?.signature === w.signature) continue;
      const { id } = w.gateway;
      const handle = w.gateway.values.subscribe(w.deviceId, [...w.refs], undefined, (items: TagReading[]) =>
        this.emitter.fire(items.map((r) => valueKey(id, w.deviceId, r.tag))),
      );
      this.subscriptions.set(key, { signature: w.signature, handle });
      // After the new one: the tags both want never stop being wanted.
      had?.handle.dispose();
    }
    for (const [key, s] of this.subscriptions) {
      if (wanted.has(key)) continue;
      s.handle.dispose();
      this.subscriptions.delete(key);
    }
  }

  dispose(): void {
    this.subscriptions.forEach((s) => s.handle.dispose());
    this.subscriptions.clear();
    this.emitter.dispose();
  }
}
