/**
 * The demo plant's OPC UA server, seen from the plant: it runs node-opcua in a worker thread
 * (opcuaWorker.ts, bundled as dist/opcua-server.js), so that loading node-opcua and the standard
 * nodeset (seconds of CPU on a busy machine) never blocks the thread that serves the Modbus
 * devices and, in the gateway, every other device. The gateway without the demo never loads it.
 *
 * The process stays here, the one source of truth: the worker gets a snapshot after every tick
 * and every input change, and hands clients' writes and method calls back as inputs.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DemoPlantFeed } from './demoPlant';
import type { DemoInput, DemoProcessSnapshot } from './demoProcess';

export interface DemoOpcUaServerOptions {
  feed: DemoPlantFeed;
  /** Default 127.0.0.1. The server listens on this address only. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /**
   * The server's PKI (its own certificate and key, client certificates). Default: a temp folder,
   * removed on stop. A folder kept between runs saves making a new certificate (about half of
   * the start-up) and keeps the certificate a client trusted.
   */
  pkiFolder?: string;
}

export interface DemoOpcUaServer {
  /** `opc.tcp://127.0.0.1:PORT`. */
  readonly endpointUrl: string;
  /** The server's own certificate, for a client to trust it. */
  readonly certificatePem: string;
  readonly certificateDer: Buffer;
  stop(): Promise<void>;
}

/** The worker's start-up data. */
export interface WorkerStart {
  host: string;
  port: number;
  pkiFolder: string;
  snapshot: DemoProcessSnapshot;
}

export type ToWorker = { type: 'snapshot'; snapshot: DemoProcessSnapshot } | { type: 'applied'; id: number; accepted: boolean; message: string } | { type: 'stop' };

export type FromWorker =
  | { type: 'ready'; endpointUrl: string; certificateDer: Uint8Array }
  | { type: 'failed'; message: string }
  | { type: 'input'; id: number; input: DemoInput }
  | { type: 'log'; level: 'warn' | 'error'; line: string }
  | { type: 'stopped' };

export async function startDemoOpcUaServer(options: DemoOpcUaServerOptions): Promise<DemoOpcUaServer> {
  const { feed } = options;
  const p = feed.process;
  // A temp PKI is made and removed here, not in the worker: a process that exits without stopping
  // the plant (a gateway whose client went away) ends its worker abruptly, but still runs 'exit'.
  const tempPki = options.pkiFolder === undefined ? fs.mkdtempSync(path.join(os.tmpdir(), 'bifrost-demo-opcua-')) : null;
  const removeTempPki = () => {
    if (tempPki) fs.rmSync(tempPki, { recursive: true, force: true });
  };
  process.once('exit', removeTempPki);
  const start: WorkerStart = { host: options.host ?? '127.0.0.1', port: options.port ?? 0, pkiFolder: options.pkiFolder ?? tempPki!, snapshot: p.snapshot(feed.now()) };
  const worker = new Worker(workerFile(), { workerData: start, stdout: true, ...workerLoader() });
  // Nothing of node-opcua may reach this process's stdout (a gateway's wire): its worker's stdout goes to stderr.
  worker.stdout.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  const me = {};
  const post = (msg: ToWorker) => worker.postMessage(msg);
  const sendSnapshot = () => post({ type: 'snapshot', snapshot: p.snapshot(feed.now()) });
  let unlisten: (() => void)[] = [];
  let stopped: Promise<void> | null = null;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));

  const ready = new Promise<{ endpointUrl: string; certificateDer: Buffer }>((resolve, reject) => {
    worker.on('message', (msg: FromWorker) => {
      switch (msg.type) {
        case 'ready':
          resolve({ endpointUrl: msg.endpointUrl, certificateDer: Buffer.from(msg.certificateDer) });
          break;
        case 'failed':
          reject(new Error(msg.message));
          break;
        case 'input': {
          const { accepted, message } = p.apply(msg.input, me);
          post({ type: 'applied', id: msg.id, accepted, message });
          // The worker applied it already; the next snapshot carries what the process made of it.
          sendSnapshot();
          break;
        }
        case 'log':
          process.stderr.write(`[opcua ${msg.level}] ${msg.line}\n`);
          break;
        case 'stopped':
          break;
      }
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the OPC UA server's worker ended (exit code ${code}) before it listened`)));
  });

  let server: { endpointUrl: string; certificateDer: Buffer };
  try {
    server = await ready;
  } catch (err) {
    await worker.terminate();
    removeTempPki();
    process.removeListener('exit', removeTempPki);
    throw err;
  }
  unlisten = [feed.onTick(sendSnapshot), p.onInputsChanged((origin) => origin !== me && sendSnapshot())];
  sendSnapshot();

  return {
    endpointUrl: server.endpointUrl,
    certificateDer: server.certificateDer,
    certificatePem: toPem(server.certificateDer),
    stop() {
      stopped ??= (async () => {
        for (const u of unlisten) u();
        post({ type: 'stop' });
        // The worker shuts the server down (closing every session) and ends; a hung one is ended.
        const timeout = setTimeout(() => void worker.terminate(), 10_000);
        await exited;
        clearTimeout(timeout);
        removeTempPki();
        process.removeListener('exit', removeTempPki);
      })();
      return stopped;
    },
  };
}

/** Beside the bundle in dist/, or the source when run from it (tests). */
function workerFile(): string {
  const bundled = path.join(__dirname, 'opcua-server.js');
  return fs.existsSync(bundled) ? bundled : path.join(__dirname, 'opcuaWorker.ts');
}

/** From source, the worker needs the TypeScript loader the tests run with. */
function workerLoader(): { execArgv?: string[] } {
  return workerFile().endsWith('.ts') ? { execArgv: ['--require', 'tsx/cjs'] } : {};
}

function toPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
