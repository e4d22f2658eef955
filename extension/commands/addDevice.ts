import * as vscode from 'vscode';
import { SerialPorts, type DeviceField, type ProtocolCapabilities, type ProtocolId } from '../../gateway/protocol';
import { appendDevice, appendDeviceEdits, configuredDeviceIds, newConfigText } from '../config/edits';
import { findNodeAtLocation, parseTree } from '../config/jsonc';
import { checkDeviceId, checkField, FieldAnswer, newDevice, type DeviceEntry } from '../config/newDevice';
import { configUri, exists } from './configFile';
import type { Services } from './services';
import { Cancelled } from './targets';

/**
 * Add Device: the protocol first (from what the gateway speaks), then that protocol's fields as
 * the gateway lists them, then an id and a name; the device is appended to bifrost.json, which
 * opens at the new entry.
 */
export const addDevice = (s: Services) => async () => {
  const [protocol, caps] = await pickProtocol(s, s.gateways.local.capabilities?.protocols);
  const taken = await takenDeviceIds(s);

  const fields = caps.deviceFields;
  const steps = fields.length + 2;
  const ask = async (step: number, options: vscode.InputBoxOptions): Promise<string> => {
    const v = await s.prompts.inputBox({ ...options, title: `Add ${caps.displayName} Device (${step}/${steps})`, ignoreFocusOut: true });
    if (v === undefined) throw new Cancelled();
    return v.trim();
  };
  const answers: FieldAnswer[] = [];
  for (const [i, field] of fields.entries()) {
    const title = `Add ${caps.displayName} Device (${i + 1}/${steps}): ${field.label}`;
    const picked = field.choices ? await pickChoice(s, field, title) : field.suggest === 'serialPorts' ? await pickSerialPort(s, field, title) : undefined;
    const text =
      picked ??
      (await ask(i + 1, {
        prompt: [field.required ? field.label : `${field.label} (optional)`, field.description].filter(Boolean).join(': '),
        placeHolder: field.placeholder,
        value: field.default === undefined ? '' : String(field.default),
        validateInput: (v) => checkField(field, v),
      }));
    answers.push({ field, text });
  }
  const id = await ask(fields.length + 1, {
    prompt: 'Device id: a short name used in commands and charts',
    placeHolder: 'press-3',
    validateInput: (v) => checkDeviceId(v, taken),
  });
  const name = await ask(fields.length + 2, { prompt: 'Display name (optional)', placeHolder: 'Press 3, hall B', value: '' });
  const device = newDevice(protocol, id, name, answers);
  await saveNewDevice(s, device);
  void s.prompts.notify('info', `Added ${name || id} to bifrost.json. Add its tags under "tags" (completion knows the fields).`);
};

/** A field with fixed values: a pick, its default first. */
async function pickChoice(s: Services, field: DeviceField, title: string): Promise<string> {
  const choices = field.choices!;
  const order = [...choices].sort((a, b) => Number(b === field.default) - Number(a === field.default));
  // An optional field without a default may be left out: the gateway then decides (e.g. the most secure policy a server offers).
  const leaveOut = !field.required && field.default === undefined ? [{ label: 'Default', description: "leave it out: the gateway's choice", value: '' }] : [];
  const picked = await s.prompts.quickPick(
    [
      ...leaveOut,
      ...order.map((c) => ({ label: c, description: [c === field.default ? 'default' : '', field.choiceDescriptions?.[choices.indexOf(c)] ?? ''].filter(Boolean).join(' · '), value: c })),
    ],
    { title, placeHolder: field.description, ignoreFocusOut: true },
  );
  if (!picked) throw new Cancelled();
  return picked.value;
}

/** The serial ports the gateway lists, or undefined to type one (also when it lists none). */
async function pickSerialPort(s: Services, field: DeviceField, title: string): Promise<string | undefined> {
  const { ports } = await s.gateways.local.ctx.request(SerialPorts);
  if (ports.length === 0) return undefined;
  const picked = await s.prompts.quickPick(
    [
      ...ports.map((p) => ({ label: p.path, description: [p.manufacturer, p.serialNumber].filter(Boolean).join(' · ') || undefined, detail: p.target ? `→ ${p.target}` : undefined, value: p.path })),
      { label: 'Type a path…', description: field.placeholder, value: undefined },
    ],
    { title, placeHolder: field.description, ignoreFocusOut: true },
  );
  if (!picked) throw new Cancelled();
  return picked.value;
}

/** The ids a new device must not take: in bifrost.json, and running on the local gateway. */
export async function takenDeviceIds(s: Services): Promise<string[]> {
  const uri = configUri(s);
  const doc = (await exists(uri)) ? await vscode.workspace.openTextDocument(uri) : undefined;
  return [...(doc ? configuredDeviceIds(doc.getText()) : []), ...s.gateways.local.devices.devices.map((d) => d.id)];
}

/**
 * Appends `device` to bifrost.json (made when missing) with an edit that keeps the file's
 * comments and formatting, saves it, and opens it at the new entry.
 */
export async function saveNewDevice(s: Services, device: DeviceEntry): Promise<void> {
  const uri = configUri(s);
  const doc = (await exists(uri)) ? await vscode.workspace.openTextDocument(uri) : undefined;
  if (!doc) {
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(appendDevice(newConfigText(), device)));
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
  revealDevice(editor, device.id);
}

/** The protocol of the new device: asked only when the gateway speaks more than one. */
async function pickProtocol(s: Services, protocols: Record<ProtocolId, ProtocolCapabilities> | undefined): Promise<[ProtocolId, ProtocolCapabilities]> {
  const all = Object.entries(protocols ?? {});
  if (all.length === 0) {
    throw new Error('The gateway did not say which protocols it speaks, so Add Device cannot ask for a device. Is the gateway running, and as new as the extension?');
  }
  if (all.length === 1) return all[0];
  const picked = await s.prompts.quickPick(
    all.map(([id, caps]) => ({ label: caps.displayName, description: id, choice: [id, caps] as [ProtocolId, ProtocolCapabilities] })),
    { title: 'Add Device: protocol', placeHolder: 'How the gateway talks to the device', ignoreFocusOut: true },
  );
  if (!picked) throw new Cancelled();
  return picked.choice;
}

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
