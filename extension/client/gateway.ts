import type * as vscode from 'vscode';
import { Subscribe, Unsubscribe } from '../../gateway/protocol';
import type { GatewayCapabilities } from '../../gateway/protocol';
import type { Ctx } from './ctx';
import { DemoPlant } from './demoPlant';
import { DeviceStore } from './deviceStore';
import type { GatewayLink } from './link';
import { ValueHub } from './valueHub';

export interface GatewayOptions {
  /** The value hub to feed; one that outlives this gateway keeps the views' wishes across a new connection. */
  values?: ValueHub;
  /** Count every reading that arrives (extension-host tests only). */
  countReadings?: boolean;
}

/**
 * One gateway and what the extension knows of it: its link (the local process, or a remote one
 * over WebSocket), its devices and its live values, wired to the link's events.
 */
export class Gateway<L extends GatewayLink = GatewayLink> implements vscode.Disposable {
  readonly devices: DeviceStore;
  readonly values: ValueHub;
  private readonly disposables: vscode.Disposable[] = [];

  /**
   * Register what must come back first on `link` before (bifrost.json, the demo plant): the
   * subscriptions made again after each start need the devices.
   */
  constructor(
    readonly id: string,
    readonly name: string,
    readonly ctx: L,
    options: GatewayOptions = {},
  ) {
    this.values =
      options.values ??
      new ValueHub({
        onError: (deviceId, message) => ctx.log.warn(`client: subscribing to ${deviceId} on ${name} failed: ${message}`),
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
      // Until the next process or connection is attached, no subscription id of the last one means anything.
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
    // Its values are not current any more: the hub may outlive it, waiting for the next connection.
    this.values.detach();
    this.disposables.forEach((d) => d.dispose());
  }
}

/** The gateway the extension starts itself, with the demo plant it can run. */
export class LocalGateway extends Gateway<Ctx> {
  readonly demo: DemoPlant;

  /** The demo plant comes back after the devices of bifrost.json and before the subscriptions. */
  constructor(id: string, name: string, ctx: Ctx, options: GatewayOptions = {}) {
    const demo = new DemoPlant(ctx);
    super(id, name, ctx, options);
    this.demo = demo;
  }
}
