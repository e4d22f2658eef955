/**
 * The OPC UA driver, driving the built gateway against node-opcua's server on 127.0.0.1:
 * connecting, endpoints and security, certificates both ways, logins, browse, errors, and
 * sessions that end with the device.
 */
import { strict as assert } from 'node:assert';
import { rmSync } from 'node:fs';
import * as net from 'node:net';
import { MessageSecurityMode, SecurityPolicy } from 'node-opcua-client';
import type { BrowseResult, CertificatesListResult, SubscribeResult, TagReading, ValuesNotification, CertificateUntrustedNotification, DeviceListResult, DeviceStatusNotification, OpcUaDeviceConfig } from '../../gateway/protocol';
import type { GatewayProcess } from '../../tools/gatewayClient';
import { delay, freePort, startGateway, waitFor } from './harness';
import { OpcUaPeer, PEER_USER, tempPki } from './opcuaDriverPeer';

function device(id: string, endpointUrl: string, extra: Partial<OpcUaDeviceConfig> = {}): OpcUaDeviceConfig {
  return { id, protocol: 'opcua', endpointUrl, timeoutMs: 5000, ...extra };
}

async function statusOf(gw: GatewayProcess, id: string): Promise<{ status: string; lastError: string | null }> {
  const { devices } = await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list');
  const d = devices.find((x) => x.id === id);
  if (!d) throw new Error(`no device ${id}`);
  return { status: d.status, lastError: d.lastError };
}

function errorOf(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  return p.then(
    () => assert.fail('expected the request to fail'),
    (e: { code: number; message: string }) => e,
  );
}

