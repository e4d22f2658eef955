import type { CancellationToken, MessageConnection } from 'vscode-jsonrpc';
import { ResponseError } from 'vscode-jsonrpc';
import {
  Browse,
  Call,
  CertificatesList,
  CertificatesReject,
  CertificatesRemove,
  CertificatesTrust,
  ConfigLoad,
  DemoStart,
  DemoStop,
  DemoMute,
  Discover,
  Discovered,
  DiscoveryProgress,
  SerialPorts,
  DevicesList,
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
  type Deadband,
  type InitializeResult,
  type TagRef,
  type TagValue,
} from './protocol';
import { checkDeadband } from './core/deadband';
import { discover } from './discovery/discover';
import { listSerialPorts } from './serial/ports';
import { Subscriptions } from './core/subscriptions';
import { BifrostError, isBifrostError, preview, toResponseError } from './errors';
import type { GatewayCore } from './gatewayCore';
import { log } from './log';
import { inspectRangeOf, probe, readRange } from './modbus/inspect';
import { VERSION } from './version';

export interface SessionOptions {
  /** Called when the client sends `exit` (code 0 after `shutdown`, 1 otherwise). */
  onExit(code: number): void;
  /** Called at `shutdown`, after the session closed its own things (the stdio session stops the core). */
  onShutdown?(): Promise<void>;
  /** The client's process id from `initialize`, to exit when the editor dies. */
  onClientProcessId?(pid: number): void;
  /** How much one client may subscribe; no limit when absent (the editor's own session). */
  subscriptionLimits?: SubscriptionLimits;
}

export interface SubscriptionLimits {
  /** Subscriptions at once. */
  subscriptions: number;
  /** Tags over all of the client's subscriptions. */
  items: number;
}

const MIN_INTERVAL_MS = 10;
const MAX_BROWSE_ITEMS = 10_000;
/** The furthest a JavaScript date reaches from 1970, either way. */
const MAX_DATE_MS = 8.64e15;

/**
 * One client's JSON-RPC connection to the gateway: binds the contract in protocol.ts to the
 * shared core. Every handler checks its parameters, and every failure leaves as a JSON-RPC error
 * with a stable code and a readable message. What the client started (subscriptions, discoveries,
 * browses) is its own and ends with the session.
 */
export class GatewaySession {
  private readonly subscriptions: Subscriptions;
  /** The cancellable work in progress (discoveries, browses, history reads), aborted when the client leaves. */
  private readonly running = new Set<AbortController>();
  private readonly detach: () => void;
  private shutdownRequested = false;
  private closed = false;

  constructor(
    private readonly connection: MessageConnection,
    private readonly core: GatewayCore,
    private readonly options: SessionOptions,
  ) {
    this.subscriptions = new Subscriptions((subscriptionId, items, deviceId) => {
      if (this.closed) return;
      core.delivered.add(deviceId, items.length);
      this.notify(Values.method, { subscriptionId, items });
    });
    this.detach = core.attach({
      notify: (type, params) => {
        this.notify(type.method, params);
      },
      deviceReplaced: (id, driver) => this.subscriptions.rebind(id, driver),
    });
    // However the connection ends, what the client started ends with it.
    connection.onClose(() => this.dispose());
    this.register();
  }

  /** Sends a notification while the client is there; a session that ended sends nothing. */
  private notify(method: string, params: unknown): void {
    if (this.closed) return;
    const notSent = (err: unknown) => log.debug(`notification ${method} not sent: ${err instanceof Error ? err.message : String(err)}`);
    try {
      this.connection.sendNotification(method, params).catch(notSent);
    } catch (err) {
      // A connection that closed a moment ago throws at once.
      notSent(err);
    }
  }

