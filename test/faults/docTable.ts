/**
 * The observed tables in docs/reliability.md: a fault suite hands in what it saw as markdown and
 * this either writes it between the section's markers (BIFROST_UPDATE_DOCS=1) or fails when the
 * document says something else, so the document is always what the last run observed.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export const RELIABILITY_DOC = path.resolve(__dirname, '..', '..', 'docs', 'reliability.md');

function markers(name: string): { begin: string; end: string } {
  return { begin: `<!-- fault-matrix:${name}:begin -->`, end: `<!-- fault-matrix:${name}:end -->` };
}

/** The text between the section's markers (without the newlines next to them). */
export function readSection(name: string, file = RELIABILITY_DOC): string {
  const text = readFileSync(file, 'utf8');
  const { begin, end } = markers(name);
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${path.basename(file)} has no section between ${begin} and ${end}`);
  return text.slice(a + begin.length, b).replace(/^\n/, '').replace(/\n$/, '');
}

/** Runs `fn` holding a lock (a directory: its creation is atomic), waiting up to 10 s for it. */
function withLock(lock: string, fn: () => void): void {
  const until = Date.now() + 10_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || Date.now() > until) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }
  try {
    fn();
  } finally {
    rmdirSync(lock);
  }
}

/**
 * With BIFROST_UPDATE_DOCS=1, writes `markdown` into the section; otherwise fails unless the
 * section already holds exactly `markdown`.
 */
export function checkOrUpdateSection(name: string, markdown: string, file = RELIABILITY_DOC): void {
  const body = markdown.replace(/\n+$/, '');
  const current = readSection(name, file);
  if (process.env['BIFROST_UPDATE_DOCS'] === '1') {
    if (current === body) return;
    // Fault suites run in parallel processes: one writer at a time, each on what the last one wrote.
    withLock(`${file}.lock`, () => {
      const text = readFileSync(file, 'utf8');
      const { begin, end } = markers(name);
      const a = text.indexOf(begin) + begin.length;
      const b = text.indexOf(end);
      writeFileSync(file, `${text.slice(0, a)}\n${body}\n${text.slice(b)}`);
    });
    return;
  }
  assert.equal(current, body, `${path.basename(file)} (${name}) differs from what this run observed; if the change is intended, run again with BIFROST_UPDATE_DOCS=1`);
}

/** A markdown table; `|` inside a cell is escaped. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
