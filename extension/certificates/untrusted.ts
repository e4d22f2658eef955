import type { CertificateInfo, CertificateUntrustedNotification } from '../../gateway/protocol';
import { certificateDetailLines, untrustedMessage } from './text';

/**
 * The trust prompt: what happens when a gateway says a device's server showed a certificate it
 * does not trust. One prompt per device and certificate at a time; a prompt closed without an
 * answer is not shown again for that certificate (reconnects and config loads repeat the
 * notification), but the device keeps it as pending, and `review` asks again. Free of vscode:
 * the widgets and the requests come in as `UntrustedPromptDeps`.
 */

export const TRUST = 'Trust';
export const REJECT = 'Reject';
export const SHOW_DETAILS = 'Show Details';

export interface PendingCertificate {
  readonly gatewayId: string;
  readonly deviceId: string;
  readonly certificate: CertificateInfo;
  readonly reason: string;
}

export interface UntrustedPromptDeps {
  /** The device's name for people (its id when unknown). */
  deviceName(gatewayId: string, deviceId: string): string;
  /** A warning notification; resolves to the item clicked, undefined when it is closed. */
  notify(message: string, ...items: string[]): PromiseLike<string | undefined>;
  /** A modal dialog with `detail` below the message. */
  decide(message: string, detail: string, ...items: string[]): PromiseLike<string | undefined>;
  /** Opens the read-only details page of a pending certificate. */
  showDetails(pending: PendingCertificate): PromiseLike<void>;
  trust(gatewayId: string, thumbprint: string): Promise<void>;
  reject(gatewayId: string, thumbprint: string): Promise<void>;
  /** A request failed: tell the person. */
  failed(err: unknown): void;
  now(): Date;
}

export class UntrustedCertificates {
  /** Per device: the newest certificate its server showed that is not trusted. */
  private readonly pending = new Map<string, PendingCertificate>();
  /** Device and thumbprint pairs whose prompt is showing or was closed without an answer. */
  private readonly prompted = new Set<string>();
  private readonly listeners = new Set<() => void>();

  constructor(private readonly deps: UntrustedPromptDeps) {}

  /** Called when the set of pending certificates changes (device rows show them). */
  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  pendingFor(gatewayId: string, deviceId: string): PendingCertificate | undefined {
    return this.pending.get(deviceKey(gatewayId, deviceId));
  }

  /** A `bifrost/certificateUntrusted` notification. Ill-formed ones are ignored. */
  handle(gatewayId: string, n: CertificateUntrustedNotification): void {
    if (typeof n?.deviceId !== 'string' || typeof n.certificate?.thumbprint !== 'string') return;
    const p: PendingCertificate = { gatewayId, deviceId: n.deviceId, certificate: n.certificate, reason: typeof n.reason === 'string' ? n.reason : 'untrusted' };
    const key = deviceKey(gatewayId, n.deviceId);
    const before = this.pending.get(key);
    this.pending.set(key, p);
    if (before?.certificate.thumbprint !== p.certificate.thumbprint || before.reason !== p.reason) this.changed();
    if (this.prompted.has(promptKey(p))) return;
    void this.prompt(p);
  }

  /** Asks again about a device's pending certificate (the device row's Review Server Certificate…). False when none is pending. */
  async review(gatewayId: string, deviceId: string): Promise<boolean> {
    const p = this.pending.get(deviceKey(gatewayId, deviceId));
    if (!p) return false;
    await this.prompt(p, true);
    return true;
  }

  /** The device connected, went away, or its gateway stopped: nothing is pending for it any more. */
  clear(gatewayId: string, deviceId?: string): void {
    let changed = false;
    for (const [key, p] of this.pending) {
      if (p.gatewayId !== gatewayId || (deviceId !== undefined && p.deviceId !== deviceId)) continue;
      this.pending.delete(key);
      changed = true;
    }
    if (changed) this.changed();
  }

  private async prompt(p: PendingCertificate, fromReview = false): Promise<void> {
    const key = promptKey(p);
    if (this.prompted.has(key) && !fromReview) return;
    this.prompted.add(key);
    const message = untrustedMessage(this.deps.deviceName(p.gatewayId, p.deviceId), p.certificate, p.reason);
    let choice = await this.deps.notify(message, TRUST, REJECT, SHOW_DETAILS);
    if (choice === SHOW_DETAILS) {
      await this.deps.showDetails(p);
      choice = await this.deps.decide(message, certificateDetailLines(p.certificate, this.deps.now()), TRUST, REJECT);
    }
    if (choice === TRUST) await this.answer(p, () => this.deps.trust(p.gatewayId, p.certificate.thumbprint));
    else if (choice === REJECT) await this.answer(p, () => this.deps.reject(p.gatewayId, p.certificate.thumbprint));
  }

  private async answer(p: PendingCertificate, send: () => Promise<void>): Promise<void> {
    try {
      await send();
    } catch (err) {
      this.deps.failed(err);
      return;
    }
    // Answered: a later notification about the same certificate (it was removed again) may ask anew.
    this.prompted.delete(promptKey(p));
    const key = deviceKey(p.gatewayId, p.deviceId);
    if (this.pending.get(key)?.certificate.thumbprint === p.certificate.thumbprint) {
      this.pending.delete(key);
      this.changed();
    }
  }

  private changed(): void {
    for (const l of [...this.listeners]) l();
  }
}

function deviceKey(gatewayId: string, deviceId: string): string {
  return JSON.stringify([gatewayId, deviceId]);
}

function promptKey(p: PendingCertificate): string {
  return JSON.stringify([p.gatewayId, p.deviceId, p.certificate.thumbprint.toLowerCase()]);
}