describe('OPC UA driver: connecting, browse and sessions', function () {
  this.timeout(60_000);
  const peer = new OpcUaPeer({ manyVariables: 1500, maxReferencesPerBrowse: 1000 });
  const pki = tempPki();
  let gw: GatewayProcess;
  const statuses: DeviceStatusNotification[] = [];

  before(async () => {
    await peer.start();
    gw = await startGateway(['--pki', pki]);
    gw.connection.onNotification('bifrost/deviceStatus', (n: DeviceStatusNotification) => void statuses.push(n));
  });
  after(async () => {
    await gw?.close();
    await peer.stop();
    rmSync(pki, { recursive: true, force: true });
  });

  it('is connected only once the server answered, over the security it was asked for', async () => {
    await gw.connection.sendRequest('bifrost/config/load', { devices: [device('plc', peer.endpointUrl, { securityMode: 'None', securityPolicy: 'None' })] });
    await waitFor('plc connected', async () => (await statusOf(gw, 'plc')).status === 'connected', 30_000);
    const mine = statuses.filter((s) => s.id === 'plc').map((s) => s.status);
    assert.equal(mine[0], 'connecting', `statuses: ${mine.join(', ')}`);
    assert.ok(peer.sessions >= 1, `the server holds ${peer.sessions} sessions`);
    const { devices } = await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list');
    assert.match(devices[0]!.endpoint, /None\/None/);
  });

  it('tells clients to list again once the server described the configured tags: their types and whether they can be written', async () => {
    let changed = 0;
    const listener = gw.connection.onNotification('bifrost/devicesChanged', () => void changed++);
    try {
      const tags = [{ name: 'setpoint', nodeId: 'ns=1;s=Tank.Setpoint', access: 'readwrite' as const }];
      await gw.connection.sendRequest('bifrost/config/load', { devices: [device('described', peer.endpointUrl, { securityMode: 'None', securityPolicy: 'None', allowWrites: true, tags })] });
      const loaded = changed;
      await waitFor('the tag described', async () => {
        const { devices } = await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list');
        return devices.find((d) => d.id === 'described')?.tags[0]?.dataType === 'Int32';
      }, 30_000);
      await waitFor('a devicesChanged after the description', () => changed > loaded, 10_000);
      const { devices } = await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list');
      const tag = devices.find((d) => d.id === 'described')!.tags[0]!;
      assert.equal(tag.writable, true, JSON.stringify(tag));
      assert.equal(tag.writeSpec?.kind, 'integer');
    } finally {
      listener.dispose();
      await gw.connection.sendRequest('bifrost/config/load', { devices: [device('plc', peer.endpointUrl, { securityMode: 'None', securityPolicy: 'None' })] });
    }
  });

  it('keeps an idle session: nothing subscribed, the connection stays up', async () => {
    await waitFor('plc connected', async () => (await statusOf(gw, 'plc')).status === 'connected', 30_000);
    const activations = peer.activations;
    const from = statuses.length;
    // Beyond the 5 s the socket once allowed without traffic: keep-alives keep it busy.
    await delay(12_000);
    const changes = statuses.slice(from).filter((s) => s.id === 'plc');
    assert.deepEqual(changes.map((s) => `${s.status} ${s.lastError ?? ''}`), [], 'the idle device changed status');
    assert.equal(peer.activations, activations, 'the device logged in again');
  });

  it('browses the Objects folder by default, with folders, objects and ns prefixes', async () => {
    const top = await gw.connection.sendRequest<BrowseResult>('bifrost/browse', { deviceId: 'plc' });
    const plant = top.items.find((i) => i.name === '1:Plant');
    assert.ok(plant, `items: ${top.items.map((i) => i.name).join(', ')}`);
    assert.equal(plant.nodeClass, 'folder');
    assert.equal(plant.hasChildren, true);
    const server = top.items.find((i) => i.name === 'Server');
    assert.equal(server?.nodeClass, 'object');
    const tank = await gw.connection.sendRequest<BrowseResult>('bifrost/browse', { deviceId: 'plc', node: 'ns=1;s=Tank' });
    const level = tank.items.find((i) => i.name === '1:Level');
    assert.deepEqual([level?.nodeClass, level?.dataType, level?.ref, level?.writable], ['variable', 'Double', 'ns=1;s=Tank.Level', false]);
  });

  it('pages a folder of 1,500 variables from a server that answers 1,000 references at a time', async () => {
    const seen: string[] = [];
    let page = await gw.connection.sendRequest<BrowseResult>('bifrost/browse', { deviceId: 'plc', node: 'ns=1;s=Many', maxItems: 2000 });
    seen.push(...page.items.map((i) => i.name));
    assert.equal(page.continuation, undefined);
    assert.equal(seen.length, 1500);
    assert.equal(new Set(seen).size, 1500);
    assert.ok(page.items.every((i) => i.dataType === 'UInt16' && i.nodeClass === 'variable'));
    // Smaller pages: our own continuation carries the rest.
    const names: string[] = [];
    page = await gw.connection.sendRequest<BrowseResult>('bifrost/browse', { deviceId: 'plc', node: 'ns=1;s=Many', maxItems: 600 });
    names.push(...page.items.map((i) => i.name));
    while (page.continuation) {
      page = await gw.connection.sendRequest<BrowseResult>('bifrost/browse', { deviceId: 'plc', continuation: page.continuation, maxItems: 600 });
      names.push(...page.items.map((i) => i.name));
    }
    assert.deepEqual(names, seen);
  });

  it('a node that does not exist is named, with the status and what it means', async () => {
    const err = await errorOf(gw.connection.sendRequest('bifrost/browse', { deviceId: 'plc', node: 'ns=1;s=Nope' }));
    assert.equal(err.message, 'plc: ns=1;s=Nope: BadNodeIdUnknown (the node does not exist on the server)');
  });

  it('answers NotSupported for a Modbus device and WriteRefused for a call without allowWrites', async () => {
    const err = await errorOf(gw.connection.sendRequest('bifrost/call', { deviceId: 'plc', objectId: 'i=2253', methodId: 'i=11492', inputs: [] }));
    assert.equal(err.code, 1004);
    assert.match(err.message, /^plc: method calls are refused/);
  });

  it('closes the session when the device is removed', async () => {
    await gw.connection.sendRequest('bifrost/config/load', { devices: [] });
    await waitFor('no session on the server', () => peer.sessions === 0, 20_000);
    assert.equal(peer.sessions, 0);
  });

  it('an unreachable endpoint is an error that names it, and requests fail at once', async () => {
    const port = await freePort();
    await gw.connection.sendRequest('bifrost/config/load', { devices: [device('gone', `opc.tcp://127.0.0.1:${port}`)] });
    const s = await waitFor('gone in error', async () => {
      const st = await statusOf(gw, 'gone');
      return st.status === 'error' ? st : undefined;
    }, 30_000);
    assert.match(s.lastError ?? '', new RegExp(`^gone: opc.tcp://127.0.0.1:${port} refused the connection`));
    const err = await errorOf(gw.connection.sendRequest('bifrost/browse', { deviceId: 'gone' }));
    assert.equal(err.code, 1005);
    assert.match(err.message, /^gone: cannot browse: opc.tcp:\/\/127.0.0.1:\d+ refused the connection/);
  });

  it('a TCP server that is not OPC UA is a clear error, not a hang', async () => {
    const sockets: net.Socket[] = [];
    const junk = net.createServer((s) => {
      sockets.push(s);
      s.on('error', () => undefined);
      s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    });
    await new Promise<void>((r) => junk.listen(0, '127.0.0.1', r));
    try {
      const port = (junk.address() as net.AddressInfo).port;
      await gw.connection.sendRequest('bifrost/config/load', { devices: [device('junk', `opc.tcp://127.0.0.1:${port}`)] });
      const s = await waitFor('junk in error', async () => {
        const st = await statusOf(gw, 'junk');
        return st.status === 'error' ? st : undefined;
      }, 30_000);
      assert.match(s.lastError ?? '', /^junk: /);
      assert.doesNotMatch(s.lastError ?? '', /refused the connection/);
    } finally {
      await gw.connection.sendRequest('bifrost/config/load', { devices: [] });
      for (const s of sockets) s.destroy();
      await new Promise((r) => junk.close(r));
    }
  });
});

