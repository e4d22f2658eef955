/**
 * An OPC UA device: one client and one session, connected in the background and reconnected
 * with the gateway's backoff (node-opcua's own retries are off), `connected` only once the
 * session answered a first read. Values, writes, attributes, paths, methods and history go
 * through the session services (services.ts), live values through the device's subscriptions
 * (subscriptions.ts). Loaded with the OPC UA bundle only.
 */
import type { ClientSession } from 'node-opcua-client';
import type {
  BrowseResult,
  CallResult,
  DeviceInfo,
  DeviceStatus,
  HistoryReadParams,
  HistoryReadResult,
  MethodDescribeResult,
  NodeAttributesResult,
  NodeResolveResult,
  TagInfo,
  TagReading,
  TagRef,
  TagsWriteResult,
  TagValue,
} from '../protocol';
import { ErrorCodes } from '../protocol';
import { Backoff } from '../backoff';
import type { BrowseRequest, DeviceDriver, DeviceSettings, DriverHost, DriverSubscription, RequestContext, SubscribeOptions, ValueSink } from '../core/driver';
import { BifrostError, errorMessage } from '../errors';
import { badReadings } from '../core/readings';
import { Browser, readServerLimits } from './browse';
import { attemptConnection, ConnectError, type Connection, type FailureKind } from './connect';
import * as services from './services';
import { DeviceSubscriptions, type MonitoredTag } from './subscriptions';
import { NODE_ID_FORMS, NODE_ID_SHAPE, type OpcUaSettings, type OpcUaTag } from './settings';

const PROTOCOL = 'opcua';
/** After a refused identity or configuration mismatch: a person must act, so knock rarely. */
const SLOW_RETRY_MS = 60_000;
const STOP_BOUND_MS = 3000;

interface Live {
  connection: Connection;
  browser: Browser;
  /** Metas of variables by canonical node id, learnt on this session. */
  metas: Map<string, services.VariableMeta>;
}

export class OpcUaDevice implements DeviceDriver {
  private status: DeviceStatus = 'disconnected';
  private lastError: string | null = null;
  private readonly backoff = new Backoff({ initialMs: 1000, maxMs: 30_000 });
  private readonly subscriptions: DeviceSubscriptions;
  private readonly tagsByName: Map<string, OpcUaTag>;
  private live: Live | null = null;
  private attempt: AbortController | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private waitingForTrust = false;
  private stopped = false;
  private everConnected = false;
  private unsubscribeTrust: (() => void) | null = null;
  private tagInfos: TagInfo[];

  constructor(
    private readonly common: DeviceSettings,
    private readonly settings: OpcUaSettings,
    private readonly host: DriverHost,
  ) {
    this.tagsByName = new Map(settings.tags.map((t) => [t.key, t]));
    this.subscriptions = new DeviceSubscriptions({ deviceId: common.id, log: host.log, defaultMaxMonitoredItemsPerCall: 1000 });
    this.tagInfos = settings.tags.map((t) => this.tagInfo(t, undefined));
  }

  get id(): string {
    return this.common.id;
  }

  info(): DeviceInfo {
    return {
      id: this.id,
      name: this.common.name,
      protocol: PROTOCOL,
      endpoint: this.live ? `${this.settings.endpointUrl} (${this.live.connection.endpoint.mode}/${this.live.connection.endpoint.policy})` : this.settings.endpointUrl,
      status: this.status,
      lastError: this.lastError,
      allowWrites: this.common.allowWrites,
      pollIntervalMs: this.common.pollIntervalMs,
      source: this.common.source,
      enabled: this.common.enabled,
      stats: this.host.stats.snapshot(),
      tags: this.tagInfos,
    };
  }

  // -- life cycle ------------------------------------------------------------------------------

