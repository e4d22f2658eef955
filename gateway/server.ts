import { join } from 'node:path';
import type { CancellationToken, MessageConnection } from 'vscode-jsonrpc';
import { ResponseError } from 'vscode-jsonrpc';
import {
  Browse,
  Call,
  CertificatesList,
  CertificatesReject,
  CertificatesRemove,
  CertificatesTrust,
  CertificateUntrusted,
  ConfigLoad,
  DemoStart,
  DemoStop,
  DemoMute,
  type DemoMuteParams,
  type DemoMuteResult,
  DevicesChanged,
  Discover,
  Discovered,
  DiscoveryProgress,
  SerialPorts,
  DevicesList,
  DeviceStatusChanged,
  ErrorCodes,
  GATEWAY_NAME,
  HistoryRead,
  MethodDescribe,
  ModbusProbe,
  ModbusReadRange,
  NodeAttributes,
  NodeResolve,
  Ping,
  Progress,
  Subscribe,
  TagsRead,
  TagsWrite,
  Unsubscribe,
  Values,
  type BrowseResult,
  type ConfigLoadResult,
  type Deadband,
  type DemoStartResult,
  type DeviceConfig,
  type InitializeResult,
  type TagRef,
  type TagValue,
} from './protocol';
import { checkDeadband, validateConfig } from './config';
import { DeviceManager } from './core/deviceManager';
import { discover } from './discovery/discover';
import { listSerialPorts } from './serial/ports';
import type { DeviceDriver } from './core/driver';
import type { DriverRegistry } from './core/registry';
import { Subscriptions } from './core/subscriptions';
import { builtinDrivers } from './drivers';
import { BifrostError, errorMessage, isBifrostError, toResponseError } from './errors';
import { log } from './log';
import { inspectRangeOf, probe, readRange } from './modbus/inspect';
import { registerAccessOf, type RegisterAccess } from './modbus/registerAccess';
import { CertificateStore, defaultPkiFolder } from './pki/store';
import { startDemoPlant, type DemoPlant } from './sim/demoPlant';
import { opcuaDemoDevice } from './sim/demoOpcUaNodes';
import { VERSION } from './version';

export interface ServerOptions {
  /** Called when the client sends `exit` (code 0 after `shutdown`, 1 otherwise). */
  onExit(code: number): void;
  /** The client's process id from `initialize`, to exit when the editor dies. */
  onClientProcessId?(pid: number): void;
  /** The protocols served; default the built-in drivers. */
  drivers?: DriverRegistry;
  /** The certificate store's folder (`--pki`); default defaultPkiFolder(). */
  pkiFolder?: string;
}

const MIN_INTERVAL_MS = 10;
const MAX_BROWSE_ITEMS = 10_000;

/**
 * Binds the contract in protocol.ts to the gateway's parts: every handler checks its parameters,
 * and every failure leaves as a JSON-RPC error with a stable code and a readable message.
 */
export class GatewayServer {
  private readonly started = Date.now();
  private readonly devices: DeviceManager;
  private readonly drivers: DriverRegistry;
  private readonly subscriptions: Subscriptions;
  private readonly certificates: CertificateStore;
  private demo: DemoPlant | null = null;
  private demoStarting: Promise<DemoStartResult> | null = null;
  /** Demo devices that joined after the plant started (the OPC UA server's, the serial bus's). */
  private demoLateDevices: DeviceConfig[] = [];
  private shutdownRequested = false;

  constructor(
    private readonly connection: MessageConnection,
    private readonly options: ServerOptions,
  ) {
    this.subscriptions = new Subscriptions((subscriptionId, items) => {
      void this.connection.sendNotification(Values, { subscriptionId, items });
    });
    this.drivers = options.drivers ?? builtinDrivers();
    this.certificates = new CertificateStore(options.pkiFolder ?? defaultPkiFolder(), log, (n) => {
      log.warn(`${n.deviceId}: the server's certificate is not trusted (${n.reason}): ${n.certificate.subject}, thumbprint ${n.certificate.thumbprint}`);
      void this.connection.sendNotification(CertificateUntrusted, n);
    });
    this.devices = new DeviceManager(this.drivers, {
      onStatus: (id, status, lastError) => {
        log.debug(`${id}: ${status}${lastError ? ` (${lastError})` : ''}`);
        void this.connection.sendNotification(DeviceStatusChanged, { id, status, lastError, timestamp: Date.now() });
      },
      onDeviceReplaced: (id, driver) => this.subscriptions.rebind(id, driver),
      onListChanged: () => void this.connection.sendNotification(DevicesChanged, {}),
    }, this.certificates);
    this.register();
  }