describe('OPC UA driver: security, certificates and logins', function () {
  this.timeout(90_000);
  const peer = new OpcUaPeer({ securityModes: [MessageSecurityMode.SignAndEncrypt], securityPolicies: [SecurityPolicy.Basic256Sha256], allowAnonymous: false });
  const pki = tempPki();
  let gw: GatewayProcess;
  const untrusted: CertificateUntrustedNotification[] = [];

  before(async () => {
    await peer.start();
    gw = await startGateway(['--pki', pki]);
    gw.connection.onNotification('bifrost/certificateUntrusted', (n: CertificateUntrustedNotification) => void untrusted.push(n));
  });
  after(async () => {
    await gw?.close();
    await peer.stop();
    rmSync(pki, { recursive: true, force: true });
  });

  it('lists offered pairs when the requested one is not', async () => {
    await gw.connection.sendRequest('bifrost/config/load', { devices: [device('plain', peer.endpointUrl, { securityMode: 'None', securityPolicy: 'None' })] });
    const s = await waitFor('plain in error', async () => {
      const st = await statusOf(gw, 'plain');
      return st.status === 'error' ? st : undefined;
    }, 30_000);
    assert.equal(s.lastError, 'plain: the endpoint does not offer security None/None; it offers SignAndEncrypt/Basic256Sha256');
  });

  it('refuses an unknown server certificate, tells the client, and connects once it is trusted', async () => {
    process.env['BIFROST_TEST_OPCUA_PASSWORD'] = PEER_USER.password;
    const user = { type: 'username' as const, username: PEER_USER.username, password: PEER_USER.password };
    await gw.connection.sendRequest('bifrost/config/load', { devices: [device('secure', peer.endpointUrl, { securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', user })] });
    const note = await waitFor('certificateUntrusted', () => untrusted.find((n) => n.deviceId === 'secure'), 30_000);
    const thumbprint = await peer.thumbprint();
    assert.equal(note.certificate.thumbprint, thumbprint);
    assert.equal(note.reason, 'unknown');
    const s = await statusOf(gw, 'secure');
    assert.equal(s.status, 'error');
    assert.match(s.lastError ?? '', new RegExp(`^secure: the server's certificate is not trusted .*thumbprint ${thumbprint}; trust it to connect$`));
    const list = await gw.connection.sendRequest<CertificatesListResult>('bifrost/certificates/list');
    assert.deepEqual(list.rejected.map((c) => c.thumbprint), [thumbprint]);
    assert.match(list.own.applicationUri ?? '', /^urn:.*:Bifrost$/);
    await gw.connection.sendRequest('bifrost/certificates/trust', { thumbprint: thumbprint.toUpperCase() });
    await waitFor('secure connected', async () => (await statusOf(gw, 'secure')).status === 'connected', 30_000);
    const after = await gw.connection.sendRequest<CertificatesListResult>('bifrost/certificates/list');
    assert.deepEqual([after.trusted.map((c) => c.thumbprint), after.rejected.length], [[thumbprint], 0]);
    assert.equal(untrusted.filter((n) => n.deviceId === 'secure').length, 1);
  });

  it('a wrong password is a clear error, without a storm of logins', async () => {
    const before = peer.logins;
    await gw.connection.sendRequest('bifrost/config/load', {
      devices: [device('wrong', peer.endpointUrl, { securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', user: { type: 'username', username: PEER_USER.username, password: 'nope' } })],
    });
    const s = await waitFor('wrong in error', async () => {
      const st = await statusOf(gw, 'wrong');
      return st.status === 'error' && /refused/.test(st.lastError ?? '') ? st : undefined;
    }, 30_000);
    assert.match(s.lastError ?? '', /^wrong: the server refused user "operator" \(Bad(UserAccessDenied|IdentityTokenRejected|IdentityTokenInvalid)\)/);
    await delay(4000);
    assert.ok(peer.logins - before <= 2, `${peer.logins - before} logins in a few seconds`);
  });

  it('an unset passwordEnv is a clear error and nothing is sent', async () => {
    delete process.env['BIFROST_TEST_UNSET_PASSWORD'];
    const before = peer.logins;
    await gw.connection.sendRequest('bifrost/config/load', {
      devices: [device('noenv', peer.endpointUrl, { user: { type: 'username', username: 'operator', passwordEnv: 'BIFROST_TEST_UNSET_PASSWORD' } })],
    });
    const s = await waitFor('noenv in error', async () => {
      const st = await statusOf(gw, 'noenv');
      return st.status === 'error' ? st : undefined;
    }, 30_000);
    assert.match(s.lastError ?? '', /^noenv: the environment variable BIFROST_TEST_UNSET_PASSWORD \(user.passwordEnv\) is not set/);
    assert.equal(peer.logins, before);
  });

  it('closes every session on shutdown', async () => {
    await gw.connection.sendRequest('bifrost/config/load', {
      devices: [device('secure', peer.endpointUrl, { securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', user: { type: 'username', username: PEER_USER.username, password: PEER_USER.password } })],
    });
    await waitFor('secure connected', async () => (await statusOf(gw, 'secure')).status === 'connected', 30_000);
    assert.ok(peer.sessions >= 1);
    await gw.close();
    await waitFor('no session on the server', () => peer.sessions === 0, 20_000);
    assert.equal(peer.sessions, 0);
  });
});

describe('OPC UA driver: the server refuses our certificate', function () {
  this.timeout(60_000);
  const peer = new OpcUaPeer({ securityModes: [MessageSecurityMode.SignAndEncrypt], securityPolicies: [SecurityPolicy.Basic256Sha256], acceptClients: false });
  const pki = tempPki();
  let gw: GatewayProcess;

  before(async () => {
    await peer.start();
    gw = await startGateway(['--pki', pki]);
  });
  after(async () => {
    await gw?.close();
    await peer.stop();
    rmSync(pki, { recursive: true, force: true });
  });

  it('says so and names our certificate', async () => {
    const untrusted: CertificateUntrustedNotification[] = [];
    gw.connection.onNotification('bifrost/certificateUntrusted', (n: CertificateUntrustedNotification) => void untrusted.push(n));
    await gw.connection.sendRequest('bifrost/config/load', { devices: [device('refused', peer.endpointUrl)] });
    const note = await waitFor('certificateUntrusted', () => untrusted[0], 30_000);
    await gw.connection.sendRequest('bifrost/certificates/trust', { thumbprint: note.certificate.thumbprint });
    const own = (await gw.connection.sendRequest<CertificatesListResult>('bifrost/certificates/list')).own;
    const s = await waitFor('refused by the server', async () => {
      const st = await statusOf(gw, 'refused');
      return /refused this gateway's certificate/.test(st.lastError ?? '') ? st : undefined;
    }, 30_000);
    assert.match(s.lastError ?? '', new RegExp(`^refused: the server refused this gateway's certificate \\(Bad\\w+\\): trust it on the server \\(thumbprint ${own.thumbprint}, PEM in .*client_certificate.pem\\)$`));
  });
});

describe('OPC UA driver: loaded only when needed', function () {
  this.timeout(60_000);
  const pki = tempPki();
  after(() => rmSync(pki, { recursive: true, force: true }));

  it('a gateway without OPC UA devices never loads the OPC UA bundle; the first device does', async () => {
    const gw = await startGateway(['--pki', pki, '--log-level', 'debug']);
    try {
      const port = await freePort();
      await gw.connection.sendRequest('bifrost/config/load', { devices: [{ id: 'm', protocol: 'modbus-tcp', host: '127.0.0.1', port }] });
      await gw.connection.sendRequest('bifrost/devices/list');
      assert.doesNotMatch(gw.stderr(), /OPC UA driver loaded/);
      await gw.connection.sendRequest('bifrost/config/load', { devices: [device('ua', `opc.tcp://127.0.0.1:${port}`)] });
      await waitFor('the bundle loaded', () => /OPC UA driver loaded in \d+ ms/.test(gw.stderr()), 20_000);
    } finally {
      await gw.close();
    }
  });
});

describe('OPC UA driver: a server that goes away and comes back', function () {
  this.timeout(120_000);
  const peer = new OpcUaPeer();
  const pki = tempPki();
  let gw: GatewayProcess;
  before(async () => {
    await peer.start();
    gw = await startGateway(['--pki', pki]);
  });
  after(async () => {
    await gw?.close();
    await peer.stop();
    rmSync(pki, { recursive: true, force: true });
  });

  it('turns the subscribed tags bad with the reason, reconnects and the values resume, one session, no gateway restart', async () => {
    const readings: TagReading[] = [];
    gw.connection.onNotification('bifrost/values', (n: ValuesNotification) => void readings.push(...n.items));
    const config = { devices: [device('plc', peer.endpointUrl, { securityMode: 'None', securityPolicy: 'None', tags: [{ name: 'counter', nodeId: 'ns=1;s=Tank.Counter' }] })] };
    await gw.connection.sendRequest('bifrost/config/load', config);
    await waitFor('plc connected', async () => (await statusOf(gw, 'plc')).status === 'connected', 30_000);
    await gw.connection.sendRequest<SubscribeResult>('bifrost/subscribe', { deviceId: 'plc', tags: ['counter'], intervalMs: 200 });
    await waitFor('live values', () => readings.filter((r) => r.quality === 'good').length >= 3, 20_000);
    const before = Math.max(...readings.filter((r) => r.quality === 'good').map((r) => r.value as number));

    const pid = gw.child.pid;
    const port = peer.port;
    const lostAt = readings.length;
    await peer.kill();
    await waitFor('the tag bad with a reason', () => readings.slice(lostAt).some((r) => r.quality === 'bad' && typeof r.error === 'string' && r.error.startsWith('plc: ')), 20_000);
    const lost = await statusOf(gw, 'plc');
    assert.equal(lost.status, 'error');
    assert.match(lost.lastError ?? '', /^plc: /);

    await delay(1500);
    await peer.start(port);
    const backAt = readings.length;
    await waitFor('values again', () => readings.slice(backAt).filter((r) => r.quality === 'good').length >= 3, 45_000);
    const after = readings.slice(backAt).filter((r) => r.quality === 'good').map((r) => r.value as number);
    assert.ok(after.every((v) => v > before), `values after the restart (${after.join(', ')}) are newer than before (${before})`);
    assert.equal((await statusOf(gw, 'plc')).status, 'connected');
    assert.equal(gw.child.pid, pid, 'the same gateway process');
    await delay(1000);
    assert.equal(peer.sessions, 1, 'one session on the restarted server');
  });
});

describe('OPC UA driver: sessions end with the gateway', function () {
  this.timeout(90_000);
  const peer = new OpcUaPeer();
  const pki = tempPki();
  before(() => peer.start());
  after(async () => {
    await peer.stop();
    rmSync(pki, { recursive: true, force: true });
  });

  for (const how of ['SIGTERM', 'stdin closing'] as const) {
    it(`closes the session on ${how}`, async () => {
      const gw = await startGateway(['--pki', pki]);
      try {
        await gw.connection.sendRequest('bifrost/config/load', { devices: [device('plc', peer.endpointUrl, { securityMode: 'None', securityPolicy: 'None' })] });
        await waitFor('plc connected', async () => (await statusOf(gw, 'plc')).status === 'connected', 30_000);
        assert.equal(peer.sessions, 1);
        const exited = new Promise<number | null>((r) => gw.child.once('exit', (code) => r(code)));
        if (how === 'SIGTERM') gw.child.kill('SIGTERM');
        else gw.child.stdin!.end();
        assert.equal(await exited, 0);
        await waitFor('no session on the server', () => peer.sessions === 0, 20_000);
      } finally {
        await gw.close();
      }
    });
  }

  it('added and removed 100 times, leaves no session behind', async () => {
    const gw = await startGateway(['--pki', pki]);
    try {
      const config = { devices: [device('plc', peer.endpointUrl, { securityMode: 'None', securityPolicy: 'None' })] };
      for (let i = 0; i < 100; i++) {
        await gw.connection.sendRequest('bifrost/config/load', config);
        await gw.connection.sendRequest('bifrost/config/load', { devices: [] });
      }
      await gw.connection.sendRequest('bifrost/config/load', config);
      await waitFor('plc connected', async () => (await statusOf(gw, 'plc')).status === 'connected', 30_000);
      await delay(2000);
      assert.equal(peer.sessions, 1);
      await gw.connection.sendRequest('bifrost/config/load', { devices: [] });
      await waitFor('no session on the server', () => peer.sessions === 0, 20_000);
    } finally {
      await gw.close();
    }
  });
});
