/**
 * OPC UA discovery of one address: FindServers (a Local Discovery Server answers with the servers
 * registered with it, a plain server with itself), then GetEndpoints of every server it names.
 *
 * Only discovery services, on unsecured channels and without a session: nothing needs to be
 * trusted either way, and no certificate is checked or kept. node-opcua's client wants an
 * application certificate even for that; left to itself it makes one in a PKI folder of its own
 * under the user's home (~/.config/node-opcua-default-nodejs/PKI). Here it gets one made in memory,
 * once per process, and an in-memory trust list that accepts nothing: discovery writes no file.
 */
import { createHash } from 'node:crypto';
import * as os from 'node:os';
import { MessageSecurityMode, OPCUAClient, SecurityPolicy, UserTokenType, type ApplicationDescription, type EndpointDescription } from 'node-opcua-client';
import { InMemoryCertificateKeyPairProvider, InMemoryCertificateStore } from 'node-opcua-common';
import type { OpcUaApplicationType, OpcUaDiscoveredItem, OpcUaEndpointSummary, OpcUaUserTokenType } from '../protocol';
import { formatOpcTcpUrl, isUnspecificHost, parseOpcTcpUrl } from '../discovery/opcuaUrl';
import { APPLICATION_NAME } from '../pki/manager';
import { leafOf } from './connect';

export interface OpcUaProbeTarget {
  /** The address reached (what replaces a server's 0.0.0.0 or localhost). */
  host: string;
  endpointUrl: string;
}

export interface OpcUaProbeOptions {
  /** Bound of the connect and of each request. */
  timeoutMs: number;
  /** Closes every channel of the probe at once. */
  signal: AbortSignal;
}

/** A Local Discovery Server may list many servers; one probe asks this many at most. */
const MAX_SERVERS = 32;
const DISCONNECT_BOUND_MS = 1000;

const APPLICATION_URI = `urn:${os.hostname()}:${APPLICATION_NAME}:discovery`;

let identity: Promise<InMemoryCertificateKeyPairProvider> | null = null;

/** The probes' certificate and key, in memory only; made once (an RSA key takes about half a second). */
function discoveryIdentity(): Promise<InMemoryCertificateKeyPairProvider> {
  if (!identity) {
    const made = (async () => {
      const pair = new InMemoryCertificateKeyPairProvider();
      await pair.ensureCertificateExists({ subject: `/CN=${APPLICATION_NAME} discovery`, applicationUri: APPLICATION_URI, dns: [os.hostname()] });
      return pair;
    })();
    identity = made;
    made.catch(() => (identity = null));
  }
  return identity;
}

/** The servers at one address with their endpoints; [] when nothing OPC UA answers there. */
export async function probeOpcUa(target: OpcUaProbeTarget, o: OpcUaProbeOptions): Promise<OpcUaDiscoveredItem[]> {
  const channels = new Channels(o);
  try {
    return await discoverAt(target, channels);
  } catch (err) {
    if (o.signal.aborted || err instanceof Unanswered) return [];
    throw err;
  } finally {
    await channels.closeAll();
  }
}

