/**
 * One connection attempt to an OPC UA server: GetEndpoints, the endpoint by the configured (or
 * most secure) mode and policy, the server's certificate against the gateway's store, a client
 * and a session with the configured identity, and a first read that proves the server answers.
 * Every step is bounded; a failure leaves nothing open and says, in words, what went wrong.
 * node-opcua never retries here: the device retries with the gateway's backoff.
 */
import { readFileSync } from 'node:fs';
import {
  AttributeIds,
  MessageSecurityMode,
  OPCUAClient,
  SecurityPolicy,
  UserTokenType,
  type ClientSession,
  type EndpointDescription,
  type UserIdentityInfo,
} from 'node-opcua-client';
import type { OpcUaSecurityMode, OpcUaSecurityPolicy } from '../protocol';
import type { PkiHost } from '../core/driver';
import { certificateInfo, derOf, validityProblem } from '../pki/certificateInfo';
import { openCertificateManager, type CertificateManagerHandle } from '../pki/manager';
import { SECURITY_POLICIES, type OpcUaSettings } from './settings';

/** How a failed attempt should be retried. */
export type FailureKind =
  /** Network, timeout, server trouble: the usual backoff. */
  | 'transient'
  /** Wrong password, identity refused, missing password: retry slowly (a person must act). */
  | 'identity'
  /** The server's certificate is not trusted: wait for a trust, or retry slowly. */
  | 'untrusted'
  /** Our certificate or the configuration does not fit the server: retry slowly. */
  | 'configuration';

export class ConnectError extends Error {
  constructor(
    message: string,
    readonly kind: FailureKind,
  ) {
    super(message);
  }
}

export interface Connection {
  client: OPCUAClient;
  session: ClientSession;
  endpoint: { mode: OpcUaSecurityMode; policy: OpcUaSecurityPolicy };
  /** Closes the session and the client; bounded, never throws. */
  close(): Promise<void>;
}

