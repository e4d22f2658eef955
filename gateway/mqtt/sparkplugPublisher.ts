/**
 * Publishes the gateway's devices to an MQTT broker as one Sparkplug B edge node: a client of the
 * gateway's own protocol (subscribing to every tag of every enabled device, changes only), and an
 * MQTT 3.1.1 client whose Will is the session's NDEATH. On each connect: NBIRTH, then a DBIRTH
 * for every connected device from a fresh read of its tags; then DDATA with what changed,
 * DDEATH when a device stops answering, DBIRTH when it answers again, everything again when a
 * host asks for a rebirth. While the broker is away nothing is queued: the births after the
 * reconnect carry the current values (keeping what happened meanwhile is store-and-forward's job).
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { MessageConnection } from 'vscode-jsonrpc';
import { errorMessage } from '../errors';
import type { Logger } from '../log';
import { DevicesChanged, DevicesList, DeviceStatusChanged, Subscribe, TagsRead, Unsubscribe, Values, type DeviceInfo, type TagReading } from '../protocol';
import { SparkplugEdgeNode, type BirthMetric, type MetricChange, type SparkplugMessage } from './sparkplug/edgeNode';
import { metricType, metricValue } from './sparkplug/metricTypes';
import { encodePayload, type DataTypeName } from './sparkplug/payload';

export interface SparkplugPublisherOptions {
  /** `mqtt://host:1883`, `mqtts://host:8883`. */
  broker: string;
  groupId: string;
  edgeNodeId: string;
  username?: string;
  password?: string;
  /** Default `bifrost-<groupId>-<edgeNodeId>`. */
  clientId?: string;
  /** Where the first session's bdSeq comes from (kept across restarts by the caller). */
  firstBdSeq?: number;
}

interface DeviceState {
  info: DeviceInfo;
  subscriptionId?: string;
  /** Tags published, with their datatype; tags without one are left out (said once). */
  types: Map<string, DataTypeName>;
  latest: Map<string, TagReading>;
  /** Tags whose latest reading was not sent yet: a DDATA is due. */
  changed: Set<string>;
  /** A DBIRTH is being made (its read is out). */
  birthing?: boolean;
}

