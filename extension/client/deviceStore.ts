import * as vscode from 'vscode';
import { DeviceInfo, DevicesList } from '../../gateway/protocol';
import type { GatewayLink } from './link';

/** Which devices came, went or changed what they hold (name, settings, tags). */
export interface DevicesChange {
  /** Ids of the devices added, removed or changed. */
  readonly changed: readonly string[];
}

/**
 * What a gateway says about its devices: the list from `bifrost/devices/list` (fetched again on
 * every `bifrost/devicesChanged` and after every gateway start) with statuses kept current by
 * `bifrost/deviceStatus`. The tree, the status bar and the pickers read from here.
 */
export class DeviceStore implements vscode.Disposable {
  private list: DeviceInfo[] = [];
  private byId = new Map<string, DeviceInfo>();
  /** Only the answer to the newest list request is applied. */
  private requestSeq = 0;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly listEmitter = new vscode.EventEmitter<DevicesChange>();
  private readonly statusEmitter = new vscode.EventEmitter<DeviceInfo>();

  /** The set of devices, their order, or what one of them holds changed. */
  readonly onDidChangeDevices = this.listEmitter.event;
  /** One device's status (or last error) changed. */
  readonly onDidChangeStatus = this.statusEmitter.event;

  constructor(private readonly ctx: GatewayLink) {
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
    const before = this.byId;
    const after = new Map(devices.map((d) => [d.id, d]));
    const changed = [...new Set([...before.keys(), ...after.keys()])].filter((id) => {
      const a = before.get(id);
      const b = after.get(id);
      return !a || !b || !sameStructure(a, b);
    });
    const reordered = changed.length === 0 && this.list.some((d, i) => devices[i]?.id !== d.id);
    const statusChanged = devices.filter((d) => {
      const old = before.get(d.id);
      return old && (old.status !== d.status || old.lastError !== d.lastError);
    });
    this.list = devices;
    this.byId = after;
    if (changed.length > 0 || reordered) this.listEmitter.fire({ changed });
    else statusChanged.forEach((d) => this.statusEmitter.fire(d));
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}

/** The same device holding the same things (statistics and status aside). */
function sameStructure(a: DeviceInfo, b: DeviceInfo): boolean {
  return (
    a.name === b.name &&
    a.protocol === b.protocol &&
    a.endpoint === b.endpoint &&
    a.enabled === b.enabled &&
    a.source === b.source &&
    a.pollIntervalMs === b.pollIntervalMs &&
    a.allowWrites === b.allowWrites &&
    JSON.stringify(a.tags) === JSON.stringify(b.tags)
  );
}
