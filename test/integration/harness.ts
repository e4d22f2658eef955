/**
 * Shared pieces of the integration tests: the built gateway process, real Modbus servers on
 * 127.0.0.1 (our simulator, pymodbus), and waiting for notifications.
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { MessageConnection } from 'vscode-jsonrpc/node';
import { defaultGatewayPath, spawnGateway, type GatewayProcess } from '../../tools/gatewayClient';
import type { ModbusTcpDeviceConfig, TagReading, ValuesNotification } from '../../gateway/protocol';

export async function startGateway(args: string[] = [], env?: NodeJS.ProcessEnv): Promise<GatewayProcess> {
  if (!existsSync(defaultGatewayPath())) {
    throw new Error(`${defaultGatewayPath()} is missing: build first (npm test does, or run "node esbuild.mjs")`);
  }
  return spawnGateway({ args, echoLog: process.env['BIFROST_TEST_LOG'] === '1', ...(env ? { env } : {}) });
}

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

export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(25);
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Collects every `bifrost/values` notification, per subscription. */
export class ValueLog {
  readonly batches = new Map<string, TagReading[][]>();

  constructor(connection: MessageConnection) {
    connection.onNotification('bifrost/values', (n: ValuesNotification) => {
      const list = this.batches.get(n.subscriptionId) ?? [];
      list.push(n.items);
      this.batches.set(n.subscriptionId, list);
    });
  }

  /** The newest reading of a tag in a subscription. */
  latest(subscriptionId: string, tag: string): TagReading | undefined {
    const list = this.batches.get(subscriptionId) ?? [];
    for (let i = list.length - 1; i >= 0; i--) {
      const hit = list[i]!.find((r) => r.tag === tag);
      if (hit) return hit;
    }
    return undefined;
  }

  count(subscriptionId: string): number {
    return this.batches.get(subscriptionId)?.length ?? 0;
  }
}

export function tcpDevice(id: string, port: number, extra: Partial<ModbusTcpDeviceConfig> = {}): ModbusTcpDeviceConfig {
  return { id, protocol: 'modbus-tcp', host: '127.0.0.1', port, unitId: 1, timeoutMs: 500, pollIntervalMs: 100, ...extra };
}

/** A pymodbus 3.0 server (Debian's python3-pymodbus) seeded with the given banks. */
export interface PyModbus {
  port: number;
  /** TCP connections the server accepted so far. */
  connections(): number;
  stop(): Promise<void>;
}

export interface PyModbusBanks {
  hr?: number[];
  ir?: number[];
  co?: number[];
  di?: number[];
}

/** pymodbus's names of the identification objects: VendorName, ProductCode, MajorMinorRevision, ProductName, … */
export type PyModbusIdentity = Record<string, string>;

/**
 * Banks served under every unit id, or `{units: {1: banks, 2: banks}}`: only those unit ids, each
 * with its own; `identity` answers Read Device Identification.
 */
export async function startPymodbus(banks: (PyModbusBanks | { units: Record<number, PyModbusBanks> }) & { identity?: PyModbusIdentity }): Promise<PyModbus> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-pymodbus-'));
  const file = path.join(dir, 'banks.json');
  writeFileSync(file, JSON.stringify(banks));
  const port = await freePort();
  const script = path.resolve(__dirname, '..', 'peers', 'pymodbus_server.py');
  const child: ChildProcess = spawn('/usr/bin/python3', [script, String(port), file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    await waitFor(`pymodbus to listen on ${port} (${stderr.trim() || 'no output'})`, () => canConnect(port), 15_000);
    // The probe's own connection, counted before any other.
    await waitFor('pymodbus to report the probe connection', () => /^connection opened$/m.test(stderr));
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    port,
    connections: () => (stderr.match(/^connection opened$/gm)?.length ?? 0) - 1,
    async stop() {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Expects a promise to fail with a JSON-RPC error; returns it. */
export async function rpcError(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code: number; message: string };
  }
  throw new Error('expected a JSON-RPC error, the request succeeded');
}

/**
 * Waits until this process (or process `pid`, e.g. a gateway) holds none of the given ptys
 * (socat's links to them) open. A serial port closes asynchronously after destroy(); killing socat
 * first would hang the pty up under a port still being polled, which then spins (and keeps mocha
 * from exiting).
 */
export async function ptysClosed(links: readonly string[], timeoutMs = 5000, pid: number | 'self' = 'self'): Promise<void> {
  const { readdirSync, readlinkSync, realpathSync } = await import('node:fs');
  const targets = new Set(
    links.flatMap((l) => {
      try {
        return [realpathSync(l)];
      } catch {
        return [];
      }
    }),
  );
  if (targets.size === 0) return;
  const held = () =>
    readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return targets.has(readlinkSync(`/proc/${pid}/fd/${fd}`));
      } catch {
        return false;
      }
    });
  await waitFor(`${pid === 'self' ? 'this process' : `process ${pid}`} to close ${[...targets].join(', ')}`, () => !held(), timeoutMs);
}

/** A socat pty pair: `a` for the gateway, `b` for the device. */
export class PtyPair {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-pty-'));
  readonly a = path.join(this.dir, 'a');
  readonly b = path.join(this.dir, 'b');
  private socat: ChildProcess | null = null;

  async start(): Promise<void> {
    this.socat = spawn('socat', [`pty,raw,echo=0,link=${this.a}`, `pty,raw,echo=0,link=${this.b}`], { stdio: 'ignore' });
    await waitFor('socat ptys', () => existsSync(this.a) && existsSync(this.b), 5000);
  }

  /** After every opener of the ptys has let go (serialport's close is asynchronous). */
  async stop(pids: (number | 'self')[]): Promise<void> {
    for (const pid of pids) await ptysClosed([this.a, this.b], 5000, pid);
    const socat = this.socat;
    if (socat && socat.exitCode === null) {
      const exited = new Promise((r) => socat.once('exit', r));
      socat.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** One sample of a Prometheus exposition, e.g. `name{a="b"}`; undefined when the series is absent. */
export function metricSample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** The gateway's `token` command (add, list, remove) against a tokens file. */
export function tokenCli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [defaultGatewayPath(), 'token', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Adds a token to `file` and returns it, as the gateway printed it. */
export function addToken(file: string, name: string, access: 'read-only' | 'read-write' | 'metrics'): string {
  const r = tokenCli(['add', name, `--${access}`, '--tokens', file]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

/**
 * The environment to run openssl in: node-opcua's PKI (loaded by other suites in this process)
 * may have set OPENSSL_CONF, even to "undefined", and openssl then fails to read it.
 */
export function opensslEnv(): NodeJS.ProcessEnv {
  const { OPENSSL_CONF: _conf, ...env } = process.env;
  return env;
}

/** A self-signed certificate for 127.0.0.1 made by openssl in `dir`. */
export function selfSignedCert(dir: string, name = 'cert'): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.pem`);
  const key = path.join(dir, `${name}-key.pem`);
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8', env: opensslEnv() });
  assert.equal(made.status, 0, made.stderr);
  return { cert, key };
}
