/**
 * `bifrost/discover` through the built gateway: simulators on several loopback addresses
 * (127.0.0.0/8 all reaches this machine), ports and unit ids are found exactly, with what they
 * say of themselves; a cancelled scan answers at once and leaves no connection open; bad
 * parameters get clear errors.
 */
import { strict as assert } from 'node:assert';
import * as net from 'node:net';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import type { DiscoveredNotification, ModbusDiscoveredItem, DiscoverResult, DiscoveryProgressNotification } from '../../gateway/protocol';
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';
import type { GatewayProcess } from '../../tools/gatewayClient';
import { delay, freePort, rpcError, startGateway, waitFor } from './harness';

const IDENTITY_A = { vendorName: 'Acme Controls', productCode: 'AC-500', revision: '2.1.0' };
const IDENTITY_B = { vendorName: 'Nordic Drives', productCode: 'ND-7', revision: '0.9', productName: 'ND-7 Inverter' };

/** A TCP server that accepts and never answers: a device that hangs. */
class SilentServer {
  readonly sockets = new Set<net.Socket>();
  private server: net.Server | null = null;

  async start(host: string, port: number): Promise<void> {
    const server = net.createServer((s) => {
      this.sockets.add(s);
      s.resume(); // reads (and drops) what comes, so that it sees the other side close
      s.on('error', () => undefined);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, () => resolve()));
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

describe('bifrost/discover (Modbus TCP)', function () {
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
  beforeEach(() => {
    found.length = 0;
    progress.length = 0;
  });

  const items = (id: string): ModbusDiscoveredItem[] =>
    found
      .filter((n) => n.discoveryId === id)
      .flatMap((n) => n.items)
      .filter((i): i is ModbusDiscoveredItem => i.protocol === 'modbus-tcp');
  const key = (i: ModbusDiscoveredItem) => `${i.host}:${i.port}/${i.unitId}`;

  describe('on a loopback range', () => {
    const sims: ModbusTcpSimulator[] = [];
    let port: number;
    let otherPort: number;

    before(async () => {
      port = await freePort();
      otherPort = await freePort();
      const start = async (sim: ModbusTcpSimulator) => {
        sims.push(sim);
        await sim.start();
      };
      await start(new ModbusTcpSimulator({ host: '127.0.0.2', port, unitIds: [1], identity: IDENTITY_A }));
      await start(new ModbusTcpSimulator({ host: '127.0.0.3', port, unitIds: [1] }));
      await start(new ModbusTcpSimulator({ host: '127.0.0.5', port: otherPort, unitIds: [255], identity: IDENTITY_B }));
    });
    after(async () => {
      for (const sim of sims) await sim.stop();
    });

    it('finds exactly the devices listening, at their unit ids, with their identity, and reports progress to the end', async () => {
      const result = await gw.connection.sendRequest<DiscoverResult>('bifrost/discover', {
        discoveryId: 'scan-1',
        modbus: { targets: ['127.0.0.1-8'], ports: [port, otherPort], unitIds: [1, 7, 255], timeoutMs: 400 },
      });
      const got = items('scan-1');
      assert.deepEqual(got.map(key).sort(), [`127.0.0.2:${port}/1`, `127.0.0.3:${port}/1`, `127.0.0.5:${otherPort}/255`]);
      const a = got.find((i) => i.host === '127.0.0.2')!;
      assert.equal(a.evidence, 'device-identification');
      assert.deepEqual({ vendorName: a.identity?.vendorName, productCode: a.identity?.productCode, revision: a.identity?.revision }, IDENTITY_A);
      const b = got.find((i) => i.host === '127.0.0.5')!;
      assert.equal(b.identity?.productName, IDENTITY_B.productName);
      const plain = got.find((i) => i.host === '127.0.0.3')!;
      assert.equal(plain.identity, undefined, 'a device without identification has no identity');
      assert.notEqual(plain.evidence, 'device-identification');
      for (const i of got) assert.equal(i.protocol, 'modbus-tcp');

      assert.equal(result.discoveryId, 'scan-1');
      assert.equal(result.found, 3);
      assert.equal(result.probed, 16, '8 hosts × 2 ports');
      assert.equal(result.hosts, 8);
      assert.equal(result.probes, 16);
      assert.equal(result.cancelled, false);
      const last = progress.filter((p) => p.discoveryId === 'scan-1').at(-1);
      assert.deepEqual(last, { discoveryId: 'scan-1', done: 16, total: 16 });
    });

    it('makes up a discovery id when the client gives none, and names a host by its name', async () => {
      const result = await gw.connection.sendRequest<DiscoverResult>('bifrost/discover', { modbus: { targets: ['localhost', '127.0.0.2'], ports: [port], unitIds: [1], timeoutMs: 400 } });
      assert.ok(result.discoveryId.length > 0);
      assert.deepEqual(items(result.discoveryId).map(key), [`127.0.0.2:${port}/1`]);
    });

    it('a host name that does not resolve is an error of the scan: the other targets are scanned', async () => {
      const params = { modbus: { targets: ['no-such-plc.invalid', '127.0.0.2'], ports: [port], unitIds: [1], timeoutMs: 400 } };
      const dry = await gw.connection.sendRequest<DiscoverResult>('bifrost/discover', { ...params, dryRun: true });
      assert.equal(dry.hosts, 1);
      const result = await gw.connection.sendRequest<DiscoverResult>('bifrost/discover', params);
      assert.deepEqual(items(result.discoveryId).map(key), [`127.0.0.2:${port}/1`]);
      assert.deepEqual(result.errors?.map((e) => e.target), ['no-such-plc.invalid']);
      assert.match(result.errors![0]!.message, /^the name was not found/);
    });
  });

  it('a gateway without the units asked (exception 11) is a note on its port, not a device', async () => {
    const port = await freePort();
    const sim = new ModbusTcpSimulator({ host: '127.0.2.1', port });
    sim.fault = { exception: 11 };
    await sim.start();
    try {
      const result = await gw.connection.sendRequest<DiscoverResult>('bifrost/discover', { discoveryId: 'gw-11', modbus: { targets: ['127.0.2.1'], ports: [port], unitIds: [1, 2], timeoutMs: 400 } });
      assert.equal(result.found, 0);
      assert.deepEqual(result.notes?.map((n) => n.target), [`127.0.2.1:${port}`]);
      assert.match(result.notes![0]!.message, /^a Modbus gateway answered \(exception 10 or 11: no such unit behind it\) for every unit id asked; the port speaks Modbus/);
    } finally {
      await sim.stop();
    }
  });

  it('a cancelled scan answers within a fraction of a second, with what it had, and leaves no connection open', async () => {
    const port = await freePort();
    const silent: SilentServer[] = [];
    try {
      for (let i = 1; i <= 6; i++) {
        const s = new SilentServer();
        await s.start(`127.0.1.${i}`, port);
        silent.push(s);
      }
      const source = new CancellationTokenSource();
      const pending = gw.connection.sendRequest<DiscoverResult>('bifrost/discover', { discoveryId: 'slow', modbus: { targets: ['127.0.1.1-6'], ports: [port], timeoutMs: 30_000, concurrency: 2 } }, source.token);
      await waitFor('connections to the silent devices', () => silent.some((s) => s.sockets.size > 0));
      const cancelledAt = performance.now();
      source.cancel();
      const result = await pending;
      const took = performance.now() - cancelledAt;
      assert.ok(took < 1000, `answered ${Math.round(took)} ms after the cancellation`);
      assert.equal(result.cancelled, true);
      assert.ok(result.probed < 6, `probed ${result.probed} of 6 after a cancel`);
      assert.equal(result.found, 0);
      await waitFor('every connection closed', () => silent.every((s) => s.sockets.size === 0), 2000);
    } finally {
      for (const s of silent) await s.stop();
    }
  });

  it('tells progress of quick probes while a slow one still runs', async () => {
    const port = await freePort();
    const slow = new SilentServer();
    await slow.start('127.0.2.1', port);
    try {
      const source = new CancellationTokenSource();
      const pending = gw.connection.sendRequest<DiscoverResult>('bifrost/discover', { discoveryId: 'mixed', modbus: { targets: ['127.0.2.1-5'], ports: [port], timeoutMs: 30_000 } }, source.token);
      // Four closed ports are refused at once; the silent device holds the fifth for 30 s.
      await waitFor('progress of the four refused ports', () => progress.some((p) => p.discoveryId === 'mixed' && p.done === 4 && p.total === 5), 3000);
      source.cancel();
      assert.equal((await pending).cancelled, true);
    } finally {
      await slow.stop();
    }
  });

  it('a dry run says how many hosts and probes a scan would make, and probes nothing', async () => {
    const result = await gw.connection.sendRequest<DiscoverResult>('bifrost/discover', { discoveryId: 'dry', dryRun: true, modbus: { targets: ['10.1.0.0/22', '10.1.0.7'], ports: [502, 1502] } });
    assert.deepEqual({ hosts: result.hosts, probes: result.probes, found: result.found, probed: result.probed }, { hosts: 1022, probes: 2044, found: 0, probed: 0 });
    assert.equal(progress.filter((p) => p.discoveryId === 'dry').length, 0);
  });

  it('refuses what it cannot scan, saying why', async () => {
    const cases: [unknown, number, RegExp][] = [
      [{ modbus: { targets: ['10.0.0.300'] } }, -32602, /10\.0\.0\.300/],
      [{ modbus: { targets: ['10.0.0.0/33'] } }, -32602, /10\.0\.0\.0\/33/],
      [{ modbus: { targets: ['10.0.0.0/8'] } }, -32602, /65,?536|\/16/],
      [{ modbus: { targets: [] } }, -32602, /targets/],
      [{ modbus: { targets: ['127.0.0.1'], ports: [70000] } }, -32602, /70000/],
      [{ modbus: { targets: ['127.0.0.1'], timeoutMs: 0 } }, -32602, /timeoutMs/],
      [{ modbus: { targets: ['127.0.0.1'], colour: 'red' } }, -32602, /colour/],
      [{}, -32602, /nothing to discover/],
      [{ serial: { ports: [] } }, -32602, /serial\.ports/],
    ];
    for (const [params, code, message] of cases) {
      const err = await rpcError(gw.connection.sendRequest('bifrost/discover', params));
      assert.equal(err.code, code, `${JSON.stringify(params)}: ${err.message}`);
      assert.match(err.message, message, JSON.stringify(params));
    }
    // Still serving afterwards.
    await gw.connection.sendRequest('bifrost/ping');
    await delay(0);
  });
});
