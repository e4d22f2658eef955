import * as vscode from 'vscode';
import { DeviceInfo, DevicesList, TagInfo } from '../../gateway/protocol';
import type { Ctx } from './ctx';

/**
 * What the gateway says about its devices: the list from `bifrost/devices/list` (fetched again on
 * every `bifrost/devicesChanged` and after every gateway start) with statuses kept current by
 * `bifrost/deviceStatus`. The tree, the status bar and the pickers read from here.
 */
export class DeviceStore implements vscode.Disposable {
  private list: DeviceInfo[] = [];
  private byId = new Map<string, DeviceInfo>();
  /** Only the answer to the newest list request is applied. */
  private requestSeq = 0;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly listEmitter = new vscode.EventEmitter<void>();
  private readonly statusEmitter = new vscode.EventEmitter<DeviceInfo>();

  /** The set of devices or their tags changed. */
  readonly onDidChangeDevices = this.listEmitter.event;
  /** One device's status (or last error) changed. */
  readonly onDidChangeStatus = this.statusEmitter.event;

  constructor(private readonly ctx: Ctx) {
    this.disposables.push(
      this.listEmitter,
      this.statusEmitter,
      ctx.onDevicesChanged(() => void this.refresh()),
      ctx.onDidChangeState((state) => {
        if (state === 'running') void this.refresh();
        else if (state === 'stopped') this.apply([]);
      }),
      ctx.onDeviceStatus((n) => {
        const d = this.byId.get(n.id);
        if (!d || (d.status === n.status && d.lastError === n.lastError)) return;
        d.status = n.status;
        d.lastError = n.lastError;
        this.statusEmitter.fire(d);
      }),
    );
  }

  get devices(): readonly DeviceInfo[] {
    return this.list;
  }

  device(id: string): DeviceInfo | undefined {
    return this.byId.get(id);
  }

  tag(deviceId: string, tagName: string): TagInfo | undefined {
    return this.byId.get(deviceId)?.tags.find((t) => t.name === tagName);
  }

  /** Fetches the list again; also the way to get fresh statistics. Failures are logged, not thrown. */
  async refresh(): Promise<void> {
    const seq = ++this.requestSeq;
    try {
      const { devices } = await this.ctx.request(DevicesList);
      if (seq === this.requestSeq) this.apply(devices);
    } catch (err) {
      if (seq === this.requestSeq) this.ctx.log.debug(`client: listing devices failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private apply(devices: DeviceInfo[]): void {
    const structureChanged = !sameStructure(this.list, devices);
    const statusChanged = devices.filter((d) => {
      const before = this.byId.get(d.id);
      return before && (before.status !== d.status || before.lastError !== d.lastError);
    });
    this.list = devices;
    this.byId = new Map(devices.map((d) => [d.id, d]));
    if (structureChanged) this.listEmitter.fire();
    else statusChanged.forEach((d) => this.statusEmitter.fire(d));
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}

/** Same devices with the same tags in the same order (statistics and statuses aside). */
function sameStructure(a: readonly DeviceInfo[], b: readonly DeviceInfo[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((d, i) => {
    const e = b[i];
    return (
      d.id === e.id &&
      d.name === e.name &&
      d.endpoint === e.endpoint &&
      d.pollIntervalMs === e.pollIntervalMs &&
      d.allowWrites === e.allowWrites &&
      JSON.stringify(d.tags) === JSON.stringify(e.tags)
    );
  });
}
