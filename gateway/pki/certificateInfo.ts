/**
 * What a person needs to decide whether to trust a certificate, from its DER or PEM, with
 * node:crypto alone (no OPC UA library).
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { CertificateInfo } from '../protocol';

export function certificateInfo(certificate: Uint8Array | string): CertificateInfo {
  const x = new X509Certificate(typeof certificate === 'string' ? certificate : Buffer.from(certificate));
  const der = x.raw;
  const info: CertificateInfo = {
    thumbprint: createHash('sha1').update(der).digest('hex'),
    sha256: createHash('sha256').update(der).digest('hex'),
    subject: oneLine(x.subject),
    issuer: oneLine(x.issuer),
    validFrom: new Date(x.validFrom).toISOString(),
    validTo: new Date(x.validTo).toISOString(),
    pem: x.toString(),
  };
  const names = subjectAltNames(x.subjectAltName);
  if (names.uri) info.applicationUri = names.uri;
  if (names.hosts.length > 0) info.hosts = names.hosts;
  return info;
}

/** Lowercase hex without colons or spaces: thumbprints as people paste them. */
export function normalizeThumbprint(text: string): string {
  return text.replace(/[\s:]/g, '').toLowerCase();
}

/** The DER of a PEM or DER file's first certificate. */
export function derOf(content: Buffer): Buffer {
  const text = content.toString('latin1');
  if (!text.includes('-----BEGIN CERTIFICATE-----')) return content;
  return new X509Certificate(content).raw;
}

/** Why a certificate is not acceptable by its dates, or null. */
export function validityProblem(info: CertificateInfo, now = Date.now()): string | null {
  if (Date.parse(info.validTo) < now) return `expired on ${info.validTo}`;
  if (Date.parse(info.validFrom) > now) return `not yet valid (from ${info.validFrom})`;
  return null;
}

function oneLine(dn: string): string {
  return dn.split('\n').filter(Boolean).join(', ');
}

function subjectAltNames(san: string | undefined): { uri?: string; hosts: string[] } {
  const out: { uri?: string; hosts: string[] } = { hosts: [] };
  if (!san) return out;
  for (const part of san.split(/,\s*/)) {
    const colon = part.indexOf(':');
    if (colon < 0) continue;
    const kind = part.slice(0, colon).trim();
    const value = part.slice(colon + 1).trim().replace(/^"|"$/g, '');
    if (kind === 'URI' && out.uri === undefined) out.uri = value;
    else if (kind === 'DNS' || kind === 'IP Address') out.hosts.push(value);
  }
  return out;
}
