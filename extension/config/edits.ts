import { applyEdits, Edit, findNodeAtLocation, FormattingOptions, modify, Node } from './jsonc';
import { parseConfigText } from './document';
import type { DeviceEntry } from './newDevice';

/**
 * Changes to bifrost.json made as text edits, so that the user's comments, order and layout stay
 * as they were. Free of vscode so it can be tested alone.
 */

/**
 * A new, empty bifrost.json. Without `$schema` by default: VS Code already applies the bundled
 * schema by file name, and a `$schema` URL it cannot download (offline, as plants often are)
 * replaces that schema with a warning. Pass a URL only where one is reachable.
 */
export function newConfigText(schemaUrl?: string): string {
  const doc: Record<string, unknown> = {};
  if (schemaUrl) doc.$schema = schemaUrl;
  doc.devices = [];
  return JSON.stringify(doc, null, 2) + '\n';
}

/**
 * Edits that append a device to the `devices` list, creating the list if there is none.
 * Throws with a readable message when the text is not JSON that can be edited safely.
 */
export function appendDeviceEdits(text: string, device: DeviceEntry): Edit[] {
  const parsed = parseConfigText(text);
  if (parsed.errors.length > 0) {
    throw new Error('bifrost.json has syntax errors (see the Problems view): fix them before adding a device.');
  }
  if (!parsed.root || parsed.root.type !== 'object') {
    throw new Error('bifrost.json must hold a JSON object with a "devices" list.');
  }
  const formatting = detectFormatting(text);
  const list = findNodeAtLocation(parsed.root, ['devices']);
  if (!list) return modify(text, ['devices'], [device], { formattingOptions: formatting });
  if (list.type !== 'array') throw new Error('"devices" in bifrost.json is not a list: fix it before adding a device.');
  return insertIntoList(text, list, device, formatting);
}

/**
 * Inserts by hand rather than with jsonc `modify`, whose formatter also reformats the line of the
 * previous entry (and moves a comment that ends it).
 */
export function insertIntoList(text: string, list: Node, value: unknown, f: FormattingOptions): Edit[] {
  const eol = f.eol ?? '\n';
  const unit = f.insertSpaces === false ? '\t' : ' '.repeat(f.tabSize ?? 2);
  const closeAt = list.offset + list.length - 1; // the `]`
  const bracketIndent = lineIndent(text, list.offset);
  const items = list.children ?? [];
  const last = items[items.length - 1];
  const itemIndent = last ? lineIndent(text, last.offset) : bracketIndent + unit;
  const body = JSON.stringify(value, null, unit).split('\n').join(eol + itemIndent);
  if (!last) {
    return [{ offset: list.offset, length: list.length, content: `[${eol}${itemIndent}${body}${eol}${bracketIndent}]` }];
  }
  const edits: Edit[] = [];
  const lastEnd = last.offset + last.length;
  if (!hasCommaAfter(text, lastEnd, closeAt)) edits.push({ offset: lastEnd, length: 0, content: ',' });
  const closeLineStart = text.lastIndexOf('\n', closeAt - 1) + 1;
  if (closeLineStart > lastEnd && text.slice(closeLineStart, closeAt).trim() === '') {
    // `]` on a line of its own: the new entry goes on new lines just above it.
    edits.push({ offset: closeLineStart, length: 0, content: `${itemIndent}${body}${eol}` });
  } else {
    edits.push({ offset: closeAt, length: 0, content: `${eol}${itemIndent}${body}${eol}${bracketIndent}` });
  }
  return edits;
}

/** The whitespace that starts the line holding `offset`. */
function lineIndent(text: string, offset: number): string {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(start, offset))![0];
}

/** True when a comma follows `from` before `to`, with only spaces and comments between. */
function hasCommaAfter(text: string, from: number, to: number): boolean {
  let i = from;
  while (i < to) {
    const c = text[i];
    if (c === ',') return true;
    if (/\s/.test(c)) i++;
    else if (text.startsWith('//', i)) i = text.indexOf('\n', i) < 0 ? to : text.indexOf('\n', i);
    else if (text.startsWith('/*', i)) i = text.indexOf('*/', i) < 0 ? to : text.indexOf('*/', i) + 2;
    else return false;
  }
  return false;
}

export function appendDevice(text: string, device: DeviceEntry): string {
  return applyEdits(text, appendDeviceEdits(text, device));
}

/** The ids already in the file (to refuse duplicates before writing). */
export function configuredDeviceIds(text: string): string[] {
  const { value } = parseConfigText(text);
  const devices = (value as { devices?: unknown } | undefined)?.devices;
  if (!Array.isArray(devices)) return [];
  return devices
    .map((d) => (d && typeof d === 'object' ? (d as { id?: unknown }).id : undefined))
    .filter((id): id is string => typeof id === 'string');
}

/** Indentation as the file already uses it; two spaces for a new file. */
export function detectFormatting(text: string): FormattingOptions {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const indented = /^([ \t]+)\S/m.exec(text);
  if (indented?.[1].startsWith('\t')) return { insertSpaces: false, tabSize: 1, eol };
  const width = indented ? indented[1].length : 2;
  return { insertSpaces: true, tabSize: Math.min(8, Math.max(1, width)), eol };
}