async function discoverAt(target: OpcUaProbeTarget, channels: Channels): Promise<OpcUaDiscoveredItem[]> {
  const first = await channels.connect(target.endpointUrl);
  let servers: ApplicationDescription[];
  try {
    servers = await channels.request('FindServers', first.findServers({ endpointUrl: target.endpointUrl }));
  } catch (err) {
    // A timeout says the server is not answering: asking it again would only wait once more.
    if (!(err instanceof Unanswered) || err.kind !== 'failed' || !channels.isOpen(first)) throw err;
    // A server that does not answer FindServers still describes itself in each endpoint.
    const endpoints = await channels.request('GetEndpoints', first.getEndpoints({ endpointUrl: target.endpointUrl }));
    const server = endpoints[0]?.server;
    return server ? [item(server, target.endpointUrl, endpoints)] : [];
  }

  const reached = parseOpcTcpUrl(target.endpointUrl);
  const wanted: Array<{ server: ApplicationDescription; url: string }> = [];
  const seen = new Set<string>();
  for (const server of servers) {
    if (server.applicationType === APPLICATION_TYPE_CLIENT) continue; // nothing to connect to
    for (const listed of server.discoveryUrls ?? []) {
      const url = typeof listed === 'string' ? reachableUrl(listed, target.host) : null;
      const key = `${server.applicationUri ?? ''}\n${url}`;
      if (url === null || seen.has(key) || wanted.length >= MAX_SERVERS) continue;
      seen.add(key);
      wanted.push({ server, url });
    }
  }

  const sameAddress = (url: string) => {
    const u = parseOpcTcpUrl(url);
    return typeof u !== 'string' && typeof reached !== 'string' && u.host.toLowerCase() === reached.host.toLowerCase() && u.port === reached.port;
  };
  const out: OpcUaDiscoveredItem[] = [];
  // The servers at the address already connected to first, over that channel; then each other one.
  for (const w of wanted.filter((x) => sameAddress(x.url))) {
    const endpoints = await optional(channels, channels.request('GetEndpoints', first.getEndpoints({ endpointUrl: w.url })));
    if (endpoints) out.push(item(w.server, w.url, endpoints));
  }
  await channels.close(first);
  for (const w of wanted.filter((x) => !sameAddress(x.url))) {
    const endpoints = await optional(channels, endpointsAt(channels, w.url));
    if (endpoints) out.push(item(w.server, w.url, endpoints));
  }
  return out;
}

async function endpointsAt(channels: Channels, url: string): Promise<EndpointDescription[]> {
  const client = await channels.connect(url);
  try {
    return await channels.request('GetEndpoints', client.getEndpoints({ endpointUrl: url }));
  } finally {
    await channels.close(client);
  }
}

/** A server listed but not answering is left out; an abort ends the probe. */
async function optional<T>(channels: Channels, p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (err) {
    if (channels.aborted) throw err;
    return null;
  }
}

/**
 * A listed discovery URL as this machine can reach it, or null (not opc.tcp). A server listening on
 * every interface often lists 0.0.0.0 or localhost: those mean "this machine" to the server, so the
 * address the probe reached stands in for them.
 */
function reachableUrl(listed: string, reachedHost: string): string | null {
  const u = parseOpcTcpUrl(listed.trim());
  if (typeof u === 'string') return null;
  return isUnspecificHost(u.host) ? formatOpcTcpUrl({ ...u, host: reachedHost }) : listed.trim();
}

const APPLICATION_TYPE_CLIENT = 1;
const APPLICATION_TYPES: Record<number, OpcUaApplicationType> = { 0: 'Server', 1: 'Client', 2: 'ClientAndServer', 3: 'DiscoveryServer' };

function item(server: ApplicationDescription, url: string, endpoints: EndpointDescription[]): OpcUaDiscoveredItem {
  const u = parseOpcTcpUrl(url);
  if (typeof u === 'string') throw new Error(`internal: ${url} was checked as an opc.tcp URL`);
  return {
    protocol: 'opcua',
    host: u.host,
    port: u.port,
    endpointUrl: url,
    evidence: 'opcua-endpoints',
    applicationName: server.applicationName?.text ?? '',
    applicationUri: server.applicationUri ?? '',
    productUri: server.productUri ?? '',
    applicationType: APPLICATION_TYPES[server.applicationType] ?? 'Server',
    endpoints: endpoints.flatMap((e) => summary(e) ?? []),
  };
}

const MODES: Partial<Record<MessageSecurityMode, OpcUaEndpointSummary['securityMode']>> = {
  [MessageSecurityMode.None]: 'None',
  [MessageSecurityMode.Sign]: 'Sign',
  [MessageSecurityMode.SignAndEncrypt]: 'SignAndEncrypt',
};

const TOKENS: Partial<Record<UserTokenType, OpcUaUserTokenType>> = {
  [UserTokenType.Anonymous]: 'anonymous',
  [UserTokenType.UserName]: 'username',
  [UserTokenType.Certificate]: 'certificate',
  [UserTokenType.IssuedToken]: 'issuedToken',
};

