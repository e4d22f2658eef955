/**
 * Modbus RTU discovery through the built gateway, on pty pairs made by socat: our RTU simulator
 * (units 3 and 7) or pymodbus's serial server on the far end. A pty has no baud rate: every line
 * setting reaches the far end, so what is checked is that the first setting tried finds exactly
 * the units there, and that the other settings are then left alone (`stopAtFirst`) or, when
 * asked, tried too. Also: a port that does not exist or is in use, garbled answers, cancelling
 * (the gateway lets go of the pty), the time limit; `bifrost/serialPorts` (its /dev fallback on a
 * made-up /dev, and the real call); and dist/serial.js with its prebuilt binding, run from a
 * folder with no node_modules, as the VSIX carries it.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import type { DiscoveredRtuItem, DiscoveredRtuNotification, DiscoverResult, DiscoveryProgressNotification, SerialPortsResult } from '../../gateway/protocol';
import { modbusRtuDriver } from '../../gateway/modbus/rtuDriver';
import { serialOpener } from '../../gateway/modbus/rtuStreams';
import { devSerialPorts } from '../../gateway/serial/ports';
import { RtuSimulator } from '../../gateway/sim/rtuSimulator';
import type { GatewayProcess } from '../../tools/gatewayClient';
import { ptysClosed, PtyPair, rpcError, startGateway, waitFor } from './harness';

const IDENTITY = { vendorName: 'Acme Drives', productCode: 'AD-3', revision: '1.4' };
const REPO = path.resolve(__dirname, '..', '..');
const hasSocat = spawnSync('socat', ['-V']).status === 0;

(hasSocat ? describe : describe.skip)(hasSocat ? 'bifrost/discover (Modbus RTU on serial ports)' : 'bifrost/discover (Modbus RTU): SKIPPED, socat is not installed', function () {
  this.timeout(60_000);
  let gw: GatewayProcess;
  const found: DiscoveredRtuNotification[] = [];
  const progress: DiscoveryProgressNotification[] = [];
  let pty: PtyPair;
  /** The simulator's end, when one is served. */
  let device: Duplex | null = null;
  let sim: RtuSimulator | null = null;

  before(async () => {
    gw = await startGateway();
    gw.connection.onNotification('bifrost/discovered', (n: DiscoveredRtuNotification) => void found.push(n));
    gw.connection.onNotification('bifrost/discoveryProgress', (n: DiscoveryProgressNotification) => void progress.push(n));
  });
  after(async () => gw?.close());
  beforeEach(async () => {
    found.length = 0;
    progress.length = 0;
    pty = new PtyPair();
    await pty.start();
  });
  afterEach(async () => {
    await sim?.stop();
    sim = null;
    device = null;
    await pty.stop(['self', gw.child.pid!]);
  });

  const items = (id: string) => found.filter((n) => n.discoveryId === id).flatMap((n) => n.items.filter((i): i is DiscoveredRtuItem => i.protocol === 'modbus-rtu'));
  const discover = (params: object, token?: CancellationTokenSource['token']) =>
    token ? gw.connection.sendRequest<DiscoverResult>('bifrost/discover', params, token) : gw.connection.sendRequest<DiscoverResult>('bifrost/discover', params);

  /** Our simulator on `b` with units 3 (which describes itself) and 7 (which does not). */
  async function serveUnits(): Promise<RtuSimulator> {
    sim = new RtuSimulator([3, 7], { holdings: 10 });
    sim.unit(3).setIdentity(IDENTITY);
    device = await serialOpener({ path: pty.b, baudRate: 19_200, parity: 'even' })();
    sim.serve(device);
    return sim;
  }

  it('finds units 3 and 7, exactly, at the first setting tried, and tries no other setting once they answered', async () => {
    const s = await serveUnits();
    const result = await discover({ discoveryId: 'rtu', serial: { ports: [pty.a], baudRates: [19_200, 9600], parities: ['even', 'none'], unitIds: [1, 2, 3, 4, 5, 6, 7, 8] } });
    const at = { serialPath: pty.a, baudRate: 19_200, parity: 'even', dataBits: 8, stopBits: 1 };
    assert.deepEqual(
      items('rtu').sort((x, y) => x.unitId - y.unitId),
      [
        { protocol: 'modbus-rtu', ...at, unitId: 3, evidence: 'device-identification', identity: IDENTITY },
        { protocol: 'modbus-rtu', ...at, unitId: 7, evidence: 'register-read' },
      ],
    );
    assert.equal(result.found, 2);
    assert.equal(result.probes, 4 * 8);
    assert.equal(result.probed, 4 * 8, 'the settings not tried count as done');
    assert.equal(result.cancelled, false);
    assert.equal(result.errors, undefined);
    assert.deepEqual(progress.at(-1), { discoveryId: 'rtu', done: 32, total: 32 });
    // One setting: 8 reads, then identification of units 3 (FC43) and 7 (FC43 refused, FC17 refused).
    assert.equal(s.requestCount, 8 + 1 + 2);
    assert.match(gw.stderr(), new RegExp(`\\[info\\] serial ports: native binding ${path.join(REPO, 'dist', 'prebuilds', `${process.platform}-${process.arch}`)}/\\S+\\.node \\(${process.platform}-${process.arch}, `), 'the gateway says which binding it loaded, from beside its bundle');
  });

  it('with stopAtFirst false, tries every setting (over a pty, every one reaches the units)', async () => {
    await serveUnits();
    const result = await discover({ discoveryId: 'all', serial: { ports: [pty.a], baudRates: [19_200, 9600], parities: ['even', 'none'], unitIds: [3, 4, 7], stopAtFirst: false } });
    const seen = items('all').map((i) => `${i.baudRate}/${i.parity}/${i.unitId}`);
    assert.deepEqual(seen.sort(), ['19200/even/3', '19200/even/7', '19200/none/3', '19200/none/7', '9600/even/3', '9600/even/7', '9600/none/3', '9600/none/7']);
    assert.equal(result.found, 8);
  });

  it('answers with garbled CRCs only: nothing found, and a note that bytes came at that setting', async () => {
    const s = await serveUnits();
    s.corruptAllAnswers = true;
    const result = await discover({ discoveryId: 'noise', serial: { ports: [pty.a], baudRates: [9600], parities: ['none'], unitIds: [3, 5] } });
    assert.equal(result.found, 0);
    assert.deepEqual(result.notes, [{ target: pty.a, message: '7 bytes came at 9600/none but no valid frame: wrong baud rate or parity?' }]);
  });

  it("finds pymodbus's serial server (units 1 and 2) as an independent peer", async () => {
    const banks = path.join(pty.dir, 'banks.json');
    writeFileSync(banks, JSON.stringify({ units: { 1: { hr: [11] }, 2: { hr: [21] } } }));
    const script = path.resolve(__dirname, '..', 'peers', 'pymodbus_rtu_server.py');
    let stderr = '';
    const py = spawn('/usr/bin/python3', [script, pty.b, '19200', banks], { stdio: ['ignore', 'ignore', 'pipe'], cwd: path.dirname(script) });
    py.stderr!.on('data', (d) => (stderr += d));
    const exited = new Promise((r) => py.once('exit', r));
    try {
      // The peer opens its port a moment after it starts (a scan may begin before): scan until both answer.
      const result = await waitFor(
        `pymodbus to answer (${stderr.trim() || 'no output'})`,
        async () => {
          found.length = 0;
          const r = await discover({ discoveryId: 'py', serial: { ports: [pty.a], baudRates: [19_200], parities: ['none'], unitIds: [1, 2, 3] } });
          return r.found >= 2 && r;
        },
        20_000,
      );
      assert.equal(result.found, 2);
      assert.deepEqual(items('py').map((i) => [i.unitId, i.baudRate, i.parity]).sort(), [[1, 19_200, 'none'], [2, 19_200, 'none']]);
    } finally {
      py.kill('SIGTERM');
      await exited;
    }
  });

  it('a port that does not exist and one in use: each an error naming the port, and the others still scanned', async () => {
    await serveUnits();
    const missing = path.join(pty.dir, 'no-such-tty');
    const held = await serialOpener({ path: pty.a, baudRate: 9600, parity: 'even' })();
    try {
      const result = await discover({ serial: { ports: [missing, pty.a], unitIds: [3] } });
      assert.equal(result.found, 0);
      assert.equal(result.probed, result.probes);
      assert.equal(result.errors?.length, 2);
      const [busy, gone] = [...result.errors!].sort((x, y) => x.target.localeCompare(y.target));
      assert.equal(gone!.target, missing);
      assert.match(gone!.message, new RegExp(`^serial port ${missing} does not exist \\(`));
      assert.equal(busy!.target, pty.a);
      assert.match(busy!.message, new RegExp(`^serial port ${pty.a} is in use by another process \\(`));
    } finally {
      await new Promise<void>((r) => {
        held.once('close', () => r());
        held.destroy();
      });
    }
  });

  it('cancelled midway: answers at once, cancelled, and the gateway has let go of the port', async () => {
    await serveUnits();
    const source = new CancellationTokenSource();
    const started = Date.now();
    // Units 100-247 are silent: 300 ms each.
    const pending = discover({ discoveryId: 'stop', serial: { ports: [pty.a], baudRates: [9600], parities: ['even'], unitIds: 'all', timeoutMs: 300 } }, source.token);
    await waitFor('the scan to pass unit 7', () => items('stop').length === 2, 10_000);
    await waitFor('a silent unit being asked', () => (progress.at(-1)?.done ?? 0) >= 10, 10_000);
    const cancelledAt = Date.now();
    source.cancel();
    const result = await pending;
    assert.equal(result.cancelled, true);
    assert.ok(Date.now() - cancelledAt < 500, `answered ${Date.now() - cancelledAt} ms after the cancel`);
    assert.ok(result.probed < result.probes);
    await ptysClosed([pty.a], 500, gw.child.pid!);
    assert.ok(Date.now() - started < 20_000);
  });

  it('dryRun says how long a scan could take; one that could take more than 10 minutes is refused, saying what to reduce', async () => {
    const dry = await discover({ dryRun: true, serial: { ports: [pty.a] } });
    assert.equal(dry.probes, 10 * 10);
    assert.ok(dry.estimatedMs! > 10 * 10 * 100 && dry.estimatedMs! < 10 * 10 * 250, `estimate ${dry.estimatedMs}`);
    assert.equal(dry.probed, 0);
    const err = await rpcError(discover({ serial: { ports: [pty.a], unitIds: 'all', timeoutMs: 1000 } }));
    assert.equal(err.code, -32602);
    assert.match(err.message, /^this serial scan could take up to 4\d\.\d min \(10 line settings × 247 unit ids, \d+ ms for each silent unit\), more than the 10\.0 min one scan may take: name fewer unit ids, baud rates or parities, or a shorter "timeoutMs"$/);
  });

  it('bad serial parameters get clear errors', async () => {
    const cases: [object, RegExp][] = [
      [{}, /"serial.ports" must name the serial ports to scan/],
      [{ ports: [pty.a], unitIds: [0] }, /"serial.unitIds\[0\]" is 0: expected a unit id from 1 to 247 \(0 is the broadcast address/],
      [{ ports: [pty.a], parities: ['mark'] }, /"serial.parities\[0\]" is "mark": expected "none", "even" or "odd"/],
      [{ ports: [pty.a], baudRates: [300] }, /"serial.baudRates\[0\]" is 300: expected a baud rate/],
      [{ ports: [pty.a], speed: 1 }, /"serial": unknown field "speed"/],
    ];
    for (const [serial, message] of cases) {
      const err = await rpcError(discover({ serial }));
      assert.equal(err.code, -32602);
      assert.match(err.message, message);
    }
  });

  it('bifrost/serialPorts answers a list (from the system or /dev) without throwing', async () => {
    const result = await gw.connection.sendRequest<SerialPortsResult>('bifrost/serialPorts');
    assert.ok(Array.isArray(result.ports));
    for (const p of result.ports) {
      assert.equal(typeof p.path, 'string');
      assert.ok(p.source === 'serialport' || p.source === 'dev');
    }
  });

  it('Modbus RTU says it can discover', () => {
    assert.equal(modbusRtuDriver.capabilities.discovery, true);
  });
});

