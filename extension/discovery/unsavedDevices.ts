import * as vscode from 'vscode';
import type { DeviceInfo } from '../../gateway/protocol';
import type { DeviceEntry } from '../config/newDevice';
import type { DeviceNote, DeviceNoteSource } from '../tree/deviceNotes';

export const UNSAVED_FLAG = 'unsaved';

/**
 * Devices opened from the discovery results to look around in (Browse), not written to
 * bifrost.json: the local gateway runs them beside the file's devices until they are closed,
 * saved, or VS Code closes. ConfigSync sends them with the file's devices; an id the file takes
 * later wins over the unsaved device of that id.
 */
export class UnsavedDevices implements DeviceNoteSource, vscode.Disposable {
  private readonly entries = new Map<string, DeviceEntry>();
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;

  constructor(private readonly gatewayId: string) {}

  get devices(): readonly DeviceEntry[] {
    return [...this.entries.values()];
  }

  get(id: string): DeviceEntry | undefined {
    return this.entries.get(id);
  }

  open(device: DeviceEntry): void {
    this.entries.set(device.id, device);
    this.emitter.fire();
  }

  close(id: string): boolean {
    const had = this.entries.delete(id);
    if (had) this.emitter.fire();
    return had;
  }

  notesFor(gatewayId: string, device: DeviceInfo): DeviceNote[] {
    if (gatewayId !== this.gatewayId || !this.entries.has(device.id)) return [];
    const args = encodeURIComponent(JSON.stringify([device.id]));
    return [
      {
        flag: UNSAVED_FLAG,
        tag: 'not saved',
        tooltip:
          'Opened from the discovery results, not in bifrost.json: it runs until you close it or VS Code closes. ' +
          `[Add to bifrost.json](command:bifrost.addDiscoveredDevice?${args}) keeps it; [Close](command:bifrost.closeUnsavedDevice?${args}) stops it.`,
        commands: ['bifrost.addDiscoveredDevice', 'bifrost.closeUnsavedDevice'],
      },
    ];
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
