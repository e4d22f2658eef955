/** Our simulator in a process of its own, so that the gateway does not share its CPU with the devices. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { createInterface } from 'node:readline';

export interface Simulators {
  ports: number[];
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `dist/simulator.js` with `args` and waits for the ports it prints. */
export async function startSimulators(args: string[]): Promise<Simulators> {
  const child = spawn(process.execPath, [path.join(__dirname, 'simulator.js'), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
  });
  const { ports } = JSON.parse(line) as { ports: number[] };
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    ports,
    child,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
