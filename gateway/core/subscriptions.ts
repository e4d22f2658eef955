import type { SubscribeResult, TagReading, TagRef } from '../protocol';
import { ErrorCodes } from '../protocol';
import { BifrostError, errorMessage } from '../errors';
import type { DeviceDriver, DriverSubscription, SubscribeOptions } from './driver';
import { badReadings } from './readings';

interface Entry {
  id: string;
  deviceId: string;
  refs: TagRef[];
  keys: string[];
  options: SubscribeOptions;
  bound: DriverSubscription | null;
}

/**
 * Client subscriptions, by id. A subscription outlives the driver it runs on: when its device is
 * reconfigured it moves to the new driver, and when the device disappears its tags turn bad until
 * the device comes back.
 */
export class Subscriptions {
  private readonly entries = new Map<string, Entry>();
  private nextId = 1;

  constructor(private readonly send: (subscriptionId: string, items: TagReading[], deviceId: string) => void) {}

  create(driver: DeviceDriver, refs: TagRef[], options: SubscribeOptions): SubscribeResult {
    const id = `s${this.nextId++}`;
    const entry: Entry = { id, deviceId: driver.id, refs, keys: [], options, bound: null };
    // Throws for bad refs before anything is registered.
    entry.bound = driver.subscribe(refs, options, (items) => this.send(id, items, entry.deviceId));
    entry.keys = entry.bound.keys;
    this.entries.set(id, entry);
    return { subscriptionId: id, tags: entry.keys, intervalMs: options.intervalMs };
  }

  get size(): number {
    return this.entries.size;
  }

  /** Tags over all subscriptions, each subscription's counted once. */
  get itemCount(): number {
    let n = 0;
    for (const entry of this.entries.values()) n += entry.keys.length;
    return n;
  }

  remove(id: unknown): void {
    const entry = typeof id === 'string' ? this.entries.get(id) : undefined;
    if (!entry) throw new BifrostError(ErrorCodes.UnknownSubscription, `unknown subscription ${JSON.stringify(id)}`);
    entry.bound?.close();
    this.entries.delete(entry.id);
  }

  /** Moves the subscriptions of a device onto its new driver, or marks them bad when it is gone. */
  rebind(deviceId: string, driver: DeviceDriver | null): void {
    for (const entry of this.entries.values()) {
      if (entry.deviceId !== deviceId) continue;
      entry.bound?.close();
      entry.bound = null;
      if (!driver) {
        this.sendBad(entry, `${deviceId}: device removed from the configuration`);
        continue;
      }
      try {
        entry.bound = driver.subscribe(entry.refs, entry.options, (items) => this.send(entry.id, items, entry.deviceId));
      } catch (err) {
        this.sendBad(entry, errorMessage(err));
      }
    }
  }

  closeAll(): void {
    for (const entry of this.entries.values()) entry.bound?.close();
    this.entries.clear();
  }

  /** Each key once, even when the subscription named a tag twice. */
  private sendBad(entry: Entry, error: string): void {
    this.send(entry.id, badReadings(new Set(entry.keys), error), entry.deviceId);
  }
}
