import * as vscode from 'vscode';
import type { Services } from './services';
import { addressOf } from './targets';

/** A tag's canonical address, a device's endpoint, or a folder's ref, to the clipboard. */
export const copyAddress = (s: Services) => async (arg?: unknown) => {
  const text = await addressOf(s.gateways, arg, 'Copy the Address of a Tag');
  await vscode.env.clipboard.writeText(text);
  void vscode.window.setStatusBarMessage(`Copied ${text}`, 3000);
};
