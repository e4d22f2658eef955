import * as path from 'node:path';
import * as vscode from 'vscode';
import { ResponseError } from 'vscode-jsonrpc';
import { BifrostConfig, ConfigLoad, ConfigLoadResult, ConfigProblem, ErrorCodes } from '../../gateway/protocol';
import type { Ctx } from '../client/ctx';
import { LineIndex, locatePointer, parseConfigText, SpanMessage } from './document';
import { problemText, SkippedEntry, skippedEntries } from './skipped';
import { userMessage } from '../client/errors';
import type { Passwords } from '../secrets/passwords';
import { LITERAL_PASSWORD_MESSAGE, loginsOf } from './logins';

const RELOAD_DELAY_MS = 250;

/** Devices the gateway runs beside the file's without their being written to it (Browse on a discovered server). */
export interface UnsavedDeviceSource {
  readonly devices: readonly BifrostConfig['devices'][number][];
  readonly onDidChange: vscode.Event<void>;
}

/**
 * Keeps the gateway's devices in step with bifrost.json: loads it after every gateway start and
 * whenever the file changes (or a stored password does), and shows what is wrong with it as
 * diagnostics on the file. A file that does not parse is never sent: the devices keep running as
 * they were. What is sent is the file's document with the passwords of the secret storage in
 * place of any written into the file (Passwords.prepare); it is never logged. The unsaved devices
 * go after the file's (so the file's JSON pointers stay true), left out where the file has their id.
 */
export class ConfigSync implements vscode.Disposable {
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('bifrost');
  private watcher: vscode.Disposable | undefined;
  private reloadTimer: ReturnType<typeof setTimeout> | undefined;
  /** The last document the gateway accepted; sent again to a new gateway if the file is broken by then. */
  private lastGood: BifrostConfig | undefined;
  /** Loads run one after the other, never two at once. */
  private queue: Promise<void> = Promise.resolve();
  private readonly disposables: vscode.Disposable[] = [];
  private skippedList: readonly SkippedEntry[] = [];
  private readonly skippedEmitter = new vscode.EventEmitter<void>();
  private unsavedProblemList: readonly ConfigProblem[] = [];
  /** Unsaved devices in the last document sent: when the last one closes, a document goes without them. */
  private sentUnsaved = 0;

  /** The entries of bifrost.json the gateway left out changed. */
  readonly onDidChangeSkipped = this.skippedEmitter.event;

  constructor(
    private readonly ctx: Ctx,
    private readonly passwords: Passwords,
    private readonly gatewayId: string,
    private readonly unsaved?: UnsavedDeviceSource,
  ) {
    ctx.onRestore(() => this.enqueue(true));
    if (unsaved) this.disposables.push(unsaved.onDidChange(() => void this.reload()));
    this.disposables.push(
      this.diagnostics,
      this.skippedEmitter,
      // A device reconnects with the new password once the document is sent again.
      passwords.onDidChangePasswords(() => {
        ctx.whenRunning().then(() => this.reload(), () => undefined);
      }),
      ctx.settings.onDidChange((change) => {
        if (!change.live.includes('configPath')) return;
        this.lastGood = undefined;
        this.diagnostics.clear();
        this.watch();
        this.scheduleReload();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        this.watch();
        this.scheduleReload();
      }),
    );
    this.watch();
  }

  /** Where bifrost.json is (or would be); undefined without a workspace folder. */
  get uri(): vscode.Uri | undefined {
    const configured = this.ctx.settings.current.configPath;
    if (path.isAbsolute(configured)) return vscode.Uri.file(configured);
    const folder = vscode.workspace.workspaceFolders?.[0];
    return folder ? vscode.Uri.joinPath(folder.uri, configured) : undefined;
  }

  /**
   * Loads the file now (after earlier loads are done). While the gateway starts there is nothing
   * to do: its start loads the file anyway, and waiting here would hold up that start.
   */
  reload(): Promise<void> {
    if (this.ctx.state !== 'running') return Promise.resolve();
    return this.enqueue(false);
  }

