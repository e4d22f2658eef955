/**
 * Mosquitto (Debian's) for the MQTT tests: on a free loopback port, stopped and started again on
 * the same port when a test needs the broker away. `persistent` keeps sessions and their queued
 * messages across a restart, so that a test's subscriber misses nothing while the broker is down.
 * `tls` adds a TLS listener on a second port, beside the plain one.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, waitFor } from './harness';

/** Debian puts it in /usr/sbin, which is not on every PATH. */
export const MOSQUITTO = spawnSync('sh', ['-c', 'command -v mosquitto || ls /usr/sbin/mosquitto'], { encoding: 'utf8' }).stdout.trim().split('\n')[0] ?? '';
export const hasMosquitto = MOSQUITTO !== '';

export class Mosquitto {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    readonly dir: string,
    /** The TLS listener's port, when started with `tls`. */
    readonly tlsPort?: number,
  ) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  get tlsUrl(): string {
    if (this.tlsPort === undefined) throw new Error('this broker has no TLS listener');
    return `mqtts://127.0.0.1:${this.tlsPort}`;
  }

  static async start(opts: { persistent?: boolean; tls?: { cafile: string; certfile: string; keyfile: string; requireCertificate?: boolean } } = {}): Promise<Mosquitto> {
    const port = await freePort();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-mqtt-'));
    // `user`: started as root, Mosquitto would switch to its own user, which may not write to this
    // private folder, and would keep neither its persistence file nor its log (read when a test's
    // wait fails); started by anyone else, it stays who it is.
    const lines = ['allow_anonymous true', `user ${os.userInfo().username}`, `listener ${port} 127.0.0.1`, `log_dest file ${path.join(dir, 'mosquitto.log')}`, 'log_timestamp_format %T'];
    const tlsPort = opts.tls ? await freePort() : undefined;
    if (opts.tls) {
      lines.push(`listener ${tlsPort} 127.0.0.1`, `cafile ${opts.tls.cafile}`, `certfile ${opts.tls.certfile}`, `keyfile ${opts.tls.keyfile}`);
      if (opts.tls.requireCertificate) lines.push('require_certificate true');
    }
    // Unlimited queues: a subscriber away during a restart gets every message afterwards.
    if (opts.persistent) lines.push('persistence true', `persistence_location ${dir}/`, 'max_queued_messages 0', 'max_queued_bytes 0');
    else lines.push('persistence false');
    writeFileSync(path.join(dir, 'mosquitto.conf'), `${lines.join('\n')}\n`);
    const broker = new Mosquitto(port, dir, tlsPort);
    await broker.resume();
    return broker;
  }

  /** The last lines of the broker's log. */
  logTail(lines = 40): string {
    const file = path.join(this.dir, 'mosquitto.log');
    return existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no log)';
  }

  /** Starts it (again) on its port. */
  async resume(): Promise<void> {
    const child = spawn(MOSQUITTO, ['-c', path.join(this.dir, 'mosquitto.conf')], { stdio: 'ignore' });
    this.child = child;
    await waitFor(
      'mosquitto listening',
      () =>
        new Promise<boolean>((resolve) => {
          if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}`);
          const s = net.connect(this.port, '127.0.0.1', () => {
            s.destroy();
            resolve(true);
          });
          s.on('error', () => resolve(false));
        }),
      5000,
    );
  }

  /** Stops it (SIGTERM: a persistent broker saves its sessions) and waits until it is gone. */
  async pause(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await gone;
  }

  async dispose(): Promise<void> {
    await this.pause();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
