import {
  Call,
  CertificatesReject,
  CertificatesRemove,
  CertificatesTrust,
  ConfigLoad,
  DemoMute,
  DemoStart,
  DemoStop,
  TagsWrite,
} from '../protocol';

/**
 * The methods that change something (a device's values, the devices, the certificates, the demo
 * plant): a read-only token gets WriteRefused for each. Everything else only reads or watches.
 */
const MUTATING = new Set<string>([
  TagsWrite.method,
  Call.method,
  ConfigLoad.method,
  CertificatesTrust.method,
  CertificatesReject.method,
  CertificatesRemove.method,
  DemoStart.method,
  DemoStop.method,
  DemoMute.method,
]);

export function isMutating(method: string): boolean {
  return MUTATING.has(method);
}
