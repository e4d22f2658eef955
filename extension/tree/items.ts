import * as vscode from 'vscode';
import type { DeviceInfo, GatewayCapabilities, TagInfo, TagReading, ValueKind } from '../../gateway/protocol';
import { protocolCapabilities, protocolName } from '../client/capabilities';
import type { GatewayState } from '../client/ctx';
import { describeReading, escapeMarkdown as esc, formatTime, formatValue, statsRows, statusLabel, withoutDevicePrefix } from '../format';
import { problemText } from '../config/skipped';
import { attributeValue, type AttributesOutcome } from '../nodes/attributeCache';
import type { DeviceNote } from './deviceNotes';
import type { DeviceNode, ErrorNode, FolderNode, GatewayNode, HintNode, MethodNode, SkippedNode, TagNode } from './nodes';
import { tagInfoOf } from './nodes';

/**
 * How each kind of row looks: label, description, icon, tooltip and the context value the menus
 * in package.json match (`device`, `device.demo`, `tag.writable`, `tag.readonly`, `folder`, …).
 * Words are the protocol's own where the gateway gives them (its displayName), never a protocol
 * named here.
 */

export function gatewayItem(node: GatewayNode, name: string, state: GatewayState): vscode.TreeItem {
  const item = new vscode.TreeItem(name, vscode.TreeItemCollapsibleState.Expanded);
  item.id = node.id;
  item.contextValue = 'gateway';
  item.iconPath = new vscode.ThemeIcon('server');
  item.description = state;
  return item;
}

/** How the values of a device's tags on screen are: a connected device is green only when they are good. */
export interface ValuesHealth {
  /** Tags with a reading. */
  readonly read: number;
  readonly bad: number;
  readonly uncertain: number;
}

export const NO_VALUES: ValuesHealth = { read: 0, bad: 0, uncertain: 0 };

export function deviceItem(node: DeviceNode, d: DeviceInfo, caps: GatewayCapabilities | undefined, health: ValuesHealth = NO_VALUES, notes: readonly DeviceNote[] = []): vscode.TreeItem {
  // A protocol that walks an address space lists it when asked; configured tags show at once,
  // and so does what to do when there are none (a hint row) or why some were left out.
  const walks = protocolCapabilities(caps, d.protocol)?.browse === 'tree';
  const item = new vscode.TreeItem(d.name, walks ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.Expanded);
  item.id = node.id;
  // Menus match `viewItem =~ /^device/`, and a note's flag for what fixes it (`/\.password\b/`).
  // `.nodes`: it has an address space to go to (Go to Node); `.inspect`: raw registers to inspect.
  const inspects = protocolCapabilities(caps, d.protocol)?.inspect === true;
  item.contextValue =
    (d.source === 'demo' ? 'device.demo' : 'device') + (walks ? '.nodes' : '') + (inspects ? '.inspect' : '') + notes.map((n) => `.${n.flag}`).join('');
  item.iconPath = statusIcon(d, health);
  // What the extension knows to do comes before the gateway's error, which it explains.
  const noted = notes.find((n) => n.description !== undefined)?.description;
  const state = !d.enabled
    ? 'disabled'
    : d.status === 'connected'
      ? `${d.endpoint}${valuesRemark(health)}`
      : noted
        ? noted
        : d.lastError
          ? `${statusLabel(d.status)}: ${withoutDevicePrefix(d.lastError, d.id)}`
          : statusLabel(d.status);
  item.description = [...notes.flatMap((n) => (n.tag ? [n.tag] : [])), state].join(' · ');
  // The tooltip (with statistics) is filled in by resolveTreeItem.
  return item;
}

/** ` · 2 of 5 values bad`: why a connected device is not green. */
function valuesRemark(h: ValuesHealth): string {
  if (h.bad > 0) return ` · ${h.bad} of ${h.read} values bad`;
  if (h.uncertain > 0) return ` · ${h.uncertain} of ${h.read} values uncertain`;
  return '';
}

function statusIcon(d: DeviceInfo, health: ValuesHealth): vscode.ThemeIcon {
  if (!d.enabled) return new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('disabledForeground'));
  switch (d.status) {
    case 'connected':
      if (health.bad > 0 || health.uncertain > 0) return new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
      return new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('testing.iconPassed'));
    case 'connecting':
      return new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.yellow'));
    case 'error':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
    case 'disconnected':
      return new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('disabledForeground'));
  }
}

