/**
 * The demo terminal (`npm run demo`): starts the gateway headless with its demo plant, subscribes
 * to every tag of every device and shows a live table until Ctrl-C (or q).
 *
 *   node dist/demo.js [--verbose] [--gateway FILE]
 *
 * On a terminal the table is redrawn in place (alternate screen) at most four times a second;
 * when stdout is not a terminal a plain snapshot is printed every few seconds instead.
 */
import { parseArgs } from 'node:util';
import {
  DemoMute,
  DemoStart,
  DevicesChanged,
  DevicesList,
  DeviceStatusChanged,
  Subscribe,
  Unsubscribe,
  Values,
  type DeviceInfo,
  type TagReading,
} from '../gateway/protocol';
import { spawnGateway, type GatewayProcess } from './gatewayClient';
import { renderDevices, renderLine, type TableDevice } from './table';

const REDRAW_MS = 250;
const SNAPSHOT_MS = 5000;
const STATS_REFRESH_MS = 1000;
const LOG_LINES_SHOWN = 8;
/** The demo serial bus's unit the m key mutes. */
const MUTABLE_UNIT = 'demo-meter';

const USAGE = `Usage: demo [--verbose] [--gateway FILE]
  --verbose       show the gateway's log lines
  --gateway FILE  the gateway bundle to run (default: gateway.js next to this file)`;

interface DeviceView extends TableDevice {
  info: DeviceInfo;
  readings: Map<string, TagReading>;
  subscriptionId: string | null;
  /** Subscription key -> tag name (keys are names when tags are subscribed by name). */
  keyToName: Map<string, string>;
}

class DemoTerminal {
  private readonly devices = new Map<string, DeviceView>();
  private readonly bySubscription = new Map<string, DeviceView>();
  private readonly logLines: string[] = [];
  private readonly tty: boolean;
  private readonly color: boolean;
  private timers: NodeJS.Timeout[] = [];
  private stopping = false;
  private screenActive = false;
  private rawKeys = false;
  private lastSnapshot = 0;
  private readonly startedAt = Date.now();
  private refreshing: Promise<void> | null = null;
  private refreshAgain = false;
  private meterMuted = false;

  constructor(
    private readonly gw: GatewayProcess,
    private readonly verbose: boolean,
  ) {
    this.tty = process.stdout.isTTY === true;
    this.color = this.tty && !process.env['NO_COLOR'];
  }

  async run(): Promise<void> {
    const c = this.gw.connection;
    c.onNotification(Values, (n) => {
      const view = this.bySubscription.get(n.subscriptionId);
      if (!view) return;
      for (const item of n.items) view.readings.set(view.keyToName.get(item.tag) ?? item.tag, item);
    });
    c.onNotification(DeviceStatusChanged, (n) => {
      const view = this.devices.get(n.id);
      if (view) view.info = { ...view.info, status: n.status, lastError: n.lastError };
    });
    c.onNotification(DevicesChanged, () => void this.refreshDevices().catch((err) => this.log(`re-listing devices failed: ${message(err)}`)));
    // What the gateway logged while starting up, then the rest as it comes.
    this.onGatewayLog(this.gw.stderr());
    this.gw.child.stderr?.on('data', (chunk: Buffer | string) => this.onGatewayLog(String(chunk)));

    // --demo starts the plant while the gateway comes up; this request waits for it to be loaded.
    await c.sendRequest(DemoStart);
    await this.refreshDevices();
    if (this.devices.size === 0) throw new Error('the gateway reports no devices, so there is nothing to show');

    this.enterScreen();
    this.captureKeys();
    this.timers.push(setInterval(() => this.draw(), REDRAW_MS));
    this.timers.push(setInterval(() => void this.refreshDevices().catch(() => undefined), STATS_REFRESH_MS));
    this.draw();
  }

