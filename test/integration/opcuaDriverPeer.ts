/**
 * An OPC UA server for the driver's tests: node-opcua's OPCUAServer in the test process, on
 * 127.0.0.1 and a free port only, with the standard nodeset, a certificate store of its own in a
 * temp folder, a user "operator"/"secret", a folder of many variables, and counters of what
 * reached it (sessions activated, logins tried). Stop it in `after`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { nodesets } from 'node-opcua-nodesets';
import { DataType, MessageSecurityMode, SecurityPolicy, StatusCodes, Variant } from 'node-opcua-client';
import { OPCUAServer } from 'node-opcua-server';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import { freePort } from './harness';

export interface PeerOptions {
  securityModes?: MessageSecurityMode[];
  securityPolicies?: SecurityPolicy[];
  /** Default true: the server trusts every client certificate. False: it refuses ours. */
  acceptClients?: boolean;
  /** Variables in Objects/Many. */
  manyVariables?: number;
  /** References per Browse answer the server allows at most (the rest by continuation). */
  maxReferencesPerBrowse?: number;
  allowAnonymous?: boolean;
  /** The application the server says it is (FindServers, GetEndpoints). */
  serverInfo?: { applicationUri: string; applicationName: string; productUri: string };
  /** FindServers and GetEndpoints are answered this late: a server slow to describe itself. */
  discoveryDelayMs?: number;
  /** Connections the server takes at once (node-opcua's default: 10). */
  maxConnections?: number;
}

export const PEER_USER = { username: 'operator', password: 'secret' };

export class OpcUaPeer {
  server!: OPCUAServer;
  port = 0;
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-opcua-peer-'));
  /** Every login with a user name the server checked. */
  logins = 0;
  /** Sessions activated (any identity). */
  activations = 0;
  /** Discovery requests held back (discoveryDelayMs), cleared at stop. */
  private readonly held = new Set<NodeJS.Timeout>();

  constructor(private readonly options: PeerOptions = {}) {}

  get endpointUrl(): string {
    return `opc.tcp://127.0.0.1:${this.port}/UA/Test`;
  }

  get sessions(): number {
    return this.server.currentSessionCount;
  }

  /** On a free port, or on `port` (a restart on the same address). */
  async start(port?: number): Promise<this> {
    this.port = port ?? (await freePort());
    const o = this.options;
    const certificateManager = new OPCUACertificateManager({
      rootFolder: path.join(this.dir, 'pki'),
      automaticallyAcceptUnknownCertificate: o.acceptClients ?? true,
      disableFileWatchers: true,
    });
    this.server = new OPCUAServer({
      host: '127.0.0.1',
      port: this.port,
      hostname: '127.0.0.1',
      resourcePath: '/UA/Test',
      nodeset_filename: [nodesets.standard],
      serverCertificateManager: certificateManager,
      securityModes: o.securityModes ?? [MessageSecurityMode.None, MessageSecurityMode.SignAndEncrypt],
      securityPolicies: o.securityPolicies ?? [SecurityPolicy.None, SecurityPolicy.Basic256Sha256],
      allowAnonymous: o.allowAnonymous ?? true,
      userManager: {
        isValidUser: (username: string, password: string) => {
          this.logins++;
          return username === PEER_USER.username && password === PEER_USER.password;
        },
      },
      serverCapabilities: { maxSessions: 500 },
      ...(o.maxConnections ? { maxConnectionsPerEndpoint: o.maxConnections } : {}),
      ...(o.serverInfo ? { serverInfo: { ...o.serverInfo, applicationName: { text: o.serverInfo.applicationName } } } : {}),
    });
    await this.server.initialize();
    this.build();
    if (o.maxReferencesPerBrowse) this.capBrowse(o.maxReferencesPerBrowse);
    if (o.discoveryDelayMs) this.holdDiscovery(o.discoveryDelayMs);
    this.server.on('session_activated', () => this.activations++);
    await this.server.start();
    return this;
  }