  private register(): void {
    const c = this.connection;
    c.onError(([err]) => log.warn(`JSON-RPC input dropped: ${err.message}`));
    c.onRequest('initialize', (params: unknown) =>
      this.guard(() => {
        const pid = (params as { processId?: unknown } | null)?.processId;
        if (typeof pid === 'number' && Number.isInteger(pid) && pid > 0) this.options.onClientProcessId?.(pid);
        const result: InitializeResult = {
          capabilities: { bifrost: { version: VERSION, protocols: this.core.drivers.capabilities() } },
          serverInfo: { name: GATEWAY_NAME, version: VERSION },
        };
        return result;
      }),
    );
    c.onNotification('initialized', () => undefined);
    c.onRequest('shutdown', () =>
      this.guard(async () => {
        this.shutdownRequested = true;
        // Notifications still go out until the connection ends (the devices' last states, as they stop).
        this.endClientWork();
        await this.options.onShutdown?.();
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

    c.onRequest(Ping, () => this.guard(() => ({ version: VERSION, uptimeMs: Date.now() - this.core.started })));
    c.onRequest(ConfigLoad, (params) => this.guard(() => this.core.loadConfig(params, 'config')));
    c.onRequest(DevicesList, () => this.guard(() => ({ devices: this.core.devices.list() })));
    c.onRequest(TagsRead, (params) =>
      this.guard(async () => {
        const p = object(params, 'bifrost/tags/read');
        const refs = tagRefs(p['tags']);
        return { results: await this.core.devices.get(p['deviceId']).read(refs) };
      }),
    );
    c.onRequest(TagsWrite, (params) =>
      this.guard(() => {
        const p = object(params, 'bifrost/tags/write');
        const value = p['value'];
        if (value === undefined || value === null) {
          throw invalid(`"value" must be a number, a boolean, a string, or an array or object for tags that hold one (got ${describe(value)})`);
        }
        return this.core.devices.get(p['deviceId']).write(tagRef(p['tag'], '"tag"'), value as TagValue);
      }),
    );
    c.onRequest(Subscribe, (params) =>
      this.guard(() => {
        const p = object(params, 'bifrost/subscribe');
        const driver = this.core.devices.get(p['deviceId']);
        const refs = tagRefs(p['tags']);
        const interval = p['intervalMs'] ?? driver.info().pollIntervalMs;
        if (typeof interval !== 'number' || !Number.isInteger(interval) || interval < MIN_INTERVAL_MS || interval > 86_400_000) {
          throw invalid(`"intervalMs" must be a whole number of milliseconds from ${MIN_INTERVAL_MS} to 86400000 (got ${describe(interval)})`);
        }
        const onChangeOnly = p['onChangeOnly'] ?? true;
        if (typeof onChangeOnly !== 'boolean') throw invalid(`"onChangeOnly" must be true or false`);
        const deadbands: { deadband?: Deadband; defaultDeadband?: Deadband } = {};
        for (const key of ['deadband', 'defaultDeadband'] as const) {
          const deadband = p[key];
          if (deadband === undefined) continue;
          const problem = checkDeadband(deadband);
          if (problem) throw invalid(key === 'deadband' ? problem : problem.replace('"deadband"', '"defaultDeadband"'));
          deadbands[key] = deadband as Deadband;
        }
        this.checkSubscriptionRoom(refs.length);
        return this.subscriptions.create(driver, refs, { intervalMs: interval, onChangeOnly, ...deadbands });
      }),
    );
    c.onRequest(Browse, (params, token) => this.guard(() => this.browse(params, token)));
    c.onRequest(Discover, (params, token) =>
      this.guard(async () => {
        const abort = this.abortable();
        const listener = token.onCancellationRequested(() => abort.abort());
        try {
          return await discover(params, abort.signal, {
            // RTU items go out under the same method (Discovered's type names the TCP ones).
            discovered: (n) => this.notify(Discovered.method, n),
            progress: (n) => this.notify(DiscoveryProgress.method, n),
          });
        } finally {
          listener.dispose();
          this.running.delete(abort);
        }
      }),
    );
    c.onRequest(SerialPorts, () => this.guard(() => listSerialPorts()));
    c.onRequest(Unsubscribe, (params) =>
      this.guard(() => {
        this.subscriptions.remove(object(params, 'bifrost/unsubscribe')['subscriptionId']);
      }),
    );
    c.onRequest(CertificatesList, () => this.guard(() => this.core.certificates.list()));
    c.onRequest(CertificatesTrust, (params) => this.guard(() => this.core.certificates.trust(thumbprint(params, 'bifrost/certificates/trust'))));
    c.onRequest(CertificatesReject, (params) => this.guard(() => this.core.certificates.reject(thumbprint(params, 'bifrost/certificates/reject'))));
    c.onRequest(CertificatesRemove, (params) => this.guard(() => this.core.certificates.remove(thumbprint(params, 'bifrost/certificates/remove'))));
    c.onRequest(NodeAttributes, (params) =>
      this.guard(() => {
        const p = object(params, 'bifrost/nodes/attributes');
        const driver = this.core.devices.get(p['deviceId']);
        const node = nonEmpty(p['node'], '"node"', 'a node ref (as browse gives it) or a configured tag name');
        return this.core.optional(driver, 'attributes', 'node attributes')(node);
      }),
    );
    c.onRequest(NodeResolve, (params) =>
      this.guard(() => {
        const p = object(params, 'bifrost/nodes/resolve');
        const driver = this.core.devices.get(p['deviceId']);
        const path = nonEmpty(p['path'], '"path"', 'a node id or a browse path such as "/Plant/Tank/Level"');
        return this.core.optional(driver, 'resolveNode', 'node paths')(path);
      }),
    );
    c.onRequest(MethodDescribe, (params) =>
      this.guard(() => {
        const p = object(params, 'bifrost/methods/describe');
        const driver = this.core.devices.get(p['deviceId']);
        const methodId = nonEmpty(p['methodId'], '"methodId"', 'the node id of a method');
        return this.core.optional(driver, 'describeMethod', 'methods')(methodId);
      }),
    );
    c.onRequest(Call, (params) =>
      this.guard(() => {
        const p = object(params, 'bifrost/call');
        const driver = this.core.devices.get(p['deviceId']);
        const objectId = nonEmpty(p['objectId'], '"objectId"', 'the node id of the object the method belongs to');
        const methodId = nonEmpty(p['methodId'], '"methodId"', 'the node id of a method');
        const inputs = p['inputs'] ?? [];
        if (!Array.isArray(inputs)) throw invalid(`"inputs" must be an array of values, in the order of the method's input arguments (got ${describe(inputs)})`);
        const call = this.core.optional(driver, 'call', 'methods');
        if (!driver.info().allowWrites) {
          throw new BifrostError(ErrorCodes.WriteRefused, `${driver.id}: method calls are refused: this device does not allow writes (a method changes the process; set "allowWrites": true)`);
        }
        return call(objectId, methodId, inputs as TagValue[]);
      }),
    );
    c.onRequest(HistoryRead, (params, token) =>
      this.guard(async () => {
        const p = object(params, 'bifrost/history/read');
        const driver = this.core.devices.get(p['deviceId']);
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
        const readHistory = this.core.optional(driver, 'readHistory', 'history');
        const abort = this.abortable();
        const listener = token.onCancellationRequested(() => abort.abort());
        try {
          const request: { tag: TagRef; start: number; end: number; maxValues: number; continuation?: string } = { tag, start, end, maxValues };
          if (continuation !== undefined) request.continuation = continuation;
          return await readHistory(request, { signal: abort.signal, progress: () => undefined });
        } finally {
          listener.dispose();
          this.running.delete(abort);
        }
      }),
    );
    c.onRequest(ModbusReadRange, (params) =>
      this.guard(() => {
        const p = object(params, 'bifrost/modbus/readRange');
        const access = this.core.registerAccess(p['deviceId'], 'bifrost/modbus/readRange');
        return readRange(access, inspectRangeOf(p));
      }),
    );
    c.onRequest(ModbusProbe, (params) =>
      this.guard(() => {
        const p = object(params, 'bifrost/modbus/probe');
        const access = this.core.registerAccess(p['deviceId'], 'bifrost/modbus/probe');
        return probe(access, inspectRangeOf(p));
      }),
    );
    c.onRequest(DemoStart, () => this.guard(() => this.core.startDemo()));
    c.onRequest(DemoStop, () => this.guard(() => this.core.stopDemo()));
    c.onRequest(DemoMute, (params) =>
      this.guard(() => {
        const p = object(params, 'bifrost/demo/mute');
        if (typeof p['deviceId'] !== 'string') throw new BifrostError(ErrorCodes.InvalidParams, 'bifrost/demo/mute needs "deviceId": a unit of the demo serial bus (demo-drive or demo-meter)');
        if (typeof p['muted'] !== 'boolean') throw new BifrostError(ErrorCodes.InvalidParams, 'bifrost/demo/mute needs "muted": true or false');
        return this.core.muteDemoUnit({ deviceId: p['deviceId'], muted: p['muted'] });
      }),
    );
  }

  /** `bifrost/browse`: one page of a device's children, cancellable, with optional progress. */
  private async browse(params: unknown, token: CancellationToken): Promise<BrowseResult> {
    const p = object(params, 'bifrost/browse');
    const driver = this.core.devices.get(p['deviceId']);
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
    const abort = this.abortable();
    // A driver that ignores the signal must not delay the answer: the cancellation wins the race.
    let onAbort: () => void = () => undefined;
    const aborted = new Promise<never>((_, reject) => (onAbort = () => reject(cancelled())));
    aborted.catch(() => undefined);
    const listener = token.onCancellationRequested(() => abort.abort());
    if (abort.signal.aborted) onAbort();
    else abort.signal.addEventListener('abort', () => onAbort());
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
            this.notify(Progress.method, { token: progressToken, value });
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
      this.running.delete(abort);
    }
  }

  /** An abort controller for work the session's end cancels. */
  private abortable(): AbortController {
    const abort = new AbortController();
    if (this.closed) abort.abort();
    this.running.add(abort);
    return abort;
  }

  private checkSubscriptionRoom(tags: number): void {
    const limits = this.options.subscriptionLimits;
    if (!limits) return;
    if (this.subscriptions.size >= limits.subscriptions) {
      throw new BifrostError(ErrorCodes.LimitExceeded, `this client has ${this.subscriptions.size} subscriptions, the most one client may have; unsubscribe from one first`);
    }
    const items = this.subscriptions.itemCount;
    if (items + tags > limits.items) {
      throw new BifrostError(ErrorCodes.LimitExceeded, `this client subscribes to ${items} tags; ${tags} more would pass the ${limits.items} one client may subscribe to`);
    }
  }

  /** Runs a handler; after `shutdown` only `exit` is served, as in LSP. */
  private guard<T>(fn: () => T | Promise<T>): Promise<T | ResponseError<void>> {
    if (this.shutdownRequested) {
      return Promise.resolve(new ResponseError(ErrorCodes.InvalidRequest, 'the gateway is shutting down; only "exit" is accepted now'));
    }
    return guard(fn);
  }

  /** The session's end: nothing more is sent, and what the client started ends (see endClientWork). Idempotent. */
  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.detach();
    this.endClientWork();
  }

  /** Its subscriptions end; its discoveries, browses and history reads are cancelled. */
  private endClientWork(): void {
    this.subscriptions.closeAll();
    for (const abort of this.running) abort.abort();
    this.running.clear();
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
  // Beyond ±8.64e15 ms (year 275760) there is no date: toISOString() would throw on it.
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_DATE_MS) throw invalid(`${what} must be milliseconds since 1970 or an ISO 8601 time such as "2026-01-31T08:00:00Z" (got ${describe(v)})`);
  return ms;
}

function describe(v: unknown): string {
  return preview(v);
}
