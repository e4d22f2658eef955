/**
 * The JSON-RPC contract at its edges: lifecycle, malformed input, wrong parameters, refused
 * writes and configuration problems. Each bad request gets an error and the gateway stays up.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import type { GatewayProcess } from '../../tools/gatewayClient';
import { defaultGatewayPath } from '../../tools/gatewayClient';
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';
import type { ConfigLoadResult, DeviceListResult, PingResult } from '../../gateway/protocol';
import { rpcError, startGateway, tcpDevice, waitFor } from './harness';
import { version as PACKAGE_VERSION } from '../../package.json';

/** Talks to the gateway in raw frames, to send what a well-behaved client library never would. */
function rawGateway() {
  const child = spawn(process.execPath, [defaultGatewayPath(), '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let buf = Buffer.alloc(0);
  const messages: Record<string, unknown>[] = [];
  /** Whatever on stdout is not a well-formed frame: a header other than Content-Length, a body that is not JSON. */
  const strays: string[] = [];
  child.stdout.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const sep = buf.indexOf('\r\n\r\n');
      if (sep < 0) return;
      const header = buf.subarray(0, sep).toString();
      const m = /^Content-Length: (\d+)$/.exec(header);
      if (!m) {
        strays.push(header);
        buf = buf.subarray(sep + 4);
        continue;
      }
      const len = Number(m[1]);
      if (buf.length < sep + 4 + len) return;
      const body = buf.subarray(sep + 4, sep + 4 + len).toString('utf8');
      try {
        messages.push(JSON.parse(body));
      } catch {
        strays.push(body);
      }
      buf = buf.subarray(sep + 4 + len);
    }
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    messages,
    exited,
    /** Stray output, and bytes after the last whole frame. */
    notFramed: () => [...strays, ...(buf.length > 0 ? [buf.toString('utf8')] : [])],
    sendBody(body: string) {
      child.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    },
    send(msg: object) {
      this.sendBody(JSON.stringify(msg));
    },
  };
}

