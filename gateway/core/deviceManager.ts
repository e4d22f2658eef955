import type { DeviceInfo, DeviceStatus } from '../protocol';
import { ErrorCodes } from '../protocol';
import { BifrostError, errorMessage } from '../errors';
import { sameDevice } from '../config';
import { log } from '../log';
import type { DeviceDriver, DeviceSettings, DeviceSource, DriverHost, PkiHost } from './driver';
import { LinkPool } from './links';
import type { DriverRegistry } from './registry';
import { DeviceStatsCollector } from './stats';
import type { CertificateStore } from '../pki/store';

export interface DeviceManagerEvents {
  onStatus(id: string, status: DeviceStatus, lastError: string | null): void;
  /** A device was added, replaced or removed; `driver` is the new one, or null when removed. */
  onDeviceReplaced(id: string, driver: DeviceDriver | null): void;
  onListChanged(): void;
}

interface Entry {
  driver: DeviceDriver;
  settings: DeviceSettings;
  stats: DeviceStatsCollector;
}

/**
 * Owns every running device, of any protocol: the registry's modules make them. Devices come
 * from two sources (the configuration and the demo plant); loading one source replaces only its
 * own devices, and a device whose settings did not change keeps running untouched (no reconnect,
 * no gap in its values). Loads run one at a time, in the order they were asked for.
 */
export class DeviceManager {
  private readonly devices = new Map<string, Entry>();
  readonly links = new LinkPool();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly registry: DriverRegistry,
    private readonly events: DeviceManagerEvents,
    /** The gateway's certificate store: each device sees it as its DriverHost.pki. */
    private readonly certificates: CertificateStore,
  ) {}

  /** Applies the devices of one source; returns the ids that run afterwards, ids refused, and devices that failed to start. */
  load(source: DeviceSource, wanted: DeviceSettings[]): Promise<{ running: string[]; clashes: string[]; failed: { id: string; message: string }[] }> {
    const run = this.queue.then(() => this.apply(source, wanted));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async apply(source: DeviceSource, wanted: DeviceSettings[]): Promise<{ running: string[]; clashes: string[]; failed: { id: string; message: string }[] }> {
    // Devices still refused a server's certificate notify once more after a load.
    this.certificates.forgetNotices();
    const wantedIds = new Set(wanted.map((d) => d.id));
    const stops: Promise<void>[] = [];
    for (const [id, entry] of this.devices) {
      if (entry.settings.source === source && !wantedIds.has(id)) {
        this.devices.delete(id);
        // Subscriptions learn of the removal first, so the stopping driver has no one to tell.
        this.events.onDeviceReplaced(id, null);
        stops.push(entry.driver.stop());
        log.info(`${id}: removed`);
      }
    }
    const clashes: string[] = [];
    const failed: { id: string; message: string }[] = [];
    for (const settings of wanted) {
      const current = this.devices.get(settings.id);
      if (current && current.settings.source !== source) {
        clashes.push(settings.id);
        continue;
      }
      if (current && sameDevice(current.settings, settings)) continue;
      const module = this.registry.get(settings.protocol);
      let driver: DeviceDriver;
      // A reconfigured device starts counting afresh, as its new driver always did (Prometheus sees a counter reset).
      const host = new ManagedHost(this, settings.id, this.links, this.certificates);
      try {
        if (!module) throw new Error(`no driver for protocol "${settings.protocol}"`);
        driver = await module.create(settings, host);
        host.driver = driver;
      } catch (err) {
        const message = `${settings.id}: the ${settings.protocol} driver could not start this device: ${errorMessage(err)}`;
        log.error(message);
        failed.push({ id: settings.id, message });
        continue;
      }
      this.devices.set(settings.id, { driver, settings, stats: host.stats });
      driver.start();
      // Subscriptions move before the old driver stops: its farewells reach no one, and the
      // status it reports while stopping is ignored (it is no longer the current driver).
      this.events.onDeviceReplaced(settings.id, driver);
      if (current) stops.push(current.driver.stop());
      const info = driver.info();
      log.info(`${settings.id}: ${current ? 'reconfigured' : 'added'} (${info.endpoint}, ${info.tags.length} tags)`);
    }
    await Promise.all(stops);
    this.events.onListChanged();
    const running = [...this.devices.values()].filter((e) => e.settings.source === source).map((e) => e.settings.id);
    return { running, clashes, failed };
  }

  get(id: unknown): DeviceDriver {
    if (typeof id !== 'string') throw new BifrostError(ErrorCodes.InvalidParams, '"deviceId" must be a string');
    const entry = this.devices.get(id);
    if (!entry) {
      const known = [...this.devices.keys()];
      const hint = known.length ? `known devices: ${known.join(', ')}` : 'no devices are configured';
      throw new BifrostError(ErrorCodes.UnknownDevice, `unknown device "${id}" (${hint})`);
    }
    return entry.driver;
  }

  find(id: string): DeviceDriver | undefined {
    return this.devices.get(id)?.driver;
  }

  /** The counters the core lent a running device (DriverHost.stats). */
  statsOf(id: string): DeviceStatsCollector | undefined {
    return this.devices.get(id)?.stats;
  }

  list(): DeviceInfo[] {
    return [...this.devices.values()].map((e) => e.driver.info());
  }

  async stopAll(): Promise<void> {
    await this.queue;
    const all = [...this.devices.values()];
    this.devices.clear();
    await Promise.all(all.map((e) => e.driver.stop()));
  }

  /** For ManagedHost: a device reported its status. */
  statusChanged(id: string, driver: DeviceDriver | undefined, status: DeviceStatus, lastError: string | null): void {
    // A replaced device may still report while it shuts down: only the current one speaks.
    // (While a new driver starts it is not in the map yet: its first report waits for start().)
    if (!driver || this.devices.get(id)?.driver !== driver) return;
    this.events.onStatus(id, status, lastError);
  }

  /** For ManagedHost: what a device tells of its tags changed. */
  infoChanged(id: string, driver: DeviceDriver | undefined): void {
    if (driver && this.devices.get(id)?.driver === driver) this.events.onListChanged();
  }
}

/**
 * What the manager lends one device: a class with methods rather than an object of closures (one
 * small object per device; at 10,000 devices closures cost megabytes). The certificate store's
 * view is made on first use: most protocols never ask for it.
 */
class ManagedHost implements DriverHost {
  /** Set once the driver is made; reports before that (from inside create) are not its own yet. */
  driver: DeviceDriver | undefined;
  private pkiView: PkiHost | undefined;
  readonly log = log;
  readonly stats = new DeviceStatsCollector();

  constructor(
    private readonly manager: DeviceManager,
    private readonly id: string,
    readonly links: LinkPool,
    private readonly certificates: CertificateStore,
  ) {}

  onStatus(status: DeviceStatus, lastError: string | null): void {
    this.manager.statusChanged(this.id, this.driver, status, lastError);
  }

  onInfoChanged(): void {
    this.manager.infoChanged(this.id, this.driver);
  }

  get pki(): PkiHost {
    return (this.pkiView ??= this.certificates.forDevice(this.id));
  }
}
