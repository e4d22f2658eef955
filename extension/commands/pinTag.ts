import * as vscode from 'vscode';
import { NodeAttributes } from '../../gateway/protocol';
import { userMessage } from '../client/errors';
import { appendTagEdits, checkTagName, suggestTagName, tagsInFile } from '../config/tagEdits';
import { configUri, exists } from './configFile';
import { oneNode } from './nodeTargets';
import type { Services } from './services';
import { Cancelled } from './targets';

/**
 * Pin to bifrost.json: the clicked variable becomes a named tag of its device in bifrost.json
 * (`name`, `nodeId`, and `unit` from its EngineeringUnits), edited as text so comments and layout
 * stay. Only devices of bifrost.json on the local gateway: the file is theirs.
 */
export const pinTag = (s: Services) => async (arg?: unknown) => {
  const target = await oneNode(s, arg, 'Pin a Node to bifrost.json', ['variable']);
  const { gateway, device, ref, item } = target;
  if (gateway !== s.gateways.local) {
    throw new Error(`${device.name} runs on ${gateway.name}, whose devices are not in this workspace's bifrost.json: pin tags there.`);
  }
  if (device.source !== 'config') {
    throw new Error(`${device.name} is part of the demo plant, not of bifrost.json: only devices of bifrost.json can have tags pinned. Add the device with "Bifrost: Add Device…" first.`);
  }
  const uri = configUri(s);
  if (!(await exists(uri))) throw new Error(`${uri.fsPath} does not exist any more: the device cannot be edited.`);
  const doc = await vscode.workspace.openTextDocument(uri);
  const inFile = tagsInFile(doc.getText(), device.id);
  const pinned = inFile.find((t) => t.nodeId === ref);
  if (pinned) throw new Error(`${ref} is pinned already: it is the tag "${pinned.name ?? '(no name)'}" of ${device.name}.`);
  const taken = [...new Set([...inFile.flatMap((t) => (t.name ? [t.name] : [])), ...device.tags.map((t) => t.name)])];

  const unit = await engineeringUnitsOf(target.gateway, device.id, ref);
  const name = await s.prompts.inputBox({
    title: `Pin ${item.displayName ?? item.name} to bifrost.json`,
    prompt: `Tag name for ${ref} on ${device.name}${unit ? ` (unit ${unit})` : ''}`,
    value: suggestTagName(item.name, taken),
    ignoreFocusOut: true,
    validateInput: (v) => checkTagName(v, taken),
  });
  if (name === undefined) throw new Cancelled();
  const problem = checkTagName(name, taken);
  if (problem) throw new Error(problem);

  // The text as it is now: the box may have been open while the file changed.
  const text = doc.getText();
  const edit = new vscode.WorkspaceEdit();
  for (const e of appendTagEdits(text, device.id, { name: name.trim(), nodeId: ref, ...(unit ? { unit } : {}) })) {
    edit.replace(uri, new vscode.Range(doc.positionAt(e.offset), doc.positionAt(e.offset + e.length)), e.content);
  }
  if (!(await vscode.workspace.applyEdit(edit))) throw new Error('bifrost.json could not be changed.');
  if (!(await doc.save())) throw new Error('bifrost.json was changed but not saved (did it change on disk meanwhile?): save it to load the new tag.');
  gateway.ctx.log.info(`client: pinned ${device.id}/${ref} as tag "${name.trim()}" in bifrost.json`);
  void s.prompts.notify('info', `Pinned ${ref} as "${name.trim()}" on ${device.name} in bifrost.json.`);
};

/** The node's EngineeringUnits, if the server has them; a failed read only loses the unit. */
async function engineeringUnitsOf(gateway: Services['gateways']['local'], deviceId: string, ref: string): Promise<string | undefined> {
  try {
    return (await gateway.ctx.request(NodeAttributes, { deviceId, node: ref })).engineeringUnits || undefined;
  } catch (err) {
    gateway.ctx.log.warn(`client: the engineering units of ${deviceId}/${ref} could not be read: ${userMessage(err)}`);
    return undefined;
  }
}
