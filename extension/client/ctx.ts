import * as vscode from 'vscode';
import {
  CloseAction,
  CloseHandlerResult,
  ErrorHandler,
  LanguageClient,
  LanguageClientOptions,
  NotificationType,
  RequestType,
  RequestType0,
  ServerOptions,
  State,
  TransportKind,
} from 'vscode-languageclient/node';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CertificateUntrusted,
  Discovered,
  DiscoveredNotification,
  DiscoveryProgress,
  DiscoveryProgressNotification,
  CertificateUntrustedNotification,
  DevicesChanged,
  DeviceStatusChanged,
  DeviceStatusNotification,
  GATEWAY_NODE_OPTIONS,
  GatewayCapabilities,
  Values,
  ValuesNotification,
} from '../../gateway/protocol';
import type { Settings } from '../config/settings';
import type { Log } from '../log/log';
import { capabilitiesOf } from './capabilities';
import type { Prompts } from '../commands/prompts';
import { CrashWindow } from './crashWindow';
import { GatewayDownError } from './errors';
import { becomesRunning, runRestoreSteps, wireRequest, type GatewayLink, type GatewayState, type RestoreStep } from './link';

export type { GatewayState, RestoreStep } from './link';


/**
 * Owns the gateway process: start, stop, restart, and the two cleanup scopes (the extension's
 * life, and one gateway client, cleared whenever the client is replaced). Everything else talks
 * to the gateway through `request`/`notify` and the events here.
 */
export class Ctx implements GatewayLink, vscode.Disposable {
  private client: LanguageClient | undefined;
  /** Disposed when the current client is replaced or stopped. */
  private runScope: vscode.Disposable[] = [];
  /** Disposed when the extension deactivates. */
  private readonly extScope: vscode.Disposable[] = [];
  private readonly restoreSteps: RestoreStep[] = [];
  private currentState: GatewayState = 'stopped';
  private stoppedReason = 'not started yet';
  /** Bumped for every new run, so that a slow restore of an old run cannot mark a new one running. */
  private runId = 0;
  private starting: Promise<void> | undefined;
  private currentCapabilities: GatewayCapabilities | undefined;
  /** Crashes of the gateway processes started since the last start by the user. */
  private readonly crashes = new CrashWindow();

  private readonly stateEmitter = new vscode.EventEmitter<GatewayState>();
  private readonly valuesEmitter = new vscode.EventEmitter<ValuesNotification>();
  private readonly deviceStatusEmitter = new vscode.EventEmitter<DeviceStatusNotification>();
  private readonly devicesChangedEmitter = new vscode.EventEmitter<void>();
  private readonly certificateUntrustedEmitter = new vscode.EventEmitter<CertificateUntrustedNotification>();
  private readonly discoveredEmitter = new vscode.EventEmitter<DiscoveredNotification>();
  private readonly discoveryProgressEmitter = new vscode.EventEmitter<DiscoveryProgressNotification>();

  readonly onDidChangeState = this.stateEmitter.event;
  readonly onValues = this.valuesEmitter.event;
  readonly onDeviceStatus = this.deviceStatusEmitter.event;
  readonly onDevicesChanged = this.devicesChangedEmitter.event;
  readonly onCertificateUntrusted = this.certificateUntrustedEmitter.event;
  readonly onDiscovered = this.discoveredEmitter.event;
  readonly onDiscoveryProgress = this.discoveryProgressEmitter.event;

  constructor(
    readonly extension: vscode.ExtensionContext,
    readonly log: Log,
    readonly settings: Settings,
    private readonly prompts: Prompts,
  ) {
    this.pushExt(
      this.stateEmitter,
      this.valuesEmitter,
      this.deviceStatusEmitter,
      this.devicesChangedEmitter,
      this.certificateUntrustedEmitter,
      this.discoveredEmitter,
      this.discoveryProgressEmitter,
    );
  }

  get state(): GatewayState {
    return this.currentState;
  }

  /** What the running gateway said it can do in its answer to `initialize`; undefined before that. */
  get capabilities(): GatewayCapabilities | undefined {
    return this.currentCapabilities;
  }

  /** Why the gateway is stopped, for people (status bar tooltip, errors). */
  get stopReason(): string {
    return this.stoppedReason;
  }

