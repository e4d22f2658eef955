import * as vscode from 'vscode';
import type { DeviceConfig } from '../../gateway/protocol';
import { appendDeviceEdits, checkDeviceId, checkHost, checkPort, checkUnitId, configuredDeviceIds, newConfigText } from '../config/edits';
import { findNodeAtLocation, parseTree } from '../config/jsonc';
import type { Services } from './services';
import { Cancelled } from './targets';

function configUri(s: Services): vscode.Uri {
  const uri = s.configSync.uri;
  if (!uri) throw new Error('Open a folder first: bifrost.json lives in the workspace folder.');
  return uri;
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

/** Opens bifrost.json, creating an empty one (with `$schema`) when there is none. */
export const openConfig = (s: Services) => async () => {
  const uri = configUri(s);
  if (!(await exists(uri))) {
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(newConfigText()));
    s.ctx.log.info(`client: created ${uri.fsPath}`);
  }
  await vscode.window.showTextDocument(uri);
};

/** Add Device: a few questions, then the device is appended to bifrost.json and shown there. */
export const addDevice = (s: Services) => async () => {
  const uri = configUri(s);
  const fileExists = await exists(uri);
  const doc = fileExists ? await vscode.workspace.openTextDocument(uri) : undefined;
  const taken = [...(doc ? configuredDeviceIds(doc.getText()) : []), ...s.store.devices.map((d) => d.id)];

  const steps = 5;
  const ask = async (step: number, options: vscode.InputBoxOptions): Promise<string> => {
    const v = await vscode.window.showInputBox({ ...options, title: `Add Modbus TCP Device (${step}/${steps})`, ignoreFocusOut: true });
    if (v === undefined) throw new Cancelled();
    return v.trim();
  };
  const id = await ask(1, { prompt: 'Device id: a short name used in commands and charts', placeHolder: 'press-3', validateInput: (v) => checkDeviceId(v, taken) });
  const name = await ask(2, { prompt: 'Display name (optional)', placeHolder: 'Press 3, hall B', value: '' });
  const host = await ask(3, { prompt: 'Host name or IP address', placeHolder: '192.168.0.10', validateInput: checkHost });
  const port = await ask(4, { prompt: 'TCP port', value: '502', validateInput: checkPort });
  const unitId = await ask(5, { prompt: 'Unit id (slave id)', value: '1', validateInput: checkUnitId });

  const device: DeviceConfig = {
    id,
    ...(name ? { name } : {}),
    protocol: 'modbus-tcp',
    host,
    port: Number(port),
    unitId: Number(unitId),
    pollIntervalMs: 1000,
    tags: [],
  };

  if (!doc) {
    const text = newConfigText();
    const edits = appendDeviceEdits(text, device);
    const content = edits.reduceRight((t, e) => t.slice(0, e.offset) + e.content + t.slice(e.offset + e.length), text);
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(content));
  } else {
    const text = doc.getText();
    const edit = new vscode.WorkspaceEdit();
    for (const e of appendDeviceEdits(text, device)) {
      edit.replace(uri, new vscode.Range(doc.positionAt(e.offset), doc.positionAt(e.offset + e.length)), e.content);
    }
    if (!(await vscode.workspace.applyEdit(edit))) throw new Error('bifrost.json could not be changed.');
    await doc.save();
  }
  const editor = await vscode.window.showTextDocument(uri);
  revealDevice(editor, id);
  void vscode.window.showInformationMessage(`Added ${name || id} to bifrost.json. Add its tags under "tags" (completion knows the fields).`);
};

/** Selects the new device's entry so the user sees where it went. */
function revealDevice(editor: vscode.TextEditor, id: string): void {
  const text = editor.document.getText();
  const root = parseTree(text);
  const list = root && findNodeAtLocation(root, ['devices']);
  const entry = list?.children?.find((c) => c.type === 'object' && findNodeAtLocation(c, ['id'])?.value === id);
  if (!entry) return;
  const range = new vscode.Range(editor.document.positionAt(entry.offset), editor.document.positionAt(entry.offset + entry.length));
  editor.selection = new vscode.Selection(range.start, range.start);
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}
