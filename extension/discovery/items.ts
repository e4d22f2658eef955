import * as vscode from 'vscode';
import type { DiscoveredItem, DiscoveryEvidence } from '../../gateway/protocol';
import type { DiscoveredNode, DiscoveriesNode } from '../tree/nodes';

const EVIDENCE: Record<DiscoveryEvidence, string> = {
  'device-identification': 'it identified itself (Read Device Identification)',
  'exception-reply': 'it answered with a Modbus exception',
  'register-read': 'it answered a register read',
};

/** `192.168.1.20:502 · unit 1` */
export function discoveredLabel(item: DiscoveredItem): string {
  return `${item.host}:${item.port} · unit ${item.unitId}`;
}

/** `Acme Controls AC-500 2.1.0`, or what proved the device there. */
export function identityText(item: DiscoveredItem): string {
  const id = item.identity;
  if (!id) return item.evidence === 'exception-reply' ? `Modbus device (exception ${item.exception ?? '?'})` : 'Modbus device';
  return [id.vendorName, id.productName ?? id.productCode, id.revision].filter(Boolean).join(' ');
}

export function discoveriesItem(node: DiscoveriesNode, count: number, running: { done: number; total: number } | null): vscode.TreeItem {
  const item = new vscode.TreeItem('Discovered', vscode.TreeItemCollapsibleState.Expanded);
  item.id = node.id;
  item.iconPath = new vscode.ThemeIcon(running ? 'loading~spin' : 'radio-tower');
  const found = `${count} device${count === 1 ? '' : 's'}`;
  item.description = running ? `scanning ${running.done}/${running.total} · ${found}` : found;
  item.tooltip = 'Devices found by Bifrost: Discover Devices…, not in bifrost.json until you add them.';
  item.contextValue = running ? 'discoveries.running' : 'discoveries';
  return item;
}

export function discoveredItem(node: DiscoveredNode, found: DiscoveredItem): vscode.TreeItem {
  const item = new vscode.TreeItem(discoveredLabel(found), vscode.TreeItemCollapsibleState.None);
  item.id = node.id;
  item.iconPath = new vscode.ThemeIcon(found.identity ? 'circuit-board' : 'plug');
  item.description = identityText(found);
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${discoveredLabel(found)}** (Modbus TCP)\n\n`);
  const id = found.identity;
  if (id) {
    md.appendMarkdown(`| | |\n|---|---|\n`);
    const rows: [string, string | undefined][] = [
      ['Vendor', id.vendorName],
      ['Product code', id.productCode],
      ['Revision', id.revision],
      ['Product', id.productName],
      ['Model', id.modelName],
      ['Vendor URL', id.vendorUrl],
    ];
    for (const [k, v] of rows) if (v) md.appendMarkdown(`| ${k} | ${escapeCell(v)} |\n`);
    md.appendMarkdown('\n');
  }
  md.appendMarkdown(`Found because ${EVIDENCE[found.evidence]}${found.note ? `; ${escapeCell(found.note)}` : ''}.`);
  item.tooltip = md;
  item.contextValue = 'discovered';
  return item;
}

function escapeCell(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}
