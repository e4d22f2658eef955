/**
 * The gateway's certificate store, as the server and the devices see it: which certificates are
 * trusted or rejected, the gateway's own, and who to tell when a device meets one it does not
 * trust. Protocol-neutral and light: the engine (gateway/pki/manager.ts, on node-opcua) loads with
 * the OPC UA bundle at the first request that needs it.
 *
 * Folder layout (as OPC UA stores have it): own/certs, own/private, trusted/certs, rejected.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import type { CertificateInfo, CertificatesListResult, CertificateUntrustedNotification } from '../protocol';
import { ErrorCodes } from '../protocol';
import type { PkiHost } from '../core/driver';
import { BifrostError } from '../errors';
import { defaultDataDir } from '../service/dataDir';
import type { Logger } from '../log';
import { loadOpcUaBundle } from '../opcua/load';
import { certificateInfo, derOf, normalizeThumbprint } from './certificateInfo';
import type { CertificateManagerHandle } from './manager';

/** `--pki DIR`, else `pki` in the data dir (`--data-dir`, see service/dataDir.ts). */
export function defaultPkiFolder(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(defaultDataDir(env), 'pki');
}

interface StoredCertificate {
  info: CertificateInfo;
  der: Buffer;
  file: string;
}

export class CertificateStore {
  private readonly trustedListeners = new Set<(thumbprint: string) => void>();
  /** `deviceId\nthumbprint` of the notifications sent since the last config load. */
  private readonly noticed = new Set<string>();

  constructor(
    readonly folder: string,
    private readonly log: Logger,
    private readonly notify: (n: CertificateUntrustedNotification) => void,
  ) {}

  /** What one device sees of the store. */
  forDevice(deviceId: string): PkiHost {
    return {
      folder: this.folder,
      untrusted: (der, reason) => this.untrusted(deviceId, der, reason),
      onTrusted: (listener) => {
        this.trustedListeners.add(listener);
        return () => this.trustedListeners.delete(listener);
      },
    };
  }

  /** A config load asks again: every device still refused notifies once more. */
  forgetNotices(): void {
    this.noticed.clear();
  }

  private untrusted(deviceId: string, der: Uint8Array, reason: string): void {
    let certificate: CertificateInfo;
    try {
      certificate = certificateInfo(der);
    } catch (err) {
      this.log.warn(`${deviceId}: the server's certificate cannot be read: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    const key = `${deviceId}\n${certificate.thumbprint}`;
    if (this.noticed.has(key)) return;
    this.noticed.add(key);
    this.notify({ deviceId, certificate, reason });
  }

  private engine(): Promise<CertificateManagerHandle> {
    return loadOpcUaBundle(this.log).openCertificateManager(this.folder);
  }

  async list(): Promise<CertificatesListResult> {
    const engine = await this.engine();
    return {
      own: certificateInfo(readFileSync(engine.certificateFile)),
      trusted: this.read('trusted').map((c) => c.info),
      rejected: this.read('rejected').map((c) => c.info),
    };
  }

  /** The gateway's own certificate (created on first use) and where its PEM is. */
  async own(): Promise<{ info: CertificateInfo; file: string }> {
    const engine = await this.engine();
    return { info: certificateInfo(readFileSync(engine.certificateFile)), file: engine.certificateFile };
  }

  async trust(thumbprint: string): Promise<void> {
    const found = this.find(thumbprint);
    const engine = await this.engine();
    if (found.where === 'rejected') await engine.trust(found.cert.der);
    this.log.info(`certificate trusted: ${found.cert.info.subject} (thumbprint ${found.cert.info.thumbprint})`);
    for (const listener of [...this.trustedListeners]) listener(found.cert.info.thumbprint);
  }

  /**
   * Trusts a certificate without asking anybody: only for a server this gateway started itself
   * (the demo plant's), whose certificate it was handed in-process, never one it met on a network.
   */
  async trustStartedHere(der: Uint8Array, who: string): Promise<void> {
    const info = certificateInfo(der);
    const engine = await this.engine();
    await engine.trust(Buffer.from(der));
    this.log.info(`${who}: certificate trusted without a prompt (the gateway started that server): ${info.subject} (thumbprint ${info.thumbprint})`);
    for (const listener of [...this.trustedListeners]) listener(info.thumbprint);
  }

  async reject(thumbprint: string): Promise<void> {
    const found = this.find(thumbprint);
    const engine = await this.engine();
    if (found.where === 'trusted') await engine.reject(found.cert.der);
    this.log.info(`certificate rejected: ${found.cert.info.subject} (thumbprint ${found.cert.info.thumbprint})`);
  }

  async remove(thumbprint: string): Promise<void> {
    const found = this.find(thumbprint);
    const engine = await this.engine();
    if (found.where === 'trusted') {
      await engine.removeTrusted(found.cert.info.thumbprint);
    } else {
      rmSync(found.cert.file, { force: true });
      await engine.reload();
    }
    this.log.info(`certificate removed from the ${found.where} list: ${found.cert.info.subject} (thumbprint ${found.cert.info.thumbprint})`);
  }

  private find(thumbprint: string): { where: 'trusted' | 'rejected'; cert: StoredCertificate } {
    const wanted = normalizeThumbprint(thumbprint);
    if (!/^[0-9a-f]{40}$/.test(wanted)) {
      throw new BifrostError(ErrorCodes.InvalidParams, `"thumbprint" must be a SHA-1 thumbprint: 40 hexadecimal digits (got "${thumbprint}")`);
    }
    for (const where of ['rejected', 'trusted'] as const) {
      const cert = this.read(where).find((c) => c.info.thumbprint === wanted);
      if (cert) return { where, cert };
    }
    const known = [...this.read('rejected'), ...this.read('trusted')].map((c) => c.info.thumbprint);
    throw new BifrostError(
      ErrorCodes.InvalidParams,
      `no certificate with thumbprint ${wanted} in the store (${known.length ? `known: ${known.join(', ')}` : 'it holds none yet: a device must meet a server first'})`,
    );
  }

  private read(where: 'trusted' | 'rejected'): StoredCertificate[] {
    const dir = where === 'trusted' ? path.join(this.folder, 'trusted', 'certs') : path.join(this.folder, 'rejected');
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return [];
    }
    const out: StoredCertificate[] = [];
    for (const name of names) {
      if (!/\.(pem|der|crt|cer)$/i.test(name)) continue;
      const file = path.join(dir, name);
      try {
        const der = derOf(readFileSync(file));
        out.push({ info: certificateInfo(der), der, file });
      } catch (err) {
        this.log.warn(`certificate store: ${file} is not a certificate: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return out.sort((a, b) => a.info.subject.localeCompare(b.info.subject));
  }
}
