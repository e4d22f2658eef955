import * as vscode from 'vscode';
import type { DiscoveredItem, DiscoveredNotification, DiscoveryProgressNotification } from '../../gateway/protocol';

const PROGRESS_REPAINT_MS = 500;

/** A device a scan found, under a key that is the same each time it is found again. */
export interface Discovery {
  readonly key: string;
  readonly item: DiscoveredItem;
}

export function discoveryKey(item: DiscoveredItem): string {
  if (item.protocol === 'opcua') return JSON.stringify([item.protocol, item.applicationUri, item.endpointUrl]);
  if (item.protocol === 'modbus-rtu') return JSON.stringify([item.protocol, item.serialPath, item.unitId]);
  return JSON.stringify([item.protocol, item.host, item.port, item.unitId]);
}

/**
 * What the local gateway's scans found, newest scan's results merged into earlier ones (a device
 * found again is updated in place), and whether a scan runs: the Tag Explorer's "Discovered" row.
 */
export class Discoveries implements vscode.Disposable {
  private readonly found = new Map<string, Discovery>();
  private readonly emitter = new vscode.EventEmitter<void>();
  private scan: { id: string; done: number; total: number } | null = null;
  private progressShownAt = 0;
  private repaintTimer: ReturnType<typeof setTimeout> | undefined;
  readonly onDidChange = this.emitter.event;

  get all(): readonly Discovery[] {
    return [...this.found.values()];
  }

  get running(): { done: number; total: number } | null {
    return this.scan;
  }

  /** A scan begins: its notifications are taken from now on. */
  begin(discoveryId: string): void {
    this.scan = { id: discoveryId, done: 0, total: 0 };
    this.emitter.fire();
  }

  end(discoveryId: string): void {
    if (this.scan?.id !== discoveryId) return;
    this.scan = null;
    this.emitter.fire();
  }

  take(n: DiscoveredNotification): void {
    if (this.scan?.id !== n.discoveryId) return;
    for (const item of n.items) {
      const key = discoveryKey(item);
      this.found.set(key, { key, item });
    }
    this.emitter.fire();
  }

  progress(n: DiscoveryProgressNotification): void {
    if (this.scan?.id !== n.discoveryId) return;
    this.scan = { id: n.discoveryId, done: n.done, total: n.total };
    // The row's count, twice a second at most (each change repaints the tree's top rows), the
    // latest shown once a quiet spell ends.
    const wait = PROGRESS_REPAINT_MS - (Date.now() - this.progressShownAt);
    if (wait > 0 && n.done < n.total) {
      this.repaintTimer ??= setTimeout(() => {
        this.repaintTimer = undefined;
        this.progressShownAt = Date.now();
        this.emitter.fire();
      }, wait);
      return;
    }
    this.progressShownAt = Date.now();
    this.emitter.fire();
  }

  get(key: string): Discovery | undefined {
    return this.found.get(key);
  }

  clear(): void {
    this.found.clear();
    this.emitter.fire();
  }

  dispose(): void {
    if (this.repaintTimer !== undefined) clearTimeout(this.repaintTimer);
    this.emitter.dispose();
  }
}
