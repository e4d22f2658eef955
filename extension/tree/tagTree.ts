import * as vscode from 'vscode';
import type { DeviceInfo, TagInfo, TagReading } from '../../gateway/protocol';
import { Coalescer } from './coalescer';
import type { Ctx } from '../client/ctx';
import type { DeviceStore } from '../client/deviceStore';
import { describeReading, escapeMarkdown as esc, formatTime, formatValue, statsRows, statusLabel, withoutDevicePrefix } from '../format';
import { tagKey, TreeValues } from './treeValues';

export interface DeviceNode {
  readonly kind: 'device';
  readonly deviceId: string;
}
export interface TagNode {
  readonly kind: 'tag';
  readonly deviceId: string;
  readonly tag: string;
}
export type TreeNode = DeviceNode | TagNode;

export const TAG_EXPLORER_VIEW = 'bifrost.tagExplorer';

/**
 * The Tag Explorer: devices with their tags, live values while visible. Node objects are kept
 * stable so that a change can repaint just the rows it touches, batched to at most one repaint
 * per `bifrost.tree.refreshMs`.
 */
export class TagTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private deviceNodes = new Map<string, DeviceNode>();
  private tagNodes = new Map<string, TagNode>();
  private readonly emitter = new vscode.EventEmitter<TreeNode | TreeNode[] | undefined>();
  private readonly repaint: Coalescer<string>;
  private readonly disposables: vscode.Disposable[] = [];

  readonly onDidChangeTreeData = this.emitter.event;

  constructor(
    private readonly ctx: Ctx,
    private readonly store: DeviceStore,
    private readonly values: TreeValues,
  ) {
    this.repaint = new Coalescer(
      () => ctx.config.settings.treeRefreshMs,
      (keys) => this.fireFor(keys),
    );
    this.disposables.push(
      this.emitter,
      store.onDidChangeDevices(() => this.rebuild()),
      store.onDidChangeStatus((d) => this.repaint.add(`device\u0000${d.id}`)),
      values.onDidChange((keys) => keys.forEach((k) => this.repaint.add(k))),
      ctx.onDidChangeState(() => this.emitter.fire(undefined)),
    );
  }

  getChildren(node?: TreeNode): TreeNode[] {
    if (!node) return this.store.devices.map((d) => this.deviceNode(d.id));
    if (node.kind === 'device') return (this.store.device(node.deviceId)?.tags ?? []).map((t) => this.tagNode(node.deviceId, t.name));
    return [];
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return node.kind === 'tag' ? this.deviceNode(node.deviceId) : undefined;
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const device = this.store.device(node.deviceId);
    if (!device) return new vscode.TreeItem('(gone)');
    if (node.kind === 'device') return deviceItem(device);
    const tag = device.tags.find((t) => t.name === node.tag);
    if (!tag) return new vscode.TreeItem(node.tag);
    return tagItem(device, tag, this.values.reading(node.deviceId, node.tag));
  }

  /** Device tooltips show statistics: fetch them fresh when the mouse rests on the row. */
  async resolveTreeItem(item: vscode.TreeItem, node: TreeNode): Promise<vscode.TreeItem> {
    if (node.kind === 'device' && this.ctx.state === 'running') {
      await this.store.refresh();
      const device = this.store.device(node.deviceId);
      if (device) item.tooltip = deviceTooltip(device);
    }
    return item;
  }

  /** Nodes for a device and its tags, as the view knows them (for commands). */
  nodeFor(deviceId: string, tag?: string): TreeNode {
    return tag === undefined ? this.deviceNode(deviceId) : this.tagNode(deviceId, tag);
  }

  private deviceNode(id: string): DeviceNode {
    let n = this.deviceNodes.get(id);
    if (!n) this.deviceNodes.set(id, (n = { kind: 'device', deviceId: id }));
    return n;
  }

  private tagNode(deviceId: string, tag: string): TagNode {
    const key = tagKey(deviceId, tag);
    let n = this.tagNodes.get(key);
    if (!n) this.tagNodes.set(key, (n = { kind: 'tag', deviceId, tag }));
    return n;
  }

  private rebuild(): void {
    this.deviceNodes = new Map();
    this.tagNodes = new Map();
    this.emitter.fire(undefined);
  }

  private fireFor(keys: string[]): void {
    const nodes: TreeNode[] = [];
    for (const k of keys) {
      const [first, second] = k.split('\u0000');
      const n = first === 'device' ? this.deviceNodes.get(second) : this.tagNodes.get(k);
      if (n) nodes.push(n);
    }
    if (nodes.length > 0) this.emitter.fire(nodes);
  }

  dispose(): void {
    this.repaint.dispose();
    this.disposables.forEach((d) => d.dispose());
  }
}

