import type * as vscode from 'vscode';
import { Subscribe, TagReading, Unsubscribe } from '../../gateway/protocol';
import type { Ctx } from './ctx';
import type { LiveValueSource } from './liveValues';
import { SubscriptionRegistry } from './subscriptionRegistry';

/**
 * Live values from the gateway, for the tree and the Live Data panels. Subscriptions are made on
 * every new gateway process (after the config and the demo plant are back), and the ones the
 * gateway refused are tried again when its device list changes.
 */
export class GatewayValues implements LiveValueSource, vscode.Disposable {
  private readonly registry: SubscriptionRegistry;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(ctx: Ctx) {
    this.registry = new SubscriptionRegistry((deviceId, message) =>
      ctx.log.warn(`client: subscribing to ${deviceId} failed: ${message}`),
    );
    // Registered after the config and the demo plant: subscriptions need their devices.
    ctx.onRestore(() =>
      this.registry.attach({
        subscribe: (params) => ctx.requestDuringRestore(Subscribe, params),
        unsubscribe: (subscriptionId) => ctx.request(Unsubscribe, { subscriptionId }),
      }),
    );
    this.disposables.push(
      ctx.onValues((n) => this.registry.dispatch(n)),
      ctx.onDidChangeState((s) => {
        if (s === 'stopped') this.registry.detach();
      }),
      ctx.onDevicesChanged(() => void this.registry.retryFailed()),
    );
  }

  subscribe(deviceId: string, tags: string[], intervalMs: number | undefined, onValues: (items: TagReading[]) => void): vscode.Disposable {
    return this.registry.add(deviceId, tags, intervalMs, onValues);
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}
