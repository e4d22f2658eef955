import * as vscode from 'vscode';
import type { BifrostConfig, DeviceInfo } from '../../gateway/protocol';
import type { Prompts } from '../commands/prompts';
import { escapeMarkdown as esc } from '../format';
import { hasPasswordSource, Login, loginsOf, NO_PASSWORD_TEXT, withPasswords } from '../config/logins';
import type { Log } from '../log/log';
import type { DeviceNote, DeviceNoteSource } from '../tree/deviceNotes';

const KEY_PREFIX = 'bifrost.password/';

/** What the secret storage holds per gateway and device: the password, and the login it belongs to. */
interface StoredPassword {
  username: string;
  server: string;
  password: string;
}

/**
 * The passwords of devices that log in with a username: kept in VS Code's SecretStorage (never in
 * bifrost.json), per gateway and device id, and only ever sent for the same username and server
 * they were stored for. Asks for a missing one when such a device is first loaded; a person who
 * closes the question is not asked again for that login, and the device row says what to do.
 */
export class Passwords implements DeviceNoteSource, vscode.Disposable {
  /** The logins of the document last sent, per gateway. */
  private readonly logins = new Map<string, readonly Login[]>();
  /** Logins (see loginKey) without a stored password: the person closed the question, or forgot it. */
  private readonly declined = new Set<string>();
  /** Logins whose question is showing or queued. */
  private readonly asking = new Set<string>();
  /** Logins (see loginKey) with a stored password, as of the last load: for the rows. */
  private readonly stored = new Set<string>();
  private askQueue: Promise<void> = Promise.resolve();
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  private readonly notesEmitter = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [];

