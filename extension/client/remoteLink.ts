import * as vscode from 'vscode';
import type { RequestType, RequestType0 } from 'vscode-jsonrpc';
import { DevicesChanged, DeviceStatusChanged, Values } from '../../gateway/protocol';
import type { DeviceStatusNotification, GatewayCapabilities, ValuesNotification } from '../../gateway/protocol';
import type { Log } from '../log/log';
import { isConnectionError, RemoteGatewayDownError } from './errors';
import { becomesRunning, runRestoreSteps, wireRequest, type GatewayLink, type GatewayState, type RestoreStep } from './link';
import { describeState, type RemoteClient, type RemoteState } from './remoteClient';

/**
 * A remote gateway seen as a GatewayLink: `starting` while it connects and while the restore
 * steps run after each (re)connect (the subscriptions are made again on the new connection),
 * `running` after them, `stopped` with the connection's reason otherwise. The RemoteClient
 * reconnects by itself; this never restarts anything.
 */
export class RemoteLink implements GatewayLink, vscode.Disposable {
  private currentState: GatewayState = 'stopped';
  private reason = 'not connected yet';
  private currentCapabilities: GatewayCapabilities | undefined;
  /** Bumped for every connection, so that a slow restore of an old one cannot mark a new one running. */
  private runId = 0;
  private readonly restoreSteps: RestoreStep[] = [];
  private readonly stateEmitter = new vscode.EventEmitter<GatewayState>();
  private readonly valuesEmitter = new vscode.EventEmitter<ValuesNotification>();
  private readonly deviceStatusEmitter = new vscode.EventEmitter<DeviceStatusNotification>();
  private readonly devicesChangedEmitter = new vscode.EventEmitter<void>();
  private readonly disposables: { dispose(): void }[] = [this.stateEmitter, this.valuesEmitter, this.deviceStatusEmitter, this.devicesChangedEmitter];

  readonly onDidChangeState = this.stateEmitter.event;
  readonly onValues = this.valuesEmitter.event;
  readonly onDeviceStatus = this.deviceStatusEmitter.event;
  readonly onDevicesChanged = this.devicesChangedEmitter.event;

  constructor(
    readonly client: RemoteClient,
    readonly log: Log,
    private readonly label: string,
  ) {}

  get state(): GatewayState {
    return this.currentState;
  }

  get stopReason(): string {
    return this.reason;
  }

  get capabilities(): GatewayCapabilities | undefined {
    return this.currentCapabilities;
  }

  onRestore(step: RestoreStep): void {
    this.restoreSteps.push(step);
  }

  /** Follows the client from now on; call once everything that restores has registered. */
  start(): void {
    this.disposables.push(
      this.client.onDidChangeState((s) => this.clientState(s)),
      this.client.onNotification(Values.method, (n) => this.valuesEmitter.fire(n as ValuesNotification)),
      this.client.onNotification(DeviceStatusChanged.method, (n) => this.deviceStatusEmitter.fire(n as DeviceStatusNotification)),
      this.client.onNotification(DevicesChanged.method, () => this.devicesChangedEmitter.fire()),
    );
    this.clientState(this.client.state);
  }

  request<R>(type: RequestType0<R, void>): Promise<R>;
  request<P, R>(type: RequestType<P, R, void>, params: P, token?: vscode.CancellationToken): Promise<R>;
  async request<P, R>(type: RequestType0<R, void> | RequestType<P, R, void>, params?: P, token?: vscode.CancellationToken): Promise<R> {
    if (this.currentState === 'stopped') throw new RemoteGatewayDownError(this.label, this.reason);
    if (this.currentState === 'starting' && !(await becomesRunning(this.onDidChangeState))) {
      throw new RemoteGatewayDownError(this.label, this.currentState === 'starting' ? 'it is still connecting' : this.reason);
    }
    const wire = wireRequest(type, params);
    try {
      return await this.client.request<R>(wire.method, wire.params, token);
    } catch (err) {
      // Said as this gateway's, so that nobody is offered to restart the local one for it.
      if (isConnectionError(err)) throw new RemoteGatewayDownError(this.label, 'the connection was lost before it answered');
      throw err;
    }
  }

  requestDuringRestore<R>(type: RequestType0<R, void>): Promise<R>;
  requestDuringRestore<P, R>(type: RequestType<P, R, void>, params: P): Promise<R>;
  async requestDuringRestore<P, R>(type: RequestType0<R, void> | RequestType<P, R, void>, params?: P): Promise<R> {
    const wire = wireRequest(type, params);
    return this.client.request<R>(wire.method, wire.params);
  }

  dispose(): void {
    this.runId++;
    this.disposables.forEach((d) => d.dispose());
  }

  private clientState(s: RemoteState): void {
    const runId = ++this.runId;
    if (s.kind !== 'connected') {
      this.currentCapabilities = undefined;
      this.reason = describeState(s);
      this.setState(s.kind === 'connecting' ? 'starting' : 'stopped');
      return;
    }
    this.currentCapabilities = s.capabilities;
    this.setState('starting');
    void runRestoreSteps(this.restoreSteps, () => runId === this.runId, this.log).then((current) => {
      if (!current) return;
      this.log.info(`client: ${this.label} connected`);
      this.setState('running');
    });
  }

  private setState(state: GatewayState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.stateEmitter.fire(state);
  }
}
