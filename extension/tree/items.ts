import * as vscode from 'vscode';
import type { DeviceInfo, GatewayCapabilities, TagInfo, TagReading, ValueKind } from '../../gateway/protocol';
import { protocolCapabilities, protocolName } from '../client/capabilities';
import type { GatewayState } from '../client/ctx';
import { describeReading, escapeMarkdown as esc, formatTime, formatValue, statsRows, statusLabel, withoutDevicePrefix } from '../format';
import type { DeviceNode, ErrorNode, FolderNode, GatewayNode, MethodNode, TagNode } from './nodes';
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

export function deviceItem(node: DeviceNode, d: DeviceInfo, caps: GatewayCapabilities | undefined): vscode.TreeItem {
  // A protocol that walks an address space lists it when asked; configured tags show at once.
  const walks = protocolCapabilities(caps, d.protocol)?.browse === 'tree';
  const state = walks
    ? vscode.TreeItemCollapsibleState.Collapsed
    : d.tags.length > 0
      ? vscode.TreeItemCollapsibleState.Expanded
      : vscode.TreeItemCollapsibleState.None;
  const item = new vscode.TreeItem(d.name, state);
  item.id = node.id;
  item.contextValue = d.source === 'demo' ? 'device.demo' : 'device';
  item.iconPath = statusIcon(d);
  item.description = !d.enabled
    ? 'disabled'
    : d.status === 'connected'
      ? d.endpoint
      : d.lastError
        ? `${statusLabel(d.status)}: ${withoutDevicePrefix(d.lastError, d.id)}`
        : statusLabel(d.status);
  // The tooltip (with statistics) is filled in by resolveTreeItem.
  return item;
}

function statusIcon(d: DeviceInfo): vscode.ThemeIcon {
  if (!d.enabled) return new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('disabledForeground'));
  switch (d.status) {
    case 'connected':
      return new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('testing.iconPassed'));
    case 'connecting':
      return new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.yellow'));
    case 'error':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
    case 'disconnected':
      return new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('disabledForeground'));
  }
}

export function deviceTooltip(d: DeviceInfo, caps: GatewayCapabilities | undefined): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  // Ids are letters, digits, '_', '.' and '-': safe inside a code span, where escapes would show.
  md.appendMarkdown(`**${esc(d.name)}** \`${d.id}\`${d.source === 'demo' ? ' (demo plant)' : ''}\n\n`);
  const status = d.enabled ? statusLabel(d.status) : 'disabled';
  md.appendMarkdown(`$(${statusIcon(d).id.replace('~spin', '')}) ${esc(status)} · ${esc(d.endpoint)} · ${esc(protocolName(caps, d.protocol))}\n\n`);
  if (d.lastError) md.appendMarkdown(`Last error: ${esc(d.lastError)}\n\n`);
  md.appendMarkdown(`Default interval ${d.pollIntervalMs} ms · ${d.tags.length} configured tag(s) · writes ${d.allowWrites ? 'allowed' : 'refused'}\n\n`);
  md.appendMarkdown('| | |\n|:--|--:|\n');
  for (const [k, v] of statsRows(d.stats)) md.appendMarkdown(`| ${esc(k)} | ${esc(v)} |\n`);
  return md;
}

export function folderItem(node: FolderNode): vscode.TreeItem {
  const item = new vscode.TreeItem(node.item.displayName ?? node.item.name, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = node.id;
  item.contextValue = 'folder';
  item.iconPath = new vscode.ThemeIcon(node.item.nodeClass === 'object' ? 'symbol-class' : 'folder');
  item.tooltip = refTooltip(node.item.displayName ?? node.item.name, node.item.nodeClass, node.ref);
  return item;
}

export function methodItem(node: MethodNode): vscode.TreeItem {
  const item = new vscode.TreeItem(node.item.displayName ?? node.item.name, vscode.TreeItemCollapsibleState.None);
  item.id = node.id;
  item.contextValue = 'method';
  item.iconPath = new vscode.ThemeIcon('symbol-method');
  item.tooltip = refTooltip(node.item.displayName ?? node.item.name, 'method', node.ref);
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

export function tagItem(node: TagNode, d: DeviceInfo, r: TagReading | undefined): vscode.TreeItem {
  const t = tagInfoOf(node);
  const label = node.item.displayName ?? node.item.name;
  const item = new vscode.TreeItem(label, node.item.hasChildren ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
  item.id = node.id;
  item.contextValue = t.writable ? 'tag.writable' : 'tag.readonly';
  item.description = describeReading(r, t.unit, d.id, t.valueKind);
  item.iconPath = valueIcon(t.valueKind, r);
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
    rows.push(['Value', 'no value yet']);
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

function refTooltip(label: string, what: string, ref: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${esc(label)}** (${esc(what)})\n\n${code(ref)}`);
  return md;
}

/** A code span for a ref or an address; one that would break the span or the table is escaped text instead. */
function code(text: string): string {
  return /[`|]/.test(text) ? esc(text) : `\`${text}\``;
}