// ---------------------------------------------------------------------------------------------
// Items
// ---------------------------------------------------------------------------------------------

function deviceItem(d: DeviceInfo): vscode.TreeItem {
  const item = new vscode.TreeItem(d.name, d.tags.length > 0 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
  item.id = `device:${d.id}`;
  item.contextValue = d.source === 'demo' ? 'device.demo' : 'device';
  item.iconPath = statusIcon(d);
  item.description =
    d.status === 'connected' ? d.endpoint : d.lastError ? `${statusLabel(d.status)}: ${withoutDevicePrefix(d.lastError, d.id)}` : statusLabel(d.status);
  // The tooltip (with statistics) is filled in by resolveTreeItem.
  return item;
}

function statusIcon(d: DeviceInfo): vscode.ThemeIcon {
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

export function deviceTooltip(d: DeviceInfo): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  // Ids are letters, digits, '_', '.' and '-': safe inside a code span, where escapes would show.
  md.appendMarkdown(`**${esc(d.name)}** \`${d.id}\`${d.source === 'demo' ? ' (demo plant)' : ''}\n\n`);
  md.appendMarkdown(`$(${statusIcon(d).id.replace('~spin', '')}) ${esc(statusLabel(d.status))} · ${esc(d.endpoint)} · ${esc(d.protocol)}\n\n`);
  if (d.lastError) md.appendMarkdown(`Last error: ${esc(d.lastError)}\n\n`);
  md.appendMarkdown(`Polls every ${d.pollIntervalMs} ms · ${d.tags.length} tag(s) · writes ${d.allowWrites ? 'allowed' : 'refused'}\n\n`);
  md.appendMarkdown('| | |\n|:--|--:|\n');
  for (const [k, v] of statsRows(d.stats)) md.appendMarkdown(`| ${esc(k)} | ${esc(v)} |\n`);
  return md;
}

function tagItem(d: DeviceInfo, t: TagInfo, r: TagReading | undefined): vscode.TreeItem {
  const item = new vscode.TreeItem(t.name, vscode.TreeItemCollapsibleState.None);
  item.id = `tag:${d.id}\u0000${t.name}`;
  item.contextValue = t.writable ? 'tag.writable' : 'tag.readonly';
  item.description = describeReading(r, t.unit, d.id);
  item.iconPath = qualityIcon(t, r);
  item.tooltip = tagTooltip(d, t, r);
  return item;
}

function qualityIcon(t: TagInfo, r: TagReading | undefined): vscode.ThemeIcon {
  if (!r) return new vscode.ThemeIcon('circle-outline', new vscode.ThemeColor('disabledForeground'));
  if (r.quality === 'bad') return new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
  if (r.quality === 'uncertain') return new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
  if (t.type === 'bool') return new vscode.ThemeIcon(r.value === true ? 'circle-filled' : 'circle-outline', new vscode.ThemeColor(r.value === true ? 'charts.green' : 'foreground'));
  if (t.type === 'string') return new vscode.ThemeIcon('symbol-string');
  return new vscode.ThemeIcon('symbol-number');
}

function tagTooltip(d: DeviceInfo, t: TagInfo, r: TagReading | undefined): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${esc(t.name)}** on ${esc(d.name)}\n\n`);
  if (t.description) md.appendMarkdown(`${esc(t.description)}\n\n`);
  const rows: [string, string][] = [
    ['Address', `\`${t.address}\``],
    ['Type', esc(t.type)],
    ['Access', esc(accessText(d, t))],
  ];
  if (t.unit) rows.push(['Unit', esc(t.unit)]);
  if (r) {
    rows.push(['Value', esc(formatValue(r.value, t.unit))]);
    rows.push(['Quality', esc(r.quality)]);
    rows.push(['Time', esc(formatTime(r.timestamp))]);
    if (r.error) rows.push(['Error', esc(r.error)]);
  } else {
    rows.push(['Value', 'no value yet']);
  }
  md.appendMarkdown('| | |\n|:--|:--|\n');
  for (const [k, v] of rows) md.appendMarkdown(`| ${k} | ${v} |\n`);
  return md;
}

export function accessText(d: DeviceInfo, t: TagInfo): string {
  if (t.writable) return 'read/write';
  if (t.access === 'readwrite' && !d.allowWrites) return 'read only (the device does not allow writes)';
  return 'read only';
}
