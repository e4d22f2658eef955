/**
 * The OPC UA server of the `opcua` benchmark, in a process of its own (dist/opcua-bench-server.js):
 * node-opcua's server on 127.0.0.1 only, no security, anonymous, with
 *   - `ns=1;s=Changing`: `--changing` Int32 variables `ns=1;s=C.<i>`, all set to the same
 *     generation number every `--change-ms` (so a client can tell a lost value by a gap), and
 *   - `ns=1;s=Browse`: `--browse` static Double variables `ns=1;s=B.<i>`, one folder to browse.
 * It prints `{"endpointUrl": …}` as one line on stdout once it listens, answers a line `sessions`
 * on stdin with `{"sessions": N}` (the sessions it holds), and stops on SIGTERM or when stdin
 * closes (the bench went away). Its certificate store is a temp folder, removed on exit.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { setDebugLogger, setErrorLogger, setTraceLogger, setWarningLogger } from 'node-opcua-debug';
import type { UAVariable } from 'node-opcua-address-space';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import { nodesets } from 'node-opcua-nodesets';
import { SecurityPolicy } from 'node-opcua-secure-channel';
import { OPCUAServer, RegisterServerMethod } from 'node-opcua-server';
import { MessageSecurityMode } from 'node-opcua-service-secure-channel';
import { DataType, Variant } from 'node-opcua-variant';

// stdout carries the one ready line: node-opcua's logs go to stderr, warnings and errors only.
const toStderr = (_context: unknown, ...args: unknown[]) => process.stderr.write(`opcua-bench-server: ${args.map(String).join(' ')}\n`);
setDebugLogger(() => undefined);
setTraceLogger(() => undefined);
setWarningLogger(toStderr);
setErrorLogger(toStderr);
console.log = (...args: unknown[]) => toStderr(null, ...args);

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    changing: { type: 'string', default: '10000' },
    browse: { type: 'string', default: '1000' },
    'change-ms': { type: 'string', default: '1000' },
    'max-per-call': { type: 'string', default: '1000' },
  },
});
const changing = Number(values.changing);
const browse = Number(values.browse);
const changeMs = Number(values['change-ms']);
const maxPerCall = Number(values['max-per-call']);

/** The standard nodeset as node-opcua's compact image: beside the bundle in dist/, or in its package. */
function standardNodeset(): string {
  const bundled = path.join(__dirname, 'nodesets', 'Opc.Ua.NodeSet2.ndjson.gz');
  return existsSync(bundled) ? bundled : nodesets.standard;
}

async function main(): Promise<void> {
  const pki = mkdtempSync(path.join(os.tmpdir(), 'bifrost-bench-opcua-server-'));
  const server = new OPCUAServer({
    host: '127.0.0.1',
    hostname: '127.0.0.1',
    port: Number(values.port),
    nodeset_filename: [standardNodeset()],
    serverCertificateManager: new OPCUACertificateManager({ rootFolder: path.join(pki, 'server'), automaticallyAcceptUnknownCertificate: false, disableFileWatchers: true }),
    userCertificateManager: new OPCUACertificateManager({ rootFolder: path.join(pki, 'users'), automaticallyAcceptUnknownCertificate: false, disableFileWatchers: true }),
    registerServerMethod: RegisterServerMethod.HIDDEN,
    securityModes: [MessageSecurityMode.None],
    securityPolicies: [SecurityPolicy.None],
    allowAnonymous: true,
    serverCapabilities: {
      maxSessions: 20,
      // As a Siemens S7-1500 answers: both clients must chunk their calls.
      operationLimits: { maxMonitoredItemsPerCall: maxPerCall, maxNodesPerRead: 1000, maxNodesPerBrowse: 1000 },
    },
  });
  let timer: NodeJS.Timeout | null = null;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    if (timer) clearInterval(timer);
    await server.shutdown(0).catch(() => undefined);
    rmSync(pki, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.stdin.on('end', () => void stop());
  process.stdin.on('error', () => void stop());
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() === 'sessions') process.stdout.write(`${JSON.stringify({ sessions: server.currentSessionCount })}\n`);
  });

  await server.initialize();
  const addressSpace = server.engine.addressSpace;
  if (!addressSpace) throw new Error('the server has no address space');
  const ns = addressSpace.getOwnNamespace();
  const objects = addressSpace.rootFolder.objects;
  const changingFolder = ns.addFolder(objects, { browseName: 'Changing', nodeId: 's=Changing' });
  const variables: UAVariable[] = [];
  for (let i = 0; i < changing; i++) {
    variables.push(
      ns.addVariable({
        organizedBy: changingFolder,
        browseName: `C.${i}`,
        nodeId: `s=C.${i}`,
        dataType: 'Int32',
        // 0: a client asking for sampling interval 0 gets every change, without a sampling timer per item.
        minimumSamplingInterval: 0,
        value: new Variant({ dataType: DataType.Int32, value: 0 }),
      }),
    );
  }
  const browseFolder = ns.addFolder(objects, { browseName: 'Browse', nodeId: 's=Browse' });
  for (let i = 0; i < browse; i++) {
    ns.addVariable({ organizedBy: browseFolder, browseName: `B.${i}`, nodeId: `s=B.${i}`, dataType: 'Double', value: new Variant({ dataType: DataType.Double, value: i / 10 }) });
  }
  let generation = 0;
  timer = setInterval(() => {
    generation++;
    for (const v of variables) v.setValueFromSource({ dataType: DataType.Int32, value: generation });
  }, changeMs);
  await server.start();
  const port = server.endpoints[0]?.port;
  process.stdout.write(`${JSON.stringify({ endpointUrl: `opc.tcp://127.0.0.1:${port}` })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`opcua-bench-server: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