  private register(): void {
    const c = this.connection;
    c.onError(([err]) => log.warn(`JSON-RPC input dropped: ${err.message}`));
    c.onRequest('initialize', (params: unknown) =>
      this.guard(() => {
        const pid = (params as { processId?: unknown } | null)?.processId;
        if (typeof pid === 'number' && Number.isInteger(pid) && pid > 0) this.options.onClientProcessId?.(pid);
        const result: InitializeResult = {
          capabilities: { bifrost: { version: VERSION, protocols: this.drivers.capabilities() } },
          serverInfo: { name: GATEWAY_NAME, version: VERSION },
        };
        return result;
      }),
    );
    c.onNotification('initialized', () => undefined);
    c.onRequest('shutdown', () =>
      this.guard(async () => {
        this.shutdownRequested = true;
        await this.dispose();
        return null;
      }),
    );
    c.onNotification('exit', () => this.options.onExit(this.shutdownRequested ? 0 : 1));
    // Requests no handler takes: unknown methods, or -32600 like every other request after shutdown.
    c.onRequest((method) =>
      this.guard(() => {
        throw new BifrostError(ErrorCodes.MethodNotFound, `Unhandled method ${method}`);
      }),
    );

    c.onRequest(Ping, () => this.guard(() => ({ version: VERSION, uptimeMs: Date.now() - this.started })));
    c.onRequest(ConfigLoad, (params) => this.guard(() => this.loadConfig(params, 'config')));
    c.onRequest(DevicesList, () => this.guard(() => ({ devices: this.devices.list() })));
    c.onRequest(TagsRead, (params) =>
      this.guard(async () => {
        const p = object(params, 'bifrost/tags/read');
        const refs = tagRefs(p['tags']);
        return { results: await this.devices.get(p['deviceId']).read(refs) };
      }),
    );
    c.onRequest(TagsWrite, (params) =>
      this.guard(() => {
        const p = object(params, 'bifrost/tags/write');
        const value = p['value'];
        if (value === undefined || value === null) {
          throw invalid(`"value" must be a number, a boolean, a string, or an array or object for tags that hold one (got ${describe(value)})`);
        }
        return this.devices.get(p['deviceId']).write(tagRef(p['tag'], '"tag"'), value as TagValue);
      }),
    );
    c.onRequest(Subscribe, (params) =>
      this.guard(() => {
        const p = object(params, 'bifrost/subscribe');
        const driver = this.devices.get(p['deviceId']);
        const refs = tagRefs(p['tags']);
        const interval = p['intervalMs'] ?? driver.info().pollIntervalMs;
        if (typeof interval !== 'number' || !Number.isInteger(interval) || interval < MIN_INTERVAL_MS || interval > 86_400_000) {
          throw invalid(`"intervalMs" must be a whole number of milliseconds from ${MIN_INTERVAL_MS} to 86400000 (got ${describe(interval)})`);
        }
        const onChangeOnly = p['onChangeOnly'] ?? true;
        if (typeof onChangeOnly !== 'boolean') throw invalid(`"onChangeOnly" must be true or false`);
        const deadband = p['deadband'];
        if (deadband !== undefined) {
          const problem = checkDeadband(deadband);
          if (problem) throw invalid(problem);
        }
        return this.subscriptions.create(driver, refs, { intervalMs: interval, onChangeOnly, deadband: deadband as Deadband | undefined });
      }),
    );
    c.onRequest(Browse, (params, token) => this.guard(() => this.browse(params, token)));
    c.onRequest(Discover, (params, token) =>
      this.guard(async () => {
        const abort = new AbortController();
        const listener = token.onCancellationRequested(() => abort.abort());
        try {
          return await discover(params, abort.signal, {
            // RTU items go out under the same method (Discovered's type names the TCP ones).
            discovered: (n) => void c.sendNotification(Discovered.method, n),
            progress: (n) => void c.sendNotification(DiscoveryProgress, n),
          });
        } finally {
          listener.dispose();
        }
      }),
    );
    c.onRequest(SerialPorts, () => this.guard(() => listSerialPorts()));
    c.onRequest(Unsubscribe, (params) =>
      this.guard(() => {
        this.subscriptions.remove(object(params, 'bifrost/unsubscribe')['subscriptionId']);
      }),
    );
    c.onRequest(CertificatesList, () => this.guard(() => this.certificates.list()));
    c.onRequest(CertificatesTrust, (params) => this.guard(() => this.certificates.trust(thumbprint(params, 'bifrost/certificates/trust'))));
    c.onRequest(CertificatesReject, (params) => this.guard(() => this.certificates.reject(thumbprint(params, 'bifrost/certificates/reject'))));
    c.onRequest(CertificatesRemove, (params) => this.guard(() => this.certificates.remove(thumbprint(params, 'bifrost/certificates/remove'))));
    c.onRequest(NodeAttributes, (params) =>
      this.guard(() => {
        const p = object(params, 'bifrost/nodes/attributes');
        const driver = this.devices.get(p['deviceId']);
        const node = nonEmpty(p['node'], '"node"', 'a node ref (as browse gives it) or a configured tag name');
        return this.optional(driver, 'attributes', 'node attributes')(node);
      }),
    );
    c.onRequest(NodeResolve, (params) =>
      this.guard(() => {
        const p = object(params, 'bifrost/nodes/resolve');
        const driver = this.devices.get(p['deviceId']);
        const path = nonEmpty(p['path'], '"path"', 'a node id or a browse path such as "/Plant/Tank/Level"');
        return this.optional(driver, 'resolveNode', 'node paths')(path);
      }),
    );
    c.onRequest(MethodDescribe, (params) =>
      this.guard(() => {
        const p = object(params, 'bifrost/methods/describe');
        const driver = this.devices.get(p['deviceId']);
        const methodId = nonEmpty(p['methodId'], '"methodId"', 'the node id of a method');
        return this.optional(driver, 'describeMethod', 'methods')(methodId);
      }),
    );
    c.onRequest(Call, (params) =>
      this.guard(() => {
        const p = object(params, 'bifrost/call');
        const driver = this.devices.get(p['deviceId']);
        const objectId = nonEmpty(p['objectId'], '"objectId"', 'the node id of the object the method belongs to');
        const methodId = nonEmpty(p['methodId'], '"methodId"', 'the node id of a method');
        const inputs = p['inputs'] ?? [];
        if (!Array.isArray(inputs)) throw invalid(`"inputs" must be an array of values, in the order of the method's input arguments (got ${describe(inputs)})`);
        const call = this.optional(driver, 'call', 'methods');
        if (!driver.info().allowWrites) {
          throw new BifrostError(ErrorCodes.WriteRefused, `${driver.id}: method calls are refused: this device does not allow writes (a method changes the process; set "allowWrites": true)`);
        }
        return call(objectId, methodId, inputs as TagValue[]);
      }),
    );
    c.onRequest(HistoryRead, (params, token) =>
      this.guard(async () => {
        const p = object(params, 'bifrost/history/read');
        const driver = this.devices.get(p['deviceId']);
        const tag = tagRef(p['tag'], '"tag"');
        const start = instant(p['start'], '"start"');
        const end = instant(p['end'], '"end"');
        if (end < start) throw invalid(`"end" (${new Date(end).toISOString()}) is before "start" (${new Date(start).toISOString()})`);
        const maxValues = p['maxValues'] ?? 10_000;
        if (typeof maxValues !== 'number' || !Number.isInteger(maxValues) || maxValues < 1 || maxValues > 100_000) {
          throw invalid(`"maxValues" must be a whole number from 1 to 100000 (got ${describe(maxValues)})`);
        }
        const continuation = p['continuation'];
        if (continuation !== undefined && typeof continuation !== 'string') throw invalid('"continuation" must be the string a previous history read answered');
        const readHistory = this.optional(driver, 'readHistory', 'history');
        const abort = new AbortController();
        const listener = token.onCancellationRequested(() => abort.abort());
        try {
          const request: { tag: TagRef; start: number; end: number; maxValues: number; continuation?: string } = { tag, start, end, maxValues };
          if (continuation !== undefined) request.continuation = continuation;
          return await readHistory(request, { signal: abort.signal, progress: () => undefined });
        } finally {
          listener.dispose();
        }
      }),
    );
    c.onRequest(ModbusReadRange, (params) =>
      this.guard(() => {
        const p = object(params, 'bifrost/modbus/readRange');
        const access = this.registerAccess(p['deviceId'], 'bifrost/modbus/readRange');
        return readRange(access, inspectRangeOf(p));
      }),
    );
    c.onRequest(ModbusProbe, (params) =>
      this.guard(() => {
        const p = object(params, 'bifrost/modbus/probe');
        const access = this.registerAccess(p['deviceId'], 'bifrost/modbus/probe');
        return probe(access, inspectRangeOf(p));
      }),
    );
    c.onRequest(DemoStart, () => this.guard(() => this.startDemo()));
    c.onRequest(DemoStop, () => this.guard(() => this.stopDemo()));
    c.onRequest(DemoMute, (params) =>
      this.guard(() => {
        const p = object(params, 'bifrost/demo/mute');
        if (typeof p['deviceId'] !== 'string') throw new BifrostError(ErrorCodes.InvalidParams, 'bifrost/demo/mute needs "deviceId": a unit of the demo serial bus (demo-drive or demo-meter)');
        if (typeof p['muted'] !== 'boolean') throw new BifrostError(ErrorCodes.InvalidParams, 'bifrost/demo/mute needs "muted": true or false');
        return this.muteDemoUnit({ deviceId: p['deviceId'], muted: p['muted'] });
      }),
    );
  }