describe('serial ports found in /dev', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'bifrost-dev-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('lists ttyUSB, ttyACM, the ttyS with a UART, and by-id links with the port they point to', () => {
    const dev = path.join(root, 'dev');
    const sys = path.join(root, 'sys');
    mkdirSync(path.join(dev, 'serial', 'by-id'), { recursive: true });
    for (const n of ['ttyS0', 'ttyS1', 'ttyS2', 'ttyS10', 'ttyUSB1', 'ttyUSB0', 'ttyACM0', 'tty0', 'ttyprintk', 'null']) writeFileSync(path.join(dev, n), '');
    // ttyS0 has a UART (type 4, 16550A), ttyS1 is a placeholder (type 0), ttyS2 has no type but a driver, ttyS10 nothing.
    const tty = (n: string) => path.join(sys, 'class', 'tty', n);
    mkdirSync(tty('ttyS0'), { recursive: true });
    writeFileSync(path.join(tty('ttyS0'), 'type'), '4\n');
    mkdirSync(tty('ttyS1'), { recursive: true });
    writeFileSync(path.join(tty('ttyS1'), 'type'), '0\n');
    mkdirSync(path.join(tty('ttyS2'), 'device', 'driver'), { recursive: true });
    symlinkSync('../../ttyUSB0', path.join(dev, 'serial', 'by-id', 'usb-FTDI_FT232R_A10K-if00-port0'));
    symlinkSync('../../ttyUSB9', path.join(dev, 'serial', 'by-id', 'usb-gone-if00'));
    assert.deepEqual(devSerialPorts({ dev, sys }), [
      { path: path.join(dev, 'ttyACM0'), source: 'dev' },
      { path: path.join(dev, 'ttyS0'), source: 'dev' },
      { path: path.join(dev, 'ttyS2'), source: 'dev' },
      { path: path.join(dev, 'ttyUSB0'), source: 'dev' },
      { path: path.join(dev, 'ttyUSB1'), source: 'dev' },
      { path: path.join(dev, 'serial', 'by-id', 'usb-FTDI_FT232R_A10K-if00-port0'), pnpId: 'usb-FTDI_FT232R_A10K-if00-port0', target: path.join(dev, 'ttyUSB0'), source: 'dev' },
    ]);
  });

  it('a /dev without serial devices or by-id folder: an empty list', () => {
    assert.deepEqual(devSerialPorts({ dev: root, sys: root }), []);
  });
});

