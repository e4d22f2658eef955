import * as vscode from 'vscode';
import type { Gateway } from '../client/gateway';
import { webviewRoot } from '../liveData/liveDataPanel';
import type { InspectorDevice } from '../../webview/inspectorMessages';
import { type AddTag, InspectorPanel, type PostedInspectorMessage } from './inspectorPanel';

export const INSPECTOR_VIEW_TYPE = 'bifrost.inspector';

/** The open register inspectors: one per device, opened again where it is. */
export class InspectorPanels implements vscode.Disposable {
  private readonly panels = new Map<string, InspectorPanel>();
  private readonly postEmitter = new vscode.EventEmitter<PostedInspectorMessage>();

  /** Every message any inspector posted to its webview, with whether it was delivered (tests and diagnostics). */
  readonly onDidPost = this.postEmitter.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** Shows the device's inspector, opening one if it has none. */
  open(gateway: Gateway, device: InspectorDevice, addTag: AddTag): InspectorPanel {
    const key = keyOf(gateway.id, device.id);
    const open = this.panels.get(key);
    if (open) {
      open.reveal();
      return open;
    }
    const panel = vscode.window.createWebviewPanel(INSPECTOR_VIEW_TYPE, `Registers: ${device.name}`, vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [webviewRoot(this.context.extensionUri)],
    });
    const inspector = new InspectorPanel(panel, this.context.extensionUri, gateway, device, this.log, addTag);
    this.panels.set(key, inspector);
    inspector.onDidPost((posted) => this.postEmitter.fire(posted));
    inspector.onDidDispose(() => this.panels.delete(key));
    return inspector;
  }

  /** The device's open inspector (tests and diagnostics). */
  find(gatewayId: string, deviceId: string): InspectorPanel | undefined {
    return this.panels.get(keyOf(gatewayId, deviceId));
  }

  dispose(): void {
    for (const panel of [...this.panels.values()]) panel.dispose();
    this.postEmitter.dispose();
  }
}

function keyOf(gatewayId: string, deviceId: string): string {
  return JSON.stringify([gatewayId, deviceId]);
}
