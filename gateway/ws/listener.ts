import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createMessageConnection } from 'vscode-jsonrpc';
import { WebSocketServer, type WebSocket } from 'ws';
import type { GatewayCore } from '../gatewayCore';
import { log } from '../log';
import { GatewaySession, type SubscriptionLimits } from '../server';
import { ClientChannel, CloseCodes, type ChannelLimits } from './channel';
import { Heartbeat } from './heartbeat';
import { GatewayMetrics } from './metrics';
import type { ListenOptions } from './options';
import { metricsOnly, readTokens, verifyToken, type Identity } from './tokens';

export const RPC_PATH = '/rpc';

/** What one client may do; docs/protocol.md ("WebSocket") states the same numbers. */
export const CLIENT_LIMITS: ChannelLimits & { maxMessageBytes: number; subscriptions: SubscriptionLimits } = {
  maxMessageBytes: 1024 * 1024,
  requestsPerSecond: 200,
  requestBurst: 400,
  maxBufferedBytes: 8 * 1024 * 1024,
  maxAuthFailures: 3,
  authTimeoutMs: 10_000,
  subscriptions: { subscriptions: 100, items: 10_000 },
};

/** How often every client is pinged; one that missed a ping is dropped at the next (heartbeat.ts). */
export const HEARTBEAT_MS = 30_000;

export interface Listener {
  url: string;
  /** Closes every client (1001) and stops listening. */
  close(): Promise<void>;
}

/**
 * Serves the JSON-RPC contract at ws://HOST:PORT/rpc (wss with TLS) to many clients at once, each
 * in a session of its own over the shared core. Tokens are read from the file at every
 * authentication, so that `token add` and `token remove` take effect without a restart.
 */
export async function startListener(core: GatewayCore, options: ListenOptions): Promise<Listener> {
  const server = options.tls ? https.createServer({ cert: options.tls.cert, key: options.tls.key }) : http.createServer();
  // A client whose token was removed and that has no connection loses its series at the next scrape.
  const metrics = new GatewayMetrics(core, {
    clientNames: () => {
      try {
        return new Set(readTokens(options.tokensFile).map((e) => e.name));
      } catch {
        return null;
      }
    },
  });
  // GET /metrics and /health behind the same rules as the WebSocket: no browser origin, a token.
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://gateway').pathname;
    const answer = (status: number, type: string, body: string) => res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' }).end(body);
    if (path !== '/metrics' && path !== '/health') {
      res.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket' });
      res.end(`the Bifrost gateway speaks JSON-RPC over a WebSocket at ${RPC_PATH}, and serves GET /metrics and /health\n`);
      return;
    }
    if (req.method !== 'GET') return answer(405, 'text/plain', `${path} takes GET\n`);
    const origin = req.headers.origin;
    if (origin !== undefined && !options.allowedOrigins.includes(origin)) return answer(403, 'text/plain', `origin ${origin} is not allowed\n`);
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!m || !authenticate(m[1]!)) {
      res.writeHead(401, { 'Content-Type': 'text/plain', 'WWW-Authenticate': 'Bearer' }).end('a token is needed: Authorization: Bearer TOKEN\n');
      return;
    }
    if (path === '/health') {
      const report = metrics.health();
      return answer(report.status === 'ok' ? 200 : 503, 'application/json', `${JSON.stringify(report)}\n`);
    }
    metrics.text().then(
      (text) => answer(200, metrics.contentType, text),
      (err: unknown) => answer(500, 'text/plain', `${err instanceof Error ? err.message : String(err)}\n`),
    );
  });
  // perMessageDeflate off: compression costs CPU per client and memory per socket.
  const wss = new WebSocketServer({ noServer: true, maxPayload: CLIENT_LIMITS.maxMessageBytes, perMessageDeflate: false });
  const authenticate = (token: string): Identity | null => {
    try {
      return verifyToken(readTokens(options.tokensFile), token);
    } catch (err) {
      log.error(`${err instanceof Error ? err.message : String(err)}; no token is accepted until it is fixed`);
      return null;
    }
  };

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const peer = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    const refuse = (status: number, text: string, reason: string) => {
      log.warn(`ws ${peer}: upgrade refused (${status}): ${reason}`);
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason) + 1}\r\n\r\n${reason}\n`);
    };
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (url.pathname !== RPC_PATH) return refuse(404, 'Not Found', `the JSON-RPC endpoint is ${RPC_PATH}`);
    // A browser page always sends its Origin: without this check any web page the user opens could talk to the gateway.
    const origin = req.headers.origin;
    if (origin !== undefined && !options.allowedOrigins.includes(origin)) {
      return refuse(403, 'Forbidden', `origin ${origin} is not allowed (start the gateway with --allow-origin ${origin} to allow it)`);
    }
    let identity: Identity | null = null;
    const authorization = req.headers.authorization;
    if (authorization !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      identity = m ? authenticate(m[1]!) : null;
      if (!identity) return refuse(401, 'Unauthorized', m ? 'the token is not valid' : 'the Authorization header must be "Bearer TOKEN"');
      if (identity.access === 'metrics') return refuse(403, 'Forbidden', metricsOnly(identity.name));
    }
    wss.handleUpgrade(req, socket, head, (ws) => serve(ws, identity, peer));
  });

  const sessions = new Set<{ ws: WebSocket; session: GatewaySession | null; peer: string }>();
  const heartbeat = new Heartbeat(() => sessions, Number(process.env['BIFROST_WS_HEARTBEAT_MS']) || HEARTBEAT_MS);
  const serve = (ws: WebSocket, identity: Identity | null, peer: string) => {
    const entry: { ws: WebSocket; session: GatewaySession | null; peer: string } = { ws, session: null, peer };
    sessions.add(entry);
    heartbeat.watch(ws);
    const channel = new ClientChannel(ws, {
      identity,
      authenticate,
      limits: CLIENT_LIMITS,
      peer,
      traffic: core.clients,
      onIdentified: (who) => {
        const connection = createMessageConnection(channel.reader, channel.writer, {
          error: (m) => log.error(`ws ${peer}: ${m}`),
          warn: (m) => log.warn(`ws ${peer}: ${m}`),
          info: (m) => log.debug(`ws ${peer}: ${m}`),
          log: (m) => log.debug(`ws ${peer}: ${m}`),
        });
        entry.session = new GatewaySession(connection, core, {
          // A client's exit ends its connection, never the gateway.
          onExit: () => channel.close(CloseCodes.Normal, 'exit'),
          subscriptionLimits: CLIENT_LIMITS.subscriptions,
        });
        connection.listen();
        log.info(`ws ${peer}: session of "${who.name}" (${who.access}) started; ${core.sessionCount} sessions`);
      },
    });
    ws.on('error', (err) => log.warn(`ws ${peer}: ${err.message}`));
    ws.on('close', (code, reason) => {
      sessions.delete(entry);
      entry.session?.dispose();
      log.info(`ws ${peer}: closed (${code}${reason.length ? `: ${reason.toString()}` : ''})`);
    });
    channel.start();
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.error(`ws listener: ${err.message}`));
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${options.tls ? 'wss' : 'ws'}://${host}:${address.port}${RPC_PATH}`;
  log.info(`listening on ${url}`);
  return {
    url,
    close: async () => {
      heartbeat.stop();
      for (const { ws, session } of sessions) {
        session?.dispose();
        ws.close(CloseCodes.GoingAway, 'the gateway is stopping');
      }
      wss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A client that does not finish the close handshake must not hold the gateway's exit.
        setTimeout(resolve, 500).unref();
      });
    },
  };
}
