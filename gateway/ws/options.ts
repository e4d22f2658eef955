import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../service/args';
import { readTokens } from './tokens';

/** A command line the gateway must refuse to start with (exit code 2): one class for every option. */
export { UsageError };

/** How the WebSocket listener runs: `--listen HOST:PORT --tokens FILE [--tls-cert F --tls-key F] [--allow-origin O]...`. */
export interface ListenOptions {
  host: string;
  port: number;
  tokensFile: string;
  tls: { cert: Buffer; key: Buffer } | null;
  /** Origins whose browser pages may connect; none by default. */
  allowedOrigins: string[];
}


/**
 * The listener's options from the command line, or null without `--listen`. Refuses what would
 * open the gateway wider than meant: no tokens, or an address beyond this machine without TLS.
 */
export function listenOptionsFrom(argv: string[]): ListenOptions | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      listen: { type: 'string' },
      tokens: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'allow-origin': { type: 'string', multiple: true },
    },
    strict: false,
    allowPositionals: true,
  });
  const listen = values.listen;
  const mine = ['tokens', 'tls-cert', 'tls-key', 'allow-origin'] as const;
  if (listen === undefined) {
    const stray = mine.find((k) => values[k] !== undefined);
    if (stray) throw new UsageError(`--${stray} is an option of --listen HOST:PORT, which is not given`);
    return null;
  }
  if (typeof listen !== 'string') throw new UsageError('--listen needs HOST:PORT, e.g. --listen 127.0.0.1:8765');
  for (const k of mine) {
    const v = values[k];
    if (v !== undefined && (typeof v === 'boolean' || (Array.isArray(v) && v.some((x) => typeof x !== 'string')))) throw new UsageError(`--${k} needs a value`);
  }
  const { host, port } = hostPort(listen);
  const tokensFile = values.tokens as string | undefined;
  if (!tokensFile) throw new UsageError('--listen needs --tokens FILE: the gateway serves no client without a token (make one with "token add NAME --read-only --tokens FILE")');
  try {
    readTokens(tokensFile);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const certFile = values['tls-cert'] as string | undefined;
  const keyFile = values['tls-key'] as string | undefined;
  if (!!certFile !== !!keyFile) throw new UsageError('TLS needs both --tls-cert FILE and --tls-key FILE');
  const tls = certFile && keyFile ? { cert: readPem(certFile, '--tls-cert'), key: readPem(keyFile, '--tls-key') } : null;
  if (!tls && !isLoopback(host)) {
    throw new UsageError(`--listen ${listen}: ${host} is reachable from other machines; serving it needs TLS (--tls-cert FILE --tls-key FILE), or listen on 127.0.0.1`);
  }
  const origins = ((values['allow-origin'] as string[] | undefined) ?? []).map((o) => {
    let url: URL;
    try {
      url = new URL(o);
    } catch {
      throw new UsageError(`--allow-origin ${o}: an origin is a scheme, a host and maybe a port, e.g. https://hmi.example.com`);
    }
    if (url.origin === 'null' || url.pathname !== '/' || url.search || url.hash || o.endsWith('/')) {
      throw new UsageError(`--allow-origin ${o}: an origin is a scheme, a host and maybe a port, e.g. https://hmi.example.com (no path)`);
    }
    return url.origin;
  });
  return { host, port, tokensFile: path.resolve(tokensFile), tls, allowedOrigins: origins };
}

function hostPort(s: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UsageError(`--listen "${s}" must be HOST:PORT (port 0-65535, 0 picks a free one; IPv6 as [::1]:PORT)`);
  return { host: m[1] ?? m[2]!, port };
}

/** 127.0.0.0/8, ::1 and localhost: addresses no other machine reaches. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || /^::ffff:127\./i.test(host);
  return false;
}

function readPem(file: string, option: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new UsageError(`${option} ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
