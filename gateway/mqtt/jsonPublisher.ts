/**
 * Publishes the gateway's devices to an MQTT broker as plain JSON: one message per value change
 * (changes only, each tag's deadband or the publisher's), on a topic per tag made from the
 * topic template, its body from the payload template. A client of the gateway's own protocol,
 * like the Sparkplug publisher, so it sees what every other client sees.
 *
 * While the broker is away: without a buffer nothing is queued, and once connected again each
 * tag's latest value is published once; with a store-and-forward buffer every value is kept on
 * disk and sent after the reconnection, oldest first, a few messages at a time beside live data.
 * mqtt.js reconnects by itself: a message sent but not acknowledged before the connection broke
 * is sent again (QoS 1 is at least once).
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { randomBytes } from 'node:crypto';
import { ResponseError, type MessageConnection } from 'vscode-jsonrpc';
import { errorMessage } from '../errors';
import type { Logger } from '../log';
import { DevicesChanged, DevicesList, DeviceStatusChanged, ErrorCodes, Subscribe, TagsWrite, Unsubscribe, Values, type Deadband, type DeviceInfo, type TagInfo, type TagReading, type TagValue } from '../protocol';
import { tlsProblem, type TlsOptions } from './brokerTls';
import type { ForwardBuffer, StoredReading } from './forwardBuffer';
import { AckWatchdog, DEFAULT_KEEPALIVE_S, endWhenDrained, keepInBuffer, stored } from './publisherCommon';
import { compileTopic, PayloadTemplate, topicProblem, type TextTemplate, type ValueFields } from './jsonTemplate';
import type { PublisherStats } from './sparkplugPublisher';

export interface JsonPublisherOptions {
  broker: string;
  /** Template of each value's topic ({device}, {tag}). */
  topic: string;
  /** Template of each value's message (any JSON). */
  payload: unknown;
  qos: 0 | 1 | 2;
  retain: boolean;
  /** Templates ({device}, {tag}) of the topics writes come on and their outcomes go to; no writes without them. */
  commandTopic?: string;
  replyTopic?: string;
  clientId?: string;
  username?: string;
  password?: string;
  tls?: TlsOptions;
  deadband?: Deadband;
  /** Store and forward; owned by the caller (opened before start, closed after stop). */
  buffer?: ForwardBuffer;
  /** Milliseconds between connection attempts. */
  retryMs?: number;
  /** MQTT keep alive in seconds (default 30): how soon a dead connection is noticed. */
  keepaliveS?: number;
}

interface Tag {
  info: TagInfo;
  /** Where its values go; undefined when its name makes no usable topic (said once). */
  topic?: string;
}

interface DeviceState {
  info: DeviceInfo;
  tags: Map<string, Tag>;
  subscriptionId?: string;
  /** The latest reading of each tag, to publish once the broker is back (without a buffer). */
  latest: Map<string, TagReading>;
  /** Tags whose latest reading did not go out. */
  unsent: Set<string>;
}

/** Buffered batches out at once, awaiting their acknowledgement. */
const REPLAY_WINDOW = 8;

export class JsonPublisher {
  private readonly topic: TextTemplate;
  private readonly commands: { command: TextTemplate; reply: TextTemplate } | undefined;
  /** Each tag's command topic, and where its outcome goes. */
  private readonly commandTopics = new Map<string, { device: string; tag: string; reply: string }>();
  private readonly payload: PayloadTemplate;
  private readonly devices = new Map<string, DeviceState>();
  private readonly bySubscription = new Map<string, DeviceState>();
  private client: MqttClient | undefined;
  /** Watches the publishes (QoS 1 and 2) for their acknowledgements. */
  private acks: AckWatchdog | undefined;
  private syncing: Promise<void> = Promise.resolve();
  private lastProblem: string | undefined = 'not connected yet';
  private stopped = false;
  private published = 0;
  private replayed = 0;
  private replaying = false;
  private readonly replayInFlight = new Set<number>();
  private replayWaiters: (() => void)[] = [];

