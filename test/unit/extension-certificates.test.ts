import * as assert from 'node:assert/strict';
import type { CertificateInfo } from '../../gateway/protocol';
import {
  certificateDetailLines,
  certificateDetailsMarkdown,
  certificateSummary,
  commonName,
  groupedHex,
  namesCertificate,
  normalizeThumbprint,
  untrustedMessage,
  validityOf,
} from '../../extension/certificates/text';
import { PendingCertificate, REJECT, SHOW_DETAILS, TRUST, UntrustedCertificates, UntrustedPromptDeps } from '../../extension/certificates/untrusted';

const SHA1 = '0a1b2c3d4e5f60718293a4b5c6d7e8f901234567';
const SHA256 = 'ff'.repeat(31) + '01';

function cert(over: Partial<CertificateInfo> = {}): CertificateInfo {
  return {
    thumbprint: SHA1,
    sha256: SHA256,
    subject: 'CN=Filler, O=ACME',
    issuer: 'CN=ACME CA, O=ACME',
    validFrom: '2025-01-01T00:00:00.000Z',
    validTo: '2027-01-01T00:00:00.000Z',
    applicationUri: 'urn:acme:filler',
    hosts: ['filler.local', '10.0.0.5'],
    pem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    ...over,
  };
}

const NOW = new Date('2026-06-01T12:00:00Z');

describe('extension: certificates for people', () => {
  it('groups a thumbprint in byte pairs, and compares them however they are written', () => {
    assert.equal(groupedHex(SHA1), '0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:01:23:45:67');
    assert.equal(groupedHex('0A:1B'), '0A:1B');
    assert.equal(normalizeThumbprint('0A:1B 2c'), '0a1b2c');
    assert.equal(groupedHex(SHA256).split(':').length, 32);
  });

  it('says whether a certificate is valid now', () => {
    assert.deepEqual(validityOf(cert(), NOW), { validNow: true, text: 'valid until 2027-01-01' });
    assert.deepEqual(validityOf(cert(), new Date('2027-02-01Z')), { validNow: false, text: 'expired on 2027-01-01' });
    assert.deepEqual(validityOf(cert(), new Date('2024-02-01Z')), { validNow: false, text: 'not valid before 2025-01-01' });
    assert.equal(validityOf(cert({ validTo: 'soon' }), NOW).validNow, false);
  });

  it('names the device, the reason, the subject and the issuer in the prompt', () => {
    assert.equal(untrustedMessage('Filler PLC', cert(), 'unknown'), "Filler PLC: the server's certificate is not trusted (unknown): Filler, issued by ACME CA");
    assert.equal(certificateSummary(cert({ issuer: 'CN=Filler, O=ACME' })), 'CN=Filler, O=ACME, self-signed');
    assert.equal(commonName('CN=UA Server@host, O=X'), 'UA Server@host');
    assert.equal(commonName('O=only'), 'O=only');
  });

  it('the details page holds subject, issuer, both thumbprints grouped, validity, application URI, hosts and the PEM', () => {
    const md = certificateDetailsMarkdown(cert(), NOW, 'Server certificate of Filler PLC', ['Compare the thumbprint.']);
    for (const part of [
      '# Server certificate of Filler PLC',
      'Compare the thumbprint.',
      '| Subject | CN=Filler, O=ACME |',
      '| Issuer | CN=ACME CA, O=ACME |',
      '| Valid from | 2025-01-01T00:00:00.000Z |',
      '| Valid to | 2027-01-01T00:00:00.000Z |',
      '| Valid now | yes |',
      '| Application URI | urn:acme:filler |',
      '| Host names | filler.local, 10.0.0.5 |',
      `| SHA-1 thumbprint | ${groupedHex(SHA1)} |`,
      `| SHA-256 thumbprint | ${groupedHex(SHA256)} |`,
      '```\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n```',
    ]) {
      assert.ok(md.includes(part), `missing ${JSON.stringify(part)} in:\n${md}`);
    }
    assert.ok(certificateDetailsMarkdown(cert({ subject: 'CN=a|b' }), NOW, 't').includes('| Subject | CN=a\\|b |'), 'a pipe breaks the table');
    const expired = certificateDetailLines(cert(), new Date('2028-01-01Z'));
    assert.match(expired, /^Valid: .* \(expired on 2027-01-01\)$/m);
    assert.match(expired, new RegExp(`^SHA-1: ${groupedHex(SHA1)}$`, 'm'));
  });

  it('finds our thumbprint in a device error, grouped or not, and nothing in other errors', () => {
    assert.ok(namesCertificate(`plc1: the server refused our certificate (thumbprint ${groupedHex(SHA1)})`, SHA1));
    assert.ok(namesCertificate(`plc1: BadSecurityChecksFailed: certificate ${SHA1.toUpperCase()} not trusted`, SHA1));
    assert.ok(!namesCertificate('plc1: BadSecurityChecksFailed', SHA1));
    assert.ok(!namesCertificate('anything', ''), 'an empty thumbprint matches everything');
  });
});