  /** Re-lists devices; calls that arrive while one runs are folded into one more run after it. */
  private refreshDevices(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      try {
        do {
          this.refreshAgain = false;
          await this.listAndSubscribe();
        } while (this.refreshAgain && !this.stopping);
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /** Fresh stats for every device; subscribes to new devices and drops removed ones. */
  private async listAndSubscribe(): Promise<void> {
    const { devices } = await this.gw.connection.sendRequest(DevicesList);
    if (this.stopping) return;
    const seen = new Set<string>();
    for (const info of devices) {
      seen.add(info.id);
      const view = this.devices.get(info.id);
      if (view) {
        view.info = info;
        continue;
      }
      const fresh: DeviceView = { info, readings: new Map(), subscriptionId: null, keyToName: new Map() };
      this.devices.set(info.id, fresh);
      await this.subscribe(fresh);
    }
    for (const [id, view] of this.devices) {
      if (seen.has(id)) continue;
      this.devices.delete(id);
      if (view.subscriptionId) this.bySubscription.delete(view.subscriptionId);
    }
  }

  private async subscribe(view: DeviceView): Promise<void> {
    const names = view.info.tags.map((t) => t.name);
    if (names.length === 0) return;
    try {
      // Every scan reports every tag, so the age column shows how fresh a value is, not when it last changed.
      const res = await this.gw.connection.sendRequest(Subscribe, { deviceId: view.info.id, tags: names, onChangeOnly: false });
      view.subscriptionId = res.subscriptionId;
      res.tags.forEach((key, i) => view.keyToName.set(key, names[i]));
      this.bySubscription.set(res.subscriptionId, view);
    } catch (err) {
      view.info = { ...view.info, lastError: `subscribing failed: ${message(err)}` };
    }
  }

  private onGatewayLog(text: string): void {
    if (!this.verbose) return;
    if (!this.tty) {
      process.stderr.write(text);
      return;
    }
    for (const line of text.split('\n')) if (line.trim()) this.log(line);
  }

  private log(line: string): void {
    this.logLines.push(line);
    if (this.logLines.length > LOG_LINES_SHOWN) this.logLines.shift();
  }

  private draw(): void {
    if (this.stopping) return;
    const now = Date.now();
    const views = [...this.devices.values()];
    if (this.tty) {
      const width = Math.max(20, process.stdout.columns ?? 100);
      const height = Math.max(5, process.stdout.rows ?? 40);
      const lines = [
        renderLine([{ text: 'Bifrost demo', style: 'bold' }, { text: `  ${new Date(now).toLocaleTimeString()}  ${this.keysHint()}`, style: 'dim' }], width, this.color),
        '',
        ...renderDevices(views, { now, color: this.color, width }),
      ];
      if (this.logLines.length) lines.push('', ...this.logLines.map((l) => renderLine([{ text: l, style: 'dim' }], width, this.color)));
      if (lines.length > height) {
        lines.length = height - 1;
        lines.push(renderLine([{ text: '… (enlarge the window to see every tag)', style: 'dim' }], width, this.color));
      }
      // Home, then each line with clear-to-end-of-line, then clear below: no flicker.
      process.stdout.write(`\x1b[H${lines.map((l) => `${l}\x1b[K`).join('\n')}\x1b[J`);
      return;
    }
    // Not a terminal: a snapshot once every device delivered its first values, then every few seconds.
    const complete = views.every((v) => v.readings.size >= v.info.tags.length);
    const due = this.lastSnapshot === 0 ? complete || now - this.startedAt >= 2 * SNAPSHOT_MS : now - this.lastSnapshot >= SNAPSHOT_MS;
    if (!due) return;
    this.lastSnapshot = now;
    const lines = [`--- ${new Date(now).toISOString()}`, ...renderDevices(views, { now, color: false, width: 1000 }), ''];
    process.stdout.write(`${lines.join('\n')}\n`);
  }

  private enterScreen(): void {
    if (!this.tty) return;
    this.screenActive = true;
    // Alternate screen, hidden cursor.
    process.stdout.write('\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J');
  }

  /**
   * Raw keyboard input: Ctrl-C arrives here as a key instead of a SIGINT to the whole process
   * group, so the gateway is not killed before it has been shut down properly.
   */
  private captureKeys(): void {
    if (!process.stdin.isTTY) return;
    this.rawKeys = true;
    process.stdin.setRawMode(true);
    process.stdin.resume();
    process.stdin.on('data', (key: Buffer) => {
      if (key.includes(0x03) || key.includes(0x04) || key.includes(0x71 /* q */)) void this.stop(0);
      else if (key.includes(0x6d /* m */) && this.devices.has(MUTABLE_UNIT)) void this.toggleMute();
    });
  }

  private keysHint(): string {
    if (!this.devices.has(MUTABLE_UNIT)) return 'Ctrl-C or q to quit';
    return `m: ${this.meterMuted ? 'unmute' : 'mute'} ${MUTABLE_UNIT} on the serial bus · Ctrl-C or q to quit`;
  }

  /** Mutes the energy meter on the demo's serial bus, or brings it back: a dead unit, live. */
  private async toggleMute(): Promise<void> {
    try {
      const res = await this.gw.connection.sendRequest(DemoMute, { deviceId: MUTABLE_UNIT, muted: !this.meterMuted });
      this.meterMuted = res.muted;
      this.log(`${MUTABLE_UNIT} ${res.muted ? 'muted: it hears its requests and never answers' : 'answers again'}`);
    } catch (err) {
      this.log(`muting ${MUTABLE_UNIT} failed: ${message(err)}`);
    }
  }

  restoreTerminal(): void {
    if (this.rawKeys) {
      this.rawKeys = false;
      process.stdin.setRawMode(false);
      process.stdin.pause();
    }
    if (this.screenActive) {
      this.screenActive = false;
      process.stdout.write('\x1b[?25h\x1b[?1049l');
    }
  }

  /** Unsubscribes, shuts the gateway down, restores the terminal and exits. */
  async stop(code: number, reason?: string): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (this.gw.child.exitCode === null && this.gw.child.signalCode === null) {
      const ids = [...this.bySubscription.keys()];
      await withTimeout(Promise.allSettled(ids.map((subscriptionId) => this.gw.connection.sendRequest(Unsubscribe, { subscriptionId }))), 2000);
      await this.gw.close().catch(() => undefined);
    }
    this.restoreTerminal();
    if (reason) process.stderr.write(`${reason}\n`);
    process.exit(code);
  }

  get isStopping(): boolean {
    return this.stopping;
  }
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({ options: { verbose: { type: 'boolean' }, gateway: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    process.stderr.write(`${message(err)}\n${USAGE}\n`);
    process.exit(2);
  }
  if (args.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const verbose = args.values.verbose === true;

  let gw: GatewayProcess;
  try {
    gw = await spawnGateway({ args: ['--demo'], ...(args.values.gateway ? { gatewayPath: args.values.gateway } : {}) });
  } catch (err) {
    process.stderr.write(`Could not start the gateway: ${message(err)}\n`);
    process.exit(1);
  }
  const terminal = new DemoTerminal(gw, verbose);

  gw.child.once('exit', (code, signal) => {
    if (terminal.isStopping) return;
    // Ctrl-C where keys cannot be read raw reaches the gateway too: the user is quitting.
    if (signal === 'SIGINT') {
      void terminal.stop(0);
      return;
    }
    const tail = gw.stderr().trim().split('\n').slice(-10).join('\n');
    terminal.restoreTerminal();
    process.stderr.write(`The gateway stopped unexpectedly (${signal ?? `exit code ${code}`}).${tail ? `\nIts last log lines:\n${tail}` : ''}\n`);
    process.exit(1);
  });
  process.on('SIGINT', () => void terminal.stop(0));
  process.on('SIGTERM', () => void terminal.stop(0));
  // Keep the screen in order when the window is resized.
  process.stdout.on('resize', () => process.stdout.write('\x1b[2J'));

  try {
    await terminal.run();
  } catch (err) {
    await terminal.stop(1, `The demo could not start: ${message(err)}${verbose ? '' : '\n(run with --verbose to see the gateway log)'}`);
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]).finally(() => clearTimeout(timer));
}

void main();
