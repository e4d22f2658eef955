/**
 * The gateway's own state on disk (`--data-dir`): the certificate store (pki/) unless --pki puts
 * it elsewhere, and what later parts keep there (e.g. a store-and-forward buffer). Folders are
 * made private (mode 0700) when created: they hold a private key.
 */
import { mkdirSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The user's data folder for bifrost, as each platform has it. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = os.homedir()): string {
  if (platform === 'win32') {
    const local = env['LOCALAPPDATA'];
    return path.win32.join(local && path.win32.isAbsolute(local) ? local : path.win32.join(home, 'AppData', 'Local'), 'bifrost');
  }
  if (platform === 'darwin') return path.posix.join(home, 'Library', 'Application Support', 'bifrost');
  const data = env['XDG_DATA_HOME'];
  // The XDG rules: a relative value is invalid and is ignored.
  return path.posix.join(data && path.posix.isAbsolute(data) ? data : path.posix.join(home, '.local', 'share'), 'bifrost');
}

export class DataDir {
  constructor(readonly root: string) {}

  /** Creates the folder (0700, parents too) if it does not exist; an existing one keeps its mode. */
  ensure(): string {
    return makePrivateDir(this.root);
  }

  /** A folder of its own inside the data dir (e.g. `sub('buffer')`), created like the root. */
  sub(name: string): string {
    if (!name || name !== path.basename(name) || name === '.' || name === '..') throw new Error(`not a folder name: "${name}"`);
    this.ensure();
    return makePrivateDir(path.join(this.root, name));
  }
}

function makePrivateDir(dir: string): string {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new Error(`cannot create the folder ${dir}: ${(err as Error).message}`);
  }
  if (!statSync(dir).isDirectory()) throw new Error(`${dir} is not a folder`);
  return dir;
}