  /** The devices and tags of bifrost.json the gateway left out at the last load, with why. */
  get skipped(): readonly SkippedEntry[] {
    return this.skippedList;
  }

  /** What the gateway said about the unsaved devices at the last load, pointers as sent (after the file's devices). */
  get unsavedProblems(): readonly ConfigProblem[] {
    return this.unsavedProblemList;
  }

  /** The JSON pointer of a configured device in the document last sent, to open the editor there. */
  devicePointer(deviceId: string): string | undefined {
    const index = this.lastGood?.devices.findIndex((d) => d.id === deviceId) ?? -1;
    return index < 0 ? undefined : `/devices/${index}`;
  }

  private setSkipped(list: readonly SkippedEntry[]): void {
    if (list.length === 0 && this.skippedList.length === 0) return;
    this.skippedList = list;
    this.skippedEmitter.fire();
  }

  private enqueue(duringRestore: boolean): Promise<void> {
    const run = this.queue.then(() => this.load(duringRestore));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private scheduleReload(): void {
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = undefined;
      void this.reload();
    }, RELOAD_DELAY_MS);
  }

  private watch(): void {
    this.watcher?.dispose();
    this.watcher = undefined;
    const uri = this.uri;
    if (!uri) return;
    const pattern = new vscode.RelativePattern(vscode.Uri.file(path.dirname(uri.fsPath)), path.basename(uri.fsPath));
    const w = vscode.workspace.createFileSystemWatcher(pattern);
    w.onDidChange(() => this.scheduleReload());
    w.onDidCreate(() => this.scheduleReload());
    w.onDidDelete(() => this.scheduleReload());
    this.watcher = w;
  }

  private async load(duringRestore: boolean): Promise<void> {
    const uri = this.uri;
    const send = async (doc: BifrostConfig): Promise<ConfigLoadResult> => {
      const filed = Array.isArray(doc.devices) ? doc.devices : [];
      const filedIds = new Set(filed.map((d) => d?.id));
      const extra = (this.unsaved?.devices ?? []).filter((d) => !filedIds.has(d.id));
      this.sentUnsaved = extra.length;
      const sent = await this.passwords.prepare(this.gatewayId, extra.length ? { ...doc, devices: [...filed, ...extra] } : doc);
      const result = await (duringRestore ? this.ctx.requestDuringRestore(ConfigLoad, sent) : this.ctx.request(ConfigLoad, sent));
      this.passwords.askForMissing(this.gatewayId, result.devices);
      const [own, others] = splitProblems(result.problems, filed.length);
      this.unsavedProblemList = others;
      for (const p of others) this.ctx.log.warn(`client: an unsaved device: ${p.path}: ${p.message}`);
      return { ...result, problems: own };
    };
    if (!uri) {
      setConfigExists(false);
      // No folder open: nothing configured, but a new gateway still gets the last accepted
      // devices, and the unsaved ones come and go.
      if (this.lastGood || this.unsaved?.devices.length || this.sentUnsaved) await send(this.lastGood ?? { devices: [] });
      return;
    }
    const text = await readText(uri);
    setConfigExists(text !== undefined);
    if (text === undefined) {
      this.diagnostics.delete(uri);
      this.setSkipped([]);
      // Never had one: nothing to clear.
      if (this.lastGood === undefined && duringRestore && !this.unsaved?.devices.length && !this.sentUnsaved) return;
      this.ctx.log.info(`client: ${uri.fsPath} does not exist; no configured devices`);
      this.lastGood = { devices: [] };
      await send(this.lastGood);
      return;
    }
    const parsed = parseConfigText(text);
    const lines = new LineIndex(text);
    if (parsed.errors.length > 0) {
      this.diagnostics.set(uri, parsed.errors.map((e) => toDiagnostic(lines, e, vscode.DiagnosticSeverity.Error)));
      this.ctx.log.warn(`client: ${path.basename(uri.fsPath)} has ${parsed.errors.length} syntax error(s); devices keep running as they were`);
      if (duringRestore && this.lastGood) await send(this.lastGood);
      return;
    }
    const value = parsed.value;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.diagnostics.set(uri, [
        toDiagnostic(lines, { offset: 0, length: 1, message: 'bifrost.json must hold an object with a "devices" list.' }, vscode.DiagnosticSeverity.Error),
      ]);
      return;
    }
    const doc = value as BifrostConfig;
    try {
      const result = await send(doc);
      this.lastGood = doc;
      this.diagnostics.set(uri, [...result.problems.map((p) => problemDiagnostic(lines, parsed.root, p)), ...literalPasswords(lines, parsed.root, doc)]);
      this.setSkipped(skippedEntries(result.problems, doc));
      const errors = result.problems.filter((p) => p.severity === 'error').length;
      this.ctx.log.info(
        `client: loaded ${path.basename(uri.fsPath)}: ${result.devices.length} device(s) running` +
          (result.problems.length ? `, ${errors} error(s), ${result.problems.length - errors} warning(s)` : ''),
      );
    } catch (err) {
      const problems = err instanceof ResponseError && err.code === ErrorCodes.BadConfig ? problemsIn(err.data) : [];
      const shown = problems.length > 0 ? problems : [{ path: '', message: userMessage(err), severity: 'error' as const }];
      this.diagnostics.set(uri, [...shown.map((p) => problemDiagnostic(lines, parsed.root, p)), ...literalPasswords(lines, parsed.root, doc)]);
      this.ctx.log.error(`client: loading ${path.basename(uri.fsPath)} failed`, err);
    }
  }

  dispose(): void {
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.watcher?.dispose();
    this.disposables.forEach((d) => d.dispose());
  }
}