  constructor(
    private readonly gateway: MessageConnection,
    private readonly options: JsonPublisherOptions,
    private readonly log: Logger,
    private readonly connect: (url: string, opts: IClientOptions) => MqttClient = mqtt.connect,
  ) {
    // Checked with the configuration already: a failure here is a bug, not a user's mistake.
    const topic = compileTopic(options.topic);
    if ('error' in topic) throw new Error(`"topic": ${topic.error}`);
    const payload = PayloadTemplate.compile(options.payload);
    if ('error' in payload) throw new Error(payload.error);
    this.topic = topic;
    this.payload = payload;
    if (options.commandTopic !== undefined) {
      const command = compileTopic(options.commandTopic);
      const reply = compileTopic(options.replyTopic ?? `${options.topic}/result`);
      if ('error' in command) throw new Error(`"commandTopic": ${command.error}`);
      if ('error' in reply) throw new Error(`"replyTopic": ${reply.error}`);
      this.commands = { command, reply };
    }
  }

  get name(): string {
    return `mqtt-json ${this.options.broker} ${this.options.topic}`;
  }

  private get online(): boolean {
    return Boolean(this.client?.connected);
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
      dropped: b?.dropped ?? 0,
    };
  }

  async start(): Promise<void> {
    this.gateway.onNotification(Values, (n) => this.onValues(n.subscriptionId, n.items));
    this.gateway.onNotification(DeviceStatusChanged, (n) => {
      const d = this.devices.get(n.id);
      if (d) d.info = { ...d.info, status: n.status };
    });
    this.gateway.onNotification(DevicesChanged, () => void this.sync());
    await this.sync();
    const o = this.options;
    const client = this.connect(o.broker, {
      clientId: o.clientId ?? `bifrost-json-${randomBytes(4).toString('hex')}`,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: o.retryMs ?? 2000,
      connectTimeout: 10_000,
      keepalive: o.keepaliveS ?? DEFAULT_KEEPALIVE_S,
      queueQoSZero: false,
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
      ...o.tls,
    });
    this.client = client;
    this.acks = new AckWatchdog((o.keepaliveS ?? DEFAULT_KEEPALIVE_S) * 1500, (waited) => {
      this.problem(`${o.broker} acknowledged nothing for ${Math.round(waited / 1000)} s; the connection is taken for dead`);
      // mqtt.js connects again and sends what is unacknowledged once more.
      client.stream?.destroy();
    });
    client.on('connect', () => {
      this.log.info(`${this.name}: connected`);
      this.lastProblem = undefined;
      this.listen();
      this.onConnected();
    });
    client.on('message', (topic, payload) => void this.onCommand(topic, payload));
    client.on('error', (err) => this.problem(`${o.broker}: ${tlsProblem(err) ?? err.message}`));
    client.on('close', () => {
      this.acks?.stop();
      this.wakeReplay();
      if (!this.stopped) this.problem(this.lastProblem ?? `the connection to ${o.broker} closed`);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const client = this.client;
    if (client) await endWhenDrained(client);
    this.acks?.stop();
    for (const d of this.devices.values()) if (d.subscriptionId) await this.gateway.sendRequest(Unsubscribe, { subscriptionId: d.subscriptionId }).catch(() => undefined);
  }

  /** Says a problem once, not at every attempt while it lasts. */
  private problem(message: string): void {
    if (message !== this.lastProblem) this.log.warn(`${this.name}: ${message}${this.stopped ? '' : '; trying again'}`);
    this.lastProblem = message;
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
    const wanted = new Map(devices.filter((d) => d.enabled && d.tags.length > 0).map((d) => [d.id, d]));
    for (const [id, d] of this.devices) {
      const now = wanted.get(id);
      if (now && JSON.stringify(now.tags) === JSON.stringify(d.info.tags)) {
        d.info = now;
        continue;
      }
      this.devices.delete(id);
      for (const [topic, c] of this.commandTopics) if (c.device === id) this.commandTopics.delete(topic);
      if (d.subscriptionId) {
        this.bySubscription.delete(d.subscriptionId);
        await this.gateway.sendRequest(Unsubscribe, { subscriptionId: d.subscriptionId }).catch(() => undefined);
      }
    }
    for (const [id, info] of wanted) {
      if (this.devices.has(id)) continue;
      const tags = new Map<string, Tag>();
      for (const t of info.tags) {
        tags.set(t.name, { info: t, ...this.topicOf(id, t.name) });
        if (this.commands) {
          const command = this.commands.command.render({ device: id, tag: t.name });
          const reply = this.commands.reply.render({ device: id, tag: t.name });
          if (!topicProblem(command) && !topicProblem(reply)) this.commandTopics.set(command, { device: id, tag: t.name, reply });
        }
      }
      const state: DeviceState = { info, tags, latest: new Map(), unsent: new Set() };
      this.devices.set(id, state);
      const published = [...tags.values()].filter((t) => t.topic !== undefined).map((t) => t.info.name);
      if (published.length === 0) continue;
      try {
        const { subscriptionId } = await this.gateway.sendRequest(Subscribe, {
          deviceId: id,
          tags: published,
          onChangeOnly: true,
          ...(this.options.deadband ? { defaultDeadband: this.options.deadband } : {}),
        });
        state.subscriptionId = subscriptionId;
        this.bySubscription.set(subscriptionId, state);
      } catch (err) {
        this.log.warn(`${this.name}: ${id}: cannot subscribe: ${errorMessage(err)}`);
      }
    }
    this.listen();
  }

  /** Subscribes to every tag's command topic (again after a reconnection or a change of devices: MQTT takes it twice). */
  private listen(): void {
    const client = this.client;
    const topics = [...this.commandTopics.keys()];
    if (!client?.connected || topics.length === 0) return;
    client.subscribe(topics, { qos: 1 }, (err) => err && this.log.warn(`${this.name}: cannot subscribe to the command topics: ${err.message}`));
  }

  /**
   * A write from MQTT, through bifrost/tags/write like any client's: the core refuses what its
   * rules refuse (read-only tag, device without allowWrites, a value the tag cannot hold), and
   * the outcome goes to the reply topic only once the device confirmed it or the core said why not.
   */
  private async onCommand(topic: string, payload: Buffer): Promise<void> {
    const target = this.commandTopics.get(topic);
    if (!target) return;
    const { device, tag, reply } = target;
    let request: { value?: unknown; id?: unknown };
    try {
      request = JSON.parse(payload.toString('utf8')) as typeof request;
    } catch {
      request = {};
    }
    const id = typeof request === 'object' && request !== null && (typeof request.id === 'string' || typeof request.id === 'number') ? { id: request.id } : {};
    const answer = (body: Record<string, unknown>) =>
      this.client?.publish(reply, JSON.stringify({ ...id, device, tag, ...body }), { qos: this.options.qos, retain: false });
    if (typeof request !== 'object' || request === null || Array.isArray(request) || request.value === undefined || request.value === null) {
      this.log.warn(`${this.name}: ${device}/${tag}: a command that is not {"value": ...}: refused`);
      answer({ ok: false, error: 'a command is a JSON object {"value": ..., "id"?: ...}: "value" is missing or null', code: ErrorCodes.InvalidParams });
      return;
    }
    try {
      const done = await this.gateway.sendRequest(TagsWrite, { deviceId: device, tag, value: request.value as TagValue });
      this.log.info(`${this.name}: ${device}/${tag} written from MQTT: ${JSON.stringify(done.value)}`);
      answer({ ok: true, value: done.value, timestamp: done.timestamp });
    } catch (err) {
      const code = err instanceof ResponseError ? err.code : ErrorCodes.InternalError;
      this.log.warn(`${this.name}: ${device}/${tag}: write from MQTT refused: ${errorMessage(err)}`);
      answer({ ok: false, error: errorMessage(err), code });
    }
  }

  /** A tag's topic, when its name makes one MQTT accepts ("+" or "#" in a tag name does not). */
  private topicOf(device: string, tag: string): { topic?: string } {
    const topic = this.topic.render({ device, tag });
    const problem = topicProblem(topic);
    if (problem) {
      this.log.warn(`${this.name}: ${device}/${tag} is not published: ${problem}`);
      return {};
    }
    return { topic };
  }

  private onValues(subscriptionId: string, items: TagReading[]): void {
    const d = this.bySubscription.get(subscriptionId);
    if (!d) return;
    const buffer = this.options.buffer;
    if (buffer && !this.online) {
      this.keep(d.info.id, items.map(stored));
      return;
    }
    for (const r of items) {
      d.latest.set(r.tag, r);
      if (!this.send(d, r)) d.unsent.add(r.tag);
    }
  }

  private keep(device: string, readings: readonly StoredReading[]): void {
    keepInBuffer(this.options.buffer!, this.log, this.name, device, readings);
  }

  private onConnected(): void {
    for (const d of this.devices.values()) {
      for (const tag of d.unsent) {
        const r = d.latest.get(tag);
        if (r && this.send(d, r)) d.unsent.delete(tag);
      }
    }
    void this.replay();
  }

  /** Publishes one reading; false when the broker is away. `done` hears the acknowledgement (or the error). */
  private send(d: DeviceState, r: StoredReading & { error?: string }, done?: (err?: Error) => void): boolean {
    const client = this.client;
    const tag = d.tags.get(r.tag);
    if (!client || !this.online || tag?.topic === undefined) return false;
    const fields: ValueFields = {
      device: d.info.id,
      deviceName: d.info.name,
      tag: r.tag,
      value: r.quality === 'bad' ? null : r.value,
      quality: r.quality,
      timestamp: r.timestamp,
      time: new Date(r.timestamp).toISOString(),
      unit: tag.info.unit ?? null,
      error: r.error ?? null,
    };
    this.published++;
    const acknowledged = this.options.qos > 0 ? this.acks?.sent() : undefined;
    client.publish(tag.topic, this.payload.render(fields), { qos: this.options.qos, retain: this.options.retain }, (err) => {
      acknowledged?.();
      done?.(err ?? undefined);
    });
    return true;
  }

  /** Sends what the buffer holds, oldest first, a few batches in flight at a time; a batch leaves it once acknowledged. */
  private async replay(): Promise<void> {
    const buffer = this.options.buffer;
    if (!buffer || this.replaying) return;
    this.replaying = true;
    try {
      let after = -1;
      while (this.online) {
        const batch = buffer.next(after);
        if (!batch) break;
        after = batch.ord;
        if (this.replayInFlight.has(batch.ord)) continue;
        const d = this.devices.get(batch.device);
        if (!d) {
          this.log.warn(`${this.name}: ${batch.readings.length} buffered value(s) of ${batch.device}, which is no longer published: dropped`);
          buffer.done([batch.ord]);
          continue;
        }
        while (this.replayInFlight.size >= REPLAY_WINDOW && this.online) await new Promise<void>((resolve) => this.replayWaiters.push(resolve));
        if (!this.online) break;
        const readings = batch.readings.filter((r) => d.tags.get(r.tag)?.topic !== undefined);
        let pending = readings.length;
        let failed = false;
        if (pending === 0) {
          buffer.done([batch.ord]);
          continue;
        }
        this.replayInFlight.add(batch.ord);
        // The batch leaves the buffer when every value in it was acknowledged; else it is sent again later.
        const settled = (err?: Error) => {
          failed ||= err !== undefined;
          if (--pending > 0) return;
          this.replayInFlight.delete(batch.ord);
          if (!failed) {
            buffer.done([batch.ord]);
            this.replayed += readings.length;
          }
          this.wakeReplay();
        };
        for (const r of readings) if (!this.send(d, r, settled)) settled(new Error('the broker went away'));
      }
    } catch (err) {
      this.log.error(`${this.name}: replaying the store-and-forward buffer: ${errorMessage(err)}`);
    } finally {
      this.replaying = false;
    }
  }

  private wakeReplay(): void {
    const waiters = this.replayWaiters;
    this.replayWaiters = [];
    for (const w of waiters) w();
  }
}