  private build(): void {
    const addressSpace = this.server.engine.addressSpace!;
    const ns = addressSpace.getOwnNamespace();
    const plant = ns.addFolder(addressSpace.rootFolder.objects, { browseName: 'Plant', nodeId: 's=Plant' });
    const tank = ns.addObject({ organizedBy: plant, browseName: 'Tank', nodeId: 's=Tank' });
    ns.addVariable({
      componentOf: tank,
      browseName: 'Level',
      nodeId: 's=Tank.Level',
      dataType: 'Double',
      // What node-opcua sets (with a warning at every start) for a variable read through a getter.
      minimumSamplingInterval: 1000,
      value: { get: () => new Variant({ dataType: DataType.Double, value: 42.5 }) },
    });
    ns.addVariable({
      componentOf: tank,
      browseName: 'Setpoint',
      nodeId: 's=Tank.Setpoint',
      dataType: 'Int32',
      accessLevel: 'CurrentRead | CurrentWrite',
      userAccessLevel: 'CurrentRead | CurrentWrite',
      value: new Variant({ dataType: DataType.Int32, value: 7 }),
    });
    // Changes ten times a second: values that must be seen to resume after a restart.
    ns.addVariable({
      componentOf: tank,
      browseName: 'Counter',
      nodeId: 's=Tank.Counter',
      dataType: 'Double',
      minimumSamplingInterval: 100,
      value: { get: () => new Variant({ dataType: DataType.Double, value: Math.floor(Date.now() / 100) }) },
    });
    const many = this.options.manyVariables ?? 0;
    if (many > 0) {
      const folder = ns.addFolder(addressSpace.rootFolder.objects, { browseName: 'Many', nodeId: 's=Many' });
      for (let i = 0; i < many; i++) {
        ns.addVariable({ organizedBy: folder, browseName: `V${String(i).padStart(4, '0')}`, nodeId: `s=Many.V${i}`, dataType: 'UInt16', value: new Variant({ dataType: DataType.UInt16, value: i }) });
      }
    }
  }

  /**
   * An Int32 variable `ns=1;s=Probe.<name>` whose value the test holds: what `set` (or, when
   * `writable`, a client's write) put there is what the server reads and samples. Tests that must
   * tell a fresh value from a stale or wrong one use it. Call after `start`.
   */
  probe(name: string, writable = false): { nodeId: string; get(): number; set(value: number): void } {
    const addressSpace = this.server.engine.addressSpace!;
    const ns = addressSpace.getOwnNamespace();
    const folder = addressSpace.findNode('ns=1;s=Probes') ?? ns.addFolder(addressSpace.rootFolder.objects, { browseName: 'Probes', nodeId: 's=Probes' });
    let held = 0;
    const access = writable ? 'CurrentRead | CurrentWrite' : 'CurrentRead';
    ns.addVariable({
      organizedBy: folder,
      browseName: name,
      nodeId: `s=Probe.${name}`,
      dataType: 'Int32',
      accessLevel: access,
      userAccessLevel: access,
      minimumSamplingInterval: 50,
      value: {
        get: () => new Variant({ dataType: DataType.Int32, value: held }),
        set: (v: Variant) => {
          held = v.value as number;
          return StatusCodes.Good;
        },
      },
    });
    return { nodeId: `ns=1;s=Probe.${name}`, get: () => held, set: (value) => void (held = value) };
  }

  /** The names of the sessions open on the server (node-opcua clients name them after the client, plus a counter). */
  sessionNames(): string[] {
    const engine = this.server.engine as unknown as { _sessions: Record<string, { sessionName?: string }> };
    return Object.values(engine._sessions).map((s) => s.sessionName ?? '');
  }

  /** Servers cap references per answer (many PLCs at 1,000): this one does too. */
  private capBrowse(max: number): void {
    const server = this.server as unknown as { _on_BrowseRequest(message: { request: { requestedMaxReferencesPerNode: number } }, channel: unknown): void };
    const original = server._on_BrowseRequest.bind(server);
    server._on_BrowseRequest = (message, channel) => {
      const r = message.request;
      r.requestedMaxReferencesPerNode = r.requestedMaxReferencesPerNode > 0 ? Math.min(r.requestedMaxReferencesPerNode, max) : max;
      original(message, channel);
    };
  }

  /** Secure channels open on the server (discovery uses them without sessions). */
  get channels(): number {
    return this.server.currentChannelCount;
  }

  private holdDiscovery(ms: number): void {
    const server = this.server as unknown as Record<'_on_FindServersRequest' | '_on_GetEndpointsRequest', (message: unknown, channel: unknown) => void>;
    for (const name of ['_on_FindServersRequest', '_on_GetEndpointsRequest'] as const) {
      const original = server[name].bind(server);
      server[name] = (message, channel) => {
        const timer = setTimeout(() => {
          this.held.delete(timer);
          original(message, channel);
        }, ms);
        this.held.add(timer);
      };
    }
  }

  /** The server's own certificate, SHA-1 thumbprint in hex. */
  async thumbprint(): Promise<string> {
    const { createHash } = await import('node:crypto');
    const der = this.server.getCertificate();
    return createHash('sha1').update(der).digest('hex');
  }

  /** Trusts a client certificate (DER) in the server's store. */
  async trustClient(der: Buffer): Promise<void> {
    await this.server.serverCertificateManager.trustCertificate(der);
  }

  /** Gone as a server that crashed or lost power would be; `start(port)` brings it back. */
  async kill(): Promise<void> {
    await this.server.shutdown(0);
  }

  async stop(): Promise<void> {
    for (const timer of this.held) clearTimeout(timer);
    try {
      await this.server?.shutdown(0);
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/** A fresh, empty folder for the gateway's certificate store; remove it in `after`. */
export function tempPki(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'bifrost-pki-'));
}
