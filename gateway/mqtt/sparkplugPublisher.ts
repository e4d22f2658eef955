/**
 * Publishes the gateway's devices to an MQTT broker as one Sparkplug B edge node: a client of the
 * gateway's own protocol (subscribing to every tag of every enabled device, changes only), and an
 * MQTT 3.1.1 client whose Will is the session's NDEATH. On each connect (and, with a primary host,
 * once its STATE says online): NBIRTH, then a DBIRTH for every connected device from a fresh read
 * of its tags; then DDATA with what changed, DDEATH when a device stops answering, DBIRTH when it
 * answers again, everything again when a host asks for a rebirth.
 *
 * While the broker (or the primary host) is away: without a buffer nothing is queued, the births
 * afterwards carry the current values; with a store-and-forward buffer every value is kept on disk
 * and sent after the births as historical DDATA, oldest first, a few messages at a time beside
 * the live data. A live DDATA that the broker never acknowledged goes into the buffer too.
 *
 * Every connection attempt is a new MQTT client (mqtt.js reconnecting by itself would resend the
 * last session's unacknowledged messages, with that session's seq and aliases, before our NBIRTH).
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { MessageConnection } from 'vscode-jsonrpc';
import { errorMessage } from '../errors';
import type { Logger } from '../log';
import { DevicesChanged, DevicesList, DeviceStatusChanged, Subscribe, TagsRead, TagsWrite, Unsubscribe, Values, type Deadband, type DeviceInfo, type TagReading } from '../protocol';
import { tlsProblem, type TlsOptions } from './brokerTls';
import type { ForwardBuffer, StoredReading } from './forwardBuffer';
import { AckWatchdog, DEFAULT_KEEPALIVE_S, endWhenDrained, keepInBuffer, stored } from './publisherCommon';
import { parseHostState, SparkplugEdgeNode, type BirthMetric, type MetricChange, type SparkplugMessage } from './sparkplug/edgeNode';
import { metricType, metricValue, writeValue } from './sparkplug/metricTypes';
import { checkMetricValue, decodePayload, type DataTypeName, type Metric } from './sparkplug/payload';

export interface SparkplugPublisherOptions {
  /** `mqtt://host:1883`, `mqtts://host:8883`. */
  broker: string;
  groupId: string;
  edgeNodeId: string;
  username?: string;
  password?: string;
  /** Default `bifrost-<groupId>-<edgeNodeId>`. */
  clientId?: string;
  /** Where the first session's bdSeq comes from when no buffer keeps it. */
  firstBdSeq?: number;
  /** The host application whose STATE gates the births (Sparkplug's primary host). */
  primaryHostId?: string;
  /** Store and forward; owned by the caller (opened before start, closed after stop). */
  buffer?: ForwardBuffer;
  /** Milliseconds between connection attempts. */
  retryMs?: number;
  /** MQTT keep alive in seconds (default 30): how soon a dead connection is noticed. */
  keepaliveS?: number;
  /** TLS for mqtts:// and wss:// (files already read). */
  tls?: TlsOptions;
  /** Report by exception for the numeric tags without a deadband of their own. */
  deadband?: Deadband;
  /** Writes from DCMD (through the core's write rules); ignored without it. */
  commands?: boolean;
}