export function deviceTooltip(d: DeviceInfo, caps: GatewayCapabilities | undefined, health: ValuesHealth = NO_VALUES, notes: readonly DeviceNote[] = []): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  const commands = notes.flatMap((n) => n.commands ?? []);
  // Links run the notes' own commands, and only those.
  if (commands.length > 0) md.isTrusted = { enabledCommands: commands };
  // Ids are letters, digits, '_', '.' and '-': safe inside a code span, where escapes would show.
  md.appendMarkdown(`**${esc(d.name)}** \`${d.id}\`${d.source === 'demo' ? ' (demo plant)' : ''}\n\n`);
  const status = d.enabled ? `${statusLabel(d.status)}${d.status === 'connected' ? valuesRemark(health) : ''}` : 'disabled';
  md.appendMarkdown(`$(${statusIcon(d, health).id.replace('~spin', '')}) ${esc(status)} · ${esc(d.endpoint)} · ${esc(protocolName(caps, d.protocol))}\n\n`);
  md.appendMarkdown(`Default interval ${d.pollIntervalMs} ms · ${d.tags.length} configured tag(s) · writes ${d.allowWrites ? 'allowed' : 'refused'}\n\n`);
  if (!d.enabled) {
    // Not a failure: nothing is connected or read, so there is no error and nothing to count.
    md.appendMarkdown('Disabled in the configuration (`"enabled": false`): never connected, its tags are not read.');
    return md;
  }
  if (d.lastError) md.appendMarkdown(`Last error: ${esc(withoutDevicePrefix(d.lastError, d.id))}\n\n`);
  for (const n of notes) md.appendMarkdown(`${n.tooltip}\n\n`);
  md.appendMarkdown('| | |\n|:--|--:|\n');
  for (const [k, v] of statsRows(d.stats)) md.appendMarkdown(`| ${esc(k)} | ${esc(v)} |\n`);
  return md;
}

/**
 * Rows of a device with an address space (browse `tree`) get `.node` in their context value:
 * menus offer Attributes, Go to Node and Pin there (`viewItem =~ /\.node\b/`).
 */
const NODE_FLAG = '.node';

export function folderItem(node: FolderNode, addressSpace = false): vscode.TreeItem {
  const item = new vscode.TreeItem(node.item.displayName ?? node.item.name, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = node.id;
  item.contextValue = addressSpace ? `folder${NODE_FLAG}` : 'folder';
  item.iconPath = new vscode.ThemeIcon(node.item.nodeClass === 'object' ? 'symbol-class' : 'folder');
  item.tooltip = refTooltip(node.item.displayName ?? node.item.name, node.item.nodeClass, node.ref);
  return item;
}

export function methodItem(node: MethodNode, addressSpace = false): vscode.TreeItem {
  const label = node.item.displayName ?? node.item.name;
  const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
  item.id = node.id;
  item.contextValue = addressSpace ? `method${NODE_FLAG}` : 'method';
  item.iconPath = new vscode.ThemeIcon('symbol-method');
  item.tooltip = refTooltip(label, 'method', node.ref);
  // A click opens the call's questions; nothing is called before the confirmation.
  if (addressSpace) item.command = { command: 'bifrost.callMethod', title: 'Call Method…', arguments: [node] };
  return item;
}

export function errorItem(node: ErrorNode): vscode.TreeItem {
  const item = new vscode.TreeItem('Could not browse', vscode.TreeItemCollapsibleState.None);
  item.id = node.id;
  item.contextValue = 'browseError';
  item.description = node.message;
  item.tooltip = node.message;
  item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
  return item;
}

/** A device or tag the gateway left out of bifrost.json: the problem in its row; a click opens it in the editor. */
export function skippedItem(node: SkippedNode): vscode.TreeItem {
  const { skipped } = node;
  const item = new vscode.TreeItem(skipped.label, vscode.TreeItemCollapsibleState.None);
  item.id = node.id;
  item.contextValue = skipped.kind === 'device' ? 'skippedDevice' : 'skippedTag';
  item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
  const [first] = skipped.problems;
  item.description = `skipped: ${first?.message ?? 'invalid entry'}`;
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`$(error) **${esc(skipped.label)}** is not in use: the gateway skipped this ${skipped.kind} of the configuration.\n\n`);
  for (const p of skipped.problems) md.appendMarkdown(`- ${esc(problemText(p))}\n`);
  md.appendMarkdown('\nClick to open it in the editor.');
  item.tooltip = md;
  item.command = { command: 'bifrost.openConfigAt', title: 'Open in Editor', arguments: [first?.path ?? skipped.entry] };
  return item;
}

/** What to do where a device shows nothing. */
export function hintItem(node: HintNode): vscode.TreeItem {
  const item = new vscode.TreeItem(node.message, vscode.TreeItemCollapsibleState.None);
  item.id = node.id;
  item.contextValue = 'hint';
  item.iconPath = new vscode.ThemeIcon('info');
  item.description = node.detail;
  item.tooltip = `${node.message}: ${node.detail}`;
  if (node.pointer !== undefined) item.command = { command: 'bifrost.openConfigAt', title: 'Open in Editor', arguments: [node.pointer] };
  return item;
}

