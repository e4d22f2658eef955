/**
 * The certificate store's engine: node-opcua's OPCUACertificateManager on the store's folder,
 * never accepting an unknown certificate by itself, and the gateway's own application instance
 * certificate, created on first use. One manager per folder in the process: the devices' clients
 * and the certificate requests see the same trust lists. Loaded with the OPC UA bundle only.
 */
import { existsSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';

export const APPLICATION_NAME = 'Bifrost';

export interface CertificateManagerHandle {
  readonly manager: OPCUACertificateManager;
  readonly applicationName: string;
  readonly applicationUri: string;
  readonly certificateFile: string;
  readonly privateKeyFile: string;
  /** `Good`, or why not: `BadCertificateUntrusted`, `BadCertificateTimeInvalid`, … (unknown ones land in rejected/). */
  check(der: Buffer): Promise<string>;
  trust(der: Buffer): Promise<void>;
  reject(der: Buffer): Promise<void>;
  removeTrusted(thumbprint: string): Promise<void>;
  /** After files changed behind the manager's back (a rejected file removed). */
  reload(): Promise<void>;
}

const open = new Map<string, Promise<CertificateManagerHandle>>();

export function openCertificateManager(folder: string): Promise<CertificateManagerHandle> {
  const key = path.resolve(folder);
  let handle = open.get(key);
  if (!handle) {
    handle = create(key);
    open.set(key, handle);
    handle.catch(() => open.delete(key));
  }
  return handle;
}

async function create(folder: string): Promise<CertificateManagerHandle> {
  const manager = new OPCUACertificateManager({
    rootFolder: folder,
    name: 'bifrost',
    automaticallyAcceptUnknownCertificate: false,
    keySize: 2048,
    // No watcher handles: every change goes through this one manager (or reload()).
    disableFileWatchers: true,
  });
  await manager.initialize();
  const hostname = os.hostname();
  const applicationUri = `urn:${hostname}:${APPLICATION_NAME}`;
  const certificateFile = path.join(folder, 'own', 'certs', 'client_certificate.pem');
  const privateKeyFile = path.join(folder, 'own', 'private', 'private_key.pem');
  if (!existsSync(certificateFile) || statSync(certificateFile).size === 0) {
    await manager.createSelfSignedCertificate({
      applicationUri,
      dns: [hostname],
      subject: `/CN=${APPLICATION_NAME}@${hostname}/O=Bifrost`,
      startDate: new Date(),
      validity: 365 * 5,
      outputFile: certificateFile,
    });
  }
  return {
    manager,
    applicationName: APPLICATION_NAME,
    applicationUri,
    certificateFile,
    privateKeyFile,
    async check(der) {
      const status = await manager.checkCertificate(der);
      return status.name;
    },
    trust: (der) => manager.trustCertificate(der),
    reject: (der) => manager.rejectCertificate(der),
    async removeTrusted(thumbprint) {
      await manager.removeTrustedCertificate(thumbprint);
    },
    reload: () => manager.reloadCertificates(),
  };
}
