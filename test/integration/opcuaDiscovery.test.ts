/**
 * `bifrost/discover` of OPC UA servers through the built gateway: two node-opcua servers on
 * 127.0.0.1 are found on their ports (a closed port beside them finds nothing) with what they say
 * of themselves and every endpoint; a cancelled scan leaves no secure channel open on a server;
 * bad targets and ports get clear errors.
 */
import { strict as assert } from 'node:assert';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import { MessageSecurityMode, SecurityPolicy } from 'node-opcua-client';
import type { DiscoveredNotification, DiscoverResult, DiscoveryProgressNotification, OpcUaDiscoveredItem } from '../../gateway/protocol';
import type { GatewayProcess } from '../../tools/gatewayClient';
import { freePort, rpcError, startGateway, waitFor } from './harness';
import { OpcUaPeer } from './opcuaDriverPeer';

const BASIC256SHA256 = 'http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256';
const NONE = 'http://opcfoundation.org/UA/SecurityPolicy#None';

describe('bifrost/discover (OPC UA)', function () {
  this.timeout(60_000);
  let gw: GatewayProcess;
  const found: DiscoveredNotification[] = [];
  const progress: DiscoveryProgressNotification[] = [];

  before(async () => {
    gw = await startGateway();
    gw.connection.onNotification('bifrost/discovered', (n: DiscoveredNotification) => void found.push(n));
    gw.connection.onNotification('bifrost/discoveryProgress', (n: DiscoveryProgressNotification) => void progress.push(n));
  });
  after(async () => gw?.close());

  const items = (id: string): OpcUaDiscoveredItem[] =>
    found
      .filter((n) => n.discoveryId === id)
      .flatMap((n) => n.items)
      .filter((i): i is OpcUaDiscoveredItem => i.protocol === 'opcua');

  describe('two servers on loopback', () => {
    let open: OpcUaPeer;
    let signOnly: OpcUaPeer;
    let closed: number;

    before(async () => {
      open = await new OpcUaPeer({ serverInfo: { applicationUri: 'urn:test:open', applicationName: 'Open Server', productUri: 'urn:test:product:open' } }).start();
      signOnly = await new OpcUaPeer({
        serverInfo: { applicationUri: 'urn:test:signed', applicationName: 'Signed Server', productUri: 'urn:test:product:signed' },
        securityModes: [MessageSecurityMode.Sign],
        securityPolicies: [SecurityPolicy.Basic256Sha256],
        allowAnonymous: false,
      }).start();
      closed = await freePort();
    });
    after(async () => {
      await open?.stop();
      await signOnly?.stop();
    });

    it('finds exactly the two servers, each with its endpoints, modes, policies and token types', async () => {
      const result = await gw.connection.sendRequest<DiscoverResult>('bifrost/discover', {
        discoveryId: 'ua-1',
        opcua: { targets: ['127.0.0.1'], ports: [open.port, signOnly.port, closed], timeoutMs: 3000 },
      });
      const got = items('ua-1').sort((a, b) => a.port - b.port);
      const peers = [open, signOnly].sort((a, b) => a.port - b.port);
      assert.deepEqual(
        got.map((i) => i.endpointUrl),
        peers.map((p) => p.endpointUrl),
      );
      assert.deepEqual({ found: result.found, probed: result.probed, hosts: result.hosts, probes: result.probes, cancelled: result.cancelled }, { found: 2, probed: 3, hosts: 1, probes: 3, cancelled: false });
      assert.deepEqual(progress.filter((p) => p.discoveryId === 'ua-1').at(-1), { discoveryId: 'ua-1', done: 3, total: 3 });

      const a = got.find((i) => i.port === open.port)!;
      const b = got.find((i) => i.port === signOnly.port)!;
      assert.deepEqual(
        { protocol: a.protocol, host: a.host, evidence: a.evidence, applicationName: a.applicationName, applicationUri: a.applicationUri, productUri: a.productUri, applicationType: a.applicationType },
        { protocol: 'opcua', host: '127.0.0.1', evidence: 'opcua-endpoints', applicationName: 'Open Server', applicationUri: 'urn:test:open', productUri: 'urn:test:product:open', applicationType: 'Server' },
      );
      assert.deepEqual([b.applicationName, b.applicationUri, b.productUri], ['Signed Server', 'urn:test:signed', 'urn:test:product:signed']);

      const shape = (i: OpcUaDiscoveredItem) =>
        i.endpoints.map((e) => `${e.securityMode}/${e.securityPolicy}/${e.securityPolicyUri}/${[...e.userTokenTypes].sort().join('+')}`).sort();
      assert.deepEqual(shape(a), [`None/None/${NONE}/anonymous+certificate+username`, `SignAndEncrypt/Basic256Sha256/${BASIC256SHA256}/anonymous+certificate+username`]);
      assert.deepEqual(shape(b), [`Sign/Basic256Sha256/${BASIC256SHA256}/certificate+username`]);
      for (const [item, peer] of [
        [a, open],
        [b, signOnly],
      ] as const) {
        const thumbprint = await peer.thumbprint();
        for (const e of item.endpoints) {
          assert.equal(e.endpointUrl, peer.endpointUrl);
          assert.ok(Number.isInteger(e.securityLevel));
          assert.equal(e.serverCertificateThumbprint, thumbprint, `${e.securityMode} endpoint of ${peer.endpointUrl}`);
        }
      }
      const secure = a.endpoints.find((e) => e.securityMode === 'SignAndEncrypt')!;
      assert.ok(secure.securityLevel > a.endpoints.find((e) => e.securityMode === 'None')!.securityLevel, 'the server ranks its secure endpoint higher');
      await waitFor('no channel left open on either server', () => open.channels === 0 && signOnly.channels === 0, 3000);
    });

    it('takes endpoint URLs as given, reports a server found twice once, and finds nothing at a closed port without an error', async () => {
      const result = await gw.connection.sendRequest<DiscoverResult>('bifrost/discover', {
        discoveryId: 'ua-urls',
        opcua: { targets: [open.endpointUrl, `opc.tcp://127.0.0.1:${closed}/UA/Test`, '127.0.0.1'], ports: [open.port], timeoutMs: 3000 },
      });
      assert.deepEqual(
        items('ua-urls').map((i) => i.endpointUrl),
        [open.endpointUrl],
      );
      assert.deepEqual({ found: result.found, probed: result.probed, hosts: result.hosts, probes: result.probes }, { found: 1, probed: 3, hosts: 1, probes: 3 });

      const none = await gw.connection.sendRequest<DiscoverResult>('bifrost/discover', { discoveryId: 'ua-closed', opcua: { targets: [`opc.tcp://127.0.0.1:${closed}`], timeoutMs: 1000 } });
      assert.deepEqual({ found: none.found, probed: none.probed, cancelled: none.cancelled }, { found: 0, probed: 1, cancelled: false });
      assert.equal(items('ua-closed').length, 0);
    });
  });

  it('a cancelled scan answers within a fraction of a second and leaves no channel open on the server', async () => {
    const slow = await new OpcUaPeer({ discoveryDelayMs: 30_000 }).start();
    try {
      const source = new CancellationTokenSource();
      const pending = gw.connection.sendRequest<DiscoverResult>('bifrost/discover', { discoveryId: 'ua-slow', opcua: { targets: [slow.endpointUrl], timeoutMs: 30_000 } }, source.token);
      await waitFor('a discovery channel open on the server', () => slow.channels > 0, 15_000);
      const cancelledAt = performance.now();
      source.cancel();
      const result = await pending;
      const took = performance.now() - cancelledAt;
      assert.ok(took < 1000, `answered ${Math.round(took)} ms after the cancellation`);
      assert.deepEqual({ cancelled: result.cancelled, found: result.found }, { cancelled: true, found: 0 });
      await waitFor('every channel closed', () => slow.channels === 0, 2000);
    } finally {
      await slow.stop();
    }
  });

  it('a dry run counts OPC UA probes with the Modbus ones, a host of both once', async () => {
    const result = await gw.connection.sendRequest<DiscoverResult>('bifrost/discover', {
      dryRun: true,
      modbus: { targets: ['10.1.0.0/30'] },
      opcua: { targets: ['10.1.0.1-3', 'opc.tcp://plc-7.example:4841/UA', 'opc.tcp://plc-7.example:4841/UA'], ports: [4840, 4841] },
    });
    assert.deepEqual({ hosts: result.hosts, probes: result.probes, probed: result.probed }, { hosts: 4, probes: 2 + 3 * 2 + 1, probed: 0 });
  });

  it('refuses bad targets and ports, saying what is wrong', async () => {
    const cases: [unknown, RegExp][] = [
      [{ opcua: { targets: ['opc.tcp://'] } }, /targets\[0\] "opc\.tcp:\/\/".*opc\.tcp:\/\/host:port/],
      [{ opcua: { targets: ['http://127.0.0.1:4840'] } }, /targets\[0\].*starts with opc\.tcp:\/\//],
      [{ opcua: { targets: ['opc.tcp://127.0.0.1:70000/UA'] } }, /70000.*1 to 65535/],
      [{ opcua: { targets: ['opc.tcp://127.0.0.1:4840', '10.0.0.300'] } }, /targets\[1\] "10\.0\.0\.300"/],
      [{ opcua: { targets: ['127.0.0.1'], ports: [0] } }, /ports\[0\] is 0.*1 to 65535/],
      [{ opcua: { targets: ['127.0.0.1'], ports: [65_536] } }, /ports\[0\] is 65536/],
      [{ opcua: { targets: ['127.0.0.1'], ports: [] } }, /ports is empty.*\[4840\]/],
      [{ opcua: { targets: [] } }, /targets is empty/],
      [{ opcua: { targets: ['127.0.0.1'], concurrency: 0 } }, /opcua\.concurrency/],
      [{ opcua: { targets: ['127.0.0.1'], security: 'None' } }, /"opcua": unknown field "security"/],
      [{ opcua: ['127.0.0.1'] }, /"opcua" must be an object/],
    ];
    for (const [params, message] of cases) {
      const err = await rpcError(gw.connection.sendRequest('bifrost/discover', params));
      assert.equal(err.code, -32602, `${JSON.stringify(params)}: ${err.message}`);
      assert.match(err.message, message, JSON.stringify(params));
    }
    await gw.connection.sendRequest('bifrost/ping');
  });
});
