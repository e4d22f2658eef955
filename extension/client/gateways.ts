import * as vscode from 'vscode';
import { remoteGatewayId } from './remoteIds';
import type { Log } from '../log/log';
import { Gateway, type LocalGateway } from './gateway';
import type { LiveValueSource } from './liveValues';
import type { RemoteClient } from './remoteClient';
import type { RemoteGateways } from './remoteGateways';
import { RemoteLink } from './remoteLink';
import { ValueHub } from './valueHub';

interface Remote {
  readonly gateway: Gateway<RemoteLink>;
  readonly link: RemoteLink;
}

/**
 * The gateways the extension talks to: the local one it starts itself, first, then one per remote
 * gateway that has a client (a token). The tree shows a gateway level only when there are several.
 *
 * Value hubs are kept per gateway id for the whole session: a Live Data panel restored before its
 * remote gateway is connected, or kept open while its token is replaced, keeps its subscriptions,
 * made again as soon as that gateway is there.
 */
export class Gateways implements vscode.Disposable {
  private readonly remotes = new Map<string, Remote>();
  private readonly hubs = new Map<string, ValueHub>();
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [this.changeEmitter];

  /** A remote gateway came or went. */
  readonly onDidChange = this.changeEmitter.event;

  constructor(
    readonly local: LocalGateway,
    private readonly log: Log,
  ) {
    this.hubs.set(local.id, local.values);
  }

  get all(): readonly Gateway[] {
    return [this.local, ...[...this.remotes.values()].map((r) => r.gateway)];
  }

  get(id: string): Gateway | undefined {
    return id === this.local.id ? this.local : this.remotes.get(id)?.gateway;
  }

  /** Where the live values of a gateway come from, whether it is there yet or not; undefined names the local one. */
  valuesOf(gatewayId: string | undefined): LiveValueSource {
    return this.hubOf(gatewayId ?? this.local.id);
  }

  /** Keeps one Gateway per remote gateway with a client, a new one when its client was replaced (a new token). */
  follow(remotes: RemoteGateways): void {
    const sync = () => {
      const wanted = new Map<string, { label: string; client: RemoteClient }>();
      for (const r of remotes.all) if (r.client) wanted.set(remoteGatewayId(r.entry.url), { label: r.label, client: r.client });
      let changed = false;
      for (const [id, remote] of this.remotes) {
        if (wanted.get(id)?.client === remote.link.client) continue;
        this.drop(id);
        changed = true;
      }
      for (const [id, { label, client }] of wanted) {
        if (this.remotes.has(id)) continue;
        const link = new RemoteLink(client, this.log, label);
        const gateway = new Gateway(id, label, link, { values: this.hubOf(id) });
        this.remotes.set(id, { gateway, link });
        link.start();
        changed = true;
      }
      if (changed) this.changeEmitter.fire();
    };
    this.disposables.push(remotes.onDidChange(sync));
    sync();
  }

  dispose(): void {
    for (const id of [...this.remotes.keys()]) this.drop(id);
    this.disposables.forEach((d) => d.dispose());
  }

  private drop(id: string): void {
    const remote = this.remotes.get(id);
    if (!remote) return;
    this.remotes.delete(id);
    remote.gateway.dispose();
    remote.link.dispose();
  }

  private hubOf(id: string): ValueHub {
    let hub = this.hubs.get(id);
    if (!hub) {
      hub = new ValueHub({ onError: (deviceId, message) => this.log.warn(`client: subscribing to ${deviceId} on ${id} failed: ${message}`) });
      this.hubs.set(id, hub);
    }
    return hub;
  }
}