  /**
   * Loads a configuration document; used by `bifrost/config/load` and `--config`. A document
   * that is not a configuration at all is refused whole (BadConfig) and the running devices stay
   * as they are; otherwise every valid device runs and every broken entry is reported.
   */
  async loadConfig(doc: unknown, source: 'config' | 'demo'): Promise<ConfigLoadResult> {
    const { devices, problems, usable } = validateConfig(doc, source, this.drivers);
    for (const pr of problems) log[pr.severity === 'error' ? 'error' : 'warn'](`${source} ${pr.path || '/'}: ${pr.message}`);
    if (!usable) {
      const first = problems.find((p) => p.severity === 'error');
      throw new BifrostError(ErrorCodes.BadConfig, `configuration not loaded, the devices keep running as they were: ${first?.message ?? 'not a configuration'}`, { problems });
    }
    const { running, clashes, failed } = await this.devices.load(source, devices);
    const list = (doc as { devices: { id?: unknown }[] }).devices;
    const pathOf = (id: string) => `/devices/${list.findIndex((d) => d?.id === id)}`;
    for (const id of clashes) {
      const other = source === 'config' ? 'the demo plant' : 'the configuration';
      const message = `device id "${id}" is already used by ${other}; this device is not started`;
      problems.push({ path: `${pathOf(id)}/id`, message, severity: 'error', device: id, skipped: 'device', entry: pathOf(id) });
      log.error(`${source}: ${message}`);
    }
    for (const f of failed) problems.push({ path: pathOf(f.id), message: f.message, severity: 'error', device: f.id, skipped: 'device', entry: pathOf(f.id) });
    return { devices: running, problems };
  }

