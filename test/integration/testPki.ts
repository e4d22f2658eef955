/**
 * Certificates for TLS tests, made by openssl in a temporary folder: a CA, a server certificate
 * it signs for 127.0.0.1 and localhost, a client certificate, a second CA that signed none of
 * them, and the client key encrypted with a passphrase.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { opensslEnv } from './harness';

export interface TestPki {
  dir: string;
  ca: string;
  otherCa: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** clientKey encrypted with `passphrase`. */
  clientKeyEncrypted: string;
  passphrase: string;
  dispose(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: opensslEnv() });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function ca(dir: string, name: string): void {
  openssl(dir, ['req', '-x509', ...EC, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=Bifrost test ${name}`]);
}

function signed(dir: string, name: string, subject: string, ext: string): void {
  writeFileSync(path.join(dir, `${name}.ext`), `${ext}\n`);
  openssl(dir, ['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`]);
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-pki-'));
  ca(dir, 'ca');
  ca(dir, 'other-ca');
  signed(dir, 'server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth');
  signed(dir, 'client', '/CN=bifrost-gateway', 'extendedKeyUsage=clientAuth');
  const passphrase = 'test passphrase';
  openssl(dir, ['pkey', '-in', 'client.key', '-aes256', '-passout', `pass:${passphrase}`, '-out', 'client-encrypted.key']);
  const at = (f: string) => path.join(dir, f);
  // Mosquitto started as root reads its files as the mosquitto user, as a real broker would.
  chmodSync(dir, 0o755);
  chmodSync(at('server.key'), 0o644);
  return {
    dir,
    ca: at('ca.pem'),
    otherCa: at('other-ca.pem'),
    serverCert: at('server.pem'),
    serverKey: at('server.key'),
    clientCert: at('client.pem'),
    clientKey: at('client.key'),
    clientKeyEncrypted: at('client-encrypted.key'),
    passphrase,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
