import type { BifrostConfig } from '../../gateway/protocol';

/**
 * The devices of bifrost.json that log in with a username, and the document the gateway gets
 * for them: a password never comes from the file (it is dropped there), only from the client's
 * secret storage (added here). Free of vscode so it can be tested alone.
 */

export const LITERAL_PASSWORD_MESSAGE =
  "a password does not belong in bifrost.json: use Bifrost: Set Password… (stored in VS Code's secret storage) or passwordEnv";

/** What a device row says while its login has no password to send. */
export const NO_PASSWORD_TEXT = 'no password set: use Bifrost: Set Password…';

export interface Login {
  readonly deviceId: string;
  /** For people: the device's name, else its id. */
  readonly deviceName: string;
  readonly username: string;
  /** Where the device logs in (its endpoint URL, else host and port): a stored password is only ever sent there. */
  readonly server: string;
  readonly passwordEnv?: string;
  /** JSON pointer of a password written into the file (never sent). */
  readonly literalPasswordAt?: string;
  readonly enabled: boolean;
}

/** The devices whose `user` is `{"type": "username", "username": …}`, in document order; others are left alone. */
export function loginsOf(doc: unknown): Login[] {
  const devices = (doc as { devices?: unknown } | undefined)?.devices;
  if (!Array.isArray(devices)) return [];
  const out: Login[] = [];
  devices.forEach((d: unknown, index) => {
    if (!isObject(d) || typeof d['id'] !== 'string') return;
    const user = d['user'];
    if (!isObject(user) || user['type'] !== 'username' || typeof user['username'] !== 'string') return;
    const name = typeof d['name'] === 'string' && d['name'].trim() !== '' ? d['name'] : d['id'];
    const login: Login = {
      deviceId: d['id'],
      deviceName: name,
      username: user['username'],
      server: serverOf(d),
      enabled: d['enabled'] !== false,
      ...(typeof user['passwordEnv'] === 'string' && user['passwordEnv'] !== '' ? { passwordEnv: user['passwordEnv'] } : {}),
      ...('password' in user ? { literalPasswordAt: `/devices/${index}/user/password` } : {}),
    };
    out.push(login);
  });
  return out;
}

/**
 * The document to send: every literal `user.password` removed, and the stored password (by device
 * id) added to username logins. The input is not changed; devices without a login pass as they are.
 */
export function withPasswords(doc: BifrostConfig, passwords: ReadonlyMap<string, string>): BifrostConfig {
  if (!Array.isArray(doc.devices)) return doc;
  const devices = doc.devices.map((d): BifrostConfig['devices'][number] => {
    const user = (d as { user?: unknown }).user;
    if (!isObject(user) || user['type'] !== 'username') return d;
    const { password: _literal, ...rest } = user;
    const stored = typeof d.id === 'string' ? passwords.get(d.id) : undefined;
    return { ...d, user: stored === undefined ? rest : { ...rest, password: stored } };
  });
  return { ...doc, devices };
}

/** A login has something to send: a stored password, or an environment variable the gateway reads. */
export function hasPasswordSource(login: Login, stored: boolean): boolean {
  return stored || login.passwordEnv !== undefined;
}

function serverOf(d: Record<string, unknown>): string {
  if (typeof d['endpointUrl'] === 'string') return d['endpointUrl'];
  const host = typeof d['host'] === 'string' ? d['host'] : '';
  const port = typeof d['port'] === 'number' || typeof d['port'] === 'string' ? `:${d['port']}` : '';
  return `${host}${port}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
