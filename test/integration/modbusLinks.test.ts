/**
 * Modbus TCP connections as the server sees them: devices with `shareConnection` at one host and
 * port share one TCP connection (one unit id each), devices without it hold one each, and a
 * device that accepts TCP but never answers is never `connected` and is retried ever more slowly.
 */
import { strict as assert } from 'node:assert';
import * as net from 'node:net';
import type { GatewayProcess } from '../../tools/gatewayClient';
import type { ConfigLoadResult, DeviceListResult, DeviceStatusNotification, ModbusTagConfig, SubscribeResult, TagsReadResult } from '../../gateway/protocol';
import { startGateway, startPymodbus, tcpDevice, ValueLog, waitFor, type PyModbus } from './harness';

const TAGS: ModbusTagConfig[] = [
  { name: 'a', area: 'holding', address: 0 },
  { name: 'b', area: 'holding', address: 1 },
];

describe('Modbus TCP connections', function () {
  this.timeout(30_000);
  let gw: GatewayProcess;
  const list = async () => (await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list')).devices;

  beforeEach(async () => {
    gw = await startGateway();
  });
  afterEach(() => gw.close());

  describe('at one host and port (pymodbus serving unit ids 1 and 2, each with registers of its own)', () => {
    let py: PyModbus;
    before(async () => {
      py = await startPymodbus({ units: { 1: { hr: [11, 12] }, 2: { hr: [21, 22] } } });
    });
    after(() => py.stop());

    const load = (share: boolean) =>
      gw.connection.sendRequest<ConfigLoadResult>('bifrost/config/load', {
        devices: [1, 2].map((unitId) => tcpDevice(`unit${unitId}`, py.port, { unitId, shareConnection: share, tags: TAGS })),
      });
    const readBoth = async () =>
      Promise.all(['unit1', 'unit2'].map(async (deviceId) => (await gw.connection.sendRequest<TagsReadResult>('bifrost/tags/read', { deviceId, tags: ['a', 'b'] })).results.map((r) => r.value)));

    it('share ONE connection with "shareConnection": both connected, each reading its own unit', async () => {
      const before = py.connections();
      const res = await load(true);
      assert.deepEqual([res.devices, res.problems], [['unit1', 'unit2'], []]);
      await waitFor('both connected', async () => (await list()).every((d) => d.status === 'connected'));
      assert.deepEqual(await readBoth(), [[11, 12], [21, 22]]);

      // Polling both at once goes through the one connection too.
      const values = new ValueLog(gw.connection);
      const subs = await Promise.all(
        ['unit1', 'unit2'].map((deviceId) => gw.connection.sendRequest<SubscribeResult>('bifrost/subscribe', { deviceId, tags: ['a', 'b'], intervalMs: 50, onChangeOnly: false })),
      );
      await waitFor('scans of both', () => subs.every((s) => values.count(s.subscriptionId) >= 5));
      assert.deepEqual(subs.map((s) => [values.latest(s.subscriptionId, 'a')?.value, values.latest(s.subscriptionId, 'b')?.value]), [[11, 12], [21, 22]]);
      assert.equal(py.connections() - before, 1, 'the server accepted one connection');
      assert.deepEqual((await list()).map((d) => d.stats.reconnects), [0, 0]);
    });

    it('hold a connection each without it', async () => {
      const before = py.connections();
      await load(false);
      await waitFor('both connected', async () => (await list()).every((d) => d.status === 'connected'));
      assert.deepEqual(await readBoth(), [[11, 12], [21, 22]]);
      assert.equal(py.connections() - before, 2, 'the server accepted two connections');
    });
  });

  describe('a device that accepts TCP but never answers', () => {
    let server: net.Server;
    const accepted: number[] = [];
    const sockets = new Set<net.Socket>();

    before(async () => {
      server = net.createServer((socket) => {
        accepted.push(Date.now());
        sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    after(async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('is never reported connected, shows the error, and is reconnected ever more slowly', async () => {
      const statuses: DeviceStatusNotification[] = [];
      gw.connection.onNotification('bifrost/deviceStatus', (n: DeviceStatusNotification) => void statuses.push(n));
      const port = (server.address() as net.AddressInfo).port;
      await gw.connection.sendRequest('bifrost/config/load', { devices: [tcpDevice('mute', port, { timeoutMs: 100, tags: TAGS })] });
      // The first connection and four retries.
      await waitFor('five connections', () => accepted.length >= 5, 20_000);

      const mine = statuses.filter((s) => s.id === 'mute');
      assert.ok(mine.length > 0);
      assert.deepEqual(mine.filter((s) => s.status === 'connected'), [], `never connected: ${mine.map((s) => s.status).join(', ')}`);
      const last = mine[mine.length - 1]!;
      assert.equal(last.status, 'error');
      assert.match(last.lastError ?? '', /^mute: no answer within 100 ms reading holding register/);
      const [device] = await list();
      assert.equal(device!.status, 'error');
      assert.match(device!.lastError ?? '', /^mute: no answer within 100 ms/);

      // Each retry waits longer: the backoff is not reset by a TCP connect, only by an answer.
      const gaps = accepted.slice(1, 5).map((t, i) => t - accepted[i]!);
      assert.ok(gaps[2]! > gaps[0]! && gaps[3]! > gaps[1]!, `gaps between connections grow: ${gaps.join(', ')} ms`);
    });
  });
});
