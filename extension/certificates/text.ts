import type { CertificateInfo } from '../../gateway/protocol';

/**
 * How certificates read for people: grouped thumbprints, validity, a one-line summary and the
 * details page (as UaExpert shows them). Free of vscode so it can be tested alone.
 */

/** Hex without separators, lowercase: how thumbprints compare (`AB:CD`, `ab cd` and `abcd` are the same). */
export function normalizeThumbprint(text: string): string {
  return text.toLowerCase().replace(/[^0-9a-f]/g, '');
}

/** `AB:CD:EF:…`: bytes in pairs, as certificate viewers show a thumbprint. */
export function groupedHex(hex: string): string {
  return (normalizeThumbprint(hex).toUpperCase().match(/../g) ?? []).join(':');
}

export interface Validity {
  readonly validNow: boolean;
  /** `valid until 2027-01-31 (valid now)`, `expired on 2024-01-31`, `not valid before 2030-01-01`. */
  readonly text: string;
}

export function validityOf(c: CertificateInfo, now: Date): Validity {
  const from = new Date(c.validFrom);
  const to = new Date(c.validTo);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) return { validNow: false, text: `validity unreadable (${c.validFrom} to ${c.validTo})` };
  if (now < from) return { validNow: false, text: `not valid before ${day(from)}` };
  if (now > to) return { validNow: false, text: `expired on ${day(to)}` };
  return { validNow: true, text: `valid until ${day(to)}` };
}

/** The common name of a distinguished name (`CN=Filler, O=ACME` → `Filler`), else the whole name. */
export function commonName(dn: string): string {
  const m = /(?:^|[,/]\s*)CN=((?:\\,|[^,/])+)/.exec(dn);
  return m ? m[1]!.trim() : dn;
}

/** `CN=Filler, issued by CN=ACME CA`, or `CN=Filler, self-signed`. */
export function certificateSummary(c: CertificateInfo): string {
  return `${c.subject}, ${c.issuer === c.subject ? 'self-signed' : `issued by ${c.issuer}`}`;
}

/**
 * The trust prompt: `Filler PLC: the server's certificate is not trusted (unknown): Filler, issued
 * by ACME CA`. Common names only: a notification is cut at about a hundred characters, and a
 * subject that starts with C=, L= and O= would lose the name that tells servers apart (the whole
 * names are on the details page).
 */
export function untrustedMessage(deviceName: string, c: CertificateInfo, reason: string): string {
  const by = c.issuer === c.subject ? 'self-signed' : `issued by ${commonName(c.issuer)}`;
  return `${deviceName}: the server's certificate is not trusted (${reason}): ${commonName(c.subject)}, ${by}`;
}

/** Whether a message (a device's lastError) names the certificate with this thumbprint, however it is written. */
export function namesCertificate(message: string, thumbprint: string): boolean {
  const wanted = normalizeThumbprint(thumbprint);
  if (wanted.length < 16) return false;
  // Colons and spaces between the bytes go; the digits of one thumbprint then stand together.
  return message.toLowerCase().replace(/[\s:]/g, '').includes(wanted);
}

/** The same, as plain lines: for a modal dialog's detail, where Markdown does not render. */
export function certificateDetailLines(c: CertificateInfo, now: Date): string {
  const v = validityOf(c, now);
  return [
    `Subject: ${c.subject}`,
    `Issuer: ${c.issuer === c.subject ? `${c.issuer} (self-signed)` : c.issuer}`,
    `Valid: ${c.validFrom} to ${c.validTo} (${v.validNow ? 'valid now' : v.text})`,
    ...(c.applicationUri ? [`Application URI: ${c.applicationUri}`] : []),
    ...(c.hosts && c.hosts.length > 0 ? [`Hosts: ${c.hosts.join(', ')}`] : []),
    `SHA-1: ${groupedHex(c.thumbprint)}`,
    `SHA-256: ${groupedHex(c.sha256)}`,
  ].join('\n');
}

/**
 * The details page of a certificate, Markdown: what it is for (`title`, e.g. the device whose
 * server showed it), names, validity, thumbprints and the PEM, so a person can compare the
 * thumbprint with the one the server's display shows before trusting it.
 */
export function certificateDetailsMarkdown(c: CertificateInfo, now: Date, title: string, remarks: readonly string[] = []): string {
  const v = validityOf(c, now);
  const rows: [string, string][] = [
    ['Subject', c.subject],
    ['Issuer', c.issuer === c.subject ? `${c.issuer} (self-signed)` : c.issuer],
    ['Valid from', c.validFrom],
    ['Valid to', c.validTo],
    ['Valid now', v.validNow ? 'yes' : `no: ${v.text}`],
    ['Application URI', c.applicationUri ?? '—'],
    ['Host names', c.hosts && c.hosts.length > 0 ? c.hosts.join(', ') : '—'],
    ['SHA-1 thumbprint', groupedHex(c.thumbprint)],
    ['SHA-256 thumbprint', groupedHex(c.sha256)],
  ];
  const lines = [`# ${title}`, '', ...remarks.flatMap((r) => [r, '']), '| | |', '|:--|:--|', ...rows.map(([k, val]) => `| ${k} | ${cell(val)} |`), '', '## PEM', '', '```', c.pem.trim(), '```', ''];
  return lines.join('\n');
}

function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function day(d: Date): string {
  return d.toISOString().slice(0, 10);
}