/** What a publisher has done, for /metrics and /health. */
export interface PublisherStats {
  /** Connected to the broker (and, with a primary host, the host online): values go out live. */
  online: boolean;
  /** Why it is not online. */
  reason?: string;
  published: number;
  buffered: number;
  bufferedBytes: number;
  replayed: number;
  dropped: number;
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

/** Historical DDATA messages awaiting their acknowledgement at once, and metrics in each. */
const REPLAY_WINDOW = 8;
const REPLAY_METRICS = 1000;
const BD_SEQ_KEY = 'bdSeq';

export class SparkplugPublisher {
  private readonly node: SparkplugEdgeNode;
  private readonly devices = new Map<string, DeviceState>();
  /** The same states by their subscription, for the values as they arrive. */
  private readonly bySubscription = new Map<string, DeviceState>();
  /** This MQTT session's Will: the NDEATH published on a clean stop too. */
  private will: SparkplugMessage | undefined;
  private client: MqttClient | undefined;
  /** Watches the current connection's publishes for their acknowledgements. */
  private acks: AckWatchdog | undefined;
  private retry: NodeJS.Timeout | undefined;
  private syncing: Promise<void> = Promise.resolve();
  private stopped = false;
  /** The primary host's last STATE (undefined: none seen in this session). */
  private host: { online: boolean; timestamp: number } | undefined;
  private lastProblem: string | undefined = 'not connected yet';
  private replaying = false;
  private replayAgain = false;
  /** Buffered batches out as historical DDATA, not yet acknowledged. */
  private readonly replayInFlight = new Set<number>();
  private replayWaiters: (() => void)[] = [];
  private published = 0;
  private replayed = 0;
  private droppedUnsendable = 0;

  constructor(
    private readonly gateway: MessageConnection,
    private readonly options: SparkplugPublisherOptions,
    private readonly log: Logger,
    private readonly connect: (url: string, opts: IClientOptions) => MqttClient = mqtt.connect,
  ) {
    const kept = Number(options.buffer?.getState(BD_SEQ_KEY));
    const first = Number.isInteger(kept) ? (kept + 1) & 0xff : (options.firstBdSeq ?? 0);
    this.node = new SparkplugEdgeNode(options.groupId, options.edgeNodeId, first);
  }

  /** The bdSeq of the current MQTT session. */
  get bdSeq(): number {
    return this.node.currentBdSeq;
  }

  get name(): string {
    return `sparkplug ${this.options.groupId}/${this.options.edgeNodeId}`;
  }

  stats(): PublisherStats {
    const b = this.options.buffer;
    return {
      online: this.online,
      ...(this.online ? {} : { reason: this.lastProblem ?? 'not connected' }),
      published: this.published,
      buffered: b?.values ?? 0,
      bufferedBytes: b?.bytes ?? 0,
      replayed: this.replayed,
      dropped: (b?.dropped ?? 0) + this.droppedUnsendable,
    };
  }

  async start(): Promise<void> {
    this.gateway.onNotification(Values, (n) => this.onValues(n.subscriptionId, n.items));
    this.gateway.onNotification(DeviceStatusChanged, (n) => this.onStatus(n.id, n.status));
    this.gateway.onNotification(DevicesChanged, () => void this.sync());
    await this.sync();
    const held = this.options.buffer?.values ?? 0;
    if (held > 0) this.log.info(`${this.name}: ${held} value(s) in the store-and-forward buffer from before, sent once the broker is reached`);
    this.connectNext();
  }

  /** NDEATH published by us (a clean disconnect sends no Will), then the connection and the subscriptions end. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    const client = this.client;
    if (client?.connected && this.will) {
      const death = willOf(this.will);
      await new Promise<void>((resolve) => client.publish(death.topic, death.payload, { qos: 1 }, () => resolve()));
    }
    // Drained: a DISCONNECT, so the broker does not publish the Will after our own NDEATH.
    if (client) await endWhenDrained(client);
    this.acks?.stop();
    for (const d of this.devices.values()) if (d.subscriptionId) await this.gateway.sendRequest(Unsubscribe, { subscriptionId: d.subscriptionId }).catch(() => undefined);
  }

  /** Values go out live: connected, and the primary host (if one is named) online. */
  private get online(): boolean {
    return Boolean(this.client?.connected) && (this.options.primaryHostId === undefined || this.host?.online === true);
  }

