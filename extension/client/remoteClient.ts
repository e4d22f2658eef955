import * as net from 'node:net';
import * as tls from 'node:tls';
import {
  AbstractMessageReader,
  AbstractMessageWriter,
  createMessageConnection,
  Emitter,
  type CancellationToken,
  type DataCallback,
  type Disposable,
  type Message,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import WebSocket from 'ws';
import type { GatewayCapabilities } from '../../gateway/protocol';
import { capabilitiesOf } from './capabilities';

/**
 * A remote gateway's JSON-RPC client over WebSocket (ws:// or wss://, one message per text frame).
 * No vscode import: it is driven by the extension and tested against a real gateway process.
 *
 * The token is sent only on a socket whose certificate was checked first: a system-trusted one,
 * or, for a self-signed one, the fingerprint the user pinned. Anything else stops before the
 * HTTP upgrade request (the one that carries the token) is written.
 */
export type RemoteState =
  | { kind: 'connecting' }
  /** Only after the gateway answered `initialize`. */
  | { kind: 'connected'; capabilities: GatewayCapabilities | undefined }
  | { kind: 'unreachable'; reason: string; retryInMs: number }
  | { kind: 'refused'; reason: string }
  /** A certificate no system CA vouches for and no pin yet: the user has to decide. */
  | { kind: 'untrusted'; fingerprint: string }
  | { kind: 'certificateChanged'; pinned: string; presented: string }
  | { kind: 'stopped' };

export interface RemoteClientOptions {
  url: string;
  token: string;
  /** SHA-256 fingerprint (colon-separated hex, as Node prints it) the user trusted. */
  pinnedFingerprint?: string;
  backoff?: { initialMs: number; maxMs: number };
  clientName?: string;
}

const DEFAULT_BACKOFF = { initialMs: 1000, maxMs: 30_000 };

/** Raised before the token was sent, when a certificate cannot be trusted. */
class CertificateProblem extends Error {
  constructor(readonly state: Extract<RemoteState, { kind: 'untrusted' } | { kind: 'certificateChanged' }>) {
    super(state.kind === 'untrusted' ? `untrusted certificate ${state.fingerprint}` : `certificate changed: pinned ${state.pinned}, presented ${state.presented}`);
  }
}

export function sameFingerprint(a: string, b: string): boolean {
  const norm = (s: string) => s.replace(/[^0-9a-f]/gi, '').toLowerCase();
  return norm(a) === norm(b);
}

export class RemoteClient implements Disposable {
  private current: RemoteState = { kind: 'stopped' };
  private connection: MessageConnection | undefined;
  private socket: WebSocket | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private stopped = true;
  /** Handlers registered before a connection exists are attached to each new one. */
  private readonly notificationHandlers: { method: string; handler: (params: unknown) => void }[] = [];
  private readonly stateEmitter = new Emitter<RemoteState>();
  readonly onDidChangeState = this.stateEmitter.event;

  constructor(private readonly options: RemoteClientOptions) {}

  get state(): RemoteState {
    return this.current;
  }

  /** The fingerprint the user trusted, after a prompt; the next connection checks against it. */
  pin(fingerprint: string): void {
    this.options.pinnedFingerprint = fingerprint;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt = 0;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.dropConnection();
    this.setState({ kind: 'stopped' });
  }

  dispose(): void {
    this.stop();
    this.stateEmitter.dispose();
  }

  onNotification(method: string, handler: (params: unknown) => void): Disposable {
    const entry = { method, handler };
    this.notificationHandlers.push(entry);
    this.connection?.onNotification(method, handler);
    return { dispose: () => this.notificationHandlers.splice(this.notificationHandlers.indexOf(entry), 1) };
  }

  /** A request on the current connection; a cancelled `token` sends `$/cancelRequest`. */
  async request<R>(method: string, params?: unknown, token?: CancellationToken): Promise<R> {
    if (this.current.kind !== 'connected' || !this.connection) throw new Error(`the gateway at ${this.options.url} is not connected (${describeState(this.current)})`);
    const args: unknown[] = params === undefined ? [] : [params];
    // A token handed on as undefined would travel as one more positional parameter.
    if (token) args.push(token);
    return this.connection.sendRequest(method, ...args) as Promise<R>;
  }

  private setState(s: RemoteState): void {
    this.current = s;
    this.stateEmitter.fire(s);
  }

  private dropConnection(): void {
    const c = this.connection;
    const ws = this.socket;
    this.connection = undefined;
    this.socket = undefined;
    c?.dispose();
    ws?.terminate();
  }

  private async connect(): Promise<void> {
    this.setState({ kind: 'connecting' });
    let ws: WebSocket;
    try {
      ws = await this.openSocket();
    } catch (err) {
      if (this.stopped) return;
      if (err instanceof CertificateProblem) return this.setState(err.state);
      const status = (err as { status?: number }).status;
      if (status === 401 || status === 403) return this.setState({ kind: 'refused', reason: (err as Error).message });
      return this.retryLater((err as Error).message);
    }
    if (this.stopped) return void ws.terminate();
    this.socket = ws;
    const connection = createMessageConnection(new WsReader(ws), new WsWriter(ws));
    this.connection = connection;
    for (const { method, handler } of this.notificationHandlers) connection.onNotification(method, handler);
    ws.once('close', (code, reason) => {
      if (this.socket !== ws) return;
      this.dropConnection();
      if (!this.stopped) this.retryLater(`the connection closed (${code}${reason.length ? ` ${reason.toString()}` : ''})`);
    });
    connection.listen();
    try {
      const result = await connection.sendRequest('initialize', { processId: null, clientInfo: { name: this.options.clientName ?? 'bifrost-vscode' }, capabilities: {} });
      if (this.socket !== ws) return;
      this.attempt = 0;
      this.setState({ kind: 'connected', capabilities: capabilitiesOf(result) });
    } catch (err) {
      if (this.socket !== ws) return;
      this.dropConnection();
      this.retryLater(`initialize failed: ${(err as Error).message}`);
    }
  }

  private retryLater(reason: string): void {
    const { initialMs, maxMs } = this.options.backoff ?? DEFAULT_BACKOFF;
    const wait = Math.min(maxMs, initialMs * 2 ** this.attempt++);
    this.setState({ kind: 'unreachable', reason, retryInMs: wait });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), wait);
  }

  /** A socket checked first (TLS), then the upgrade with the token on that same socket. */
  private async openSocket(): Promise<WebSocket> {
    const url = new URL(this.options.url);
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new Error(`url: expected ws:// or wss://, got ${url.protocol}`);
    const secure = url.protocol === 'wss:';
    const port = Number(url.port || (secure ? 443 : 80));
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const checked = secure ? await this.checkedTlsSocket(host, port) : undefined;
    return new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(this.options.url, {
        headers: { Authorization: `Bearer ${this.options.token}` },
        handshakeTimeout: 10_000,
        ...(checked ? { createConnection: () => checked } : {}),
      });
      ws.once('open', () => resolve(ws));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        const fail = () => reject(Object.assign(new Error(`HTTP ${res.statusCode}: ${body.trim() || res.statusMessage}`), { status: res.statusCode }));
        res.once('end', fail);
        res.once('close', fail);
      });
      ws.once('error', reject);
    });
  }

  private checkedTlsSocket(host: string, port: number): Promise<tls.TLSSocket> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
      socket.once('error', reject);
      socket.once('secureConnect', () => {
        const presented = socket.getPeerCertificate().fingerprint256;
        const pinned = this.options.pinnedFingerprint;
        const systemTrusted = socket.authorized && tls.checkServerIdentity(host, socket.getPeerCertificate()) === undefined;
        let problem: CertificateProblem | undefined;
        // A pin wins over the system CAs: a changed certificate is refused even if a CA signed it.
        if (pinned !== undefined) {
          if (!sameFingerprint(pinned, presented)) problem = new CertificateProblem({ kind: 'certificateChanged', pinned, presented });
        } else if (!systemTrusted) problem = new CertificateProblem({ kind: 'untrusted', fingerprint: presented });
        if (problem) {
          socket.destroy();
          return reject(problem);
        }
        socket.removeListener('error', reject);
        resolve(socket);
      });
    });
  }
}