  pushExt(...disposables: vscode.Disposable[]): void {
    this.extScope.push(...disposables);
  }

  /** Registers a step to run after every gateway start (config, demo, subscriptions). */
  onRestore(step: RestoreStep): void {
    this.restoreSteps.push(step);
  }

  async start(): Promise<void> {
    if (this.client) return this.starting;
    this.crashes.reset();
    const client = this.createClient();
    this.client = client;
    this.setState('starting');
    this.starting = client.start().catch((err: unknown) => {
      if (this.client !== client) return;
      this.stoppedReason = 'it failed to start';
      this.log.error('The gateway failed to start', err);
      this.setState('stopped');
      void this.offerRestart('The Bifrost gateway failed to start.');
    });
    return this.starting;
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.starting = undefined;
    this.runId++;
    this.currentCapabilities = undefined;
    this.disposeRun();
    if (!client) return;
    this.stoppedReason = 'it was stopped';
    this.setState('stopped');
    try {
      // dispose() stops the process (shutdown, exit, then kill after the timeout).
      await client.dispose(3000);
    } catch (err) {
      this.log.warn(`Stopping the gateway: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async restart(): Promise<void> {
    this.log.info('client: restarting the gateway');
    await this.stop();
    await this.start();
  }

  /** Resolves once the gateway is running (restore steps done); rejects with a clear error when it is down. */
  async whenRunning(): Promise<LanguageClient> {
    if (this.currentState === 'running' && this.client) return this.client;
    if (this.currentState === 'stopped' || !this.client) throw new GatewayDownError(this.stoppedReason);
    const running = await becomesRunning(this.onDidChangeState);
    if (!running || !this.client) throw new GatewayDownError(running ? this.stoppedReason : 'it is still starting');
    return this.client;
  }

  /** A request to the running gateway; a cancelled `token` sends `$/cancelRequest`. */
  request<R>(type: RequestType0<R, void>): Promise<R>;
  request<P, R>(type: RequestType<P, R, void>, params: P, token?: vscode.CancellationToken): Promise<R>;
  async request<P, R>(type: RequestType0<R, void> | RequestType<P, R, void>, params?: P, token?: vscode.CancellationToken): Promise<R> {
    const client = await this.whenRunning();
    return this.send(client, type, params, token);
  }

  /**
   * For restore steps: sends on the client that is starting, without waiting for the run to count
   * as running (which only happens after the restore steps).
   */
  requestDuringRestore<R>(type: RequestType0<R, void>): Promise<R>;
  requestDuringRestore<P, R>(type: RequestType<P, R, void>, params: P): Promise<R>;
  async requestDuringRestore<P, R>(type: RequestType0<R, void> | RequestType<P, R, void>, params?: P): Promise<R> {
    const client = this.client;
    if (!client || !client.isRunning()) throw new GatewayDownError(this.stoppedReason);
    return this.send(client, type, params);
  }

  private send<P, R>(client: LanguageClient, type: RequestType0<R, void> | RequestType<P, R, void>, params?: P, token?: vscode.CancellationToken): Promise<R> {
    // The public overloads above keep callers typed; the method name is all the wire needs.
    const wire = wireRequest(type, params);
    if (!('params' in wire)) return client.sendRequest<R>(wire.method);
    // An undefined token handed on would travel as a second, positional parameter.
    return token ? client.sendRequest<R>(wire.method, wire.params, token) : client.sendRequest<R>(wire.method, wire.params);
  }

  private createClient(): LanguageClient {
    const module = this.extension.asAbsolutePath('dist/gateway.js');
    const args = ['--log-level', this.settings.current.logLevel, ...this.pkiArgs()];
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc, args, options: { execArgv: [...GATEWAY_NODE_OPTIONS] } },
      debug: { module, transport: TransportKind.ipc, args, options: { execArgv: [...GATEWAY_NODE_OPTIONS, '--inspect=6010'] } },
    };
    let client: LanguageClient | undefined = undefined;
    // The client's default handler counts the crashes: one per client, created on first use.
    // The client's default handler decides about errors on the connection; restarts are ours.
    let counting: ErrorHandler | undefined;
    const defaultHandler = () => (counting ??= client!.createDefaultErrorHandler());
    const errorHandler: ErrorHandler = {
      error: (error, message, count) => defaultHandler().error(error, message, count),
      closed: () => this.onClosed(),
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [],
      // The client writes its errors and (at the channel's trace level) every message there: redacted.
      outputChannel: this.log.clientChannel,
      errorHandler,
      initializationOptions: {},
      // The gateway's stderr is its log: keep each line's level instead of marking all as errors.
      stdioOptions: {
        stdout: (input) => this.log.pipeGatewayStream(input),
        stderr: (input) => this.log.pipeGatewayStream(input),
      },
    };
    client = new LanguageClient('bifrost', 'Bifrost Gateway', serverOptions, clientOptions);
    this.runScope.push(
      client.onDidChangeState((e) => this.onClientState(client!, e.newState)),
      client.onNotification(Values, (n) => this.valuesEmitter.fire(n)),
      client.onNotification(DeviceStatusChanged, (n) => this.deviceStatusEmitter.fire(n)),
      client.onNotification(DevicesChanged as NotificationType<Record<string, never>>, () => this.devicesChangedEmitter.fire()),
      client.onNotification(CertificateUntrusted, (n) => this.certificateUntrustedEmitter.fire(n)),
      client.onNotification(Discovered, (n) => this.discoveredEmitter.fire(n)),
      client.onNotification(DiscoveryProgress, (n) => this.discoveryProgressEmitter.fire(n)),
    );
    return client;
  }

  /**
   * The gateway keeps its own certificate and the servers' it trusts in the extension's global
   * storage, the same for every workspace. `--pki=DIR` as one argument: a gateway that does not
   * know the flag yet (its parser is not strict) ignores it and still starts.
   */
  private pkiArgs(): string[] {
    const folder = path.join(this.extension.globalStorageUri.fsPath, 'pki');
    try {
      fs.mkdirSync(folder, { recursive: true });
    } catch (err) {
      this.log.warn(`client: cannot create the certificate folder ${folder}: ${err instanceof Error ? err.message : String(err)}`);
    }
    return [`--pki=${folder}`];
  }

  private onClosed(): CloseHandlerResult {
    if (!this.crashes.crashed()) {
      const times = this.crashes.describe();
      this.stoppedReason = `it crashed ${times}`;
      this.log.error(`The gateway crashed ${times} and will not be restarted.`);
      void this.offerRestart(`The Bifrost gateway crashed ${times} and was not restarted.`);
      return { action: CloseAction.DoNotRestart, handled: true };
    }
    this.log.warn('The gateway exited unexpectedly; starting a new one.');
    return { action: CloseAction.Restart, handled: true };
  }

  private onClientState(client: LanguageClient, state: State): void {
    if (client !== this.client) return;
    if (state === State.Starting) {
      this.runId++;
      this.setState('starting');
    } else if (state === State.Stopped || state === State.StartFailed) {
      this.runId++;
      this.currentCapabilities = undefined;
      if (this.currentState !== 'stopped') this.setState('stopped');
    } else if (state === State.Running) {
      this.currentCapabilities = capabilitiesOf(client.initializeResult);
      if (!this.currentCapabilities) this.log.warn('client: the gateway did not say what it can do (no capabilities in its answer to initialize); is it older than the extension?');
      void this.restore(client, ++this.runId);
    }
  }

  /** After each start: config, demo plant and subscriptions, in order; then the gateway counts as running. */
  private async restore(client: LanguageClient, runId: number): Promise<void> {
    this.setState('starting');
    if (!(await runRestoreSteps(this.restoreSteps, () => runId === this.runId && client === this.client, this.log))) return;
    this.log.info('client: gateway running');
    this.setState('running');
  }

  private async offerRestart(message: string): Promise<void> {
    const choice = await this.prompts.notify('error', message, 'Restart Gateway', 'Show Log');
    if (choice === 'Restart Gateway') await this.restart();
    else if (choice === 'Show Log') this.log.show();
  }

  private setState(state: GatewayState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    void vscode.commands.executeCommand('setContext', 'bifrost.gatewayState', state);
    this.stateEmitter.fire(state);
  }

  private disposeRun(): void {
    const scope = this.runScope;
    this.runScope = [];
    for (const d of scope) d.dispose();
  }

  async dispose(): Promise<void> {
    await this.stop();
    for (const d of this.extScope.splice(0)) d.dispose();
  }
}