  private connectNext(): void {
    if (this.stopped) return;
    const will = (this.will = this.node.newSession());
    this.host = undefined;
    this.options.buffer?.setState(BD_SEQ_KEY, String(this.node.currentBdSeq));
    const client = this.connect(this.options.broker, {
      clientId: this.options.clientId ?? `bifrost-${this.options.groupId}-${this.options.edgeNodeId}`,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      keepalive: this.options.keepaliveS ?? DEFAULT_KEEPALIVE_S,
      queueQoSZero: false,
      ...(this.options.username !== undefined ? { username: this.options.username } : {}),
      ...(this.options.password !== undefined ? { password: this.options.password } : {}),
      ...this.options.tls,
      will: willOf(will),
    });
    this.client = client;
    const keepaliveS = this.options.keepaliveS ?? DEFAULT_KEEPALIVE_S;
    this.acks = new AckWatchdog(keepaliveS * 1500, (waited) => {
      if (this.client !== client) return;
      this.lastProblem = `${this.options.broker} acknowledged nothing for ${Math.round(waited / 1000)} s; the connection is taken for dead`;
      this.log.warn(`${this.name}: ${this.lastProblem}`);
      // Its close hands what is unacknowledged to the buffer and connects again.
      client.end(true);
    });
    client.on('connect', () => {
      this.log.info(`${this.name}: connected to ${this.options.broker} (bdSeq ${this.node.currentBdSeq})`);
      this.lastProblem = undefined;
      client.subscribe(this.node.topic('NCMD'), { qos: 1 }, (err) => err && this.log.warn(`${this.name}: cannot subscribe to NCMD: ${err.message}`));
      if (this.options.commands) client.subscribe(this.node.deviceCommandFilter, { qos: 1 }, (err) => err && this.log.warn(`${this.name}: cannot subscribe to DCMD: ${err.message}`));
      const host = this.options.primaryHostId;
      if (host === undefined) {
        this.birth();
        return;
      }
      this.lastProblem = `waiting for the primary host ${host} to be online`;
      client.subscribe(SparkplugEdgeNode.stateTopic(host), { qos: 1 }, (err) => err && this.log.warn(`${this.name}: cannot subscribe to the STATE of ${host}: ${err.message}`));
    });
    client.on('error', (err) => this.problem(`${this.options.broker}: ${tlsProblem(err) ?? err.message}`));
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    client.on('close', () => {
      if (this.client !== client) return;
      this.client = undefined;
      this.acks?.stop();
      this.wakeReplay();
      if (this.stopped) return;
      this.problem(this.lastProblem ?? `the connection to ${this.options.broker} closed`);
      // Forced: every unacknowledged publish fails now (its values go to the buffer), none is resent by a later session.
      client.end(true);
      this.retry = setTimeout(() => this.connectNext(), this.options.retryMs ?? 2000);
    });
  }

  /** Says a problem once, not at every attempt while it lasts. */
  private problem(message: string): void {
    if (message !== this.lastProblem) this.log.warn(`${this.name}: ${message}${this.stopped ? '' : '; trying again'}`);
    this.lastProblem = message;
  }

  private onMessage(topic: string, payload: Uint8Array): void {
    const host = this.options.primaryHostId;
    if (host !== undefined && topic === SparkplugEdgeNode.stateTopic(host)) {
      const state = parseHostState(payload);
      if (!state) return this.log.warn(`${this.name}: the STATE of ${host} is not Sparkplug 3.0's {"online", "timestamp"}: ignored`);
      // An older STATE than the last (a retained one arriving late) says nothing new.
      if (this.host && state.timestamp < this.host.timestamp) return;
      const was = this.host?.online === true;
      this.host = state;
      if (state.online && !was) {
        this.log.info(`${this.name}: primary host ${host} online`);
        this.lastProblem = undefined;
        this.birth();
      } else if (!state.online && was) {
        // Sparkplug: the edge node ends its session (NDEATH) and starts a new one that waits for the host.
        this.log.warn(`${this.name}: primary host ${host} went offline; ending this session`);
        this.lastProblem = `the primary host ${host} is offline`;
        const client = this.client;
        const death = this.will && willOf(this.will);
        if (client && death) client.publish(death.topic, death.payload, { qos: 1 }, () => client.end(true));
      } else if (!state.online) {
        this.lastProblem = `the primary host ${host} is offline`;
      }
      return;
    }
    const device = this.options.commands ? this.node.deviceOfCommand(topic) : undefined;
    if (device !== undefined) {
      void this.onDeviceCommand(device, payload);
      return;
    }
    if (this.node.command(topic, payload) === 'rebirth' && this.online) {
      this.log.info(`${this.name}: rebirth requested`);
      this.birth();
    }
  }