export interface AttemptOptions {
  deviceId: string;
  settings: OpcUaSettings;
  pki: PkiHost;
  /** Bound of each step (connect, GetEndpoints, session, first read). */
  stepTimeoutMs: number;
  /** The device's timeoutMs: node-opcua's transaction timeout (keep-alives, subscriptions' calls; at least 5 s). */
  requestTimeoutMs: number;
  /** The attempt is abandoned (device stopped): whatever it opened is closed. */
  signal: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

const MODE_BY_NAME: Record<OpcUaSecurityMode, MessageSecurityMode> = {
  None: MessageSecurityMode.None,
  Sign: MessageSecurityMode.Sign,
  SignAndEncrypt: MessageSecurityMode.SignAndEncrypt,
};

const POLICY_BY_NAME: Record<OpcUaSecurityPolicy, SecurityPolicy> = {
  None: SecurityPolicy.None,
  Basic128Rsa15: SecurityPolicy.Basic128Rsa15,
  Basic256: SecurityPolicy.Basic256,
  Basic256Sha256: SecurityPolicy.Basic256Sha256,
  Aes128_Sha256_RsaOaep: SecurityPolicy.Aes128_Sha256_RsaOaep,
  Aes256_Sha256_RsaPss: SecurityPolicy.Aes256_Sha256_RsaPss,
};

/** Status names that say the server refused the user. */
const IDENTITY_REFUSED = /BadUserAccessDenied|BadIdentityTokenRejected|BadIdentityTokenInvalid|BadUserSignatureInvalid/;
/** Status names that say the server refused the gateway's application certificate. */
const OUR_CERTIFICATE_REFUSED = /BadSecurityChecksFailed|BadCertificateUntrusted|BadCertificateInvalid|BadCertificateUriInvalid|BadCertificateUseNotAllowed|BadCertificateRevoked|BadCertificateIssuerRevoked|BadCertificateTimeInvalid|BadCertificateRevocationUnknown/;

export async function attemptConnection(o: AttemptOptions): Promise<Connection> {
  const { settings } = o;
  const identity = userIdentity(o);
  const engine = await openCertificateManager(o.pki.folder);
  const endpoints = await discover(o, engine);
  const chosen = chooseEndpoint(o, endpoints);
  if (chosen.mode !== 'None') await checkServerCertificate(o, engine, chosen.description);

  const client = OPCUAClient.create({
    ...applicationIdentity(engine),
    securityMode: MODE_BY_NAME[chosen.mode],
    securityPolicy: POLICY_BY_NAME[chosen.policy],
    serverCertificate: chosen.mode === 'None' ? undefined : chosen.description.serverCertificate,
    endpointMustExist: false,
    // node-opcua gives up on a request after 15 s by default and never below 5 s: the device
    // bounds each request by its timeoutMs itself (device.ts); this lets keep-alives and the
    // subscriptions' calls fail in 5 s rather than 15 s when the device's timeout is short.
    defaultTransactionTimeout: o.requestTimeoutMs,
    // One try: the device owns retries (gateway backoff), and reconnects with a new client.
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
    // The socket's inactivity limit, not a connect timeout (each step has its own bound): at the
    // step timeout an idle session was dropped every few seconds. A keep-alive read every 5 s
    // keeps the channel busy and finds a server that went silent within seconds.
    transportTimeout: 30_000,
    requestedSessionTimeout: 60_000,
    keepSessionAlive: true,
    keepAliveInterval: 5_000,
    clientName: `bifrost:${o.deviceId}`,
  });
  let session: ClientSession | null = null;
  const close = async () => {
    const s = session;
    session = null;
    if (s) await bounded(s.close(true).catch(() => undefined), 2000);
    await bounded(client.disconnect().catch(() => undefined), 2000);
  };
  const onAbort = () => void close();
  o.signal.addEventListener('abort', onAbort, { once: true });
  try {
    await step(o, 'opening a secure channel', client.connect(settings.endpointUrl), engine);
    session = await step(o, 'creating a session', client.createSession(identity), engine);
    const first = await step(o, 'reading the server state', session.read({ nodeId: 'i=2259', attributeId: AttributeIds.Value }), engine);
    if (!first.statusCode.isGood()) throw new ConnectError(`${o.deviceId}: the server answered the first read of its state with ${first.statusCode.name}`, 'transient');
    // `nsu=<uri>;…` node ids are resolved with the server's namespace array.
    await step(o, 'reading the namespace array', session.readNamespaceArray(), engine);
    if (o.signal.aborted) throw new ConnectError(`${o.deviceId}: stopped`, 'transient');
    return { client, session, endpoint: { mode: chosen.mode, policy: chosen.policy }, close };
  } catch (err) {
    await close();
    throw err;
  } finally {
    o.signal.removeEventListener('abort', onAbort);
  }
}

function userIdentity(o: AttemptOptions): UserIdentityInfo {
  const user = o.settings.user;
  switch (user.type) {
    case 'anonymous':
      return { type: UserTokenType.Anonymous };
    case 'username': {
      let password = user.password;
      if (password === undefined && user.passwordEnv) {
        password = (o.env ?? process.env)[user.passwordEnv];
        if (password === undefined) {
          throw new ConnectError(`${o.deviceId}: the environment variable ${user.passwordEnv} (user.passwordEnv) is not set: no password to log in as "${user.username}", not connecting`, 'identity');
        }
      }
      return { type: UserTokenType.UserName, userName: user.username, password: password ?? '' };
    }
    case 'certificate': {
      let certificateData: Buffer;
      let privateKey: string;
      try {
        certificateData = derOf(readFileSync(user.certificateFile));
        privateKey = readFileSync(user.privateKeyFile, 'utf8');
      } catch (err) {
        throw new ConnectError(`${o.deviceId}: cannot read the user certificate or key: ${err instanceof Error ? err.message : String(err)}`, 'configuration');
      }
      return { type: UserTokenType.Certificate, certificateData, privateKey };
    }
  }
}

/** Who the gateway is to a server: the same application and certificate on every channel. */
function applicationIdentity(engine: CertificateManagerHandle) {
  return {
    applicationName: engine.applicationName,
    applicationUri: engine.applicationUri,
    clientCertificateManager: engine.manager,
    certificateFile: engine.certificateFile,
    privateKeyFile: engine.privateKeyFile,
  };
}

/** GetEndpoints over an unsecured channel (as every OPC UA client does first). */
async function discover(o: AttemptOptions, engine: CertificateManagerHandle): Promise<EndpointDescription[]> {
  const client = OPCUAClient.create({
    ...applicationIdentity(engine),
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
    transportTimeout: o.stepTimeoutMs,
    clientName: `bifrost:${o.deviceId}:discovery`,
  });
  const onAbort = () => void client.disconnect().catch(() => undefined);
  o.signal.addEventListener('abort', onAbort, { once: true });
  try {
    await step(o, 'connecting', client.connect(o.settings.endpointUrl), engine);
    return await step(o, 'asking for the endpoints (GetEndpoints)', client.getEndpoints(), engine);
  } finally {
    o.signal.removeEventListener('abort', onAbort);
    await bounded(client.disconnect().catch(() => undefined), 2000);
  }
}

interface Chosen {
  mode: OpcUaSecurityMode;
  policy: OpcUaSecurityPolicy;
  description: EndpointDescription;
}

function chooseEndpoint(o: AttemptOptions, endpoints: EndpointDescription[]): Chosen {
  const offered: Chosen[] = [];
  for (const e of endpoints) {
    const mode = modeName(e.securityMode);
    const policy = policyName(e.securityPolicyUri ?? '');
    if (mode && policy) offered.push({ mode, policy, description: e });
  }
  const list = () => (offered.length ? [...new Set(offered.map((c) => `${c.mode}/${c.policy}`))].join(', ') : 'none this gateway speaks');
  const { securityMode, securityPolicy } = o.settings;
  if (securityMode && securityPolicy) {
    const hit = offered.find((c) => c.mode === securityMode && c.policy === securityPolicy);
    if (!hit) throw new ConnectError(`${o.deviceId}: the endpoint does not offer security ${securityMode}/${securityPolicy}; it offers ${list()}`, 'configuration');
    return hit;
  }
  // The most secure: SignAndEncrypt over Sign over None, then the strongest policy.
  const rank = (c: Chosen) => MODE_RANK[c.mode] * 100 + SECURITY_POLICIES.indexOf(c.policy);
  const best = [...offered].sort((a, b) => rank(b) - rank(a))[0];
  if (!best) throw new ConnectError(`${o.deviceId}: the server offers no endpoint this gateway can use (${endpoints.length} endpoints, none with a known security policy)`, 'configuration');
  return best;
}

const MODE_RANK: Record<OpcUaSecurityMode, number> = { None: 0, Sign: 1, SignAndEncrypt: 2 };

function modeName(m: MessageSecurityMode): OpcUaSecurityMode | null {
  if (m === MessageSecurityMode.None) return 'None';
  if (m === MessageSecurityMode.Sign) return 'Sign';
  if (m === MessageSecurityMode.SignAndEncrypt) return 'SignAndEncrypt';
  return null;
}

function policyName(uri: string): OpcUaSecurityPolicy | null {
  for (const [name, value] of Object.entries(POLICY_BY_NAME)) if (value === uri) return name as OpcUaSecurityPolicy;
  return null;
}

async function checkServerCertificate(o: AttemptOptions, engine: CertificateManagerHandle, endpoint: EndpointDescription): Promise<void> {
  const raw = endpoint.serverCertificate;
  if (!raw || raw.length === 0) throw new ConnectError(`${o.deviceId}: the server offers ${modeName(endpoint.securityMode)} security but shows no certificate`, 'configuration');
  // A chain may follow the leaf: the leaf is the first DER element.
  const der = leafOf(Buffer.from(raw));
  const info = certificateInfo(der);
  const status = await engine.check(der);
  if (status === 'Good') return;
  const dates = validityProblem(info);
  const reason = dates ?? (status === 'BadCertificateUntrusted' ? 'unknown or rejected: not in the trusted list' : status);
  o.pki.untrusted(der, dates ?? (status === 'BadCertificateUntrusted' ? 'unknown' : status));
  throw new ConnectError(
    `${o.deviceId}: the server's certificate is not trusted (${reason}): ${info.subject}, thumbprint ${info.thumbprint}; trust it to connect`,
    'untrusted',
  );
}

/** The first certificate of a DER chain (SEQUENCE with a definite length). */
export function leafOf(der: Buffer): Buffer {
  if (der.length < 4 || der[0] !== 0x30) return der;
  const first = der[1]!;
  if (first < 0x80) return der.subarray(0, 2 + first);
  const n = first & 0x7f;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + der[2 + i]!;
  return der.subarray(0, Math.min(der.length, 2 + n + len));
}

/** One bounded step; a failure becomes a ConnectError that says which step and why. */
async function step<T>(o: AttemptOptions, what: string, p: Promise<T>, engine: CertificateManagerHandle): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ConnectError(`${o.deviceId}: no answer from ${o.settings.endpointUrl} within ${o.stepTimeoutMs} ms while ${what} (is it an OPC UA server?)`, 'transient')), o.stepTimeoutMs);
  });
  p.catch(() => undefined);
  try {
    return await Promise.race([p, timeout]);
  } catch (err) {
    if (err instanceof ConnectError) throw err;
    throw classify(o, what, err, engine);
  } finally {
    clearTimeout(timer);
  }
}

