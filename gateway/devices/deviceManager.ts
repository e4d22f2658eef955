import type { DeviceInfo, DeviceStatus } from '../protocol';
import { ErrorCodes } from '../protocol';
import { BifrostError } from '../errors';
import { sameDevice } from '../config';
import { log } from '../log';
import { ModbusDevice } from '../modbus/modbusDevice';
import type { ModbusDeviceSettings } from '../modbus/settings';
import type { DeviceDriver } from './driver';

export interface DeviceManagerEvents {
  onStatus(id: string, status: DeviceStatus, lastError: string | null): void;
  /** A device was added, replaced or removed; `driver` is the new one, or null when removed. */
  onDeviceReplaced(id: string, driver: DeviceDriver | null): void;
  onListChanged(): void;
}

type Source = ModbusDeviceSettings['source'];

/**
 * Owns every running device. Devices come from two sources (the configuration and the demo
 * plant); loading one source replaces only its own devices, and a device whose settings did not
 * change keeps running untouched (no reconnect, no gap in its values).
 */
export class DeviceManager {
  private readonly devices = new Map<string, { driver: ModbusDevice; settings: ModbusDeviceSettings }>();

  constructor(private readonly events: DeviceManagerEvents) {}

  /** Applies the devices of one source; returns the ids that run afterwards, and ids refused. */
  async load(source: Source, wanted: ModbusDeviceSettings[]): Promise<{ running: string[]; clashes: string[] }> {
    const wantedIds = new Set(wanted.map((d) => d.id));
    const changes: Promise<void>[] = [];
    for (const [id, entry] of this.devices) {
      if (entry.settings.source === source && !wantedIds.has(id)) {
        this.devices.delete(id);
        // Subscriptions learn of the removal first, so the stopping driver has no one to tell.
        this.events.onDeviceReplaced(id, null);
        changes.push(entry.driver.stop());
        log.info(`${id}: removed`);
      }
    }
    const clashes: string[] = [];
    for (const settings of wanted) {
      const current = this.devices.get(settings.id);
      if (current && current.settings.source !== source) {
        clashes.push(settings.id);
        continue;
      }
      if (current && sameDevice(current.settings, settings)) continue;
      const driver = new ModbusDevice(settings, { onStatus: (id, s, e) => this.statusChanged(id, driver, s, e) });
      this.devices.set(settings.id, { driver, settings });
      driver.start();
      // Subscriptions move before the old driver stops: its farewells reach no one, and the
      // status it reports while stopping is ignored (it is no longer the current driver).
      this.events.onDeviceReplaced(settings.id, driver);
      if (current) changes.push(current.driver.stop());
      log.info(`${settings.id}: ${current ? 'reconfigured' : 'added'} (${settings.host}:${settings.port} unit ${settings.unitId}, ${settings.tags.length} tags)`);
    }
    await Promise.all(changes);
    this.events.onListChanged();
    const running = [...this.devices.values()].filter((e) => e.settings.source === source).map((e) => e.settings.id);
    return { running, clashes };
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

  list(): DeviceInfo[] {
    return [...this.devices.values()].map((e) => e.driver.info());
  }

  async stopAll(): Promise<void> {
    const all = [...this.devices.values()];
    this.devices.clear();
    await Promise.all(all.map((e) => e.driver.stop()));
  }

  private statusChanged(id: string, driver: ModbusDevice, status: DeviceStatus, lastError: string | null): void {
    // A replaced device may still report while it shuts down: only the current one speaks.
    if (this.devices.get(id)?.driver !== driver) return;
    this.events.onStatus(id, status, lastError);
  }
}