  /** `bifrost/browse`: one page of a device's children, cancellable, with optional progress. */
  private async browse(params: unknown, token: CancellationToken): Promise<BrowseResult> {
    const p = object(params, 'bifrost/browse');
    const driver = this.devices.get(p['deviceId']);
    const node = p['node'];
    if (node !== undefined && typeof node !== 'string') throw invalid(`"node" must be a string, the "ref" of a browse item (got ${describe(node)})`);
    const continuation = p['continuation'];
    if (continuation !== undefined && typeof continuation !== 'string') throw invalid(`"continuation" must be the string a previous browse answered`);
    const maxItems = p['maxItems'] ?? 1000;
    if (typeof maxItems !== 'number' || !Number.isInteger(maxItems) || maxItems < 1 || maxItems > MAX_BROWSE_ITEMS) {
      throw invalid(`"maxItems" must be a whole number from 1 to ${MAX_BROWSE_ITEMS} (got ${describe(maxItems)})`);
    }
    const progressToken = p['progressToken'];
    if (progressToken !== undefined && typeof progressToken !== 'string' && typeof progressToken !== 'number') throw invalid('"progressToken" must be a string or a number');
    const abort = new AbortController();
    // A driver that ignores the signal must not delay the answer: the cancellation wins the race.
    let onAbort: () => void = () => undefined;
    const aborted = new Promise<never>((_, reject) => (onAbort = () => reject(cancelled())));
    aborted.catch(() => undefined);
    const listener = token.onCancellationRequested(() => {
      abort.abort();
      onAbort();
    });
    try {
      const browsing = driver.browse(
        { node, continuation, maxItems },
        {
          signal: abort.signal,
          progress: (done, total, message) => {
            if (progressToken === undefined) return;
            const value: { done: number; total?: number; message?: string } = { done };
            if (total !== undefined) value.total = total;
            if (message !== undefined) value.message = message;
            void this.connection.sendNotification(Progress, { token: progressToken, value });
          },
        },
      );
      browsing.catch(() => undefined);
      const result = await Promise.race([browsing, aborted]);
      if (abort.signal.aborted) throw cancelled();
      return result;
    } catch (err) {
      if (abort.signal.aborted) throw cancelled();
      throw err;
    } finally {
      listener.dispose();
    }
  }