/** One endpoint for a person; null for one with an invalid security mode. */
function summary(e: EndpointDescription): OpcUaEndpointSummary | null {
  const securityMode = MODES[e.securityMode];
  if (!securityMode) return null;
  const uri = e.securityPolicyUri ?? SecurityPolicy.None;
  const tokens = new Set<OpcUaUserTokenType>();
  for (const t of e.userIdentityTokens ?? []) {
    const name = TOKENS[t.tokenType];
    if (name) tokens.add(name);
  }
  const out: OpcUaEndpointSummary = {
    endpointUrl: e.endpointUrl ?? '',
    securityMode,
    securityPolicy: uri.slice(uri.lastIndexOf('#') + 1),
    securityPolicyUri: uri,
    userTokenTypes: [...tokens],
    securityLevel: e.securityLevel,
  };
  const certificate = e.serverCertificate;
  if (certificate && certificate.length > 0) out.serverCertificateThumbprint = createHash('sha1').update(leafOf(Buffer.from(certificate))).digest('hex');
  return out;
}

/** Nothing answered in time, or the connection failed: not an error of the scan. */
class Unanswered extends Error {
  constructor(
    readonly kind: 'timeout' | 'failed' | 'aborted',
    message: string,
  ) {
    super(message);
  }
}

/** The probe's clients: each connect and request bounded, all of them closed at an abort. */
class Channels {
  private readonly open = new Set<OPCUAClient>();
  private readonly onAbort = () => void this.closeAll();

  constructor(private readonly o: OpcUaProbeOptions) {
    o.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  get aborted(): boolean {
    return this.o.signal.aborted;
  }

  isOpen(client: OPCUAClient): boolean {
    return this.open.has(client);
  }

  async connect(url: string): Promise<OPCUAClient> {
    // Not bounded by the timeout: the first probes wait for the key however short it is.
    const pair = await this.request('making the discovery certificate', discoveryIdentity(), false);
    const client = OPCUAClient.create({
      applicationName: `${APPLICATION_NAME} discovery`,
      applicationUri: APPLICATION_URI,
      certificateKeyPairProvider: pair,
      clientCertificateManager: new InMemoryCertificateStore({ autoAcceptUnknown: false }),
      securityMode: MessageSecurityMode.None,
      securityPolicy: SecurityPolicy.None,
      endpointMustExist: false,
      connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
      transportTimeout: this.o.timeoutMs,
      clientName: 'bifrost:discovery',
    });
    this.open.add(client);
    try {
      await this.request('connecting', client.connect(url));
    } catch (err) {
      await this.close(client);
      throw err;
    }
    if (this.aborted) {
      await this.close(client);
      throw new Unanswered('aborted', 'aborted');
    }
    return client;
  }

  /** `p`, or Unanswered once the timeout passed (when `timed`) or the probe was aborted. */
  request<T>(what: string, p: Promise<T>, timed = true): Promise<T> {
    p.catch(() => undefined);
    if (this.aborted) return Promise.reject(new Unanswered('aborted', 'aborted'));
    return new Promise<T>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.o.signal.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        done();
        reject(new Unanswered('aborted', 'aborted'));
      };
      const timer = timed
        ? setTimeout(() => {
            done();
            reject(new Unanswered('timeout', `no answer within ${this.o.timeoutMs} ms while ${what}`));
          }, this.o.timeoutMs)
        : undefined;
      this.o.signal.addEventListener('abort', onAbort, { once: true });
      p.then(
        (v) => {
          done();
          resolve(v);
        },
        (err: unknown) => {
          done();
          reject(new Unanswered('failed', `${what} failed: ${err instanceof Error ? err.message : String(err)}`));
        },
      );
    });
  }

  async close(client: OPCUAClient): Promise<void> {
    if (!this.open.delete(client)) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([client.disconnect().catch(() => undefined), new Promise<void>((r) => (timer = setTimeout(r, DISCONNECT_BOUND_MS)))]);
    clearTimeout(timer);
  }

  async closeAll(): Promise<void> {
    this.o.signal.removeEventListener('abort', this.onAbort);
    await Promise.all([...this.open].map((c) => this.close(c)));
  }
}