/** The problems of the file's `count` devices (and of the rest of the file), and those of the devices sent after them. */
function splitProblems(problems: readonly ConfigProblem[], count: number): [ConfigProblem[], ConfigProblem[]] {
  const own: ConfigProblem[] = [];
  const others: ConfigProblem[] = [];
  for (const p of problems) {
    const index = /^\/devices\/(\d+)(?:\/|$)/.exec(p.path)?.[1];
    (index !== undefined && Number(index) >= count ? others : own).push(p);
  }
  return [own, others];
}

/** For the welcome view: "Create bifrost.json" or "Open bifrost.json". */
function setConfigExists(exists: boolean): void {
  void vscode.commands.executeCommand('setContext', 'bifrost.configExists', exists);
}

async function readText(uri: vscode.Uri): Promise<string | undefined> {
  try {
    return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  } catch (err) {
    if (err instanceof vscode.FileSystemError && err.code === 'FileNotFound') return undefined;
    throw err;
  }
}

function problemsIn(data: unknown): ConfigProblem[] {
  const list = (data as { problems?: unknown } | undefined)?.problems;
  return Array.isArray(list) ? (list as ConfigProblem[]) : [];
}

/** A password written into the file: marked on its line; the gateway never gets it. */
function literalPasswords(lines: LineIndex, root: Parameters<typeof locatePointer>[0], doc: unknown): vscode.Diagnostic[] {
  return loginsOf(doc).flatMap((login) =>
    login.literalPasswordAt === undefined
      ? []
      : [toDiagnostic(lines, { ...locatePointer(root, login.literalPasswordAt), message: LITERAL_PASSWORD_MESSAGE }, vscode.DiagnosticSeverity.Warning)],
  );
}

function problemDiagnostic(lines: LineIndex, root: Parameters<typeof locatePointer>[0], p: ConfigProblem): vscode.Diagnostic {
  const span = locatePointer(root, p.path);
  const severity = p.severity === 'warning' ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Error;
  return toDiagnostic(lines, { ...span, message: problemText(p) }, severity);
}

function toDiagnostic(lines: LineIndex, s: SpanMessage, severity: vscode.DiagnosticSeverity): vscode.Diagnostic {
  const start = lines.position(s.offset);
  const end = lines.position(s.offset + s.length);
  const d = new vscode.Diagnostic(
    new vscode.Range(start.line, start.character, end.line, end.character),
    s.message,
    severity,
  );
  d.source = 'bifrost';
  return d;
}
