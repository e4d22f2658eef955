import { execFileSync } from 'node:child_process';
import { isAlive } from '../../tools/code-server-processes';

export { isAlive };

export interface ProcessInfo {
  pid: number;
  ppid: number;
  args: string;
}

/** Every process on the machine, as `ps` lists it (Linux and macOS). */
export function listProcesses(): ProcessInfo[] {
  const out = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,args='], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  const list: ProcessInfo[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (m) list.push({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3] });
  }
  return list;
}

/** Gateways started by this extension host: its children running the bundled gateway. */
export function gatewayProcesses(): ProcessInfo[] {
  return listProcesses().filter((p) => p.ppid === process.pid && /[\\/]dist[\\/]gateway\.js\b/.test(p.args));
}

export function gatewayPids(): number[] {
  return gatewayProcesses().map((p) => p.pid);
}

