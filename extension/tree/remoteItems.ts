import * as vscode from 'vscode';
import type { RemoteGateway } from '../client/remoteGateways';
import { describeState } from '../client/remoteClient';
import type { GatewayNode } from './nodes';

const PREFIX = 'remote:';

/** Tree ids of remote gateways: by URL, apart from the local one's. */
export function remoteGatewayId(url: string): string {
  return PREFIX + url;
}

/** The URL of a remote gateway's tree id, or undefined for the local gateway's. */
export function remoteUrlOf(gatewayId: string): string | undefined {
  return isRemoteGatewayId(gatewayId) ? gatewayId.slice(PREFIX.length) : undefined;
}

export function isRemoteGatewayId(gatewayId: string): boolean {
  return gatewayId.startsWith(PREFIX);
}

/** A remote gateway's row: its name and its connection state as it is, never rosier. */
export function remoteGatewayItem(node: GatewayNode, remote: RemoteGateway): vscode.TreeItem {
  const item = new vscode.TreeItem(remote.label, vscode.TreeItemCollapsibleState.None);
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
