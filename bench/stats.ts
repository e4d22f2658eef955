/** What the benchmark sections share: percentiles, a histogram of intervals, and /proc readings. */
import { readFileSync } from 'node:fs';
import * as net from 'node:net';

export function median(xs: readonly number[]): number {
  return pct(xs, 0.5);
}

export function pct(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.max(0, Math.min(s.length - 1, Math.ceil(p * s.length) - 1))]!;
}

/** Math.max(...xs) overflows the stack beyond about 100,000 arguments. */
export function largest(xs: Iterable<number>): number {
  let m = -Infinity;
  for (const x of xs) if (x > m) m = x;
  return m;
}

/**
 * Whole milliseconds counted in buckets: a window of 100,000 readings a second keeps 1.5 million
 * intervals, too many to sort, and a millisecond is the resolution of a reading's timestamp.
 */
export class MsHistogram {
  private readonly buckets: Uint32Array;
  private overflow: number[] = [];
  count = 0;
  max = 0;

  constructor(limitMs = 60_000) {
    this.buckets = new Uint32Array(limitMs + 1);
  }

  add(ms: number): void {
    const v = Math.max(0, Math.round(ms));
    this.count++;
    if (v > this.max) this.max = v;
    if (v < this.buckets.length) this.buckets[v]!++;
    else this.overflow.push(v);
  }

  pct(p: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(p * this.count));
    let seen = 0;
    for (let v = 0; v < this.buckets.length; v++) {
      seen += this.buckets[v]!;
      if (seen >= rank) return v;
    }
    return pct(this.overflow, (rank - seen) / this.overflow.length);
  }
}

/** CPU seconds a process has used in user and in system mode, from /proc. */
export function cpuSeconds(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime, in clock ticks (USER_HZ = 100).
  return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
}

export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** CPU share and peak RSS of one process over a window, sampled once a second. */
export async function watchProcess(pid: number, seconds: number): Promise<{ cpuPct: number; userPct: number; rssPeak: number; elapsed: number }> {
  const cpu0 = cpuSeconds(pid);
  const t0 = Date.now();
  const rss: number[] = [];
  for (let s = 0; s < seconds; s++) {
    await new Promise((r) => setTimeout(r, 1000));
    rss.push(rssMb(pid));
  }
  const elapsed = (Date.now() - t0) / 1000;
  const cpu1 = cpuSeconds(pid);
  const user = cpu1.user - cpu0.user;
  const system = cpu1.system - cpu0.system;
  return { cpuPct: ((user + system) / elapsed) * 100, userPct: (user / elapsed) * 100, rssPeak: largest(rss), elapsed };
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}
