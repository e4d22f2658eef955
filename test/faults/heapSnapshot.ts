/**
 * The live JavaScript heap of a gateway, measured the way that does not depend on when the
 * garbage collector last ran: a heap snapshot (Node's --heapsnapshot-signal, which collects all
 * garbage first), summed over its objects. The resident size of a process says little about a leak:
 * V8 and the allocator keep freed memory for a while, more or less of it from run to run.
 */
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { delay, waitFor } from '../integration/harness';

/** Node options that let liveHeapBytes() ask a gateway for a snapshot written into `dir`. */
export function heapSnapshotArgs(dir: string): string[] {
  return ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${dir}`];
}

/** Bytes of the objects alive in process `pid`'s heap (started with heapSnapshotArgs(dir)). */
export async function liveHeapBytes(pid: number, dir: string): Promise<number> {
  const before = new Set(readdirSync(dir));
  process.kill(pid, 'SIGUSR2');
  const name = await waitFor('a heap snapshot', () => readdirSync(dir).find((n) => !before.has(n) && n.endsWith('.heapsnapshot')), 60_000);
  const file = path.join(dir, name);
  // Written as it is taken: complete once its size stops changing and it parses.
  let size = -1;
  for (;;) {
    await delay(300);
    const now = statSync(file).size;
    if (now === size && now > 0) {
      try {
        const snapshot = JSON.parse(readFileSync(file, 'utf8')) as { snapshot: { meta: { node_fields: string[] } }; nodes: number[] };
        rmSync(file, { force: true });
        const fields = snapshot.snapshot.meta.node_fields;
        const at = fields.indexOf('self_size');
        let total = 0;
        for (let i = at; i < snapshot.nodes.length; i += fields.length) total += snapshot.nodes[i]!;
        return total;
      } catch {
        // Not complete yet.
      }
    }
    size = now;
  }
}
