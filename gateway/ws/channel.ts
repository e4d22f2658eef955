import { AbstractMessageReader, AbstractMessageWriter, type DataCallback, type Disposable, type Message } from 'vscode-jsonrpc';
import type { RawData, WebSocket } from 'ws';
import { Authenticate, ErrorCodes } from '../protocol';
import { log } from '../log';
import { UNAUTHENTICATED, type ClientMeter, type ClientTraffic } from '../core/traffic';
import { invalidRequest } from '../transport';
import { TokenBucket } from './rateLimit';
import { isMutating } from './readOnly';
import { metricsOnly, type Identity } from './tokens';

/** The close codes the listener uses (RFC 6455); docs/protocol.md lists them for clients. */
export const CloseCodes = {
  Normal: 1000,
  GoingAway: 1001,
  PolicyViolation: 1008,
  TooBig: 1009,
  TryAgainLater: 1013,
} as const;

export interface ChannelLimits {
  /** Requests per second on average, per client. */
  requestsPerSecond: number;
  requestBurst: number;
  /** Bytes waiting to be sent to a client before it is dropped as too slow a reader. */
  maxBufferedBytes: number;
  /** Requests refused for want of a valid token before the connection is closed. */
  maxAuthFailures: number;
  /** Time a client has to authenticate after connecting. */
  authTimeoutMs: number;
}

export interface ChannelOptions {
  /** Who the upgrade's `Authorization: Bearer` token names; null when the header was absent. */
  identity: Identity | null;
  /** Checks a token given with `bifrost/authenticate`. */
  authenticate(token: string): Identity | null;
  limits: ChannelLimits;
  /** The client's address, for the log. */
  peer: string;
  /** Once, when the client is authenticated (its session starts). */
  onIdentified(identity: Identity): void;
  /** Where the client's messages and drops are counted, under its token's name. */
  traffic: ClientTraffic;
}

type Id = number | string | null;

/**
 * One WebSocket client: one JSON-RPC message per text frame, both ways. Before a message reaches
 * the client's JSON-RPC connection it passes the rules of a listener's client: a valid token
 * first, a request rate, and read-only access. What is refused is answered with an error, never
 * dropped without a word. A client that does not read what it is sent is dropped, so that it
 * cannot make the gateway hold its data.
 */
export class ClientChannel {
  readonly reader = new WsReader();
  readonly writer: WsWriter;
  private identity: Identity | null;
  private failures = 0;
  private readonly bucket: TokenBucket;
  private readonly authTimer: NodeJS.Timeout | undefined;
  private dropTimer: NodeJS.Timeout | undefined;
  private meter: ClientMeter;

