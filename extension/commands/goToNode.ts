import * as vscode from 'vscode';
import { TAG_EXPLORER_VIEW } from '../tree/tagTree';
import type { Services } from './services';
import { addressSpaceDevice, askNode } from './nodeTargets';

/**
 * Go to Node…: a NodeId or a browse path, found by the gateway, then shown in the Tag Explorer
 * with its ancestors expanded and the row selected.
 */
export const goToNode = (s: Services) => async (arg?: unknown) => {
  const target = await addressSpaceDevice(s.gateways, arg, 'Go to Node');
  const { device, gateway } = target;
  const { item, ancestors, path } = await askNode(s, target, `Go to Node on ${device.name}`);
  const found = await s.tree.nodeAt(gateway.id, device.id, ancestors, item.ref);
  if (!found.node) {
    const name = item.displayName ?? item.name;
    throw new Error(
      `${device.id}: ${path} is ${item.ref} (${name}), but the Tag Explorer does not list ${found.missing === item.ref ? 'it' : found.missing} ` +
        'where the server says it is (the tree shows hierarchical references from Objects only). Refresh and try again if the address space changed.',
    );
  }
  // From the palette the view may be closed: a hidden view reveals nothing.
  await vscode.commands.executeCommand(`${TAG_EXPLORER_VIEW}.focus`);
  let node = found.node;
  // A repaint of the tree (a device changing, values arriving) can land between the reveal and
  // the selection and drop it: look, and reveal again.
  for (let attempt = 0; attempt < REVEAL_ATTEMPTS; attempt++) {
    await s.view.reveal(node, { select: true, focus: true, expand: false });
    await new Promise((r) => setTimeout(r, 150));
    if (s.view.selection.some((n) => n.id === node.id)) return;
    node = (await s.tree.nodeAt(gateway.id, device.id, ancestors, item.ref)).node ?? node;
  }
};

const REVEAL_ATTEMPTS = 4;
