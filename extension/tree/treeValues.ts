import * as vscode from 'vscode';
import type { TagReading } from '../../gateway/protocol';
import type { DeviceStore } from '../client/deviceStore';
import type { LiveValueSource } from '../client/liveValues';

/** The key of one tag's value: device id and tag name. */
export function tagKey(deviceId: string, tag: string): string {
  return `${deviceId}\u0000${tag}`;
}

/**
 * The Tag Explorer's live values: while the view is visible, one subscription per device for all
 * of its tags at the device's poll interval; none while it is hidden. Changes are reported as tag
 * keys; the tree batches them before repainting.
 */
export class TreeValues implements vscode.Disposable {
  private readonly readings = new Map<string, TagReading>();
  /** Per device: what it is subscribed to, to make a new subscription only when that changes. */
  private readonly subscriptions = new Map<string, { signature: string; handle: vscode.Disposable }>();
  private visible = false;
  private readonly emitter = new vscode.EventEmitter<string[]>();
  private readonly listener: vscode.Disposable;

  readonly onDidChange = this.emitter.event;

  constructor(
    private readonly source: LiveValueSource,
    private readonly store: DeviceStore,
  ) {
    this.listener = store.onDidChangeDevices(() => this.sync());
  }

  reading(deviceId: string, tag: string): TagReading | undefined {
    return this.readings.get(tagKey(deviceId, tag));
  }

  setVisible(visible: boolean): void {
    if (visible === this.visible) return;
    this.visible = visible;
    this.sync();
  }

  /** Fresh readings from a Read command count as values too. */
  apply(deviceId: string, items: TagReading[]): void {
    const changed: string[] = [];
    for (const r of items) {
      const key = tagKey(deviceId, r.tag);
      const before = this.readings.get(key);
      this.readings.set(key, r);
      if (!before || before.value !== r.value || before.quality !== r.quality || before.error !== r.error) changed.push(key);
    }
    if (changed.length > 0) this.emitter.fire(changed);
  }

  private sync(): void {
    const wanted = new Map<string, { signature: string; tags: string[]; interval: number }>();
    if (this.visible) {
      for (const d of this.store.devices) {
        if (d.tags.length === 0) continue;
        const tags = d.tags.map((t) => t.name);
        wanted.set(d.id, { signature: `${d.pollIntervalMs}\u0000${tags.join('\u0000')}`, tags, interval: d.pollIntervalMs });
      }
    }
    for (const [id, sub] of this.subscriptions) {
      if (wanted.get(id)?.signature === sub.signature) continue;
      sub.handle.dispose();
      this.subscriptions.delete(id);
    }
    for (const [id, w] of wanted) {
      if (this.subscriptions.has(id)) continue;
      const handle = this.source.subscribe(id, w.tags, w.interval, (items) => this.apply(id, items));
      this.subscriptions.set(id, { signature: w.signature, handle });
    }
    // Forget values of devices that are gone, so a device that comes back starts clean.
    const known = new Set(this.store.devices.map((d) => d.id));
    for (const key of this.readings.keys()) {
      if (!known.has(key.slice(0, key.indexOf('\u0000')))) this.readings.delete(key);
    }
  }

  dispose(): void {
    this.subscriptions.forEach((s) => s.handle.dispose());
    this.subscriptions.clear();
    this.listener.dispose();
    this.emitter.dispose();
  }
}
