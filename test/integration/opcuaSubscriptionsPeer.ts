/**
 * The OPC UA peer of the subscription tests: node-opcua's server on 127.0.0.1 and a port of our
 * choosing (so it can be restarted on the same one), with a few variables the tests change, a
 * bulk of static ones, and handles on the server's own subscription objects.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import {
  DataType,
  MessageSecurityMode,
  OPCUAClient,
  SecurityPolicy,
  Variant,
  VariableIds,
  type ClientSession,
} from 'node-opcua-client';
import { nodesets } from 'node-opcua-nodesets';
import { OPCUAServer, type ServerSession, type Subscription } from 'node-opcua-server';
import type { UAVariable } from 'node-opcua-address-space';

export const NS = 1;

export interface PeerOptions {
  port: number;
  /** The server's MaxMonitoredItemsPerCall (it refuses bigger calls with BadTooManyOperations). */
  maxMonitoredItemsPerCall: number;
  /** Static Int32 variables `ns=1;s=Bulk.<i>` holding i. */
  bulk?: number;
}

export class OpcUaPeer {
  private readonly variables = new Map<string, UAVariable>();
  private counter: NodeJS.Timeout | null = null;

  private constructor(
    readonly server: OPCUAServer,
    readonly endpointUrl: string,
    private readonly pkiFolder: string,
  ) {}

  static async start(options: PeerOptions): Promise<OpcUaPeer> {
    const pkiFolder = mkdtempSync(path.join(os.tmpdir(), 'bifrost-opcua-peer-'));
    const serverCertificateManager = new OPCUACertificateManager({ rootFolder: pkiFolder, automaticallyAcceptUnknownCertificate: false });
    const server = new OPCUAServer({
      host: '127.0.0.1',
      hostname: '127.0.0.1',
      port: options.port,
      nodeset_filename: [nodesets.standard],
      securityModes: [MessageSecurityMode.None],
      securityPolicies: [SecurityPolicy.None],
      allowAnonymous: true,
      maxConnectionsPerEndpoint: 50,
      serverCertificateManager,
      serverCapabilities: { maxSessions: 20, operationLimits: { maxMonitoredItemsPerCall: options.maxMonitoredItemsPerCall } },
    });
    await server.initialize();
    const peer = new OpcUaPeer(server, `opc.tcp://127.0.0.1:${options.port}`, pkiFolder);
    peer.build(options.bulk ?? 0);
    await server.start();
    return peer;
  }

  private build(bulk: number): void {
    const addressSpace = this.server.engine.addressSpace;
    if (!addressSpace) throw new Error('the server has no address space');
    const namespace = addressSpace.getOwnNamespace();
    const plant = namespace.addFolder(addressSpace.rootFolder.objects, { browseName: 'Plant' });
    const double = (name: string, value: number) => {
      const v = namespace.addVariable({ componentOf: plant, browseName: name, nodeId: `s=${name}`, dataType: 'Double', minimumSamplingInterval: 0, value: { dataType: DataType.Double, value } });
      this.variables.set(name, v);
    };
    double('Counter', 0);
    for (const name of ['Raw', 'RawPercent', 'Missing.Neighbour']) double(name, 0);
    for (const name of ['Level', 'LevelPercent']) {
      const v = namespace.addAnalogDataItem({
        componentOf: plant,
        browseName: name,
        nodeId: `s=${name}`,
        dataType: 'Double',
        minimumSamplingInterval: 0,
        engineeringUnitsRange: { low: 0, high: 100 },
        value: { dataType: DataType.Double, value: 0 },
      });
      this.variables.set(name, v as unknown as UAVariable);
    }
    for (let i = 0; i < bulk; i++) {
      namespace.addVariable({ componentOf: plant, browseName: `Bulk.${i}`, nodeId: `s=Bulk.${i}`, dataType: 'Int32', minimumSamplingInterval: 0, value: { dataType: DataType.Int32, value: i } });
    }
    let n = 0;
    this.counter = setInterval(() => this.set('Counter', ++n), 100);
  }

  set(name: string, value: number): void {
    const v = this.variables.get(name);
    if (!v) throw new Error(`no variable ${name}`);
    v.setValueFromSource({ dataType: DataType.Double, value });
  }

  /** What the server says in Server/ServerCapabilities/OperationLimits/MaxMonitoredItemsPerCall (0: "no limit"), while it still enforces its real one. */
  advertiseMaxMonitoredItemsPerCall(value: number): void {
    const node = this.server.engine.addressSpace?.findNode(VariableIds.Server_ServerCapabilities_OperationLimits_MaxMonitoredItemsPerCall) as UAVariable | null;
    if (!node) throw new Error('no OperationLimits node');
    node.bindVariable({ get: () => new Variant({ dataType: DataType.UInt32, value }) }, true);
  }

  /** The server's session behind a client session. */
  sessionOf(client: ClientSession): ServerSession {
    const id = client.sessionId.toString();
    const found = this.server.engine.getSessions().find((s) => s.nodeId.toString() === id);
    if (!found) throw new Error(`the server has no session ${id}`);
    return found;
  }

  subscriptionsOf(client: ClientSession): Subscription[] {
    const session = this.sessionOf(client);
    return session.publishEngine.subscriptions;
  }

  monitoredItemCount(client: ClientSession): number {
    return this.sessionOf(client).currentMonitoredItemCount;
  }

  /** Makes one subscription stop publishing (no data, no keep-alive) while it still exists: a server that hangs. */
  stall(subscription: Subscription): void {
    (subscription as unknown as { _stop_timer(): void })._stop_timer();
  }

  async stop(): Promise<void> {
    if (this.counter) clearInterval(this.counter);
    this.counter = null;
    await this.server.shutdown(0);
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.pkiFolder, { recursive: true, force: true });
  }
}

/** A bare node-opcua client and session, certificates in a temp folder of its own, bounded first connect. */
export async function openSession(endpointUrl: string, pkiFolder: string): Promise<{ client: OPCUAClient; session: ClientSession; close(): Promise<void> }> {
  const client = OPCUAClient.create({
    endpointMustExist: false,
    securityMode: MessageSecurityMode.None,
    securityPolicy: SecurityPolicy.None,
    connectionStrategy: { maxRetry: 2, initialDelay: 200, maxDelay: 500 },
    requestedSessionTimeout: 60_000,
    clientCertificateManager: new OPCUACertificateManager({ rootFolder: pkiFolder, automaticallyAcceptUnknownCertificate: false }),
  });
  await client.connect(endpointUrl);
  const session = await client.createSession();
  return {
    client,
    session,
    close: async () => {
      await session.close(true).catch(() => undefined);
      await client.disconnect();
    },
  };
}

export function tempFolder(): { folder: string; remove(): void } {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'bifrost-opcua-client-'));
  return { folder, remove: () => rmSync(folder, { recursive: true, force: true }) };
}
