/**
 * The peer of the `opcua` benchmark: a bare node-opcua client doing the same work as the gateway,
 * in a process of its own (dist/opcua-bench-client.js, forked with an IPC channel), so that the
 * bench reads its CPU and RSS from /proc as it does the gateway's. It only receives values and
 * counts them: it delivers them nowhere.
 *
 *   node opcua-bench-client.js ENDPOINT_URL
 * Messages in: BareCommand; out: BareReport (see opcuaBareProtocol.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setDebugLogger, setErrorLogger, setTraceLogger, setWarningLogger } from 'node-opcua-debug';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import {
  AttributeIds,
  BrowseDirection,
  MessageSecurityMode,
  NodeClass,
  OPCUAClient,
  SecurityPolicy,
  TimestampsToReturn,
  VariableIds,
  type BrowseDescriptionOptions,
  type ClientSession,
  type ClientSubscription,
  type DataValue,
  type ReferenceDescription,
} from 'node-opcua-client';
import { GenerationCounter } from './generationCounter';
import type { BareCommand, BareReport } from './opcuaBareProtocol';

const toStderr = (_context: unknown, ...args: unknown[]) => process.stderr.write(`opcua-bench-client: ${args.map(String).join(' ')}\n`);
setDebugLogger(() => undefined);
setTraceLogger(() => undefined);
setWarningLogger(toStderr);
setErrorLogger(toStderr);

const send = (report: BareReport) => process.send!(report);

async function main(): Promise<void> {
  const endpointUrl = process.argv[2]!;
  const pki = mkdtempSync(path.join(os.tmpdir(), 'bifrost-bench-opcua-client-'));
  const client = OPCUAClient.create({
    endpointMustExist: false,
    securityMode: MessageSecurityMode.None,
    securityPolicy: SecurityPolicy.None,
    connectionStrategy: { maxRetry: 2, initialDelay: 200, maxDelay: 1000 },
    requestedSessionTimeout: 60_000,
    clientCertificateManager: new OPCUACertificateManager({ rootFolder: pki, automaticallyAcceptUnknownCertificate: false, disableFileWatchers: true }),
  });
  await client.connect(endpointUrl);
  const session = await client.createSession();
  const limits = await readLimits(session);
  let subscription: ClientSubscription | null = null;
  let values = new GenerationCounter(0);

  const stop = async () => {
    await subscription?.terminate().catch(() => undefined);
    await session.close(true).catch(() => undefined);
    await client.disconnect().catch(() => undefined);
    rmSync(pki, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('disconnect', () => void stop());
  process.on('message', (msg: BareCommand) => {
    void (async () => {
      try {
        if (msg.type === 'subscribe') {
          const t0 = performance.now();
          subscription = await session.createSubscription2({
            requestedPublishingInterval: msg.publishingIntervalMs,
            requestedMaxKeepAliveCount: 10,
            requestedLifetimeCount: 60,
            maxNotificationsPerPublish: 0,
            publishingEnabled: true,
            priority: 1,
          });
          let allSeen: () => void = () => undefined;
          const firstValues = new Promise<void>((resolve) => (allSeen = resolve));
          values = new GenerationCounter(msg.nodeIds.length, () => allSeen());
          // monitorItems sends everything in one request: chunks of the server's MaxMonitoredItemsPerCall.
          for (let start = 0; start < msg.nodeIds.length; start += limits.maxMonitoredItemsPerCall) {
            const chunk = msg.nodeIds.slice(start, start + limits.maxMonitoredItemsPerCall);
            const group = await subscription.monitorItems(
              chunk.map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value })),
              { samplingInterval: msg.samplingIntervalMs, queueSize: msg.queueSize, discardOldest: true, filter: null },
              TimestampsToReturn.Both,
            );
            const offset = start;
            group.on('changed', (_item, dv: DataValue, index: number) => {
              const good = dv.statusCode.isGood();
              values.add(offset + index, good, good ? (dv.value.value as number) : -1);
            });
          }
          await firstValues;
          send({ type: 'subscribed', firstValuesMs: performance.now() - t0, items: values.seen });
        } else if (msg.type === 'count') {
          if (msg.on) {
            values.startWindow();
          } else {
            values.measuring = false;
            send({ type: 'counted', values: values.values, lost: values.lost, bad: values.bad, silent: values.silent() });
          }
        } else if (msg.type === 'browse') {
          const t0 = performance.now();
          const items = await browseFolder(session, msg.node, msg.maxItems, limits, msg.withChildren);
          send({ type: 'browsed', ms: performance.now() - t0, items: items.count, variables: items.variables, withDataType: items.withDataType });
        } else if (msg.type === 'stop') {
          await stop();
        }
      } catch (err) {
        send({ type: 'error', message: err instanceof Error ? (err.message || String(err.stack)) : String(err) });
      }
    })();
  });
  send({ type: 'ready' });
}

interface Limits {
  maxMonitoredItemsPerCall: number;
  maxNodesPerRead: number;
  maxNodesPerBrowse: number;
}

async function readLimits(session: ClientSession): Promise<Limits> {
  const ids = [
    VariableIds.Server_ServerCapabilities_OperationLimits_MaxMonitoredItemsPerCall,
    VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead,
    VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerBrowse,
  ];
  const dvs = await session.read(ids.map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value })));
  const n = (i: number, fallback: number) => {
    const v: unknown = dvs[i]?.statusCode.isGood() ? dvs[i]!.value.value : 0;
    return typeof v === 'number' && v > 0 ? v : fallback;
  };
  return { maxMonitoredItemsPerCall: n(0, 1000), maxNodesPerRead: n(1, 1000), maxNodesPerBrowse: n(2, 500) };
}

const HIERARCHICAL = 'i=33';
const describe = (nodeId: BrowseDescriptionOptions['nodeId']): BrowseDescriptionOptions => ({
  nodeId,
  browseDirection: BrowseDirection.Forward,
  referenceTypeId: HIERARCHICAL,
  includeSubtypes: true,
  nodeClassMask: NodeClass.Object | NodeClass.Variable | NodeClass.Method,
  resultMask: 0x3f,
});

/**
 * Browse + BrowseNext of one node, then DataType and UserAccessLevel of every variable in reads
 * of MaxNodesPerRead, as the gateway reads them; `withChildren` adds the gateway's other step,
 * one browse of a single reference per item (hasChildren), in calls of MaxNodesPerBrowse.
 */