  async startDemo(): Promise<DemoStartResult> {
    if (this.demo) return { devices: this.runningDemoDevices(this.demo) };
    if (!this.demoStarting) {
      this.demoStarting = (async () => {
        // The demo's OPC UA server keeps its certificate beside the gateway's store, so that the
        // certificate trusted once is the one it shows the next time.
        const plant = await startDemoPlant({ opcua: { pkiFolder: join(this.certificates.folder, 'demo-server') }, rtuBus: true });
        this.demo = plant;
        this.demoLateDevices = [];
        const { problems } = await this.loadConfig({ devices: plant.devices }, 'demo');
        if (problems.some((p) => p.severity === 'error')) log.error('the demo plant configuration has errors (see above)');
        const running = this.runningDemoDevices(plant);
        log.info(`demo plant running: ${running.map((d) => `${d.id} on ${d.protocol === 'opcua' ? d.endpointUrl : `port ${d.port}`}`).join(', ')}`);
        // The OPC UA server takes seconds to start, the serial bus a moment: their devices join when they run.
        void this.addDemoOpcUa(plant);
        void this.addDemoRtuBus(plant);
        return { devices: running };
      })().finally(() => {
        this.demoStarting = null;
      });
    }
    return this.demoStarting;
  }

  private async addDemoOpcUa(plant: DemoPlant): Promise<void> {
    try {
      const server = await plant.opcua;
      if (!server || this.demo !== plant) return;
      await this.certificates.trustStartedHere(server.certificateDer, 'demo plant');
      if (this.demo !== plant) return;
      if (await this.addLateDemoDevices(plant, [opcuaDemoDevice(server.endpointUrl)])) log.info(`demo plant OPC UA server running: ${server.endpointUrl}`);
      else log.error('the demo plant OPC UA device has configuration errors (see above)');
    } catch (err) {
      log.error(`demo plant: the OPC UA server is not available: ${errorMessage(err)}`);
    }
  }

  private async addDemoRtuBus(plant: DemoPlant): Promise<void> {
    try {
      const bus = await plant.rtu;
      if (!bus || this.demo !== plant) return;
      if (await this.addLateDemoDevices(plant, bus.devices)) log.info(`demo plant serial bus running: ${bus.devices.map((d) => `${d.id} (unit ${d.unitId})`).join(', ')} on ${bus.serialPath}`);
      else log.error('the demo plant serial bus devices have configuration errors (see above)');
    } catch (err) {
      // Optional: it needs socat and serial port support, which the rest of the demo does not.
      log.info(`demo plant: no serial bus: ${errorMessage(err)}`);
    }
  }

  /** Loads the plant's devices with those that joined late; false when the configuration had errors. */
  private async addLateDemoDevices(plant: DemoPlant, devices: DeviceConfig[]): Promise<boolean> {
    this.demoLateDevices = [...this.demoLateDevices, ...devices];
    const { problems } = await this.loadConfig({ devices: [...plant.devices, ...this.demoLateDevices] }, 'demo');
    return !problems.some((p) => p.severity === 'error');
  }

  /** Mutes or unmutes a unit of the demo's serial bus (as if its wires came loose). */
  async muteDemoUnit(params: DemoMuteParams): Promise<DemoMuteResult> {
    const bus = this.demo ? await this.demo.rtu.catch(() => null) : null;
    if (!bus) throw new BifrostError(ErrorCodes.NotSupported, this.demo ? 'the demo plant has no serial bus (it needs socat and serial port support)' : 'the demo plant is not running: start it with bifrost/demo/start');
    try {
      bus.mute(params.deviceId, params.muted);
    } catch (err) {
      throw new BifrostError(ErrorCodes.InvalidParams, errorMessage(err));
    }
    return { deviceId: params.deviceId, muted: bus.muted(params.deviceId) };
  }