  start(): void {
    if (!this.common.enabled) {
      this.setStatus('disconnected', `${this.id}: disabled in the configuration`);
      return;
    }
    this.unsubscribeTrust = this.host.pki.onTrusted(() => {
      // A person trusted a certificate: a device waiting for one tries again at once.
      if (this.waitingForTrust && !this.stopped && !this.attempt) this.retryNow();
    });
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribeTrust?.();
    this.unsubscribeTrust = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.attempt?.abort();
    this.attempt = null;
    const live = this.live;
    this.live = null;
    try {
      await bounded(this.subscriptions.close(), STOP_BOUND_MS);
    } catch (err) {
      this.host.log.debug(`${this.id}: closing subscriptions: ${errorMessage(err)}`);
    }
    if (live) await bounded(live.connection.close(), STOP_BOUND_MS);
    this.setStatus('disconnected', null);
  }

  private connect(): void {
    if (this.stopped) return;
    this.waitingForTrust = false;
    const abort = new AbortController();
    this.attempt = abort;
    this.setStatus('connecting', null);
    void attemptConnection({
      deviceId: this.id,
      settings: this.settings,
      pki: this.host.pki,
      stepTimeoutMs: Math.max(this.common.timeoutMs, 5000),
      requestTimeoutMs: this.common.timeoutMs,
      signal: abort.signal,
    }).then(
      (connection) => this.connected(connection, abort),
      (err: unknown) => this.failed(err, abort),
    );
  }

  private async connected(connection: Connection, abort: AbortController): Promise<void> {
    if (this.stopped || this.attempt !== abort) {
      await connection.close();
      return;
    }
    this.attempt = null;
    let limits;
    try {
      limits = await readServerLimits(connection.session);
    } catch {
      limits = { maxNodesPerBrowse: 500, maxNodesPerRead: 1000, maxBrowseContinuationPoints: 5 };
    }
    if (this.stopped) {
      await connection.close();
      return;
    }
    this.live = { connection, browser: new Browser(connection.session, limits, this.id, this.common.allowWrites), metas: new Map() };
    this.watch(connection);
    if (this.everConnected) this.host.stats.reconnects++;
    this.everConnected = true;
    this.backoff.reset();
    this.host.log.info(`${this.id}: connected to ${this.settings.endpointUrl} (${connection.endpoint.mode}/${connection.endpoint.policy})`);
    this.setStatus('connected', null);
    void this.describeConfiguredTags(connection.session);
    try {
      await this.subscriptions.attach(connection.session);
    } catch (err) {
      this.host.log.warn(`${this.id}: subscriptions could not be set up on the new session: ${errorMessage(err)}`);
    }
  }

  /** A lost channel, a closed session or a failed keep-alive: drop the client, retry with backoff. */
  private watch(connection: Connection): void {
    const lost = (why: string) => {
      if (this.live?.connection !== connection) return;
      this.connectionLost(`${this.id}: connection to ${this.settings.endpointUrl} lost (${why})`);
    };
    connection.client.on('connection_lost', () => lost('the channel closed'));
    connection.client.on('close', () => lost('the connection closed'));
    connection.session.on('keepalive_failure', () => lost('the server stopped answering keep-alives'));
    connection.session.on('session_closed', (status) => lost(`the session was closed: ${status?.name ?? 'unknown status'}`));
  }

  private connectionLost(message: string): void {
    const live = this.live;
    this.live = null;
    if (live) void live.connection.close();
    this.host.stats.errors++;
    try {
      this.subscriptions.detach(message);
    } catch (err) {
      this.host.log.debug(`${this.id}: detaching subscriptions: ${errorMessage(err)}`);
    }
    this.host.log.warn(`${message}; reconnecting`);
    this.setStatus('error', message);
    this.scheduleRetry(this.backoff.next());
  }

  private failed(err: unknown, abort: AbortController): void {
    if (this.stopped || this.attempt !== abort) return;
    this.attempt = null;
    this.host.stats.connectFailures++;
    const kind: FailureKind = err instanceof ConnectError ? err.kind : 'transient';
    const message = err instanceof ConnectError ? err.message : `${this.id}: ${errorMessage(err)}`;
    if (this.status !== 'error' || this.lastError !== message) this.host.log.warn(message);
    this.setStatus('error', message);
    if (kind === 'untrusted') this.waitingForTrust = true;
    this.scheduleRetry(kind === 'transient' ? this.backoff.next() : SLOW_RETRY_MS);
  }