  /**
   * A DCMD: each metric written through bifrost/tags/write like any client's write, so the core
   * refuses what it refuses (read-only tag, device without allowWrites, a value that does not
   * fit). A metric must be one of the device's DBIRTH, in its datatype. The confirmed value goes
   * out as DDATA; every outcome is logged (Sparkplug has no reply to a command).
   */
  private async onDeviceCommand(device: string, payload: Uint8Array): Promise<void> {
    let metrics: Metric[];
    try {
      metrics = decodePayload(payload).metrics;
    } catch (err) {
      this.log.warn(`${this.name}: a DCMD for ${device} that is not a Sparkplug B payload: ignored (${errorMessage(err)})`);
      return;
    }
    for (const m of metrics) {
      const born = this.node.bornMetric(device, m);
      const what = `${this.name}: DCMD ${device}/${born?.name ?? m.name ?? `alias ${m.alias}`}`;
      if (!born) {
        this.log.warn(`${what}: not a metric of its DBIRTH in this session: refused`);
        continue;
      }
      if (m.datatype !== born.datatype) {
        this.log.warn(`${what}: sent as ${m.datatype}, born as ${born.datatype}: refused`);
        continue;
      }
      const value = m.value === null ? undefined : writeValue(born.datatype, m.value);
      if (value === undefined) {
        this.log.warn(`${what}: ${m.value === null ? 'a null value' : `a ${m.datatype} value`} is not written: refused`);
        continue;
      }
      try {
        const done = await this.gateway.sendRequest(TagsWrite, { deviceId: device, tag: born.name, value });
        this.log.info(`${what}: wrote ${JSON.stringify(done.value)}, confirmed by the device`);
        if (this.node.isBorn(device)) {
          const reading: StoredReading = { tag: born.name, value: done.value, quality: 'good', timestamp: done.timestamp };
          this.publish(() => this.node.ddata(device, [{ name: born.name, value: this.valueOf(device, born.datatype, reading), timestamp: done.timestamp }]));
        }
      } catch (err) {
        this.log.warn(`${what}: write refused: ${errorMessage(err)}`);
      }
    }
  }

  private sync(): Promise<void> {
    this.syncing = this.syncing.then(async () => {
      try {
        const { devices } = await this.gateway.sendRequest(DevicesList);
        await this.apply(devices);
      } catch (err) {
        this.log.warn(`${this.name}: cannot follow the device list: ${errorMessage(err)}`);
      }
    });
    return this.syncing;
  }

  private async apply(devices: DeviceInfo[]): Promise<void> {
    // Every state is brought up to the list before the first await: a status change that arrives
    // while a subscription is being made must find its device (or it would keep the list's stale status).
    const wanted = new Map(devices.filter((d) => d.enabled && d.tags.length > 0).map((d) => [d.id, d]));
    const gone: DeviceState[] = [];
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
      gone.push(d);
    }
    const added: DeviceState[] = [];
    for (const [id, info] of wanted) {
      if (this.devices.has(id)) continue;
      const types = new Map<string, DataTypeName>();
      for (const t of info.tags) {
        const type = metricType(t);
        if (type) types.set(t.name, type);
        else this.log.warn(`${this.name}: ${id}/${t.name} (${t.dataType}) has no Sparkplug datatype: not published`);
      }
      const state: DeviceState = { info, types, latest: new Map(), changed: new Set() };
      this.devices.set(id, state);
      added.push(state);
    }
    for (const d of gone) if (d.subscriptionId) await this.gateway.sendRequest(Unsubscribe, { subscriptionId: d.subscriptionId }).catch(() => undefined);
    for (const state of added) {
      const id = state.info.id;
      try {
        const { subscriptionId } = await this.gateway.sendRequest(Subscribe, {
          deviceId: id,
          tags: [...state.types.keys()],
          onChangeOnly: true,
          ...(this.options.deadband ? { defaultDeadband: this.options.deadband } : {}),
        });
        state.subscriptionId = subscriptionId;
        this.bySubscription.set(subscriptionId, state);
      } catch (err) {
        this.log.warn(`${this.name}: ${id}: cannot subscribe: ${errorMessage(err)}`);
      }
    }
  }

