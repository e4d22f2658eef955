import type * as vscode from 'vscode';
import { Subscribe, Unsubscribe } from '../../gateway/protocol';
import type { GatewayCapabilities } from '../../gateway/protocol';
import type { Ctx } from './ctx';
import { DemoPlant } from './demoPlant';
import { DeviceStore } from './deviceStore';
import { ValueHub } from './valueHub';

/**
 * One gateway and what the extension knows of it: its client (Ctx), its devices, its live values
 * and its demo plant, wired to the client's events. Today there is one, the local process; remote
 * gateways will be more of these.
 */
export class Gateway implements vscode.Disposable {
  readonly devices: DeviceStore;
  readonly values: ValueHub;
  readonly demo: DemoPlant;
  private readonly disposables: vscode.Disposable[] = [];

  /**
   * Register bifrost.json's restore step on `ctx` before: a new gateway process gets its devices
   * first, then the demo plant, then the subscriptions, which need both.
   */
  constructor(
    readonly id: string,
    readonly name: string,
    readonly ctx: Ctx,
    options: { countReadings?: boolean } = {},
  ) {
    this.demo = new DemoPlant(ctx);
    this.values = new ValueHub({
      onError: (deviceId, message) => ctx.log.warn(`client: subscribing to ${deviceId} failed: ${message}`),
      countReadings: options.countReadings ?? false,
    });
    ctx.onRestore(() =>
      this.values.attach({
        subscribe: (params) => ctx.requestDuringRestore(Subscribe, params),
        unsubscribe: (subscriptionId) => ctx.requestDuringRestore(Unsubscribe, { subscriptionId }),
      }),
    );
    this.devices = new DeviceStore(ctx);
    this.disposables.push(
      this.devices,
      ctx.onValues((n) => this.values.dispatch(n)),
      // Until the next process is attached, no subscription id of the last one means anything.
      ctx.onDidChangeState((s) => {
        if (s !== 'running') this.values.detach();
      }),
      ctx.onDevicesChanged(() => this.values.retryFailed()),
    );
  }

  get capabilities(): GatewayCapabilities | undefined {
    return this.ctx.capabilities;
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}
