/**
 * The headless service's own client: it subscribes to every tag of every enabled device at the
 * device's poll interval, and follows the device list as configurations load. A service that
 * asks nothing would never find a device missing: polling is what makes failures show in its
 * log as they happen. It speaks the public protocol like any other client.
 */
import type { MessageConnection } from 'vscode-jsonrpc';
import { errorMessage } from '../errors';
import type { Logger } from '../log';
import { DevicesChanged, DevicesList, Subscribe, Unsubscribe, Values, type DeviceInfo } from '../protocol';

interface Polled {
  subscriptionId: string;
  /** Tags and interval, to tell when a reconfigured device needs a new subscription. */
  key: string;
}

export class PollAll {
  private readonly polled = new Map<string, Polled>();
  private syncing: Promise<void> = Promise.resolve();
  private pending = false;

  constructor(
    private readonly connection: MessageConnection,
    private readonly log: Logger,
  ) {
    // The values have no reader in the service yet; they are taken and dropped.
    connection.onNotification(Values, () => undefined);
    connection.onNotification(DevicesChanged, () => this.sync());
  }

  /** Brings the subscriptions in line with the device list; calls while one runs coalesce into one more. */
  sync(): Promise<void> {
    if (this.pending) return this.syncing;
    this.pending = true;
    this.syncing = this.syncing.then(async () => {
      this.pending = false;
      try {
        const { devices } = await this.connection.sendRequest(DevicesList);
        await this.apply(devices);
      } catch (err) {
        this.log.warn(`cannot follow the device list: ${errorMessage(err)}`);
      }
    });
    return this.syncing;
  }

  private async apply(devices: DeviceInfo[]): Promise<void> {
    const wanted = new Map<string, { tags: string[]; key: string }>();
    for (const d of devices) {
      if (!d.enabled || d.tags.length === 0) continue;
      const tags = d.tags.map((t) => t.name);
      wanted.set(d.id, { tags, key: JSON.stringify([d.pollIntervalMs, tags]) });
    }
    for (const [id, p] of this.polled) {
      if (wanted.get(id)?.key === p.key) continue;
      this.polled.delete(id);
      await this.connection.sendRequest(Unsubscribe, { subscriptionId: p.subscriptionId }).catch(() => undefined);
    }
    for (const [id, w] of wanted) {
      if (this.polled.has(id)) continue;
      try {
        const { subscriptionId } = await this.connection.sendRequest(Subscribe, { deviceId: id, tags: w.tags });
        this.polled.set(id, { subscriptionId, key: w.key });
        this.log.debug(`${id}: polling ${w.tags.length} tag${w.tags.length === 1 ? '' : 's'}`);
      } catch (err) {
        this.log.warn(`${id}: cannot poll: ${errorMessage(err)}`);
      }
    }
  }
}
