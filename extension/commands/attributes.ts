import * as vscode from 'vscode';
import { ATTRIBUTES_SCHEME } from '../nodes/attributesDocuments';
import { oneNode } from './nodeTargets';
import type { Services } from './services';

/** Attributes: every attribute of the clicked node (or of one asked for), in a read-only document. */
export const showAttributes = (s: Services) => async (arg?: unknown) => {
  const { gateway, device, ref, item } = await oneNode(s, arg, 'Attributes of a Node');
  await s.attributes.open({ gatewayId: gateway.id, deviceId: device.id, ref, label: item.displayName ?? item.name });
};

/** Refresh of an Attributes document: the active one, or the one whose title button was clicked. */
export const refreshAttributes = (s: Services) => async (arg?: unknown) => {
  const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
  if (!uri || uri.scheme !== ATTRIBUTES_SCHEME) throw new Error('Open the Attributes of a node first (right-click a node in the Tag Explorer).');
  await s.attributes.refresh(uri);
};
