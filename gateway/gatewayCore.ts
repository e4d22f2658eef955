import { join } from 'node:path';
import type { NotificationType } from 'vscode-jsonrpc';
import {
  CertificateUntrusted,
  DevicesChanged,
  DeviceStatusChanged,
  ErrorCodes,
  type ConfigLoadResult,
  type DemoMuteParams,
  type DemoMuteResult,
  type DemoStartResult,
  type DeviceConfig,
} from './protocol';
import { validateConfig } from './config';
import { DeviceManager } from './core/deviceManager';
import type { DeviceDriver } from './core/driver';
import type { DriverRegistry } from './core/registry';
import { builtinDrivers } from './drivers';
import { BifrostError, errorMessage } from './errors';
import { log } from './log';
import { registerAccessOf, type RegisterAccess } from './modbus/registerAccess';
import { CertificateStore, defaultPkiFolder } from './pki/store';
import { startDemoPlant, type DemoPlant } from './sim/demoPlant';
import { opcuaDemoDevice } from './sim/demoOpcUaNodes';
import type { Publishing } from './mqtt/publishing';
import { HealthContributors } from './core/health';
import { ClientTraffic, DeliveredValues } from './core/traffic';

export interface CoreOptions {
  /** The protocols served; default the built-in drivers. */
  drivers?: DriverRegistry;
  /** The certificate store's folder (`--pki`); default defaultPkiFolder(). */
  pkiFolder?: string;
}

/** What the core needs of a client session: a way to tell it about the shared state. */
export interface CoreSession {
  notify<P>(type: NotificationType<P>, params: P): void;
  /** A device was reconfigured (a new driver) or removed (null): the session's subscriptions follow. */
  deviceReplaced(deviceId: string, driver: DeviceDriver | null): void;
}

/**
 * What one gateway process owns, whatever number of clients talk to it: the devices and their
 * drivers, the certificate store, the configuration and the demo plant. Changes to them go to
 * every session; a client's own things (subscriptions, discoveries) live in its session.
 */
export class GatewayCore {
  readonly started = Date.now();
  readonly devices: DeviceManager;
  readonly drivers: DriverRegistry;
  readonly certificates: CertificateStore;
  /** Values sent to sessions, by device (bifrost_values_delivered_total). */
  readonly delivered = new DeliveredValues();
  /** Messages and drops by client, counted by the transports (bifrost_client_…). */
  readonly clients = new ClientTraffic();
  /** What else /health asks besides the devices (publishers' links, …). */
  readonly health = new HealthContributors();
  private readonly sessions = new Set<CoreSession>();
  private demo: DemoPlant | null = null;
  private demoStarting: Promise<DemoStartResult> | null = null;
  /** Demo devices that joined after the plant started (the OPC UA server's, the serial bus's). */
  private demoLateDevices: DeviceConfig[] = [];
  private disposing: Promise<void> | null = null;
  private publishing: Publishing | null = null;

  constructor(options: CoreOptions = {}) {
    this.drivers = options.drivers ?? builtinDrivers();
    this.certificates = new CertificateStore(options.pkiFolder ?? defaultPkiFolder(), log, (n) => {
      log.warn(`${n.deviceId}: the server's certificate is not trusted (${n.reason}): ${n.certificate.subject}, thumbprint ${n.certificate.thumbprint}`);
      this.broadcast(CertificateUntrusted, n);
    });
    this.devices = new DeviceManager(this.drivers, {
      onStatus: (id, status, lastError) => {
        log.debug(`${id}: ${status}${lastError ? ` (${lastError})` : ''}`);
        this.broadcast(DeviceStatusChanged, { id, status, lastError, timestamp: Date.now() });
      },
      onDeviceReplaced: (id, driver) => {
        for (const s of this.sessions) s.deviceReplaced(id, driver);
      },
      onListChanged: () => this.broadcast(DevicesChanged, {}),
    }, this.certificates);
  }

  /** Adds a session to those told about shared changes; the returned function takes it out again. */
  attach(session: CoreSession): () => void {
    this.sessions.add(session);
    return () => this.sessions.delete(session);
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  private broadcast<P>(type: NotificationType<P>, params: P): void {
    for (const s of this.sessions) s.notify(type, params);
  }

  /**
   * Loads a configuration document; used by `bifrost/config/load` and `--config`. A document
   * that is not a configuration at all is refused whole (BadConfig) and the running devices stay
   * as they are; otherwise every valid device runs and every broken entry is reported.
   */
  async loadConfig(doc: unknown, source: 'config' | 'demo'): Promise<ConfigLoadResult> {
    const { devices, publish, problems, usable } = validateConfig(doc, source, this.drivers);
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
    // The file's "publish" list; the demo plant's devices are published by the file's publishers.
    if (source === 'config' && this.publishing) {
      for (const pr of this.publishing.apply(publish)) {
        log.error(`${source} ${pr.path}: ${pr.message}`);
        problems.push(pr);
      }
    }
    return { devices: running, problems };
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
  registerAccess(deviceId: unknown, method: string): RegisterAccess {
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
  optional<K extends 'attributes' | 'resolveNode' | 'describeMethod' | 'call' | 'readHistory'>(driver: DeviceDriver, key: K, what: string): NonNullable<DeviceDriver[K]> {
    const fn = driver[key];
    if (typeof fn !== 'function') {
      const protocol = driver.info().protocol;
      const name = this.drivers.get(protocol)?.capabilities.displayName ?? protocol;
      throw new BifrostError(ErrorCodes.NotSupported, `${driver.id}: ${name} devices have no ${what} (protocol "${protocol}")`);
    }
    return (fn as (...args: unknown[]) => unknown).bind(driver) as NonNullable<DeviceDriver[K]>;
  }

  /** Where `"publish"` goes: set once by whoever can open sessions for the publishers (main.ts). */
  publishTo(publishing: Publishing): void {
    this.publishing = publishing;
    // A publisher away from its broker (or its primary host) makes the gateway unhealthy.
    this.health.add(() => publishing.stats().map((s) => ({ name: s.name, ok: s.online, ...(s.reason !== undefined ? { reason: s.reason } : {}) })));
  }

  /** What each running publisher has done (for /metrics). */
  publisherStats(): ReturnType<Publishing['stats']> {
    return this.publishing?.stats() ?? [];
  }

  /** Stops the publishers (NDEATH sent), every device and the demo plant: the end of the process. */
  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      await this.publishing?.stop();
      await this.devices.stopAll();
      if (this.demo) {
        await this.demo.stop();
        this.demo = null;
      }
    })();
    return this.disposing;
  }
}