function classify(o: AttemptOptions, what: string, err: unknown, engine: CertificateManagerHandle): ConnectError {
  const text = err instanceof Error ? err.message : String(err);
  const where = o.settings.endpointUrl;
  const id = o.deviceId;
  if (/ECONNREFUSED/.test(text)) return new ConnectError(`${id}: ${where} refused the connection (nothing listens there)`, 'transient');
  if (/ENOTFOUND|EAI_AGAIN/.test(text)) return new ConnectError(`${id}: the host of ${where} is unknown (DNS lookup failed)`, 'transient');
  if (/EHOSTUNREACH|ENETUNREACH/.test(text)) return new ConnectError(`${id}: ${where} is unreachable (no route to the host)`, 'transient');
  if (/ETIMEDOUT|timeout/i.test(text)) return new ConnectError(`${id}: no answer from ${where} while ${what}: ${firstLine(text)}`, 'transient');
  const identity = IDENTITY_REFUSED.exec(text);
  if (identity && what === 'creating a session') {
    const user = o.settings.user;
    const who = user.type === 'username' ? `user "${user.username}"` : user.type === 'certificate' ? 'the user certificate' : 'anonymous login';
    return new ConnectError(`${id}: the server refused ${who} (${identity[0]}): check the user name and password; retrying only once a minute or after the configuration is loaded again`, 'identity');
  }
  const ours = OUR_CERTIFICATE_REFUSED.exec(text);
  if (ours && what !== 'creating a session') {
    let thumbprint = 'unknown';
    try {
      thumbprint = certificateInfo(readFileSync(engine.certificateFile)).thumbprint;
    } catch {
      // The message still says what to do.
    }
    return new ConnectError(
      `${id}: the server refused this gateway's certificate (${ours[0]}): trust it on the server (thumbprint ${thumbprint}, PEM in ${engine.certificateFile})`,
      'configuration',
    );
  }
  if (/BadTcp|Invalid message header|unexpected message|socket has been disconnected|closed by the other end|premature|BadProtocolVersion|HEL|ACK/i.test(text)) {
    return new ConnectError(`${id}: ${where} does not speak OPC UA (the server broke off while ${what}: ${firstLine(text)})`, 'transient');
  }
  return new ConnectError(`${id}: ${what} failed: ${firstLine(text)}`, 'transient');
}

function firstLine(s: string): string {
  const line = s.split('\n')[0] ?? s;
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

async function bounded<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