export function tagItem(node: TagNode, d: DeviceInfo, reading: TagReading | undefined, addressSpace = false): vscode.TreeItem {
  const t = tagInfoOf(node, d.tags);
  const label = node.item.displayName ?? node.item.name;
  const item = new vscode.TreeItem(label, node.item.hasChildren ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
  item.id = node.id;
  item.contextValue = (t.writable ? 'tag.writable' : 'tag.readonly') + (addressSpace ? NODE_FLAG : '');
  if (!d.enabled) {
    // Nothing is read on a disabled device: no value, and no reading from before counts.
    item.description = 'not read (device disabled)';
    item.iconPath = new vscode.ThemeIcon('circle-outline', new vscode.ThemeColor('disabledForeground'));
    item.tooltip = tagTooltip(label, d, t, undefined);
    return item;
  }
  const r = reading;
  // Until a value comes, a browsed variable says what it holds (UaExpert's DataType column).
  item.description = describeReading(r, t.unit, d.id, t.valueKind) || (addressSpace && t.dataType ? t.dataType : '');
  item.iconPath = r === undefined && addressSpace ? new vscode.ThemeIcon('symbol-variable') : valueIcon(t.valueKind, r);
  item.tooltip = tagTooltip(label, d, t, r);
  return item;
}

/** The kind of value and its quality at a glance; a boolean shows whether it is on. */
function valueIcon(kind: ValueKind, r: TagReading | undefined): vscode.ThemeIcon {
  if (!r) return new vscode.ThemeIcon('circle-outline', new vscode.ThemeColor('disabledForeground'));
  if (r.quality === 'bad') return new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
  if (r.quality === 'uncertain') return new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
  switch (kind) {
    case 'boolean':
      return r.value === true
        ? new vscode.ThemeIcon('circle-filled', new vscode.ThemeColor('charts.green'))
        : new vscode.ThemeIcon('circle-outline', new vscode.ThemeColor('foreground'));
    case 'integer':
    case 'number':
      return new vscode.ThemeIcon('symbol-number');
    case 'string':
      return new vscode.ThemeIcon('symbol-string');
    case 'array':
      return new vscode.ThemeIcon('symbol-array');
    case 'structure':
      return new vscode.ThemeIcon('symbol-structure');
    case 'unknown':
      return new vscode.ThemeIcon('symbol-variable');
  }
}

function tagTooltip(label: string, d: DeviceInfo, t: TagInfo, r: TagReading | undefined): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${esc(label)}** on ${esc(d.name)}\n\n`);
  if (t.description) md.appendMarkdown(`${esc(t.description)}\n\n`);
  const rows: [string, string][] = [['Address', code(t.address)]];
  if (t.dataType) rows.push(['Data type', esc(t.dataType)]);
  rows.push(['Access', esc(accessText(t))]);
  if (t.unit) rows.push(['Unit', esc(t.unit)]);
  if (r) {
    rows.push(['Value', esc(formatValue(r.value, t.unit, t.valueKind))]);
    rows.push(['Quality', esc(r.quality)]);
    if (r.status) rows.push(['Status', esc(r.status)]);
    if (r.error) rows.push(['Error', esc(r.error)]);
    rows.push(['Received', esc(formatTime(r.timestamp))]);
    if (r.sourceTimestamp !== undefined) rows.push(['Source time', esc(formatTime(r.sourceTimestamp))]);
    if (r.serverTimestamp !== undefined) rows.push(['Server time', esc(formatTime(r.serverTimestamp))]);
  } else {
    rows.push(['Value', d.enabled ? 'no value yet' : 'not read: the device is disabled']);
  }
  md.appendMarkdown('| | |\n|:--|:--|\n');
  for (const [k, v] of rows) md.appendMarkdown(`| ${k} | ${v} |\n`);
  return md;
}

/** Whether a tag can be written, and if not, why (the gateway's words). */
function accessText(t: TagInfo): string {
  if (t.writable) return 'read/write';
  return t.notWritableReason ? `read only: ${t.notWritableReason}` : 'read only';
}

/** The attributes a person looks for first, below a node row's tooltip, once read (resolveTreeItem). */
export function withNodeDetails(tooltip: vscode.TreeItem['tooltip'], outcome: AttributesOutcome): vscode.MarkdownString {
  const md = new vscode.MarkdownString(typeof tooltip === 'string' ? esc(tooltip) : (tooltip?.value ?? ''), true);
  if ('unsupported' in outcome) return md;
  md.appendMarkdown('\n\n');
  if ('error' in outcome) {
    md.appendMarkdown(`$(warning) Attributes could not be read: ${esc(outcome.error)}`);
    return md;
  }
  const a = outcome.attributes;
  const rows: [string, string | undefined][] = [
    ['DataType', attributeValue(a, 'DataType')],
    ['AccessLevel', attributeValue(a, 'AccessLevel')],
    ['Description', attributeValue(a, 'Description')],
    ['EngineeringUnits', a.engineeringUnits],
    ['EURange', a.euRange ? `${a.euRange.low} … ${a.euRange.high}` : undefined],
    ['Historizing', attributeValue(a, 'Historizing')],
  ];
  const shown = rows.filter((r): r is [string, string] => r[1] !== undefined && r[1] !== '');
  if (shown.length === 0) return md;
  md.appendMarkdown('| Attribute | Value |\n|:--|:--|\n');
  for (const [k, v] of shown) md.appendMarkdown(`| ${k} | ${esc(v)} |\n`);
  return md;
}

function refTooltip(label: string, what: string, ref: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${esc(label)}** (${esc(what)})\n\n${code(ref)}`);
  return md;
}

/** A code span for a ref or an address; one that would break the span or the table is escaped text instead. */
function code(text: string): string {
  return /[`|]/.test(text) ? esc(text) : `\`${text}\``;
}
