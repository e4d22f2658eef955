import type { ConfigProblem } from '../../gateway/protocol';

/**
 * What the gateway left out of bifrost.json, as entries the Tag Explorer shows in error, and the
 * one wording of a config problem for people (diagnostics, tree rows, tooltips). Free of vscode
 * so it can be tested alone. The gateway says which device and tag a problem is in and what it
 * skipped (ConfigProblem's `device`, `tag`, `skipped`, `entry`); nothing here parses pointers.
 */

export interface SkippedEntry {
  readonly kind: 'device' | 'tag';
  /** JSON pointer of the entry left out: `/devices/1` or `/devices/0/tags/3`. */
  readonly entry: string;
  /** The device's id as written (for a tag: the device it is in), when it has one. */
  readonly deviceId?: string;
  /** What the row is called: the device's name or id, the tag's name, or its place in the list. */
  readonly label: string;
  /** The errors that left it out, in document order; the first is where the editor opens. */
  readonly problems: readonly ConfigProblem[];
}

/** The entries the gateway skipped, in document order, each with its errors. */
export function skippedEntries(problems: readonly ConfigProblem[], doc: unknown): SkippedEntry[] {
  const byEntry = new Map<string, { kind: 'device' | 'tag'; problems: ConfigProblem[]; first: ConfigProblem }>();
  for (const p of problems) {
    if (p.severity !== 'error' || !p.skipped || p.entry === undefined) continue;
    const e = byEntry.get(p.entry);
    if (e) e.problems.push(p);
    else byEntry.set(p.entry, { kind: p.skipped, problems: [p], first: p });
  }
  return [...byEntry].map(([entry, e]) => {
    const skipped: SkippedEntry = { kind: e.kind, entry, label: entryLabel(e.kind, entry, e.first, doc), problems: e.problems };
    return e.first.device !== undefined ? { ...skipped, deviceId: e.first.device } : skipped;
  });
}

/** A problem in words that name the device and tag, and say what was left out. */
export function problemText(p: ConfigProblem): string {
  const device = p.device !== undefined ? `device "${p.device}"` : undefined;
  if (p.skipped === 'device') return `${device ? capitalise(device) : 'A device without a valid id'} skipped: ${p.message}`;
  const tag = p.tag !== undefined ? `Tag "${p.tag}"` : 'A tag without a name';
  if (p.skipped === 'tag') return `${tag}${device ? ` of ${device}` : ''} skipped: ${p.message}`;
  if (p.tag !== undefined) return `${tag}${device ? ` of ${device}` : ''}: ${p.message}`;
  return device ? `${capitalise(device)}: ${p.message}` : p.message;
}

function entryLabel(kind: 'device' | 'tag', entry: string, first: ConfigProblem, doc: unknown): string {
  if (kind === 'tag') return first.tag ?? `tag ${Number(entry.split('/').at(-1)) + 1} (no name)`;
  const index = Number(entry.split('/').at(-1));
  const written = (doc as { devices?: unknown[] } | undefined)?.devices?.[index] as { name?: unknown; id?: unknown } | undefined;
  if (typeof written?.name === 'string' && written.name.trim() !== '') return written.name;
  return first.device ?? `device ${index + 1} (no id)`;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
