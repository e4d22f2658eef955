/**
 * The discovery probe against real servers on 127.0.0.1: our simulator (identity on and off, a
 * unit filter, faults, a proxy that garbles one unit's answers) and pymodbus, an implementation
 * of Read Device Identification nobody on this project wrote.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as net from 'node:net';
import { probeModbusTcp } from '../../gateway/discovery/modbusProbe';
import { ModbusTcpSimulator, type SimulatorOptions } from '../../gateway/sim/modbusServer';
import { freePort, startPymodbus, waitFor, type PyModbus } from './harness';

const IDENTITY = {
  vendorName: 'Acme Automation',
  productCode: 'AC-100',
  revision: 'V2.11',
  vendorUrl: 'http://acme.example',
  productName: 'Acme Pump Controller',
  modelName: 'PC-100/4',
  userApplicationName: 'Pump station 3',
};

/**
 * Forwards to `port`, except that requests for `badUnits` are answered with bytes that are no
 * Modbus frame. Counts the connections it accepts.
 */
async function garblingProxy(port: number, badUnits: number[]): Promise<{ port: number; connections: () => number; stop(): Promise<void> }> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    connections++;
    const upstream = net.connect({ host: '127.0.0.1', port });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    upstream.on('data', (d) => client.write(d));
    let buf = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 6 && buf.length >= 6 + buf.readUInt16BE(4)) {
        const frame = buf.subarray(0, 6 + buf.readUInt16BE(4));
        buf = buf.subarray(frame.length);
        if (badUnits.includes(frame[6]!)) client.write(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'));
        else upstream.write(frame);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => connections,
    stop: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('Modbus TCP discovery probe', () => {
  const sims: ModbusTcpSimulator[] = [];
  async function sim(opts: SimulatorOptions): Promise<ModbusTcpSimulator> {
    const s = new ModbusTcpSimulator(opts);
    sims.push(s);
    await s.start();
    return s;
  }
  afterEach(async () => {
    await Promise.all(sims.splice(0).map((s) => s.stop()));
  });

  it('reads the identity of each unit that answers, over one connection, and skips silent units', async () => {
    const s = await sim({ identity: IDENTITY, unitIds: [1, 3] });
    const counter = await garblingProxy(s.port, []);
    const outcome = await probeModbusTcp('127.0.0.1', counter.port, [1, 2, 3], { timeoutMs: 200 }).finally(() => counter.stop());
    const { userApplicationName: _, ...expected } = IDENTITY;
    assert.deepEqual(outcome, {
      open: true,
      gateway: false,
      units: [
        { unitId: 1, identity: expected, evidence: 'device-identification' },
        { unitId: 3, identity: expected, evidence: 'device-identification' },
      ],
    });
    assert.equal(counter.connections(), 1, 'one connection for all units');
    // Per identified unit: code 1, then code 2 (conformity says regular); unit 2: FC43 times out, then FC3.
    assert.equal(s.functionCodeCounts[43], 4);
    assert.equal(s.functionCodeCounts[3], 0, 'the silent unit reaches no handler');
  });

  it('follows "more follows" until every object is read', async () => {
    const long = (c: string) => c.repeat(100);
    const identity = { vendorName: long('v'), productCode: long('p'), revision: long('r'), vendorUrl: long('u'), productName: long('n'), modelName: long('m') };
    const s = await sim({ identity });
    const outcome = await probeModbusTcp('127.0.0.1', s.port, [1], { timeoutMs: 500 });
    assert.deepEqual(outcome.units, [{ unitId: 1, identity, evidence: 'device-identification' }]);
    assert.equal(s.functionCodeCounts[43], 4, 'two objects of 102 bytes fit an answer: 2 for the basic stream, 2 for the regular one from object 3');
  });

  it('without an identity, falls back to a register read, or to the exception it answers', async () => {
    const s = await sim({ unitIds: [5, 6] });
    const plain = await probeModbusTcp('127.0.0.1', s.port, [5], { timeoutMs: 300 });
    assert.deepEqual(plain, { open: true, gateway: false, units: [{ unitId: 5, evidence: 'register-read' }] });
    assert.equal(s.functionCodeCounts[17], 1, 'FC17 tried after FC43 was refused');
    s.setHoles([{ area: 'holding', start: 0, end: 0 }]);
    const holed = await probeModbusTcp('127.0.0.1', s.port, [6], { timeoutMs: 300 });
    assert.deepEqual(holed.units, [{ unitId: 6, evidence: 'exception-reply', exception: 2 }]);
  });

  it('reports a gateway that says the unit is not there, without reporting the unit', async () => {
    const s = await sim({});
    s.fault = { exception: 11 };
    const outcome = await probeModbusTcp('127.0.0.1', s.port, [1, 2], { timeoutMs: 300 });
    assert.deepEqual(outcome, { open: true, gateway: true, units: [] });
  });

  it('says a closed port is not open, at once', async () => {
    const port = await freePort();
    const started = Date.now();
    const outcome = await probeModbusTcp('127.0.0.1', port, [1, 2], { timeoutMs: 5000 });
    assert.equal(outcome.open, false);
    assert.match(outcome.error ?? '', /ECONNREFUSED/);
    assert.deepEqual(outcome.units, []);
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
  });

  it('closes the socket and settles at once when aborted midway', async () => {
    const s = await sim({ identity: IDENTITY });
    s.fault = 'silent';
    const abort = new AbortController();
    const started = Date.now();
    const probe = probeModbusTcp('127.0.0.1', s.port, [1, 2, 3, 4], { timeoutMs: 10_000, signal: abort.signal });
    await waitFor('the probe to ask', () => s.requestCount > 0);
    abort.abort();
    const outcome = await probe;
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
    assert.equal(outcome.open, true);
    assert.match(outcome.error ?? '', /aborted/);
    assert.deepEqual(outcome.units, []);
    await waitFor('the simulator to see the connection close', () => s.connectionCount === 0);
    assert.equal(s.requestCount, 1);
    const before = await probeModbusTcp('127.0.0.1', s.port, [1], { timeoutMs: 10_000, signal: abort.signal });
    assert.deepEqual(before, { open: false, error: 'the probe was aborted', units: [], gateway: false });
  });

  it('drops a unit that answers garbage, reconnects once for the rest, and stops when it happens again', async () => {
    const s = await sim({ identity: IDENTITY });
    const proxy = await garblingProxy(s.port, [2, 4]);
    try {
      const once = await probeModbusTcp('127.0.0.1', proxy.port, [1, 2, 3], { timeoutMs: 500 });
      assert.deepEqual(once.units.map((u) => [u.unitId, u.evidence]), [[1, 'device-identification'], [3, 'device-identification']]);
      assert.equal(once.error, undefined);
      assert.equal(proxy.connections(), 2);
      const twice = await probeModbusTcp('127.0.0.1', proxy.port, [2, 3, 4, 5], { timeoutMs: 500 });
      assert.deepEqual(twice.units.map((u) => u.unitId), [3]);
      assert.match(twice.error ?? '', /stopped before unit 5: the connection broke again \(not a Modbus TCP frame/);
    } finally {
      await proxy.stop();
    }
  });

  it('drops a unit whose answers do not add up (a short frame, a wrong transaction id)', async () => {
    const s = await sim({ identity: IDENTITY });
    for (const fault of ['short-frame', 'wrong-transaction-id'] as const) {
      s.fault = fault;
      const outcome = await probeModbusTcp('127.0.0.1', s.port, [1], { timeoutMs: 300 });
      assert.deepEqual(outcome, { open: true, gateway: false, units: [] }, fault);
    }
  });

  it('refuses bad arguments with what is expected', async () => {
    await assert.rejects(probeModbusTcp('127.0.0.1', 502, [1, 256], { timeoutMs: 100 }), /unit ids must be integers 0-255, got 256/);
    await assert.rejects(probeModbusTcp('127.0.0.1', 0, [1], { timeoutMs: 100 }), /port must be an integer 1-65535/);
    await assert.rejects(probeModbusTcp('127.0.0.1', 502, [1], { timeoutMs: 0 }), /timeoutMs must be a positive number/);
  });

  describe('against pymodbus (Read Device Identification from an independent implementation)', () => {
    let py: PyModbus | undefined;
    before(async function () {
      const check = spawnSync('/usr/bin/python3', ['-c', 'import pymodbus.server'], { encoding: 'utf8' });
      if (check.status !== 0) {
        console.warn(`    pymodbus is not installed for /usr/bin/python3 (apt-get install python3-pymodbus python3-serial-asyncio): skipped\n    ${check.stderr.trim().split('\n').pop()}`);
        this.skip();
      }
      py = await startPymodbus({
        hr: [42],
        identity: { VendorName: 'Pymodbus Vendor', ProductCode: 'PM-3', MajorMinorRevision: '3.0.0', ProductName: 'Pymodbus Server', ModelName: 'PM Model' },
      });
    });
    after(() => py?.stop());

    it('reads its identity', async () => {
      const outcome = await probeModbusTcp('127.0.0.1', py!.port, [1, 7], { timeoutMs: 1000 });
      const identity = { vendorName: 'Pymodbus Vendor', productCode: 'PM-3', revision: '3.0.0', productName: 'Pymodbus Server', modelName: 'PM Model' };
      assert.deepEqual(outcome, {
        open: true,
        gateway: false,
        units: [
          { unitId: 1, identity, evidence: 'device-identification' },
          { unitId: 7, identity, evidence: 'device-identification' },
        ],
      });
      assert.equal(py!.connections(), 1);
    });
  });
});