  private onValues(subscriptionId: string, items: TagReading[]): void {
    const d = this.bySubscription.get(subscriptionId);
    if (!d) return;
    const published = items.filter((r) => d.types.has(r.tag));
    if (published.length === 0) return;
    const buffer = this.options.buffer;
    if (buffer && !this.online) {
      // The births after the outage carry what is current; what happened meanwhile is kept.
      this.keep(d.info.id, published.map(stored));
      return;
    }
    for (const r of published) {
      d.latest.set(r.tag, r);
      d.changed.add(r.tag);
    }
    this.publishDevice(d);
  }

  private keep(device: string, readings: readonly StoredReading[], ord?: number): void {
    if (!keepInBuffer(this.options.buffer!, this.log, this.name, device, readings, ord)) this.droppedUnsendable += readings.length;
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
    if (!this.online || d.info.status !== 'connected') return;
    const id = d.info.id;
    if (!this.node.isBorn(id)) {
      if (!d.birthing) void this.birthDevice(d);
      return;
    }
    if (d.changed.size === 0) return;
    const sent = [...d.changed].map((name) => d.latest.get(name)!);
    const changes: MetricChange[] = sent.map((r) => ({ name: r.tag, value: this.valueOf(id, d.types.get(r.tag)!, r), timestamp: r.timestamp }));
    // Its place in the buffer's order, should the broker never acknowledge it.
    const ord = this.options.buffer?.takeOrd();
    const onFailure = ord === undefined ? undefined : () => this.keep(id, sent.map(stored), ord);
    if (this.publish(() => this.node.ddata(id, changes), onFailure ? (err) => err && onFailure() : undefined)) d.changed.clear();
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
      if (!this.online || d.info.status !== 'connected' || this.node.isBorn(id) || this.devices.get(id) !== d) return;
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
      this.log.warn(`${this.name}: ${id}: cannot read its tags for its DBIRTH: ${errorMessage(err)}`);
    } finally {
      d.birthing = false;
    }
    if (this.node.isBorn(id)) {
      this.publishDevice(d);
      void this.replay();
    }
  }

  /**
   * Sends what the buffer holds as historical DDATA, oldest first, for the devices born in this
   * session (the others' batches wait for their birth), a few messages in flight at a time so
   * that live data is never queued behind the backlog. A batch leaves the buffer once acknowledged.
   */
  private async replay(): Promise<void> {
    const buffer = this.options.buffer;
    if (!buffer) return;
    if (this.replaying) {
      this.replayAgain = true;
      return;
    }
    this.replaying = true;
    try {
      do {
        this.replayAgain = false;
        let after = -1;
        while (this.online) {
          const next = this.nextReplay(buffer, after);
          if (!next) break;
          after = next.last;
          if (next.changes.length === 0) continue;
          while (this.replayInFlight.size >= REPLAY_WINDOW && this.online) await new Promise<void>((resolve) => this.replayWaiters.push(resolve));
          if (!this.online) break;
          for (const ord of next.ords) this.replayInFlight.add(ord);
          const sent = this.publish(
            () => this.node.ddata(next.device, next.changes),
            (err) => {
              for (const ord of next.ords) this.replayInFlight.delete(ord);
              if (!err) {
                buffer.done(next.ords);
                this.replayed += next.changes.length;
              }
              this.wakeReplay();
            },
          );
          if (!sent) for (const ord of next.ords) this.replayInFlight.delete(ord);
        }
      } while (this.replayAgain && this.online);
    } catch (err) {
      this.log.error(`${this.name}: replaying the store-and-forward buffer: ${errorMessage(err)}`);
    } finally {
      this.replaying = false;
    }
  }

  /** The next historical DDATA: consecutive batches of one born device after `after`, up to REPLAY_METRICS values. */
  private nextReplay(buffer: ForwardBuffer, after: number): { device: string; ords: number[]; changes: MetricChange[]; last: number } | undefined {
    let first = buffer.next(after);
    // Skipped: batches out already, and those of devices not born (yet) in this session.
    while (first && (this.replayInFlight.has(first.ord) || (this.devices.has(first.device) && !this.node.isBorn(first.device)))) first = buffer.next(first.ord);
    if (!first) return undefined;
    const d = this.devices.get(first.device);
    if (!d) {
      // A device no longer published: a host could not place its values (no birth has them).
      this.droppedUnsendable += first.readings.length;
      this.log.warn(`${this.name}: ${first.readings.length} buffered value(s) of ${first.device}, which is no longer published: dropped`);
      buffer.done([first.ord]);
      return { device: first.device, ords: [], changes: [], last: first.ord };
    }
    const ords: number[] = [];
    const changes: MetricChange[] = [];
    let batch: typeof first | undefined = first;
    let last = first.ord;
    while (batch && batch.device === first.device && !this.replayInFlight.has(batch.ord) && changes.length + batch.readings.length <= Math.max(REPLAY_METRICS, batch.readings.length)) {
      for (const r of batch.readings) {
        const type = d.types.get(r.tag);
        if (type === undefined) {
          this.droppedUnsendable++;
          continue;
        }
        changes.push({ name: r.tag, value: this.valueOf(first.device, type, r), timestamp: r.timestamp, historical: true });
      }
      ords.push(batch.ord);
      last = batch.ord;
      if (changes.length >= REPLAY_METRICS) break;
      batch = buffer.next(batch.ord);
    }
    if (changes.length === 0) buffer.done(ords);
    return { device: first.device, ords, changes, last };
  }

  private wakeReplay(): void {
    const waiters = this.replayWaiters;
    this.replayWaiters = [];
    for (const w of waiters) w();
  }

  /** A good or uncertain reading's value, or null (a bad one, or one its datatype cannot carry). */
  private valueOf(deviceId: string, type: DataTypeName, r: StoredReading): BirthMetric['value'] {
    if (r.quality === 'bad') return null;
    try {
      const value = metricValue(type, r.value);
      // One that does not fit is refused here, alone, not with the whole DBIRTH or DDATA.
      checkMetricValue(type, value);
      return value;
    } catch {
      this.log.warn(`${this.name}: ${deviceId}/${r.tag}: ${JSON.stringify(r.value)} is not a ${type}: sent as null`);
      return null;
    }
  }

  private birth(): void {
    if (!this.online) return;
    this.publish(() => this.node.nbirth());
    for (const d of this.devices.values()) this.publishDevice(d);
  }

  /**
   * Publishes what `make` builds; false (and logged) when it cannot be built or the broker is
   * away. `done` hears the broker's acknowledgement, or the error when the session ends first.
   */
  private publish(make: () => SparkplugMessage, done?: (err?: Error) => void): boolean {
    const client = this.client;
    if (!client || !this.online) return false;
    let message: SparkplugMessage;
    try {
      message = make();
    } catch (err) {
      this.log.warn(`${this.name}: ${errorMessage(err)}`);
      return false;
    }
    this.published++;
    const acknowledged = this.acks?.sent();
    client.publish(message.topic, asBuffer(message.payload), { qos: 1, retain: false }, (err) => {
      acknowledged?.();
      done?.(err ?? undefined);
    });
    return true;
  }
}


/** The encoder's bytes are a Buffer already under Node: not copied again. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function willOf(m: SparkplugMessage): NonNullable<IClientOptions['will']> {
  return { topic: m.topic, payload: asBuffer(m.payload), qos: 1, retain: false };
}
