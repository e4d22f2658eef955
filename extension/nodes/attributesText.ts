import type { NodeAttributesResult } from '../../gateway/protocol';

/**
 * The Attributes view of one node as plain text, as UaExpert's Attributes pane lists it: one row
 * per attribute with its value and, where reading it failed, the status. Free of vscode.
 */
export function attributesText(heading: string, result: NodeAttributesResult, readAt: Date): string {
  const rows: [string, string, string][] = result.attributes.map((a) => [a.name, oneLine(a.value), a.status ?? 'Good']);
  if (result.engineeringUnits !== undefined) rows.push(['EngineeringUnits', oneLine(result.engineeringUnits), 'Good']);
  if (result.euRange) rows.push(['EURange', `${result.euRange.low} … ${result.euRange.high}`, 'Good']);
  const header: [string, string, string] = ['Attribute', 'Value', 'Status'];
  const widths = [0, 1].map((i) => Math.max(header[i].length, ...rows.map((r) => r[i].length)));
  const line = (r: readonly string[]) => `${r[0].padEnd(widths[0])}  ${r[1].padEnd(widths[1])}  ${r[2]}`.trimEnd();
  return [
    heading,
    `Read at ${readAt.toISOString()} (read-only; Refresh reads again)`,
    '',
    line(header),
    line(['-'.repeat(widths[0]), '-'.repeat(widths[1]), '------']),
    ...rows.map(line),
    '',
  ].join('\n');
}

/** A value on one row: line breaks (a Description) shown as ⏎. */
function oneLine(text: string): string {
  return text.replace(/\r?\n/g, ' ⏎ ');
}
