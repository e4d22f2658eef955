import * as vscode from 'vscode';
import type { DiscoveredItem, DiscoveryEvidence } from '../../gateway/protocol';
import type { DiscoveredNode, DiscoveriesNode } from '../tree/nodes';

const EVIDENCE: Record<DiscoveryEvidence | 'opcua-endpoints', string> = {
  'device-identification': 'it identified itself (Read Device Identification)',
  'exception-reply': 'it answered with a Modbus exception',
  'register-read': 'it answered a register read',
  'opcua-endpoints': 'it listed its endpoints (GetEndpoints)',
};

const PROTOCOL_NAMES: Record<DiscoveredItem['protocol'], string> = { 'modbus-tcp': 'Modbus TCP', 'modbus-rtu': 'Modbus RTU', opcua: 'OPC UA' };

/** `192.168.1.20:502 · unit 1`, `/dev/ttyUSB0 19200/even · unit 3`, `opc.tcp://plc:4840` */
export function discoveredLabel(item: DiscoveredItem): string {
  if (item.protocol === 'opcua') return item.endpointUrl;
  if (item.protocol === 'modbus-rtu') return `${item.serialPath} ${item.baudRate}/${item.parity} · unit ${item.unitId}`;
  return `${item.host}:${item.port} · unit ${item.unitId}`;
}

/** `Acme Controls AC-500 2.1.0`, or what proved the device there. */
export function identityText(item: DiscoveredItem): string {
  if (item.protocol === 'opcua') return `${item.applicationName} (${item.endpoints.length} endpoint${item.endpoints.length === 1 ? '' : 's'})`;
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
  item.iconPath = new vscode.ThemeIcon(found.protocol === 'opcua' ? 'server' : found.identity ? 'circuit-board' : 'plug');
  item.description = identityText(found);
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${escapeCell(discoveredLabel(found))}** (${PROTOCOL_NAMES[found.protocol]})\n\n`);
  item.tooltip = md;
  item.contextValue = found.protocol === 'opcua' ? 'discovered.opcua' : 'discovered';
  if (found.protocol === 'opcua') {
    md.appendMarkdown(`Application URI: ${escapeCell(found.applicationUri)}\n\nProduct URI: ${escapeCell(found.productUri)}\n\n`);
    md.appendMarkdown(`| Security | Policy | Logins |\n|---|---|---|\n`);
    for (const e of found.endpoints) md.appendMarkdown(`| ${e.securityMode} | ${escapeCell(e.securityPolicy)} | ${e.userTokenTypes.join(', ')} |\n`);
    md.appendMarkdown(`\nFound because ${EVIDENCE[found.evidence]}. Its certificate is not trusted until you trust it when connecting.`);
    return item;
  }
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
  return item;
}

function escapeCell(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}