export class SparkplugPublisher {
  private readonly node: SparkplugEdgeNode;
  private readonly devices = new Map<string, DeviceState>();
  /** The same states by their subscription, for the values as they arrive. */
  private readonly bySubscription = new Map<string, DeviceState>();
  /** This MQTT session's Will: the NDEATH published on a clean stop too. */
  private will: SparkplugMessage | undefined;
  private client: MqttClient | undefined;
  private syncing: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly gateway: MessageConnection,
    private readonly options: SparkplugPublisherOptions,
    private readonly log: Logger,
    private readonly connect: (url: string, opts: IClientOptions) => MqttClient = mqtt.connect,
  ) {
    this.node = new SparkplugEdgeNode(options.groupId, options.edgeNodeId, options.firstBdSeq ?? 0);
  }

  /** The bdSeq of the current MQTT session. */
  get bdSeq(): number {
    return this.node.currentBdSeq;
  }

  async start(): Promise<void> {
    this.gateway.onNotification(Values, (n) => this.onValues(n.subscriptionId, n.items));
    this.gateway.onNotification(DeviceStatusChanged, (n) => this.onStatus(n.id, n.status));
    this.gateway.onNotification(DevicesChanged, () => void this.sync());
    await this.sync();
    const will = (this.will = this.node.newSession());
    const client = this.connect(this.options.broker, {
      clientId: this.options.clientId ?? `bifrost-${this.options.groupId}-${this.options.edgeNodeId}`,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 2000,
      connectTimeout: 10_000,
      queueQoSZero: false,
      ...(this.options.username !== undefined ? { username: this.options.username } : {}),
      ...(this.options.password !== undefined ? { password: this.options.password } : {}),
      will: willOf(will),
    });
    this.client = client;
    client.on('connect', () => {
      this.log.info(`sparkplug ${this.options.groupId}/${this.options.edgeNodeId}: connected to ${this.options.broker} (bdSeq ${this.node.currentBdSeq})`);
      client.subscribe(this.node.topic('NCMD'), { qos: 1 }, (err) => err && this.log.warn(`sparkplug: cannot subscribe to NCMD: ${err.message}`));
      this.birth();
    });
    // Each new CONNECT carries the next bdSeq in its Will; mqtt.js reconnects with these options.
    client.on('close', () => {
      if (this.stopped) return;
      this.will = this.node.newSession();
      client.options.will = willOf(this.will);
    });
    client.on('error', (err) => this.log.warn(`sparkplug ${this.options.broker}: ${err.message}`));
    client.on('message', (topic, payload) => {
      if (this.node.command(topic, payload) === 'rebirth') {
        this.log.info('sparkplug: rebirth requested');
        this.birth();
      }
    });
  }

  /** NDEATH published by us (a clean disconnect sends no Will), then the connection and the subscriptions end. */
  async stop(): Promise<void> {
    this.stopped = true;
    const client = this.client;
    if (client?.connected && this.will) {
      const death = willOf(this.will);
      await new Promise<void>((resolve) => client.publish(death.topic, death.payload, { qos: 1 }, () => resolve()));
    }
    await client?.endAsync().catch(() => undefined);
    for (const d of this.devices.values()) if (d.subscriptionId) await this.gateway.sendRequest(Unsubscribe, { subscriptionId: d.subscriptionId }).catch(() => undefined);
  }

  private sync(): Promise<void> {
    this.syncing = this.syncing.then(async () => {
      try {
        const { devices } = await this.gateway.sendRequest(DevicesList);
        await this.apply(devices);
      } catch (err) {
        this.log.warn(`sparkplug: cannot follow the device list: ${errorMessage(err)}`);
      }
    });
    return this.syncing;
  }

  private async apply(devices: DeviceInfo[]): Promise<void> {
    const wanted = new Map(devices.filter((d) => d.enabled && d.tags.length > 0).map((d) => [d.id, d]));
    for (const [id, d] of this.devices) {
      const now = wanted.get(id);
      if (now && JSON.stringify(now.tags) === JSON.stringify(d.info.tags)) {
        d.info = now;
        continue;
      }
      // Gone or retagged: its birth no longer says what it has.
      this.devices.delete(id);
      if (d.subscriptionId) this.bySubscription.delete(d.subscriptionId);
      if (this.node.isBorn(id)) this.publish(() => this.node.ddeath(id));
      if (d.subscriptionId) await this.gateway.sendRequest(Unsubscribe, { subscriptionId: d.subscriptionId }).catch(() => undefined);
    }
    for (const [id, info] of wanted) {
      if (this.devices.has(id)) continue;
      const types = new Map<string, DataTypeName>();
      for (const t of info.tags) {
        const type = metricType(t);
        if (type) types.set(t.name, type);
        else this.log.warn(`sparkplug: ${id}/${t.name} (${t.dataType}) has no Sparkplug datatype: not published`);
      }
      const state: DeviceState = { info, types, latest: new Map(), changed: new Set() };
      this.devices.set(id, state);
      try {
        const { subscriptionId } = await this.gateway.sendRequest(Subscribe, { deviceId: id, tags: [...types.keys()], onChangeOnly: true });
        state.subscriptionId = subscriptionId;
        this.bySubscription.set(subscriptionId, state);
      } catch (err) {
        this.log.warn(`sparkplug: ${id}: cannot subscribe: ${errorMessage(err)}`);
      }
    }
  }

  private onValues(subscriptionId: string, items: TagReading[]): void {
    const d = this.bySubscription.get(subscriptionId);
    if (!d) return;
    for (const r of items) {
      if (!d.types.has(r.tag)) continue;
      d.latest.set(r.tag, r);
      d.changed.add(r.tag);
    }
    this.publishDevice(d);
  }

  private onStatus(id: string, status: DeviceInfo['status']): void {
    const d = this.devices.get(id);
    if (!d) return;
    d.info = { ...d.info, status };
    if (status !== 'connected') {
      // Born again only with readings taken after it answers again.
      d.latest.clear();
      d.changed.clear();
      if (this.node.isBorn(id)) this.publish(() => this.node.ddeath(id));
    }
    if (status === 'connected') this.publishDevice(d);
  }

  /** DBIRTH (from a fresh read of every tag) when the device is not born in this session, else DDATA of what changed. */
  private publishDevice(d: DeviceState): void {
    if (!this.client?.connected || d.info.status !== 'connected') return;
    const id = d.info.id;
    if (!this.node.isBorn(id)) {
      if (!d.birthing) void this.birthDevice(d);
      return;
    }
    if (d.changed.size === 0) return;
    const changes: MetricChange[] = [...d.changed].map((name) => {
      const r = d.latest.get(name)!;
      return { name, value: this.valueOf(id, d.types.get(name)!, r), timestamp: r.timestamp };
    });
    if (this.publish(() => this.node.ddata(id, changes))) d.changed.clear();
  }

  /**
   * A birth says what the device holds now: its tags are read afresh (the readings a
   * subscription last sent may be from before the device went away).
   */
  private async birthDevice(d: DeviceState): Promise<void> {
    const id = d.info.id;
    d.birthing = true;
    try {
      const { results } = await this.gateway.sendRequest(TagsRead, { deviceId: id, tags: [...d.types.keys()] });
      if (!this.client?.connected || d.info.status !== 'connected' || this.node.isBorn(id) || this.devices.get(id) !== d) return;
      const byTag = new Map(results.map((r) => [r.tag, r]));
      const metrics: BirthMetric[] = [...d.types].map(([name, datatype]) => {
        const r = byTag.get(name) ?? d.latest.get(name);
        return { name, datatype, value: r ? this.valueOf(id, datatype, r) : null, timestamp: r?.timestamp ?? Date.now() };
      });
      // What changed while the read was out is sent after the birth.
      for (const r of results) {
        const seen = d.latest.get(r.tag);
        if (!seen || seen.timestamp <= r.timestamp) d.changed.delete(r.tag);
      }
      this.publish(() => this.node.dbirth(id, metrics));
    } catch (err) {
      this.log.warn(`sparkplug: ${id}: cannot read its tags for its DBIRTH: ${errorMessage(err)}`);
    } finally {
      d.birthing = false;
    }
    if (this.node.isBorn(id)) this.publishDevice(d);
  }

  /** A good or uncertain reading's value, or null (a bad one, or one its datatype cannot carry). */
  private valueOf(deviceId: string, type: DataTypeName, r: TagReading): BirthMetric['value'] {
    if (r.quality === 'bad') return null;
    try {
      const value = metricValue(type, r.value);
      // One that does not fit is refused here, alone, not with the whole DBIRTH or DDATA.
      encodePayload({ metrics: [{ datatype: type, value }] });
      return value;
    } catch {
      this.log.warn(`sparkplug: ${deviceId}/${r.tag}: ${JSON.stringify(r.value)} is not a ${type}: sent as null`);
      return null;
    }
  }

  private birth(): void {
    if (!this.client?.connected) return;
    this.publish(() => this.node.nbirth());
    for (const d of this.devices.values()) this.publishDevice(d);
  }

  /** Publishes what `make` builds; false (and logged) when it cannot be built or the broker is away. */
  private publish(make: () => SparkplugMessage): boolean {
    const client = this.client;
    if (!client?.connected) return false;
    let message: SparkplugMessage;
    try {
      message = make();
    } catch (err) {
      this.log.warn(`sparkplug: ${errorMessage(err)}`);
      return false;
    }
    client.publish(message.topic, Buffer.from(message.payload), { qos: 1, retain: false });
    return true;
  }
}

function willOf(m: SparkplugMessage): NonNullable<IClientOptions['will']> {
  return { topic: m.topic, payload: Buffer.from(m.payload), qos: 1, retain: false };
}
