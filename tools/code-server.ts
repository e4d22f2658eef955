/**
 * One run of VS Code in a browser for the end-to-end tests: code-server with a fresh user-data
 * and extensions folder, the VSIX installed, listening on a free port of 127.0.0.1, and the
 * workbench open in headless Chromium (the extension host only starts when a browser opens the
 * workbench). `stop()` ends everything the run started and reports what outlived the server.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { isGateway, kill, type MarkedProcess, markedProcesses, RUN_MARK_VARIABLE } from './code-server-processes';
import { CHROMIUM, HEADLESS_CHROMIUM_ARGS } from './chromium';

export const EXTENSION_ID = 'bifrost.bifrost';

export interface CodeServerOptions {
  /** code-server's `out/node/entry.js`. */
  entry: string;
  vsix: string;
  /** The folder the workbench opens. */
  workspace: string;
  /** An empty folder for this run's state; its path marks the run's processes. */
  scratch: string;
  /** Extra environment for the server, and so for the extension host and the gateway. */
  env?: Record<string, string>;
  /** User settings on top of the ones every run needs. */
  settings?: Record<string, unknown>;
  viewport?: { width: number; height: number };
  log: (line: string) => void;
}

export interface StopReport {
  /** Gateways that were still running after the server and its extension host had stopped. */
  gatewaysLeft: MarkedProcess[];
  /** Other processes of the run that had to be killed. */
  othersKilled: MarkedProcess[];
}

const SETTINGS = {
  // Without this the folder opens in restricted mode and the extension does not activate.
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'chat.commandCenter.enabled': false,
  'git.enabled': false,
};

const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 15_000;

export class CodeServer {
  private constructor(
    readonly options: CodeServerOptions,
    readonly mark: string,
    readonly userData: string,
    readonly extensionsDir: string,
    private readonly server: ChildProcess,
    readonly baseUrl: string,
    readonly context: BrowserContext,
    readonly page: Page,
  ) {}

  static async start(options: CodeServerOptions): Promise<CodeServer> {
    const { scratch, log } = options;
    const mark = scratch;
    const userData = join(scratch, 'user-data');
    const extensionsDir = join(scratch, 'extensions');
    mkdirSync(join(userData, 'User'), { recursive: true });
    mkdirSync(extensionsDir, { recursive: true });
    writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify({ ...SETTINGS, ...options.settings }, null, 2));
    const env = serverEnvironment(scratch, mark, options.env);

    const installed = spawnSync(process.execPath, [options.entry, '--user-data-dir', userData, '--extensions-dir', extensionsDir, '--install-extension', options.vsix], {
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    const installOutput = `${installed.stdout ?? ''}${installed.stderr ?? ''}`;
    if (installed.status !== 0 || !/successfully installed/i.test(installOutput)) {
      throw new Error(`code-server could not install ${options.vsix}:\n${installOutput}${installed.error ? `\n${installed.error.message}` : ''}`);
    }

    const serverLog = join(scratch, 'code-server.log');
    const args = [
      options.entry,
      '--bind-addr', '127.0.0.1:0',
      '--auth', 'none',
      '--user-data-dir', userData,
      '--extensions-dir', extensionsDir,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      options.workspace,
    ];
    // Its own process group, so that nothing of it can outlive stop() unnoticed.
    const server = spawn(process.execPath, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let context: BrowserContext | undefined;
    try {
      const port = await listeningPort(server, serverLog);
      const baseUrl = `http://127.0.0.1:${port}`;
      log(`code-server (pid ${server.pid}) listening on ${baseUrl}`);

      const viewport = options.viewport ?? { width: 1600, height: 1000 };
      context = await chromium.launchPersistentContext(join(scratch, 'chromium-profile'), {
        executablePath: CHROMIUM,
        headless: true,
        args: [...HEADLESS_CHROMIUM_ARGS, `--window-size=${viewport.width},${viewport.height}`],
        viewport,
        deviceScaleFactor: 1,
        env: { ...process.env, TMPDIR: scratch },
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
      });
      // Copy Address writes through the browser's clipboard, which a page may only use when allowed.
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
      const page = context.pages()[0] ?? (await context.newPage());
      const browserLog = join(scratch, 'browser-console.log');
      page.on('console', (m) => appendFileSync(browserLog, `${m.type()}: ${m.text()}\n`));
      page.on('pageerror', (e) => appendFileSync(browserLog, `pageerror: ${e.message}\n`));
      await page.goto(`${baseUrl}/?folder=${encodeURIComponent(options.workspace)}`, { waitUntil: 'domcontentloaded', timeout: READY_TIMEOUT_MS });
      await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: READY_TIMEOUT_MS });
      return new CodeServer(options, mark, userData, extensionsDir, server, baseUrl, context, page);
    } catch (err) {
      await context?.close().catch(() => undefined);
      await stopServer(server);
      for (const p of markedProcesses(mark)) kill(p.pid, 'SIGKILL');
      throw err;
    }
  }

