/**
 * A headless client of the built gateway (dist/gateway.js) over stdio JSON-RPC: used by the demo
 * terminal, the benchmarks and the integration tests. The extension uses vscode-languageclient
 * instead; both speak the contract in gateway/protocol.ts.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { GATEWAY_NODE_OPTIONS } from '../gateway/protocol';
import { createMessageConnection, MessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';

export interface GatewayProcess {
  connection: MessageConnection;
  child: ChildProcess;
  /** Everything the gateway wrote to stderr so far (its log). */
  stderr(): string;
  /** shutdown + exit, then waits for the process to end (kills it after `graceMs`). */
  close(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  args?: string[];
  gatewayPath?: string;
  /** Forward the gateway's log lines to this process's stderr as they arrive. */
  echoLog?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Options for node itself, e.g. --cpu-prof when profiling. */
  nodeArgs?: string[];
}

export function defaultGatewayPath(): string {
  return path.resolve(__dirname, '..', 'dist', 'gateway.js');
}

export async function spawnGateway(opts: SpawnOptions = {}): Promise<GatewayProcess> {
  const gatewayPath = opts.gatewayPath ?? defaultGatewayPath();
  const child = spawn(process.execPath, [...GATEWAY_NODE_OPTIONS, ...(opts.nodeArgs ?? []), gatewayPath, '--stdio', ...(opts.args ?? [])], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: opts.env ?? process.env,
  });
  let log = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    log += chunk;
    if (log.length > 1_000_000) log = log.slice(-500_000);
    if (opts.echoLog) process.stderr.write(chunk);
  });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  connection.listen();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await connection.sendRequest('initialize', { processId: process.pid, clientInfo: { name: 'bifrost-headless' }, capabilities: {} });
  await connection.sendNotification('initialized', {});
  return {
    connection,
    child,
    stderr: () => log,
    async close(graceMs = 3000) {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          await Promise.race([connection.sendRequest('shutdown'), delay(graceMs)]);
          await connection.sendNotification('exit');
        } catch {
          // The connection may already be gone; the kill below still applies.
        }
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      connection.dispose();
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
