/**
 * Processes of one end-to-end run, found by a mark in their environment: every process the run
 * starts (code-server, its extension host, the gateway the extension spawns) inherits it, so what
 * is left after the run can be found and named, whichever process group it ended up in. Linux.
 */
import { readdirSync, readFileSync } from 'node:fs';

export const RUN_MARK_VARIABLE = 'BIFROST_E2E_RUN';

export interface MarkedProcess {
  pid: number;
  args: string;
}

/** Processes whose mark is `mark`, or below it when marks are paths (`mark/…`). */
export function markedProcesses(mark: string): MarkedProcess[] {
  const exact = `${RUN_MARK_VARIABLE}=${mark}`;
  const below = `${exact}/`;
  const found: MarkedProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0');
      if (!env.some((v) => v === exact || v.startsWith(below))) continue;
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      // A zombie has an empty command line: it is gone, only not yet reaped by its parent.
      if (args) found.push({ pid: Number(entry), args });
    } catch {
      // Gone between listing and reading, or not ours to read.
    }
  }
  return found;
}

export function isGateway(p: MarkedProcess): boolean {
  return /[\\/]dist[\\/]gateway\.js\b/.test(p.args);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}