  /** A stored password changed (here or in another window): the documents that use it must be sent again. */
  readonly onDidChangePasswords = this.changeEmitter.event;
  readonly onDidChange = this.notesEmitter.event;

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly log: Log,
    private readonly prompts: Prompts,
  ) {
    this.disposables.push(
      this.changeEmitter,
      this.notesEmitter,
      // Another window stored or forgot one (this window's own changes fire as well: the reload is queued, and cheap).
      secrets.onDidChange((e) => {
        if (e.key.startsWith(KEY_PREFIX)) this.changeEmitter.fire();
      }),
    );
  }

  /** The username logins of a gateway's document, as of its last load. */
  loginsOf(gatewayId: string): readonly Login[] {
    return this.logins.get(gatewayId) ?? [];
  }

  /**
   * The document to send to a gateway: literal passwords dropped, the stored ones added (and
   * masked in the log from now on).
   */
  async prepare(gatewayId: string, doc: BifrostConfig): Promise<BifrostConfig> {
    const logins = loginsOf(doc);
    const passwords = new Map<string, string>();
    const stored = new Set<string>();
    for (const login of logins) {
      const password = await this.get(gatewayId, login);
      if (password === undefined) continue;
      this.log.redactor.add(password);
      passwords.set(login.deviceId, password);
      stored.add(loginKey(gatewayId, login));
    }
    this.logins.set(gatewayId, logins);
    for (const key of [...this.stored]) if (JSON.parse(key)[0] === gatewayId && !stored.has(key)) this.stored.delete(key);
    stored.forEach((k) => this.stored.add(k));
    this.notesEmitter.fire();
    return withPasswords(doc, passwords);
  }

  /**
   * After a load: asks, one device after the other, for the password of each running, enabled
   * device that has none to send. Not awaited by the load: a person may take their time.
   */
  askForMissing(gatewayId: string, running: readonly string[]): void {
    for (const login of this.loginsOf(gatewayId)) {
      const key = loginKey(gatewayId, login);
      if (!login.enabled || !running.includes(login.deviceId) || hasPasswordSource(login, this.stored.has(key))) continue;
      if (this.declined.has(key) || this.asking.has(key)) continue;
      this.asking.add(key);
      this.askQueue = this.askQueue.then(() => this.ask(gatewayId, login, key)).catch((err: unknown) => this.log.error('client: asking for a password failed', err));
    }
  }

  /** Asks a person for a login's password and stores it; false when they closed the question. */
  async askAndStore(gatewayId: string, login: Login, title = 'Bifrost: Set Password'): Promise<boolean> {
    const password = await this.prompts.inputBox({
      title,
      prompt: `${login.deviceName} logs in as "${login.username}" (${login.server}). Its password is kept in VS Code's secret storage, not in bifrost.json.`,
      placeHolder: `password of ${login.username}`,
      password: true,
      ignoreFocusOut: true,
      validateInput: (v) => (v === '' ? 'Type the password (Escape to leave it unset).' : undefined),
    });
    if (password === undefined || password === '') return false;
    await this.set(gatewayId, login, password);
    return true;
  }

  async set(gatewayId: string, login: Login, password: string): Promise<void> {
    this.log.redactor.add(password);
    const record: StoredPassword = { username: login.username, server: login.server, password };
    const key = loginKey(gatewayId, login);
    this.declined.delete(key);
    this.stored.add(key);
    await this.secrets.store(secretKey(gatewayId, login.deviceId), JSON.stringify(record));
    this.log.info(`client: stored the password of "${login.username}" for ${login.deviceId}`);
    this.notesEmitter.fire();
    // The storage tells other windows; this one sends the document again at once.
    this.changeEmitter.fire();
  }

  /** Removes a device's stored password; true when there was one. */
  async forget(gatewayId: string, login: Login): Promise<boolean> {
    const had = (await this.secrets.get(secretKey(gatewayId, login.deviceId))) !== undefined;
    const key = loginKey(gatewayId, login);
    // Forgotten on purpose: not asked again until a person sets one.
    this.declined.add(key);
    this.stored.delete(key);
    if (had) {
      await this.secrets.delete(secretKey(gatewayId, login.deviceId));
      this.log.info(`client: forgot the password of "${login.username}" for ${login.deviceId}`);
      this.changeEmitter.fire();
    }
    this.notesEmitter.fire();
    return had;
  }

  /** Whether a password is stored for this login (its username and server). */
  async has(gatewayId: string, login: Login): Promise<boolean> {
    return (await this.get(gatewayId, login)) !== undefined;
  }

  notesFor(gatewayId: string, device: DeviceInfo): DeviceNote[] {
    const login = this.loginsOf(gatewayId).find((l) => l.deviceId === device.id);
    if (!login || device.source !== 'config') return [];
    const key = loginKey(gatewayId, login);
    const missing = !hasPasswordSource(login, this.stored.has(key));
    const tooltip = missing
      ? `$(key) Logs in as **${esc(login.username)}**: no password set. [Set Password…](command:bifrost.setPassword)`
      : `$(key) Logs in as **${esc(login.username)}** (password ${this.stored.has(key) ? "in VS Code's secret storage" : `from $${esc(login.passwordEnv ?? '')}`}).`;
    return [{ flag: 'password', tooltip, commands: ['bifrost.setPassword'], ...(missing && device.status !== 'connected' ? { description: NO_PASSWORD_TEXT } : {}) }];
  }

  private async get(gatewayId: string, login: Login): Promise<string | undefined> {
    const text = await this.secrets.get(secretKey(gatewayId, login.deviceId));
    if (text === undefined) return undefined;
    try {
      const r = JSON.parse(text) as Partial<StoredPassword>;
      // A password belongs to one user on one server: a device id reused elsewhere does not get it.
      return r.username === login.username && r.server === login.server && typeof r.password === 'string' ? r.password : undefined;
    } catch {
      return undefined;
    }
  }

  private async ask(gatewayId: string, login: Login, key: string): Promise<void> {
    try {
      // Set Password may have stored one while this waited in the queue.
      if (await this.has(gatewayId, login)) return;
      if (!(await this.askAndStore(gatewayId, login, 'Bifrost: Password Needed'))) {
        this.declined.add(key);
        this.notesEmitter.fire();
      }
    } finally {
      this.asking.delete(key);
    }
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}

function secretKey(gatewayId: string, deviceId: string): string {
  return `${KEY_PREFIX}${gatewayId}/${deviceId}`;
}

function loginKey(gatewayId: string, login: Login): string {
  return JSON.stringify([gatewayId, login.deviceId, login.username, login.server]);
}
