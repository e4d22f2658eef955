import * as vscode from 'vscode';
import type { RemoteGateway } from '../client/remoteGateways';
import { describeState } from '../client/remoteClient';
import type { GatewayNode } from './nodes';

/** A remote gateway's row: its name and its connection state as it is, never rosier; its devices below it while it has a client. */
export function remoteGatewayItem(node: GatewayNode, remote: RemoteGateway, holdsDevices: boolean): vscode.TreeItem {
  const item = new vscode.TreeItem(remote.label, holdsDevices ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
  item.id = node.id;
  item.contextValue = 'remoteGateway';
  const s = remote.state;
  const text = s.kind === 'noToken' ? 'no token: run Connect to Gateway… again' : describeState(s);
  item.description = s.kind === 'unreachable' ? 'unreachable' : s.kind === 'certificateChanged' ? 'CERTIFICATE CHANGED' : s.kind === 'refused' ? 'token refused' : text;
  item.tooltip = `${remote.entry.url}\n${text}`;
  item.iconPath = new vscode.ThemeIcon(
    s.kind === 'connected' ? 'remote' : s.kind === 'connecting' ? 'loading~spin' : 'error',
    s.kind === 'connected' || s.kind === 'connecting' ? undefined : new vscode.ThemeColor('errorForeground'),
  );
  return item;
}
