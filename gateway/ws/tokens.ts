import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * `read-only` and `read-write` open /rpc (a read-only token gets WriteRefused on what changes
 * something); `metrics` may only GET /metrics and /health, for a scraper that should see no data.
 */
export type Access = 'read-only' | 'read-write' | 'metrics';

export const ACCESS_LEVELS: readonly Access[] = ['read-only', 'read-write', 'metrics'];

/** One entry of the tokens file. The token itself is never stored, only its hash. */
export interface TokenEntry {
  name: string;
  /** SHA-256 of the token, hex. */
  hash: string;
  access: Access;
  /** ISO 8601. */
  created: string;
}

/** Who a presented token belongs to. */
export interface Identity {
  name: string;
  access: Access;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * A new token: 32 random bytes, base64url. Because a token carries 256 bits of randomness, a
 * fast hash (SHA-256) is enough to store it: a slow, salted password hash protects guessable
 * secrets, and nobody can guess or brute-force a 256-bit random value from its hash.
 */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Reads and checks a tokens file; a missing file is an empty list only when `missingIsEmpty`. */
export function readTokens(file: string, missingIsEmpty = false): TokenEntry[] {
  if (missingIsEmpty && !existsSync(file)) return [];
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read the tokens file ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!Array.isArray(doc)) throw new Error(`the tokens file ${file} must hold a JSON array of {name, hash, access, created} entries`);
  return doc.map((e: unknown, i) => {
    const entry = e as Partial<TokenEntry> | null;
    if (!entry || typeof entry.name !== 'string' || typeof entry.hash !== 'string' || !/^[0-9a-f]{64}$/.test(entry.hash) || !ACCESS_LEVELS.includes(entry.access as Access)) {
      throw new Error(`the tokens file ${file}: entry ${i} must have a "name", a "hash" (64 hex digits, SHA-256 of the token) and an "access" ("read-only", "read-write" or "metrics")`);
    }
    return { name: entry.name, hash: entry.hash, access: entry.access as Access, created: typeof entry.created === 'string' ? entry.created : '' };
  });
}

/** Writes the file whole, readable by its owner only, through a rename so that no reader sees half of it. */
export function writeTokens(file: string, entries: readonly TokenEntry[]): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  writeFileSync(temp, `${JSON.stringify(entries, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, file);
}

/** The identity a token belongs to, or null. Every entry's hash is compared in constant time. */
export function verifyToken(entries: readonly TokenEntry[], token: string): Identity | null {
  const presented = Buffer.from(hashToken(token), 'hex');
  let found: Identity | null = null;
  for (const e of entries) {
    if (timingSafeEqual(presented, Buffer.from(e.hash, 'hex')) && !found) found = { name: e.name, access: e.access };
  }
  return found;
}

/** Adds a token; answers the token, which exists nowhere else afterwards. */
export function addToken(file: string, name: string, access: Access, now = new Date()): string {
  if (!NAME.test(name)) throw new Error(`the token name "${name}" must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`);
  const entries = readTokens(file, true);
  if (entries.some((e) => e.name === name)) throw new Error(`a token named "${name}" exists already in ${file}; remove it first to replace it`);
  const token = newToken();
  writeTokens(file, [...entries, { name, hash: hashToken(token), access, created: now.toISOString() }]);
  return token;
}

export function removeToken(file: string, name: string): void {
  const entries = readTokens(file);
  if (!entries.some((e) => e.name === name)) throw new Error(`no token named "${name}" in ${file}`);
  writeTokens(file, entries.filter((e) => e.name !== name));
}

/** Why a metrics token cannot open a JSON-RPC connection (the upgrade's 403, bifrost/authenticate's refusal). */
export function metricsOnly(name: string): string {
  return `the token "${name}" is a metrics token: it may GET /metrics and /health, not open a JSON-RPC connection (use a read-only or read-write token)`;
}
