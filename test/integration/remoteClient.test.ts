/**
 * The extension's RemoteClient against the built gateway's WebSocket listener: a right and a wrong
 * token, reconnecting after the gateway restarts on the same port, and certificate pins for wss
 * (a changed certificate is refused before a single byte of the request, token included, is sent).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import type { GatewayProcess } from '../../tools/gatewayClient';
import { RemoteClient, type RemoteState } from '../../extension/client/remoteClient';
import { addToken, freePort, selfSignedCert, startGateway, waitFor } from './harness';

const fast = { initialMs: 100, maxMs: 400 };

function fingerprintOf(certFile: string): string {
  return new X509Certificate(readFileSync(certFile)).fingerprint256;
}

async function stateOf(client: RemoteClient, kind: RemoteState['kind']): Promise<RemoteState> {
  return waitFor(`state ${kind} (now ${client.state.kind})`, () => client.state.kind === kind && client.state, 20_000);
}

describe('RemoteClient against a gateway on WebSocket', function () {
  let dir: string;
  let tokens: string;
  let writer: string;
  const gateways: GatewayProcess[] = [];
  const clients: RemoteClient[] = [];
  const track = (c: RemoteClient) => (clients.push(c), c);

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-remote-'));
    tokens = path.join(dir, 'tokens.json');
    writer = addToken(tokens, 'writer', 'read-write');
  });

  afterEach(async () => {
    clients.splice(0).forEach((c) => c.dispose());
    for (const gw of gateways.splice(0)) await gw.close();
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  async function gatewayOn(port: number, extra: string[] = []): Promise<GatewayProcess> {
    const gw = await startGateway(['--listen', `127.0.0.1:${port}`, '--tokens', tokens, ...extra]);
    gateways.push(gw);
    await waitFor('the listener', () => /listening on wss?:\/\//.test(gw.stderr()));
    return gw;
  }

  it('is connected only after the gateway answered, and requests go through', async () => {
    const port = await freePort();
    await gatewayOn(port);
    const client = track(new RemoteClient({ url: `ws://127.0.0.1:${port}/rpc`, token: writer, backoff: fast }));
    const seen: string[] = [];
    client.onDidChangeState((s) => seen.push(s.kind));
    client.start();
    const connected = await stateOf(client, 'connected');
    assert.equal(seen[0], 'connecting');
    assert.ok(connected.kind === 'connected' && connected.capabilities?.protocols['modbus-tcp'], 'capabilities from initialize');
    const list = await client.request<{ devices: unknown[] }>('bifrost/devices/list');
    assert.ok(Array.isArray(list.devices));
  });

  it('says a wrong token is refused, and does not retry it', async () => {
    const port = await freePort();
    await gatewayOn(port);
    const client = track(new RemoteClient({ url: `ws://127.0.0.1:${port}/rpc`, token: 'not-a-token', backoff: fast }));
    client.start();
    const refused = await stateOf(client, 'refused');
    assert.match(refused.kind === 'refused' ? refused.reason : '', /HTTP 401/);
    await assert.rejects(client.request('bifrost/devices/list'), /not connected \(token refused/);
  });

  it('is unreachable with a reason while the gateway is away, and reconnects when it is back', async () => {
    const port = await freePort();
    const gw = await gatewayOn(port);
    const client = track(new RemoteClient({ url: `ws://127.0.0.1:${port}/rpc`, token: writer, backoff: fast }));
    client.start();
    await stateOf(client, 'connected');
    await gw.close();
    gateways.splice(gateways.indexOf(gw), 1);
    const away = await stateOf(client, 'unreachable');
    assert.ok(away.kind === 'unreachable' && away.reason.length > 0);
    await waitFor('a failed retry', () => client.state.kind === 'unreachable' && /ECONNREFUSED/.test(client.state.reason) && client.state, 20_000);
    await gatewayOn(port);
    await stateOf(client, 'connected');
    assert.ok(Array.isArray((await client.request<{ devices: unknown[] }>('bifrost/devices/list')).devices));
  });

  describe('wss with a self-signed certificate', function () {
    before(function () {
      if (spawnSync('openssl', ['version']).status !== 0) {
        console.warn('      openssl is not installed: the TLS tests are skipped');
        this.skip();
      }
    });

    it('asks for trust first, then connects with the pin', async () => {
      const { cert, key } = selfSignedCert(dir, 'first');
      const port = await freePort();
      await gatewayOn(port, ['--tls-cert', cert, '--tls-key', key]);
      const client = track(new RemoteClient({ url: `wss://127.0.0.1:${port}/rpc`, token: writer, backoff: fast }));
      client.start();
      const untrusted = await stateOf(client, 'untrusted');
      assert.equal(untrusted.kind === 'untrusted' && untrusted.fingerprint, fingerprintOf(cert));
      client.stop();
      client.pin(fingerprintOf(cert));
      client.start();
      await stateOf(client, 'connected');
    });

    it('refuses a changed certificate before anything is sent on the socket', async () => {
      const pinned = selfSignedCert(dir, 'pinned');
      const other = selfSignedCert(dir, 'other');
      // A TLS server with another certificate that records every byte a client sends after the handshake.
      let received = 0;
      const server = tls.createServer({ cert: readFileSync(other.cert), key: readFileSync(other.key) }, (s) => s.on('data', (d: Buffer) => (received += d.length)));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const port = (server.address() as net.AddressInfo).port;
        const client = track(new RemoteClient({ url: `wss://127.0.0.1:${port}/rpc`, token: writer, pinnedFingerprint: fingerprintOf(pinned.cert), backoff: fast }));
        client.start();
        const changed = await stateOf(client, 'certificateChanged');
        assert.ok(changed.kind === 'certificateChanged');
        assert.equal(changed.presented, fingerprintOf(other.cert));
        assert.equal(changed.pinned, fingerprintOf(pinned.cert));
        assert.equal(received, 0, 'no request (and no token) reached the server');
        assert.equal(client.state.kind, 'certificateChanged', 'no retry on its own');
      } finally {
        await new Promise<void>((r) => server.close(() => r()));
      }
    });

    it('refuses the real gateway when its certificate changed after pinning', async () => {
      const first = selfSignedCert(dir, 'before');
      const next = selfSignedCert(dir, 'after');
      const port = await freePort();
      await gatewayOn(port, ['--tls-cert', next.cert, '--tls-key', next.key]);
      const client = track(new RemoteClient({ url: `wss://127.0.0.1:${port}/rpc`, token: writer, pinnedFingerprint: fingerprintOf(first.cert), backoff: fast }));
      client.start();
      await stateOf(client, 'certificateChanged');
    });
  });
});