(hasSocat ? describe : describe.skip)('dist/serial.js as the VSIX carries it', function () {
  this.timeout(30_000);

  it('loads its prebuilt binding from beside the bundle, with no node_modules on the way, and carries bytes over a pty pair', async () => {
    const bundle = path.join(REPO, 'dist', 'serial.js');
    assert.ok(existsSync(bundle), `${bundle} is missing: build first (node esbuild.mjs)`);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-vsix-'));
    const pty = new PtyPair();
    try {
      cpSync(bundle, path.join(dir, 'serial.js'));
      cpSync(path.join(REPO, 'dist', 'prebuilds'), path.join(dir, 'prebuilds'), { recursive: true });
      await pty.start();
      const script = `
        const { SerialPort, bindingFile } = require('./serial.js');
        let resolvable = true;
        try { require.resolve('serialport'); } catch { resolvable = false; }
        const a = new SerialPort({ path: ${JSON.stringify(pty.a)}, baudRate: 19200, parity: 'even' });
        const b = new SerialPort({ path: ${JSON.stringify(pty.b)}, baudRate: 19200, parity: 'even' });
        let got = '';
        b.on('data', (d) => {
          got += d.toString();
          if (got.length < 5) return;
          console.log(JSON.stringify({ binding: bindingFile(), resolvable, got }));
          a.close(() => b.close(() => process.exit(0)));
        });
        b.on('open', () => a.write('hello'));
        setTimeout(() => { console.log('no bytes came'); process.exit(1); }, 5000);
      `;
      const out = execFileSync(process.execPath, ['-e', script], { cwd: dir, env: { PATH: process.env['PATH'] ?? '' }, encoding: 'utf8' });
      const result = JSON.parse(out.trim()) as { binding: string; resolvable: boolean; got: string };
      assert.equal(result.resolvable, false, 'serialport must not be reachable from the temporary folder');
      assert.ok(result.binding.startsWith(path.join(dir, 'prebuilds', `${process.platform}-${process.arch}`)), result.binding);
      assert.equal(result.got, 'hello');
    } finally {
      await pty.stop([]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