interface Recorded {
  notices: string[];
  modals: { message: string; detail: string }[];
  details: PendingCertificate[];
  sent: string[];
  failures: string[];
}

/** A prompt whose answers come from `answers` in turn (undefined: closed), with everything it did recorded. */
function rig(answers: (string | undefined)[], fail?: string) {
  const rec: Recorded = { notices: [], modals: [], details: [], sent: [], failures: [] };
  const next = () => Promise.resolve(answers.shift());
  const deps: UntrustedPromptDeps = {
    deviceName: (_g, d) => (d === 'filler' ? 'Filler PLC' : d),
    notify: (message) => {
      rec.notices.push(message);
      return next();
    },
    decide: (message, detail) => {
      rec.modals.push({ message, detail });
      return next();
    },
    showDetails: async (p) => void rec.details.push(p),
    trust: async (g, t) => {
      if (fail) throw new Error(fail);
      rec.sent.push(`trust ${g} ${t}`);
    },
    reject: async (g, t) => void rec.sent.push(`reject ${g} ${t}`),
    failed: (err) => void rec.failures.push(err instanceof Error ? err.message : String(err)),
    now: () => NOW,
  };
  const u = new UntrustedCertificates(deps);
  let changes = 0;
  u.onDidChange(() => changes++);
  return { u, rec, changes: () => changes };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('extension: the trust prompt', () => {
  const n = (deviceId = 'filler', c = cert()) => ({ deviceId, certificate: c, reason: 'unknown' });

  it('Trust sends bifrost/certificates/trust for that thumbprint, once, however often the notification comes', async () => {
    const { u, rec } = rig([TRUST]);
    u.handle('local', n());
    u.handle('local', n());
    u.handle('local', n());
    await settle();
    assert.deepEqual(rec.notices, ["Filler PLC: the server's certificate is not trusted (unknown): Filler, issued by ACME CA"]);
    assert.deepEqual(rec.sent, [`trust local ${SHA1}`]);
    assert.equal(u.pendingFor('local', 'filler'), undefined, 'still pending after it was trusted');
  });

  it('Reject sends bifrost/certificates/reject', async () => {
    const { u, rec } = rig([REJECT]);
    u.handle('local', n());
    await settle();
    assert.deepEqual(rec.sent, [`reject local ${SHA1}`]);
  });

  it('a closed prompt is not shown again for that certificate, the device keeps it pending, and Review asks again', async () => {
    const { u, rec, changes } = rig([undefined, TRUST]);
    u.handle('local', n());
    await settle();
    u.handle('local', n());
    await settle();
    assert.equal(rec.notices.length, 1, 'prompted again after a reconnect');
    assert.equal(u.pendingFor('local', 'filler')?.certificate.thumbprint, SHA1);
    assert.equal(changes(), 1);
    assert.equal(await u.review('local', 'filler'), true);
    assert.equal(rec.notices.length, 2);
    assert.deepEqual(rec.sent, [`trust local ${SHA1}`]);
    assert.equal(await u.review('local', 'filler'), false, 'nothing is pending once trusted');
  });

  it('another certificate of the same device asks again; another device asks on its own', async () => {
    const { u, rec } = rig([undefined, undefined, undefined]);
    u.handle('local', n());
    u.handle('local', n('filler', cert({ thumbprint: 'ab'.repeat(20) })));
    u.handle('local', n('dryer'));
    await settle();
    assert.equal(rec.notices.length, 3);
    assert.equal(u.pendingFor('local', 'filler')?.certificate.thumbprint, 'ab'.repeat(20), 'the newest certificate is the pending one');
  });

  it('Show Details opens the page and decides in a modal dialog with the details', async () => {
    const { u, rec } = rig([SHOW_DETAILS, REJECT]);
    u.handle('local', n());
    await settle();
    await settle();
    assert.equal(rec.details.length, 1);
    assert.equal(rec.details[0]!.deviceId, 'filler');
    assert.equal(rec.modals.length, 1);
    assert.match(rec.modals[0]!.detail, new RegExp(`SHA-256: ${groupedHex(SHA256)}`));
    assert.deepEqual(rec.sent, [`reject local ${SHA1}`]);
  });

  it('a failed request is told, and the certificate stays pending', async () => {
    const { u, rec } = rig([TRUST], 'The gateway does not know this request');
    u.handle('local', n());
    await settle();
    assert.deepEqual(rec.failures, ['The gateway does not know this request']);
    assert.equal(u.pendingFor('local', 'filler')?.certificate.thumbprint, SHA1);
  });

  it('a connected device, or a stopped gateway, has nothing pending; ill-formed notifications are ignored', async () => {
    const { u, rec } = rig([undefined, undefined]);
    u.handle('local', n());
    u.handle('local', n('dryer'));
    u.handle('local', { deviceId: 'x' } as never);
    await settle();
    assert.equal(rec.notices.length, 2);
    u.clear('local', 'filler');
    assert.equal(u.pendingFor('local', 'filler'), undefined);
    assert.ok(u.pendingFor('local', 'dryer'));
    u.clear('local');
    assert.equal(u.pendingFor('local', 'dryer'), undefined);
  });
});
