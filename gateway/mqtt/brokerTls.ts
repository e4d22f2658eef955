/**
 * TLS to an MQTT broker (`"tls"` of a publisher): the CA to trust the broker by, and a client
 * certificate and key to log in with. The files are read once, when the publisher starts, and
 * checked (each is what it should be, the key is the certificate's), so that a mistake is a
 * configuration problem naming the field rather than a failed handshake every two seconds. A
 * key's passphrase is never in bifrost.json: `passphraseEnv` names the variable that holds it.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createSecureContext } from 'node:tls';
import { show, type FieldRule } from '../core/configRules';
import { errorMessage } from '../errors';

export interface TlsSettings {
  ca?: string;
  cert?: string;
  key?: string;
  passphraseEnv?: string;
  /** Default true: a broker whose certificate is not trusted is refused. */
  rejectUnauthorized?: boolean;
  servername?: string;
}

/** What the MQTT client's TLS socket is given. */
export interface TlsOptions {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  passphrase?: string;
  rejectUnauthorized: boolean;
  servername?: string;
}

const FILES = ['ca', 'cert', 'key'] as const;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const TLS_RULE: FieldRule = {
  key: 'tls',
  kind: 'custom',
  description:
    'TLS to the broker (with an mqtts:// or wss:// broker): the CA that signed its certificate, and a client certificate and key if the broker asks for one. Files are absolute paths, read when the publisher starts.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ca: { type: 'string', minLength: 1, description: "The CA certificate(s) (PEM) the broker's certificate must be signed by. Default: the system's CAs." },
      cert: { type: 'string', minLength: 1, description: 'The client certificate (PEM), for a broker that asks for one. Needs "key".' },
      key: { type: 'string', minLength: 1, description: 'The private key (PEM) of "cert".' },
      passphraseEnv: { type: 'string', pattern: ENV_NAME.source, description: 'The environment variable holding the passphrase of an encrypted "key" (never the passphrase itself).' },
      rejectUnauthorized: { type: 'boolean', default: true, description: 'Default true: a broker whose certificate is not trusted (or not for its host name) is refused. False only for a test broker.' },
      servername: { type: 'string', minLength: 1, description: "The host name the broker's certificate must name, when it is not the one in the broker URL." },
    },
    dependentRequired: { cert: ['key'], key: ['cert'], passphraseEnv: ['key'] },
    defaultSnippets: [{ label: 'TLS with a CA', body: { ca: '${1:/etc/bifrost/broker-ca.pem}' } }],
  },
  check: (v) => checkTls(v),
};

export function checkTls(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return `"tls" must be an object such as {"ca": "/etc/bifrost/broker-ca.pem"} (got ${show(v)})`;
  const t = v as Record<string, unknown>;
  for (const [key, value] of Object.entries(t)) {
    if ((FILES as readonly string[]).includes(key)) {
      if (typeof value !== 'string' || value === '') return `"tls.${key}" must be the path of a PEM file (got ${show(value)})`;
      // Relative to what? A document loaded over the protocol has no folder: only absolute paths are unambiguous.
      if (!path.isAbsolute(value) && !path.win32.isAbsolute(value)) return `"tls.${key}" must be an absolute path (got ${show(value)})`;
    } else if (key === 'passphraseEnv') {
      if (typeof value !== 'string' || !ENV_NAME.test(value)) return `"tls.passphraseEnv" must be an environment variable name: letters, digits and "_" (got ${show(value)})`;
    } else if (key === 'rejectUnauthorized') {
      if (typeof value !== 'boolean') return `"tls.rejectUnauthorized" must be true or false (got ${show(value)})`;
    } else if (key === 'servername') {
      if (typeof value !== 'string' || value.trim() === '') return `"tls.servername" must be a host name (got ${show(value)})`;
    } else if (key === 'passphrase') {
      return 'a passphrase does not belong in bifrost.json: put it in an environment variable and name that with "tls.passphraseEnv"';
    } else {
      return `"tls" has no setting "${key}" (it has "ca", "cert", "key", "passphraseEnv", "rejectUnauthorized" and "servername")`;
    }
  }
  if ((t['cert'] === undefined) !== (t['key'] === undefined)) return '"tls.cert" and "tls.key" go together: a client certificate needs its key';
  if (t['passphraseEnv'] !== undefined && t['key'] === undefined) return '"tls.passphraseEnv" is the passphrase of "tls.key", which is not set';
  return undefined;
}

/** The TLS options of checked settings, files read; or what is wrong, naming the field (`ca`, `key`, …). */
export function loadTls(s: TlsSettings, env: NodeJS.ProcessEnv): { options: TlsOptions } | { field: string; message: string } {
  const options: TlsOptions = { rejectUnauthorized: s.rejectUnauthorized !== false };
  if (s.servername !== undefined) options.servername = s.servername;
  for (const field of FILES) {
    const file = s[field];
    if (file === undefined) continue;
    try {
      options[field] = readFileSync(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : errorMessage(err);
      return { field, message: `cannot read "tls.${field}" ${file}: ${why}` };
    }
  }
  if (s.passphraseEnv !== undefined) {
    const passphrase = env[s.passphraseEnv];
    if (passphrase === undefined) return { field: 'passphraseEnv', message: `the environment variable ${s.passphraseEnv} (the passphrase of "tls.key") is not set` };
    options.passphrase = passphrase;
  }
  if (options.ca) {
    try {
      new X509Certificate(options.ca);
    } catch {
      return { field: 'ca', message: `"tls.ca" ${s.ca} is not a PEM certificate` };
    }
  }
  if (options.cert && options.key) {
    let cert: X509Certificate;
    let key: KeyObject;
    try {
      cert = new X509Certificate(options.cert);
    } catch {
      return { field: 'cert', message: `"tls.cert" ${s.cert} is not a PEM certificate` };
    }
    try {
      key = createPrivateKey(options.passphrase !== undefined ? { key: options.key, passphrase: options.passphrase } : { key: options.key });
    } catch (err) {
      // OpenSSL's words for a missing passphrase vary ("interrupted or cancelled"): the PEM header says it plainly.
      const encrypted = /ENCRYPTED/.test(options.key.toString('latin1', 0, 200)) || /passphrase|decrypt/i.test(errorMessage(err));
      return {
        field: 'key',
        message: encrypted
          ? `"tls.key" ${s.key} is encrypted and cannot be opened: ${options.passphrase === undefined ? 'name the variable holding its passphrase with "tls.passphraseEnv"' : 'the passphrase is wrong'}`
          : `"tls.key" ${s.key} is not a PEM private key`,
      };
    }
    if (!cert.checkPrivateKey(key)) return { field: 'key', message: `"tls.key" ${s.key} is not the key of the certificate in "tls.cert" ${s.cert}` };
  }
  try {
    // What Node itself will make of them at connect time (a CA bundle with a broken entry, say).
    createSecureContext({ ...options });
  } catch (err) {
    return { field: 'ca', message: `the TLS files cannot be used: ${errorMessage(err)}` };
  }
  return { options };
}

/**
 * A failed TLS handshake in words a person can act on; undefined for an error that is not one.
 * Node names certificate failures by OpenSSL's codes.
 */
export function tlsProblem(err: Error): string | undefined {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `the broker's certificate is not for this host name (${err.message}): check the broker URL or "tls.servername"`;
  if (/CERT|SELF_SIGNED|UNABLE_TO_(GET_ISSUER|VERIFY)/.test(code)) return `the broker's certificate is not trusted (${err.message}): name the CA that signed it in "tls.ca"`;
  return undefined;
}
