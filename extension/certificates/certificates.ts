import * as vscode from 'vscode';
import { CertificateInfo, CertificatesList, CertificatesListResult, CertificatesReject, CertificatesTrust, DeviceInfo } from '../../gateway/protocol';
import type { Gateway } from '../client/gateway';
import type { Gateways } from '../client/gateways';
import { userMessage } from '../client/errors';
import type { Prompts } from '../commands/prompts';
import { escapeMarkdown as esc } from '../format';
import type { DeviceNote, DeviceNoteSource } from '../tree/deviceNotes';
import { certificateDetailsMarkdown, groupedHex, namesCertificate, normalizeThumbprint } from './text';
import { PendingCertificate, UntrustedCertificates } from './untrusted';

export const CERTIFICATE_SCHEME = 'bifrost-certificate';
export const COPY_OWN = 'Copy Certificate';
export const SAVE_OWN = 'Save Certificate…';

/**
 * Certificates on the extension's side: the trust prompt for servers a gateway does not trust
 * (UntrustedCertificates), the read-only details pages, Bifrost's own certificate per gateway,
 * and what device rows say about both (a server waiting for a decision; a server that refused
 * Bifrost's certificate, whose administrator needs it).
 */
export class Certificates implements DeviceNoteSource, vscode.Disposable {
  readonly untrusted: UntrustedCertificates;
  /** The details pages opened, by URI. */
  private readonly pages = new Map<string, string>();
  /** Per gateway, for this gateway process: its own certificate, once asked. */
  private readonly own = new Map<string, Promise<CertificateInfo | undefined>>();
  private readonly ownKnown = new Map<string, CertificateInfo>();
  /** Devices whose last error says their server refused our certificate. */
  private readonly refusedUs = new Set<string>();
  /** Devices a person was told about, once per gateway process: reconnects do not tell again. */
  private readonly toldRefused = new Set<string>();
  private readonly notesEmitter = new vscode.EventEmitter<void>();
  private readonly pageEmitter = new vscode.EventEmitter<vscode.Uri>();
  private readonly disposables: vscode.Disposable[] = [];

  readonly onDidChange = this.notesEmitter.event;

  constructor(
    private readonly gateways: Gateways,
    private readonly prompts: Prompts,
  ) {
    this.untrusted = new UntrustedCertificates({
      deviceName: (g, d) => this.gateways.get(g)?.devices.device(d)?.name ?? d,
      notify: (message, ...items) => prompts.notify('warning', message, ...items),
      decide: (message, detail, ...items) => prompts.modal('warning', message, detail, ...items),
      showDetails: (p) => this.showDetails(p.certificate, this.pendingTitle(p), [`The server of this device showed the certificate; the gateway does not trust it (${p.reason}). Compare the thumbprint with the one the server shows before trusting it.`]),
      trust: (g, thumbprint) => this.gateway(g).ctx.request(CertificatesTrust, { thumbprint }),
      reject: (g, thumbprint) => this.gateway(g).ctx.request(CertificatesReject, { thumbprint }),
      failed: (err) => void prompts.notify('error', userMessage(err)),
      now: () => new Date(),
    });
    this.disposables.push(
      this.notesEmitter,
      this.pageEmitter,
      vscode.workspace.registerTextDocumentContentProvider(CERTIFICATE_SCHEME, {
        provideTextDocumentContent: (uri) => this.pages.get(uri.toString()) ?? 'This page is gone: open it again from Bifrost: Manage Certificates….',
        onDidChange: this.pageEmitter.event,
      }),
      this.untrusted.onDidChange(() => this.notesEmitter.fire()),
    );
    // Server certificates of a remote gateway's devices are that gateway's to trust, on its own machine.
    for (const g of [gateways.local]) {
      this.disposables.push(
        g.ctx.onCertificateUntrusted((n) => this.untrusted.handle(g.id, n)),
        g.devices.onDidChangeStatus((d) => this.statusChanged(g, d)),
        g.devices.onDidChangeDevices(() => g.devices.devices.forEach((d) => this.statusChanged(g, d))),
        g.ctx.onDidChangeState((s) => {
          if (s === 'running') return;
          // A new process may have a new certificate store: forget what this one said.
          this.untrusted.clear(g.id);
          this.own.delete(g.id);
          this.ownKnown.delete(g.id);
          for (const set of [this.refusedUs, this.toldRefused]) for (const k of [...set]) if (JSON.parse(k)[0] === g.id) set.delete(k);
        }),
      );
    }
  }