describe('the JSON-RPC contract', function () {
  this.timeout(20_000);

  it('answers malformed JSON, invalid requests and unknown methods with errors, and stays up', async () => {
    const g = rawGateway();
    try {
      g.send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { processId: null, capabilities: {} } });
      g.sendBody('{"jsonrpc": "2.0", "id": 2, "method": "bifrost/ping"'); // truncated
      g.send({ jsonrpc: '2.0', id: 3, params: {} }); // no method
      g.send([{ jsonrpc: '2.0', id: 4, method: 'bifrost/ping' }]); // batch
      g.send({ jsonrpc: '2.0', id: 5, method: 'bifrost/teleport', params: {} });
      g.send({ jsonrpc: '2.0', id: 6, method: 'bifrost/tags/read', params: { deviceId: 42, tags: 'holding:0' } });
      g.send({ jsonrpc: '2.0', id: 7, method: 'bifrost/ping' });
      await waitFor('all answers', () => g.messages.length >= 7);
      const byId = (id: unknown) => g.messages.find((m) => m['id'] === id) as { error?: { code: number; message: string }; result?: unknown };
      const nullIds = g.messages.filter((m) => m['id'] === null).map((m) => (m['error'] as { code: number }).code);
      assert.deepEqual(nullIds.sort(), [-32700, -32600].sort());
      assert.equal(byId(3).error!.code, -32600);
      assert.equal(byId(5).error!.code, -32601);
      assert.equal(byId(6).error!.code, -32602);
      assert.match(byId(6).error!.message, /"tags" must be a non-empty array/);
      assert.equal((byId(7).result as PingResult).version, PACKAGE_VERSION);
      // Nothing but framed JSON-RPC on stdout, from the first byte to the last.
      assert.deepEqual(g.messages.filter((m) => m['jsonrpc'] !== '2.0'), []);
      assert.deepEqual(g.notFramed(), []);
    } finally {
      g.child.stdin.end();
      assert.equal(await g.exited, 0, 'the gateway exits when stdin closes');
    }
  });

  it('answers requests whose id is neither a string nor a number with -32600 and id null, instead of not at all', async () => {
    const g = rawGateway();
    try {
      for (const id of [null, true, {}, [1]]) g.send({ jsonrpc: '2.0', id, method: 'bifrost/ping' });
      g.send({ jsonrpc: '2.0', id: 'last', method: 'bifrost/ping' });
      await waitFor('the answer to the last request', () => g.messages.some((m) => m['id'] === 'last'));
      const nulls = g.messages.filter((m) => m['id'] === null) as { error: { code: number; message: string } }[];
      assert.deepEqual(nulls.map((m) => [m.error.code, m.error.message]), Array(4).fill([-32600, 'invalid request: "id" must be a string or a number']));
    } finally {
      g.child.stdin.end();
      await g.exited;
    }
  });

  it('answers a deeply nested or huge parameter with -32602 and a short message', async () => {
    const g = rawGateway();
    try {
      const deep = `${'['.repeat(50_000)}1${']'.repeat(50_000)}`;
      g.sendBody(`{"jsonrpc":"2.0","id":1,"method":"bifrost/tags/read","params":{"deviceId":"x","tags":[${deep}]}}`);
      g.send({ jsonrpc: '2.0', id: 2, method: 'bifrost/tags/read', params: { deviceId: 'x', tags: 'y'.repeat(1_000_000) } });
      await waitFor('both answers', () => g.messages.filter((m) => m['id'] === 1 || m['id'] === 2).length === 2);
      for (const id of [1, 2]) {
        const err = (g.messages.find((m) => m['id'] === id) as { error: { code: number; message: string } }).error;
        assert.equal(err.code, -32602, err.message.slice(0, 300));
        assert.ok(err.message.length < 300, err.message.slice(0, 300));
      }
    } finally {
      g.child.stdin.end();
      await g.exited;
    }
  });

  it('exits with code 1 and says why when a header breaks the framing, instead of losing every later request', async () => {
    const g = rawGateway();
    let stderr = '';
    g.child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      g.send({ jsonrpc: '2.0', id: 1, method: 'bifrost/ping' });
      await waitFor('the first answer', () => g.messages.length >= 1);
      // The header promises 5 bytes; the next frame's header starts inside them.
      g.child.stdin.write('Content-Length: 5\r\n\r\n');
      g.send({ jsonrpc: '2.0', id: 2, method: 'bifrost/ping' });
      g.send({ jsonrpc: '2.0', id: 3, method: 'bifrost/ping' });
      assert.equal(await g.exited, 1);
      assert.match(stderr, /\[error\] the stdin framing is broken: a header without Content-Length; no later message can be found in the stream, so the gateway exits/);
      const last = g.messages.at(-1) as { id: unknown; error?: { code: number; message: string } };
      assert.equal(last.id, null);
      assert.equal(last.error!.code, -32700);
      assert.match(last.error!.message, /the stdin framing is broken/);
      assert.deepEqual(g.notFramed(), []);
    } finally {
      if (g.child.exitCode === null) g.child.kill();
    }
  });

  describe('requests', () => {
    let gw: GatewayProcess;
    let sim: ModbusTcpSimulator;
    before(async () => {
      sim = new ModbusTcpSimulator();
      await sim.start();
      gw = await startGateway();
    });
    after(async () => {
      await gw.close();
      await sim.stop();
    });

    it('loads a configuration with broken entries, reports each with a JSON pointer, and runs the valid devices', async () => {
      const res = await gw.connection.sendRequest<ConfigLoadResult>('bifrost/config/load', {
        devices: [
          tcpDevice('good', sim.port, {
            tags: [
              { name: 'level', area: 'holding', address: 0, type: 'float32' },
              { name: 'broken', area: 'holding', address: 70000 },
              { name: 'level', area: 'holding', address: 4 },
              { name: 'flow', address: 'holding:10:float32:CDAB', unit: 'm3/h' },
            ],
          }),
          { id: 'no-host', protocol: 'modbus-tcp' },
          { id: 'bad-port', protocol: 'modbus-tcp', host: '127.0.0.1', port: 70000 },
          { id: 'good', protocol: 'modbus-tcp', host: '127.0.0.1' },
          { id: 'fieldbus', protocol: 'profinet' },
        ],
      });
      assert.deepEqual(res.devices, ['good']);
      const paths = res.problems.filter((p) => p.severity === 'error').map((p) => p.path);
      assert.deepEqual(paths, ['/devices/0/tags/1/address', '/devices/0/tags/2/name', '/devices/1/host', '/devices/2/port', '/devices/3/id', '/devices/4/protocol']);
      const port = res.problems.find((p) => p.path === '/devices/2/port')!;
      assert.match(port.message, /"port" must be a whole number from 1 to 65535 \(got 70000\)/);
      const list = await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list');
      assert.deepEqual(list.devices.map((d) => d.id), ['good']);
      assert.deepEqual(list.devices[0]!.tags.map((t) => [t.name, t.address, t.writable]), [
        ['level', 'holding:0:float32', false],
        ['flow', 'holding:10:float32:CDAB', false],
      ]);
    });

    it('refuses writes unless the device allows them and the tag is writable, before anything is sent', async () => {
      await gw.connection.sendRequest('bifrost/config/load', {
        devices: [
          tcpDevice('ro', sim.port),
          tcpDevice('rw', sim.port, { allowWrites: true, tags: [{ name: 'limit', area: 'holding', address: 3 }, { name: 'sp', area: 'holding', address: 4, access: 'readwrite', type: 'int16' }] }),
        ],
      });
      await waitFor('connected', async () => (await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list')).devices.every((d) => d.status === 'connected'));
      const before = sim.requestCount;
      const cases: [object, number, RegExp][] = [
        [{ deviceId: 'ro', tag: 'holding:4', value: 1 }, 1004, /ro: writes are disabled for this device/],
        [{ deviceId: 'rw', tag: 'limit', value: 1 }, 1004, /rw: tag "limit" is read-only/],
        [{ deviceId: 'rw', tag: 'input:4', value: 1 }, 1004, /input area, which Modbus does not let anyone write/],
        [{ deviceId: 'rw', tag: 'sp', value: 40000 }, 1003, /rw: cannot write 40000 to sp: .*out of range for int16/],
        [{ deviceId: 'rw', tag: 'sp', value: 'warm' }, 1003, /rw: cannot write "warm" to sp/],
        [{ deviceId: 'rw', tag: 'holding:65535:float32', value: 1 }, 1002, /beyond 65535/],
        [{ deviceId: 'nobody', tag: 'holding:0', value: 1 }, 1001, /unknown device "nobody"/],
        [{ deviceId: 'rw', tag: 'sp', value: null }, -32602, /"value" must be a number, a boolean, a string/],
      ];
      for (const [params, code, message] of cases) {
        const err = await rpcError(gw.connection.sendRequest('bifrost/tags/write', params));
        assert.equal(err.code, code, `${JSON.stringify(params)}: ${err.message}`);
        assert.match(err.message, message);
      }
      assert.equal(sim.requestCount, before, 'nothing reached the device');
      await gw.connection.sendRequest('bifrost/tags/write', { deviceId: 'rw', tag: 'sp', value: -5 });
      assert.equal(sim.holdings[4], 0xfffb);
    });

    it('writes single coils and registers with FC5/FC6, or FC15/FC16 for devices that need "writeMultiple"', async () => {
      const fc = () => [...sim.functionCodeCounts];
      const plain = tcpDevice('plain', sim.port, { allowWrites: true });
      const multi = tcpDevice('multi', sim.port, { allowWrites: true, writeMultiple: true });
      await gw.connection.sendRequest('bifrost/config/load', { devices: [plain, multi] });
      await waitFor('connected', async () => (await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list')).devices.every((d) => d.status === 'connected'));
      const before = fc();
      await gw.connection.sendRequest('bifrost/tags/write', { deviceId: 'plain', tag: 'coil:3', value: true });
      await gw.connection.sendRequest('bifrost/tags/write', { deviceId: 'plain', tag: 'holding:7', value: 700 });
      await gw.connection.sendRequest('bifrost/tags/write', { deviceId: 'plain', tag: 'holding:8:float32', value: 1.5 });
      const afterPlain = fc();
      assert.deepEqual([5, 6, 15, 16].map((f) => afterPlain[f]! - before[f]!), [1, 1, 0, 1]);

      // A device without FC5/FC6 refuses them with exception 1; "writeMultiple" avoids them.
      sim.unsupportedFunctionCodes.add(5).add(6);
      try {
        const refused = await rpcError(gw.connection.sendRequest('bifrost/tags/write', { deviceId: 'plain', tag: 'holding:7', value: 1 }));
        assert.equal(refused.message, 'plain: Modbus exception 1 (illegal function) writing holding register 7');
        const b = fc();
        await gw.connection.sendRequest('bifrost/tags/write', { deviceId: 'multi', tag: 'coil:4', value: true });
        await gw.connection.sendRequest('bifrost/tags/write', { deviceId: 'multi', tag: 'holding:9', value: 900 });
        const a = fc();
        assert.deepEqual([15, 16].map((f) => a[f]! - b[f]!), [1, 1]);
        assert.deepEqual([sim.coils[4], sim.holdings[9]], [1, 900]);
      } finally {
        sim.unsupportedFunctionCodes.clear();
      }
    });

    it('refuses history times beyond the range of dates with -32602', async () => {
      await gw.connection.sendRequest('bifrost/config/load', { devices: [tcpDevice('rw', sim.port)] });
      for (const [start, end] of [[0, -9007199254740991], [8.64e15 + 1, 8.64e15 + 2], [0, 1e300]]) {
        const err = await rpcError(gw.connection.sendRequest('bifrost/history/read', { deviceId: 'rw', tag: 'holding:0', start, end }));
        assert.equal(err.code, -32602, err.message);
        assert.match(err.message, /must be milliseconds since 1970 or an ISO 8601 time/);
      }
    });

    it('rejects bad subscriptions and unknown subscription ids', async () => {
      await gw.connection.sendRequest('bifrost/config/load', { devices: [tcpDevice('rw', sim.port)] });
      const e1 = await rpcError(gw.connection.sendRequest('bifrost/subscribe', { deviceId: 'rw', tags: ['holding:0'], intervalMs: 1 }));
      assert.equal(e1.code, -32602);
      const e2 = await rpcError(gw.connection.sendRequest('bifrost/subscribe', { deviceId: 'rw', tags: ['nonsense'] }));
      assert.equal(e2.code, 1002);
      assert.match(e2.message, /rw: "nonsense": no configured tag has that name/);
      const e3 = await rpcError(gw.connection.sendRequest('bifrost/unsubscribe', { subscriptionId: 's999' }));
      assert.equal(e3.code, 1009);
      const e4 = await rpcError(gw.connection.sendRequest('bifrost/tags/read', { deviceId: 'rw', tags: ['holding:0:string'] }));
      assert.equal(e4.code, 1002);
    });
  });

  it('refuses requests after shutdown and exits with 0 on exit', async () => {
    const gw = await startGateway();
    await gw.connection.sendRequest('shutdown');
    const err = await rpcError(gw.connection.sendRequest('bifrost/devices/list'));
    assert.equal(err.code, -32600);
    assert.match(err.message, /shutting down/);
    const exited = new Promise<number | null>((r) => gw.child.once('exit', (code) => r(code)));
    await gw.connection.sendNotification('exit');
    assert.equal(await exited, 0);
    await gw.close();
  });

  it('starts the demo plant on its own with --demo and serves live values', async () => {
    const gw = await startGateway(['--demo']);
    try {
      const list = await waitFor('demo devices', async () => {
        const l = await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list');
        return l.devices.length >= 2 && l.devices.every((d) => d.status === 'connected') ? l : undefined;
      });
      assert.ok(list.devices.every((d) => d.source === 'demo' && d.tags.length > 5));
    } finally {
      await gw.close();
    }
  });
});
