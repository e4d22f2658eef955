import type * as vscode from 'vscode';
import type { DeviceInfo } from '../../gateway/protocol';

/**
 * What other parts of the extension know about a device beyond what its gateway says (no password
 * to send, a server certificate waiting for a decision, our certificate refused by the server):
 * a device row shows it, and its context menu offers what fixes it. One source per concern.
 */
export interface DeviceNote {
  /** Appended to the row's context value (`device.password`), for package.json's menus. */
  readonly flag: string;
  /** The row's description while the device is not connected. */
  readonly description?: string;
  /** Shown first in the row's description whatever the device's state (`not saved`). */
  readonly tag?: string;
  /** Markdown for the tooltip; may link the commands in `commands`. */
  readonly tooltip: string;
  /** Commands the tooltip links to (`command:` URIs are enabled for these only). */
  readonly commands?: readonly string[];
}

export interface DeviceNoteSource {
  notesFor(gatewayId: string, device: DeviceInfo): DeviceNote[];
  readonly onDidChange: vscode.Event<void>;
}