  private scheduleRetry(ms: number): void {
    if (this.stopped) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, ms);
  }

  private retryNow(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.connect();
  }

  private setStatus(status: DeviceStatus, lastError: string | null): void {
    if (status === this.status && (lastError === this.lastError || lastError === null)) return;
    this.status = status;
    if (lastError !== null || status === 'connected') this.lastError = lastError;
    this.host.onStatus(this.status, this.lastError);
  }

  // -- tags ---------------------------------------------------------------------------------------

  private tagInfo(tag: OpcUaTag, meta: services.VariableMeta | undefined): TagInfo {
    const info: TagInfo = {
      name: tag.key,
      address: tag.nodeId,
      dataType: meta?.dataType ?? 'unknown',
      valueKind: meta?.valueKind ?? 'unknown',
      access: tag.access,
      writable: false,
    };
    if (tag.unit ?? meta?.engineeringUnits) info.unit = tag.unit ?? meta?.engineeringUnits;
    if (tag.description ?? meta?.description) info.description = tag.description ?? meta?.description;
    const reason = this.notWritableReason(tag, meta);
    if (reason) info.notWritableReason = reason;
    else if (meta) {
      info.writable = true;
      try {
        info.writeSpec = services.writeSpecOf(meta);
      } catch {
        info.writeSpec = { kind: 'json' };
      }
    }
    return info;
  }

  private notWritableReason(tag: OpcUaTag, meta: services.VariableMeta | undefined): string | undefined {
    if (!this.common.allowWrites) return `device "${this.id}" does not allow writes (set "allowWrites": true)`;
    if (tag.access !== 'readwrite') return `tag "${tag.key}" is read-only (set "access": "readwrite")`;
    if (!meta) return `the server has not told yet what ${tag.nodeId} is (the device is not connected)`;
    if (!meta.writable) return `the server does not let this user write ${tag.nodeId}`;
    return undefined;
  }

  /** Configured tags learn their DataType and access from the server once a session is open. */
  private async describeConfiguredTags(session: ClientSession): Promise<void> {
    if (this.settings.tags.length === 0) return;
    try {
      const ids = this.settings.tags.map((t) => services.parseNodeId(t.nodeId, session));
      const metas = await services.describeVariables(session, ids);
      const live = this.live;
      if (!live || live.connection.session !== session) return;
      this.tagInfos = this.settings.tags.map((t, i) => {
        const m = metas[i];
        if (m instanceof Error) {
          this.host.log.warn(`${this.id}: tag "${t.key}": ${t.nodeId}: ${m.message}`);
          return this.tagInfo(t, undefined);
        }
        if (m) live.metas.set(m.nodeId, m);
        return this.tagInfo(t, m);
      });
      // Types, access and write specs are known now: clients that listed the device list it again.
      this.host.onInfoChanged();
    } catch (err) {
      this.host.log.debug(`${this.id}: the configured tags could not be described: ${errorMessage(err)}`);
    }
  }

  /** A ref is a configured tag's name or a NodeId string (shape-checked before anything is sent). */
  private resolveRef(ref: TagRef): { key: string; nodeId: string; tag?: OpcUaTag } {
    if (typeof ref !== 'string') throw new BifrostError(ErrorCodes.BadTagRef, `${this.id}: an OPC UA tag ref is a tag name or ${NODE_ID_FORMS} (got an object)`);
    const tag = this.tagsByName.get(ref);
    if (tag) return { key: tag.key, nodeId: tag.nodeId, tag };
    const text = ref.trim();
    if (!NODE_ID_SHAPE.test(text)) {
      const known = [...this.tagsByName.keys()].slice(0, 5);
      throw new BifrostError(ErrorCodes.BadTagRef, `${this.id}: "${ref}" is neither a configured tag${known.length ? ` (${known.join(', ')}${this.tagsByName.size > 5 ? ', …' : ''})` : ''} nor ${NODE_ID_FORMS}`);
    }
    return { key: text, nodeId: text };
  }

  /** The open session, or an error at once that says why there is none. */
  private session(what: string): Live {
    if (this.live) return this.live;
    const why = this.lastError ?? (this.stopped ? `${this.id}: the device was stopped` : `${this.id}: not connected yet (${this.status})`);
    const code = this.waitingForTrust ? ErrorCodes.CertificateUntrusted : ErrorCodes.DeviceUnavailable;
    throw new BifrostError(code, `${this.id}: cannot ${what}: ${why.startsWith(`${this.id}: `) ? why.slice(this.id.length + 2) : why}`);
  }

  /**
   * A request on the session. `bounded` (a read or a write: one or two service calls) is bounded
   * by the device's timeoutMs (node-opcua's own transaction timeout is never below 5 s): without
   * an answer by then it fails as a timeout, and a late answer goes nowhere. Browsing, history,
   * method calls and path lookups take as many service calls as the server's answers need
   * (continuation points, pages): each of those is bounded by node-opcua's transaction timeout,
   * not the whole by one request's time.
   */
  private async counted<T>(fn: () => Promise<T>, bounded = false): Promise<T> {
    this.host.stats.requests++;
    const t0 = performance.now();
    const timeoutMs = this.common.timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      if (bounded) timer = setTimeout(() => reject(new BifrostError(ErrorCodes.Timeout, `${this.id}: no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const pending = fn();
      pending.catch(() => undefined);
      const out = await Promise.race([pending, timeout]);
      this.host.stats.recordLatency(performance.now() - t0);
      return out;
    } catch (err) {
      this.host.stats.errors++;
      if (err instanceof BifrostError && err.code === ErrorCodes.Timeout) this.host.stats.timeouts++;
      if (err instanceof BifrostError || (err instanceof Error && (err as { code?: unknown }).code !== undefined && typeof (err as { code?: unknown }).code === 'number')) {
        const e = err as BifrostError;
        throw new BifrostError(e.code, e.message.startsWith(`${this.id}:`) ? e.message : `${this.id}: ${e.message}`, e.data);
      }
      throw new BifrostError(ErrorCodes.DeviceException, `${this.id}: ${errorMessage(err)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  private async metaOf(live: Live, nodeId: string): Promise<services.VariableMeta | undefined> {
    const session = live.connection.session;
    const id = services.parseNodeId(nodeId, session);
    const cached = live.metas.get(id.toString());
    if (cached) return cached;
    const [meta] = await services.describeVariables(session, [id]);
    if (meta instanceof Error) throw new BifrostError(ErrorCodes.DeviceException, `${this.id}: ${nodeId}: ${meta.message}`);
    if (meta) live.metas.set(meta.nodeId, meta);
    return meta;
  }

  // -- requests -----------------------------------------------------------------------------------

  /**
   * Device problems do not fail a read (the contract): without a session, on a timeout or a
   * broken channel, every reading comes back bad with the reason. Bad refs still throw.
   */
  read(refs: readonly TagRef[]): Promise<TagReading[]> {
    const resolved = refs.map((r) => this.resolveRef(r));
    const bad = (err: unknown): TagReading[] => {
      if (err instanceof BifrostError && (err.code === ErrorCodes.BadTagRef || err.code === ErrorCodes.BadValue)) throw err;
      return badReadings(resolved.map((r) => r.key), errorMessage(err));
    };
    let live: Live;
    try {
      live = this.session('read');
    } catch (err) {
      return Promise.resolve(bad(err));
    }
    return this.readOn(live, resolved).catch(bad);
  }

  private readOn(live: Live, resolved: readonly { key: string; nodeId: string }[]): Promise<TagReading[]> {
    return this.counted(async () => {
      const session = live.connection.session;
      const items = resolved.map((r) => {
        const nodeId = services.parseNodeId(r.nodeId, session);
        const item: { key: string; nodeId: typeof nodeId; meta?: services.VariableMeta } = { key: r.key, nodeId };
        const meta = live.metas.get(nodeId.toString());
        if (meta) item.meta = meta;
        return item;
      });
      return services.readValues(session, items);
    }, true);
  }

  write(ref: TagRef, value: TagValue): Promise<TagsWriteResult> {
    const r = this.resolveRef(ref);
    if (!this.common.allowWrites) return Promise.reject(new BifrostError(ErrorCodes.WriteRefused, `${this.id}: writes are not allowed on this device (set "allowWrites": true)`));
    if (r.tag && r.tag.access !== 'readwrite') return Promise.reject(new BifrostError(ErrorCodes.WriteRefused, `${this.id}: tag "${r.key}" is read-only (set "access": "readwrite")`));
    const live = this.session(`write ${r.key}`);
    return this.counted(async () => {
      const meta = await this.metaOf(live, r.nodeId);
      if (!meta) throw new BifrostError(ErrorCodes.DeviceException, `${this.id}: ${r.nodeId}: the server did not describe the variable`);
      if (!meta.writable) throw new BifrostError(ErrorCodes.WriteRefused, `${this.id}: ${r.nodeId}: the server does not let this user write it (UserAccessLevel has no CurrentWrite)`);
      const written = await services.writeValue(live.connection.session, meta, value);
      return { tag: r.key, value: written, timestamp: Date.now() };
    }, true);
  }

  subscribe(refs: readonly TagRef[], options: SubscribeOptions, sink: ValueSink): DriverSubscription {
    const resolved = refs.map((r) => this.resolveRef(r));
    const tags: MonitoredTag[] = resolved.map((r) => {
      const t: MonitoredTag = {
        key: r.key,
        nodeId: services.parseNodeId(r.nodeId, this.live?.connection.session),
        samplingIntervalMs: r.tag?.samplingIntervalMs ?? this.settings.samplingIntervalMs,
        queueSize: r.tag?.queueSize ?? 1,
      };
      const deadband = options.deadband ?? r.tag?.deadband ?? options.defaultDeadband;
      if (deadband) t.deadband = deadband;
      const meta = this.live?.metas.get(t.nodeId.toString());
      if (meta) t.meta = meta;
      return t;
    });
    return this.subscriptions.subscribe(tags, { publishingIntervalMs: options.intervalMs, onChangeOnly: options.onChangeOnly }, sink);
  }

  browse(request: BrowseRequest, context: RequestContext): Promise<BrowseResult> {
    const live = this.session('browse');
    return this.counted(() => live.browser.browse(request, context));
  }

  attributes(node: string): Promise<NodeAttributesResult> {
    const nodeId = this.tagsByName.get(node)?.nodeId ?? node;
    const live = this.session(`read the attributes of ${node}`);
    return this.counted(() => services.readAttributes(live.connection.session, services.parseNodeId(nodeId, live.connection.session)));
  }

  resolveNode(path: string): Promise<NodeResolveResult> {
    const live = this.session(`resolve ${path}`);
    return this.counted(() => services.resolveNode(live.connection.session, path));
  }

  describeMethod(methodId: string): Promise<MethodDescribeResult> {
    const live = this.session(`describe the method ${methodId}`);
    return this.counted(() => services.describeMethod(live.connection.session, services.parseNodeId(methodId, live.connection.session)));
  }

  call(objectId: string, methodId: string, inputs: readonly TagValue[]): Promise<CallResult> {
    if (!this.common.allowWrites) {
      return Promise.reject(new BifrostError(ErrorCodes.WriteRefused, `${this.id}: method calls are refused: this device does not allow writes (a method changes the process; set "allowWrites": true)`));
    }
    const live = this.session(`call ${methodId}`);
    return this.counted(() => {
      const s = live.connection.session;
      return services.callMethod(s, services.parseNodeId(objectId, s), services.parseNodeId(methodId, s), inputs);
    });
  }

  readHistory(request: Omit<HistoryReadParams, 'deviceId'>, context: RequestContext): Promise<HistoryReadResult> {
    const r = this.resolveRef(request.tag);
    const live = this.session(`read the history of ${r.key}`);
    void context;
    return this.counted(async () => {
      const s = live.connection.session;
      const nodeId = services.parseNodeId(r.nodeId, s);
      const args: Parameters<typeof services.readHistory>[1] = {
        key: r.key,
        nodeId,
        start: new Date(request.start),
        end: new Date(request.end),
        maxValues: request.maxValues ?? 10_000,
      };
      const meta = live.metas.get(nodeId.toString());
      if (meta) args.meta = meta;
      if (request.continuation !== undefined) args.continuation = request.continuation;
      return services.readHistory(s, args);
    });
  }
}

async function bounded<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  p.catch(() => undefined);
  try {
    return await Promise.race([p, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