export function describeState(s: RemoteState): string {
  switch (s.kind) {
    case 'connecting':
      return 'connecting';
    case 'connected':
      return 'connected';
    case 'unreachable':
      return `unreachable: ${s.reason} (retrying in ${Math.round(s.retryInMs / 1000)} s)`;
    case 'refused':
      return `token refused: ${s.reason}`;
    case 'untrusted':
      return `certificate not trusted yet (SHA-256 ${s.fingerprint})`;
    case 'certificateChanged':
      return `CERTIFICATE CHANGED: pinned ${s.pinned}, the gateway presented ${s.presented}; refusing to send the token`;
    case 'stopped':
      return 'disconnected';
  }
}

class WsReader extends AbstractMessageReader {
  constructor(private readonly ws: WebSocket) {
    super();
    ws.on('close', () => this.fireClose());
    ws.on('error', (err) => this.fireError(err));
  }

  listen(callback: DataCallback): Disposable {
    const onMessage = (data: WebSocket.RawData, isBinary: boolean) => {
      if (isBinary) return this.fireError(new Error('binary frame: the gateway sends JSON text frames'));
      try {
        callback(JSON.parse(data.toString()) as Message);
      } catch (err) {
        this.fireError(err);
      }
    };
    this.ws.on('message', onMessage);
    return { dispose: () => this.ws.off('message', onMessage) };
  }
}

class WsWriter extends AbstractMessageWriter {
  constructor(private readonly ws: WebSocket) {
    super();
  }

  write(msg: Message): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.ws.readyState !== WebSocket.OPEN) return reject(new Error('the connection is closed'));
      this.ws.send(JSON.stringify(msg), (err) => (err ? reject(err) : resolve()));
    });
  }

  end(): void {}
}