async function browseFolder(session: ClientSession, node: string, maxItems: number, limits: Limits, withChildren: boolean): Promise<{ count: number; variables: number; withDataType: number }> {
  const requestedBefore = session.requestedMaxReferencesPerNode;
  session.requestedMaxReferencesPerNode = maxItems;
  const refs: ReferenceDescription[] = [];
  const first = await session.browse(describe(node));
  refs.push(...(first.references ?? []));
  let point = first.continuationPoint;
  while (point && point.length > 0 && refs.length < maxItems) {
    const [next] = await session.browseNext([point], false);
    refs.push(...(next?.references ?? []));
    point = next?.continuationPoint;
  }
  const variables = refs.filter((r) => r.nodeClass === NodeClass.Variable);
  const reads = variables.flatMap((r) => [
    { nodeId: r.nodeId, attributeId: AttributeIds.DataType },
    { nodeId: r.nodeId, attributeId: AttributeIds.UserAccessLevel },
  ]);
  let withDataType = 0;
  for (let i = 0; i < reads.length; i += limits.maxNodesPerRead) {
    const dvs = await session.read(reads.slice(i, i + limits.maxNodesPerRead));
    dvs.forEach((dv, k) => {
      if ((i + k) % 2 === 0 && dv.statusCode.isGood()) withDataType++;
    });
  }
  if (withChildren) {
    session.requestedMaxReferencesPerNode = 1;
    const probes = refs.map((r) => describe(r.nodeId));
    const points: Buffer[] = [];
    for (let i = 0; i < probes.length; i += limits.maxNodesPerBrowse) {
      const results = await session.browse(probes.slice(i, i + limits.maxNodesPerBrowse));
      for (const r of results) if (r.continuationPoint && r.continuationPoint.length > 0) points.push(r.continuationPoint);
    }
    if (points.length > 0) await session.browseNext(points, true);
  }
  session.requestedMaxReferencesPerNode = requestedBefore;
  return { count: refs.length, variables: variables.length, withDataType };
}

main().catch((err: unknown) => {
  process.stderr.write(`opcua-bench-client: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