  /** Whether the server process has ended. */
  get exited(): boolean {
    return this.server.exitCode !== null || this.server.signalCode !== null;
  }

  /** Resolves once the extension host has activated the extensions that start with the window. */
  async extensionHostReady(timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.extensionHostLog().includes('Eager extensions activated')) {
      if (Date.now() > deadline) throw new Error(`the extension host did not report "Eager extensions activated" within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** The extension host's own log (activation, errors). */
  extensionHostLog(): string {
    return this.logFiles((dir) => /[\\/]exthost\d+$/.test(dir), (file) => file === 'remoteexthost.log');
  }

  /** The extension's "Bifrost" log channel. */
  extensionLog(): string {
    return this.logFiles((dir) => dir.endsWith(EXTENSION_ID), () => true);
  }

  serverLog(): string {
    return readOr(join(this.options.scratch, 'code-server.log'));
  }

  /**
   * Ends the run the way a person does: the browser tab closes, then the server stops (SIGTERM)
   * and shuts its extension host down, which deactivates the extension. Whatever of the run
   * still lives after that is reported, then killed.
   */
  async stop(): Promise<StopReport> {
    await this.context.close().catch(() => undefined);
    await stopServer(this.server);
    // The extension host and its children get a moment to notice that the server is gone.
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (markedProcesses(this.mark).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    const left = markedProcesses(this.mark);
    for (const p of left) kill(p.pid, 'SIGKILL');
    return { gatewaysLeft: left.filter(isGateway), othersKilled: left.filter((p) => !isGateway(p)) };
  }

  private logFiles(inDir: (dir: string) => boolean, file: (name: string) => boolean): string {
    const root = join(this.userData, 'logs');
    return walk(root)
      .filter((f) => inDir(f.dir) && file(f.name))
      .map((f) => `==> ${f.path} <==\n${readOr(f.path)}`)
      .join('\n');
  }
}

function serverEnvironment(scratch: string, mark: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra, [RUN_MARK_VARIABLE]: mark };
  // Settings code-server would take from the environment instead of the command line.
  for (const name of ['PORT', 'PASSWORD', 'HASHED_PASSWORD', 'VSCODE_IPC_HOOK_CLI', 'VSCODE_PROXY_URI']) delete env[name];
  // code-server writes a config file and state under the XDG folders: keep them in the run.
  for (const kind of ['CONFIG', 'DATA', 'CACHE']) {
    const dir = join(scratch, 'xdg', kind.toLowerCase());
    mkdirSync(dir, { recursive: true });
    env[`XDG_${kind}_HOME`] = dir;
  }
  return env;
}

function listeningPort(server: ChildProcess, logFile: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`code-server did not say where it listens within 60 s:\n${output.slice(-3000)}`)), 60_000);
    const onData = (chunk: Buffer) => {
      appendFileSync(logFile, chunk);
      output += chunk.toString();
      const m = /HTTP server listening on https?:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        server.off('exit', onExit);
        resolve(Number(m[1]));
      }
    };
    const onExit = (code: number | null, signal: string | null) => fail(new Error(`code-server exited (code ${code}, signal ${signal}) before listening:\n${output.slice(-3000)}`));
    function fail(err: Error) {
      clearTimeout(timer);
      reject(err);
    }
    server.stdout?.on('data', onData);
    server.stderr?.on('data', onData);
    server.once('exit', onExit);
  });
}

/**
 * SIGTERM to the server alone, which stops its extension host the normal way; its whole group is
 * killed only if it has not exited in time.
 */
async function stopServer(server: ChildProcess): Promise<void> {
  const pid = server.pid;
  if (pid === undefined || server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  kill(pid, 'SIGTERM');
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS).unref());
  if ((await Promise.race([exited, timeout])) === 'timeout') {
    kill(-pid, 'SIGKILL');
    await exited;
  }
}

interface LogFile {
  dir: string;
  name: string;
  path: string;
}

function walk(dir: string): LogFile[] {
  if (!existsSync(dir)) return [];
  const out: LogFile[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else out.push({ dir, name, path });
  }
  return out;
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