  constructor(
    private readonly ws: WebSocket,
    private readonly options: ChannelOptions,
  ) {
    this.identity = options.identity;
    this.meter = options.traffic.open(this.identity?.name ?? UNAUTHENTICATED);
    this.bucket = new TokenBucket(options.limits.requestsPerSecond, options.limits.requestBurst, Date.now());
    this.writer = new WsWriter(ws, () => {
      this.meter.sent();
      this.checkBacklog();
    });
    if (!this.identity) {
      this.authTimer = setTimeout(() => {
        this.meter.dropped('unauthenticated');
        this.close(CloseCodes.PolicyViolation, `not authenticated within ${options.limits.authTimeoutMs / 1000} s`);
      }, options.limits.authTimeoutMs);
    }
    ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    // ws closes the connection itself (1009) on a frame over maxPayload; the listener logs the error.
    ws.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.meter.dropped('oversized');
    });
    ws.on('close', () => {
      clearTimeout(this.authTimer);
      clearTimeout(this.dropTimer);
      this.reader.closed();
      this.writer.closed();
      this.meter.close();
    });
  }

  /** Starts the session of a client whose upgrade carried a valid token. */
  start(): void {
    if (this.identity) this.options.onIdentified(this.identity);
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === this.ws.CLOSING || this.ws.readyState === this.ws.CLOSED) return;
    log.info(`ws ${this.options.peer}${this.identity ? ` (${this.identity.name})` : ''}: closing (${code}): ${reason}`);
    this.ws.close(code, reason);
    // A client that does not answer the close handshake (it may not read at all) loses its socket.
    this.dropTimer = setTimeout(() => this.ws.terminate(), 10_000);
    this.dropTimer.unref();
  }

  private checkBacklog(): void {
    const queued = this.ws.bufferedAmount;
    if (queued > this.options.limits.maxBufferedBytes) {
      this.meter.dropped('slow_reader');
      this.writer.closed();
      this.close(CloseCodes.TryAgainLater, `the client reads too slowly: ${Math.round(queued / 1024)} KiB waiting to be sent`);
    }
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    if (this.writer.isClosed) return;
    this.meter.received();
    if (isBinary) {
      this.reply(null, ErrorCodes.InvalidRequest, 'invalid request: send each JSON-RPC message as one text frame, not a binary frame');
      return;
    }
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch (err) {
      this.reply(null, ErrorCodes.ParseError, `parse error: the frame is not valid JSON (${(err as Error).message})`);
      return;
    }
    const problem = invalidRequest(msg);
    const rawId = (msg as { id?: unknown } | null)?.id;
    const id: Id = typeof rawId === 'number' || typeof rawId === 'string' ? rawId : null;
    if (problem) {
      this.reply(id, ErrorCodes.InvalidRequest, `invalid request: ${problem}`);
      return;
    }
    const m = msg as { method?: string; id?: unknown; params?: unknown };
    const isRequest = typeof m.method === 'string' && m.id !== undefined;
    if (isRequest && !this.bucket.take(Date.now())) {
      this.meter.dropped('rate_limited');
      this.reply(id, ErrorCodes.LimitExceeded, `too many requests: at most ${this.bucket.ratePerSecond} per second (bursts of ${this.bucket.burst}); this one was not served`);
      return;
    }
    if (!this.identity) {
      if (!isRequest) return; // Notifications (initialized, $/cancelRequest) mean nothing before a token.
      if (m.method === Authenticate.method) this.authenticate(id, m.params);
      else this.refuse(id, `${m.method}: authenticate first: send bifrost/authenticate {token} (or the upgrade's Authorization: Bearer header)`);
      return;
    }
    if (isRequest && m.method === Authenticate.method) {
      this.reply(id, ErrorCodes.InvalidRequest, `this connection is authenticated already (as "${this.identity.name}")`);
      return;
    }
    if (isRequest && this.identity.access === 'read-only' && isMutating(m.method!)) {
      this.reply(id, ErrorCodes.WriteRefused, `${m.method} is refused: the token "${this.identity.name}" is read-only`);
      return;
    }
    this.reader.deliver(msg as Message);
  }

  private authenticate(id: Id, params: unknown): void {
    const token = (params as { token?: unknown } | null)?.token;
    if (typeof token !== 'string' || token === '') {
      this.refuse(id, 'bifrost/authenticate needs "token": a token made with "token add"');
      return;
    }
    const identity = this.options.authenticate(token);
    if (!identity) {
      this.refuse(id, 'the token is not valid');
      return;
    }
    if (identity.access === 'metrics') {
      this.refuse(id, metricsOnly(identity.name));
      return;
    }
    clearTimeout(this.authTimer);
    this.identity = identity;
    // From here on (the answer included) the client's traffic is its token's.
    this.meter.close();
    this.meter = this.options.traffic.open(identity.name);
    log.info(`ws ${this.options.peer}: authenticated as "${identity.name}" (${identity.access})`);
    this.options.onIdentified(identity);
    void this.writer.write({ jsonrpc: '2.0', id, result: { name: identity.name, access: identity.access } } as unknown as Message);
  }

  private refuse(id: Id, message: string): void {
    this.failures++;
    this.reply(id, ErrorCodes.Unauthorized, message);
    if (this.failures >= this.options.limits.maxAuthFailures) {
      this.meter.dropped('unauthenticated');
      this.close(CloseCodes.PolicyViolation, `${this.failures} requests without a valid token`);
    }
  }

  private reply(id: Id, code: number, message: string): void {
    void this.writer.write({ jsonrpc: '2.0', id, error: { code, message } } as unknown as Message);
  }
}

class WsReader extends AbstractMessageReader {
  private callback: DataCallback | null = null;

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    return { dispose: () => (this.callback = null) };
  }

  deliver(msg: Message): void {
    // What the connection throws on (vscode-jsonrpc fails on a `$/cancelRequest` without params)
    // is dropped and logged like any unusable message; it must not escape into the socket's receiver.
    try {
      this.callback?.(msg);
    } catch (err) {
      this.fireError(err);
    }
  }

  closed(): void {
    this.fireClose();
  }
}

class WsWriter extends AbstractMessageWriter {
  private done = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly afterSend: () => void,
  ) {
    super();
  }

  get isClosed(): boolean {
    return this.done;
  }

  /** Nothing more is sent: the client left or is being dropped. */
  closed(): void {
    if (this.done) return;
    this.done = true;
    this.fireClose();
  }

  write(msg: Message): Promise<void> {
    // A client that left or is being dropped gets nothing more: the session ends with it.
    if (this.done || this.ws.readyState !== this.ws.OPEN) return Promise.resolve();
    this.ws.send(JSON.stringify(msg));
    this.afterSend();
    return Promise.resolve();
  }

  end(): void {
    this.closed();
  }
}