  /** The gateway's certificate store, as it lists it. */
  async list(gatewayId: string): Promise<CertificatesListResult> {
    const result = await this.gateway(gatewayId).ctx.request(CertificatesList);
    this.ownKnown.set(gatewayId, result.own);
    return result;
  }

  /** Opens a read-only page with everything about a certificate, beside the editor. */
  async showDetails(c: CertificateInfo, title: string, remarks: readonly string[] = []): Promise<void> {
    const uri = vscode.Uri.from({ scheme: CERTIFICATE_SCHEME, path: `/${normalizeThumbprint(c.thumbprint)}.md` });
    this.pages.set(uri.toString(), certificateDetailsMarkdown(c, new Date(), title, remarks));
    this.pageEmitter.fire(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
    await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside, preserveFocus: true });
  }

  notesFor(gatewayId: string, device: DeviceInfo): DeviceNote[] {
    const notes: DeviceNote[] = [];
    const p = this.untrusted.pendingFor(gatewayId, device.id);
    if (p) {
      notes.push({
        flag: 'untrusted',
        tooltip: `$(shield) The server's certificate is not trusted (${esc(p.reason)}): ${esc(p.certificate.subject)}, SHA-1 ${groupedHex(p.certificate.thumbprint)}. [Review Server Certificate…](command:bifrost.reviewServerCertificate)`,
        commands: ['bifrost.reviewServerCertificate'],
      });
    }
    if (this.refusedUs.has(deviceKey(gatewayId, device.id))) {
      notes.push({
        flag: 'refusedUs',
        tooltip:
          "$(shield) The server refused Bifrost's certificate: its administrator has to trust it. " +
          "[Copy Bifrost's Certificate](command:bifrost.copyOwnCertificate) · [Save Bifrost's Certificate…](command:bifrost.saveOwnCertificate)",
        commands: ['bifrost.copyOwnCertificate', 'bifrost.saveOwnCertificate'],
      });
    }
    return notes;
  }

  private pendingTitle(p: PendingCertificate): string {
    return `Server certificate of ${this.gateways.get(p.gatewayId)?.devices.device(p.deviceId)?.name ?? p.deviceId}`;
  }

  private gateway(id: string): Gateway {
    const g = this.gateways.get(id);
    if (!g) throw new Error(`No gateway "${id}".`);
    return g;
  }

  /** A device connected (nothing pending any more), or its last error may name our certificate. */
  private statusChanged(g: Gateway, d: DeviceInfo): void {
    if (d.status === 'connected') this.untrusted.clear(g.id, d.id);
    const key = deviceKey(g.id, d.id);
    const error = d.lastError;
    if (!error || !/certificate/i.test(error)) {
      // Kept through reconnect attempts (whose errors say other things) until the server accepts us.
      if (d.status === 'connected' && this.refusedUs.delete(key)) this.notesEmitter.fire();
      return;
    }
    void this.ownCertificate(g).then((own) => {
      if (!own || !namesCertificate(error, own.thumbprint) || this.refusedUs.has(key)) return;
      this.refusedUs.add(key);
      this.notesEmitter.fire();
      if (this.toldRefused.has(key)) return;
      this.toldRefused.add(key);
      void this.tellRefused(d.name);
    });
  }

  private async tellRefused(deviceName: string): Promise<void> {
    const choice = await this.prompts.notify(
      'warning',
      `${deviceName}: the server refused Bifrost's certificate. Give it to the server's administrator to trust.`,
      COPY_OWN,
      SAVE_OWN,
    );
    if (choice === COPY_OWN) await vscode.commands.executeCommand('bifrost.copyOwnCertificate');
    else if (choice === SAVE_OWN) await vscode.commands.executeCommand('bifrost.saveOwnCertificate');
  }

  /** The gateway's own certificate, asked once per gateway process; undefined when it has none (an older gateway). */
  private ownCertificate(g: Gateway): Promise<CertificateInfo | undefined> {
    const known = this.ownKnown.get(g.id);
    if (known) return Promise.resolve(known);
    let p = this.own.get(g.id);
    if (!p) {
      p = this.list(g.id).then(
        (r) => r.own,
        (err: unknown) => {
          g.ctx.log.debug(`client: listing the gateway's certificates failed: ${userMessage(err)}`);
          this.own.delete(g.id);
          return undefined;
        },
      );
      this.own.set(g.id, p);
    }
    return p;
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}

function deviceKey(gatewayId: string, deviceId: string): string {
  return JSON.stringify([gatewayId, deviceId]);
}
