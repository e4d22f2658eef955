import * as vscode from 'vscode';
import type { TreeNode } from '../tree/nodes';
import { TAG_EXPLORER_VIEW } from '../tree/tagTree';
import type { Services } from './services';

const REVEAL_ATTEMPTS = 4;

/**
 * Shows `node` in the Tag Explorer, selected and focused (`again` finds its row anew). From the
 * palette the view may be closed, and a hidden view reveals nothing: it is opened first. A
 * repaint of the tree (a device changing, values arriving) can land between the reveal and the
 * selection and drop it, or make VS Code lose the row's parents while it reveals ("Data tree node
 * not found"): look, and reveal again.
 */
export async function revealRow(s: Services, node: TreeNode, again: () => Promise<TreeNode | undefined>, expand = false): Promise<void> {
  await vscode.commands.executeCommand(`${TAG_EXPLORER_VIEW}.focus`);
  let at = node;
  for (let attempt = 1; ; attempt++) {
    try {
      await s.view.reveal(at, { select: true, focus: true, expand });
    } catch (err) {
      if (attempt >= REVEAL_ATTEMPTS) throw err;
    }
    await new Promise((r) => setTimeout(r, 150));
    if (s.view.selection.some((n) => n.id === at.id) || attempt >= REVEAL_ATTEMPTS) return;
    at = (await again()) ?? at;
  }
}
