import * as vscode from 'vscode';
import type { DeviceInfo } from '../../gateway/protocol';
import type { Gateway } from '../client/gateway';
import { appendTagEdits, tagsInFile, type PinnedTag, type RegisterTag } from '../config/tagEdits';
import { configUri, exists } from './configFile';
import type { Services } from './services';

/**
 * Adding a tag to a device's entry in bifrost.json, for the commands that make tags (Pin to
 * bifrost.json, the register inspector's Add as Tag): which devices can have one, which names are
 * taken, and the edit, applied in place and saved so the gateway loads it.
 */

/** Why tags cannot be added to the device from here; undefined when they can. */
export function tagRefusal(s: Services, gateway: Gateway, device: DeviceInfo): string | undefined {
  if (gateway !== s.gateways.local) return `${device.name} runs on ${gateway.name}, whose devices are not in this workspace's bifrost.json: add tags there.`;
  if (device.source !== 'config') {
    return `${device.name} is part of the demo plant, not of bifrost.json: only devices of bifrost.json can have tags added. Add the device with "Bifrost: Add Device…" first.`;
  }
  return undefined;
}

/** bifrost.json opened as a document, and the device's tags in it as they are now. */
export async function configDocument(s: Services, device: DeviceInfo): Promise<{ uri: vscode.Uri; doc: vscode.TextDocument; inFile: ReturnType<typeof tagsInFile>; taken: string[] }> {
  const uri = configUri(s);
  if (!(await exists(uri))) throw new Error(`${uri.fsPath} does not exist any more: the device cannot be edited.`);
  const doc = await vscode.workspace.openTextDocument(uri);
  const inFile = tagsInFile(doc.getText(), device.id);
  const taken = [...new Set([...inFile.flatMap((t) => (t.name ? [t.name] : [])), ...device.tags.map((t) => t.name)])];
  return { uri, doc, inFile, taken };
}

/** Appends `tag` to the device in the document as it is now (a box may have been open meanwhile) and saves it. */
export async function appendTag(uri: vscode.Uri, doc: vscode.TextDocument, deviceId: string, tag: PinnedTag | RegisterTag): Promise<void> {
  const text = doc.getText();
  const edit = new vscode.WorkspaceEdit();
  for (const e of appendTagEdits(text, deviceId, tag)) {
    edit.replace(uri, new vscode.Range(doc.positionAt(e.offset), doc.positionAt(e.offset + e.length)), e.content);
  }
  if (!(await vscode.workspace.applyEdit(edit))) throw new Error('bifrost.json could not be changed.');
  if (!(await doc.save())) throw new Error('bifrost.json was changed but not saved (did it change on disk meanwhile?): save it to load the new tag.');
}