  /** The plant's devices that run: one whose id a configured device already has is left out. */
  private runningDemoDevices(plant: DemoPlant): DeviceConfig[] {
    return plant.devices.filter((d) => this.devices.find(d.id)?.info().source === 'demo');
  }

  async stopDemo(): Promise<void> {
    if (this.demoStarting) await this.demoStarting.catch(() => undefined);
    const plant = this.demo;
    this.demo = null;
    await this.devices.load('demo', []);
    if (plant) {
      await plant.stop();
      log.info('demo plant stopped');
    }
  }

  /** The raw registers of a device that has them (Modbus), or NotSupported naming its protocol. */
  private registerAccess(deviceId: unknown, method: string): RegisterAccess {
    const driver = this.devices.get(deviceId);
    const access = registerAccessOf(driver);
    if (!access) {
      const protocol = driver.info().protocol;
      const name = this.drivers.get(protocol)?.capabilities.displayName ?? protocol;
      throw new BifrostError(ErrorCodes.NotSupported, `${driver.id}: ${method} is for Modbus devices; ${name} devices have no registers (protocol "${protocol}")`);
    }
    return access;
  }

  /** A driver's optional method, bound, or NotSupported naming the device and its protocol. */
  private optional<K extends 'attributes' | 'resolveNode' | 'describeMethod' | 'call' | 'readHistory'>(driver: DeviceDriver, key: K, what: string): NonNullable<DeviceDriver[K]> {
    const fn = driver[key];
    if (typeof fn !== 'function') {
      const protocol = driver.info().protocol;
      const name = this.drivers.get(protocol)?.capabilities.displayName ?? protocol;
      throw new BifrostError(ErrorCodes.NotSupported, `${driver.id}: ${name} devices have no ${what} (protocol "${protocol}")`);
    }
    return (fn as (...args: unknown[]) => unknown).bind(driver) as NonNullable<DeviceDriver[K]>;
  }

  /** Runs a handler; after `shutdown` only `exit` is served, as in LSP. */
  private guard<T>(fn: () => T | Promise<T>): Promise<T | ResponseError<void>> {
    if (this.shutdownRequested) {
      return Promise.resolve(new ResponseError(ErrorCodes.InvalidRequest, 'the gateway is shutting down; only "exit" is accepted now'));
    }
    return guard(fn);
  }

  async dispose(): Promise<void> {
    this.subscriptions.closeAll();
    await this.devices.stopAll();
    if (this.demo) {
      await this.demo.stop();
      this.demo = null;
    }
  }
}

async function guard<T>(fn: () => T | Promise<T>): Promise<T | ResponseError<void>> {
  try {
    return await fn();
  } catch (err) {
    if (!isBifrostError(err)) log.error(`request failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return toResponseError(err);
  }
}

function cancelled(): BifrostError {
  return new BifrostError(ErrorCodes.RequestCancelled, 'the request was cancelled');
}

function invalid(message: string): BifrostError {
  return new BifrostError(ErrorCodes.InvalidParams, message);
}

function object(params: unknown, method: string): Record<string, unknown> {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw invalid(`${method} takes an object of named parameters`);
  }
  return params as Record<string, unknown>;
}

function tagRefs(v: unknown): TagRef[] {
  if (!Array.isArray(v) || v.length === 0) throw invalid(`"tags" must be a non-empty array of tag names or addresses (got ${describe(v)})`);
  if (v.length > 100_000) throw invalid(`"tags" holds ${v.length} entries; at most 100000 per request`);
  return v.map((t, i) => tagRef(t, `"tags"[${i}]`));
}

function tagRef(v: unknown, what: string): TagRef {
  if (typeof v === 'string' && v.trim() !== '') return v;
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as TagRef;
  throw invalid(`${what} must be a tag name, an address string or an address object (got ${describe(v)})`);
}

function thumbprint(params: unknown, method: string): string {
  return nonEmpty(object(params, method)['thumbprint'], '"thumbprint"', 'the SHA-1 thumbprint of a certificate, in hex');
}

function nonEmpty(v: unknown, what: string, expected: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw invalid(`${what} must be ${expected} (got ${describe(v)})`);
  return v.trim();
}

/** Milliseconds since the epoch, from a number or an ISO 8601 string. */
function instant(v: unknown, what: string): number {
  const ms = typeof v === 'number' ? v : typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v) ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms)) throw invalid(`${what} must be milliseconds since 1970 or an ISO 8601 time such as "2026-01-31T08:00:00Z" (got ${describe(v)})`);
  return ms;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
