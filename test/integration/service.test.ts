/**
 * The built gateway as a headless service: started with `--config FILE` and stdin closed, it runs
 * on, polls real simulator devices, follows edits of the file (and SIGHUP), keeps its devices
 * when a version does not parse, and ends cleanly with code 0 on SIGTERM and SIGINT.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultGatewayPath } from '../../tools/gatewayClient';
import { GATEWAY_NODE_OPTIONS } from '../../gateway/protocol';
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';
import { delay, waitFor } from './harness';

interface Service {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

function device(id: string, port: number): object {
  return { id, protocol: 'modbus-tcp', host: '127.0.0.1', port, pollIntervalMs: 50, timeoutMs: 500, tags: [{ name: 'level', address: 'holding:0' }] };
}

describe('the gateway as a headless service', function () {
  this.timeout(60_000);
  let dir: string;
  let dataDir: string;
  const running: ChildProcess[] = [];
  const sims: ModbusTcpSimulator[] = [];

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-service-'));
    dataDir = path.join(dir, 'data');
  });
  afterEach(async () => {
    for (const c of running.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const s of sims.splice(0)) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (args: string[]): Service => {
    const child = spawn(process.execPath, [...GATEWAY_NODE_OPTIONS, defaultGatewayPath(), '--data-dir', dataDir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    running.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (process.env['BIFROST_TEST_LOG'] === '1') process.stderr.write(d);
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    return { child, stdout: () => stdout, stderr: () => stderr, exited };
  };
  const simulator = async () => {
    const sim = new ModbusTcpSimulator();
    await sim.start();
    sims.push(sim);
    return sim;
  };
  /** The simulator answers requests from now on: it is being polled. */
  const polled = async (sim: ModbusTcpSimulator, what: string) => {
    const before = sim.requestCount;
    await waitFor(`${what} to be polled`, () => sim.requestCount >= before + 5);
  };
  const logged = (svc: Service, pattern: RegExp, what: string, timeoutMs?: number) => waitFor(what, () => pattern.test(svc.stderr()) || undefined, timeoutMs);

  it('runs on with stdin closed, polls its devices, and follows the file as editors save it (rename)', async () => {
    const a = await simulator();
    const b = await simulator();
    const file = path.join(dir, 'bifrost.json');
    writeFileSync(file, JSON.stringify({ devices: [device('plc1', a.port)] }));
    const svc = start(['--config', file]);
    await logged(svc, /plc1: connected to 127\.0\.0\.1/, 'plc1 to connect');
    assert.match(svc.stderr(), /info {2}config: loaded .*bifrost\.json: 1 device\n/);
    await polled(a, 'plc1');
    assert.equal(svc.child.exitCode, null, 'still running with stdin closed');

    // Saved the way editors do: a new file renamed over the old one.
    writeFileSync(`${file}.tmp`, JSON.stringify({ devices: [device('plc1', a.port), device('plc2', b.port)] }));
    renameSync(`${file}.tmp`, file);
    await logged(svc, /plc2: added/, 'plc2 to be added');
    await logged(svc, /reloaded .*bifrost\.json: 2 devices/, 'the reload to be logged');
    await polled(b, 'plc2');

    // Written in place: plc1 goes, its connection closes.
    writeFileSync(file, JSON.stringify({ devices: [device('plc2', b.port)] }));
    await logged(svc, /plc1: removed/, 'plc1 to be removed');
    await waitFor('plc1 connection to close', () => a.connectionCount === 0);
    assert.equal(svc.stdout(), '', 'nothing on stdout');
    svc.child.kill('SIGTERM');
    assert.equal(await svc.exited, 0, svc.stderr());
  });

  it('SIGHUP reloads a change the folder watch does not see (the config is a symlink)', async () => {
    const a = await simulator();
    const b = await simulator();
    const real = path.join(dir, 'elsewhere', 'bifrost.json');
    mkdirSync(path.dirname(real));
    writeFileSync(real, JSON.stringify({ devices: [device('plc1', a.port)] }));
    const link = path.join(dir, 'bifrost.json');
    symlinkSync(real, link);
    const svc = start(['--config', link]);
    await logged(svc, /plc1: connected to/, 'plc1 to connect');

    writeFileSync(real, JSON.stringify({ devices: [device('plc1', a.port), device('plc2', b.port)] }));
    await delay(1000);
    assert.doesNotMatch(svc.stderr(), /plc2/, 'not reloaded without SIGHUP');
    svc.child.kill('SIGHUP');
    await logged(svc, /reloaded .*bifrost\.json \(SIGHUP\): 2 devices/, 'the SIGHUP reload');
    await polled(b, 'plc2');
    await polled(a, 'plc1, untouched');
    svc.child.kill('SIGTERM');
    assert.equal(await svc.exited, 0, svc.stderr());
  });

  it('a version that does not parse, or is no configuration: logged, and the devices keep running', async () => {
    const a = await simulator();
    const file = path.join(dir, 'bifrost.json');
    writeFileSync(file, JSON.stringify({ devices: [device('plc1', a.port)] }));
    const svc = start(['--config', file]);
    await logged(svc, /plc1: connected to/, 'plc1 to connect');

    writeFileSync(file, '{ "devices": [ { "id": "plc1", ');
    await logged(svc, /error config: cannot reload .*bifrost\.json: .+; the devices keep running as they were/, 'the parse error');
    await polled(a, 'plc1 after the broken save');
    writeFileSync(file, '{ "tags": [] }');
    await logged(svc, /error config: cannot reload .*bifrost\.json: configuration not loaded, the devices keep running as they were/, 'the refusal');
    await polled(a, 'plc1 after the refused save');
    assert.doesNotMatch(svc.stderr(), /plc1: removed/);
    svc.child.kill('SIGINT');
    assert.equal(await svc.exited, 0, svc.stderr());
    await waitFor('the simulator connection to close', () => a.connectionCount === 0);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal}: devices closed, exit code 0`, async () => {
      const a = await simulator();
      const file = path.join(dir, 'bifrost.json');
      writeFileSync(file, JSON.stringify({ devices: [device('plc1', a.port)] }));
      const svc = start(['--config', file]);
      await logged(svc, /plc1: connected to/, 'plc1 to connect');
      assert.equal(a.connectionCount, 1);
      svc.child.kill(signal);
      assert.equal(await svc.exited, 0, svc.stderr());
      assert.match(svc.stderr(), new RegExp(`info  service: ${signal}; exiting`));
      // The socket was closed by the gateway, not left for the kernel to reap.
      await waitFor('the simulator connection to close', () => a.connectionCount === 0, 2000);
      const count = a.requestCount;
      await delay(200);
      assert.equal(a.requestCount, count, 'no polling after the exit');
    });
  }

  it('with no --config it still runs as a service; text lines by default, --log-format json lines parse', async () => {
    const text = start([]);
    await logged(text, /running as a service/, 'the start line');
    assert.match(text.stderr().split('\n')[0]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info {2}gateway: bifrost gateway .* running as a service, data dir /);
    await delay(300);
    assert.equal(text.child.exitCode, null);
    text.child.kill('SIGTERM');
    assert.equal(await text.exited, 0);

    const a = await simulator();
    const file = path.join(dir, 'bifrost.json');
    writeFileSync(file, JSON.stringify({ devices: [device('plc1', a.port)] }));
    const json = start(['--config', file, '--log-format', 'json', '--log-level', 'debug']);
    await logged(json, /plc1: connected to/, 'plc1 to connect');
    await logged(json, /plc1: polling 1 tag/, 'plc1 to be polled');
    json.child.kill('SIGTERM');
    assert.equal(await json.exited, 0);
    const lines = json.stderr().split('\n').filter(Boolean);
    assert.ok(lines.length >= 4, json.stderr());
    for (const line of lines) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      assert.deepEqual(Object.keys(entry), ['time', 'level', 'component', 'message'], line);
      assert.ok(!Number.isNaN(Date.parse(entry['time'] as string)), line);
      assert.match(entry['level'] as string, /^(trace|debug|info|warn|error)$/);
    }
    const components = new Set(lines.map((l) => (JSON.parse(l) as { component: string }).component));
    assert.ok(components.has('gateway') && components.has('poller') && components.has('service'), [...components].join(', '));
  });

  it('--data-dir is created with mode 0700 and holds the PKI (the demo plant\'s signed OPC UA session makes the certificate)', async () => {
    dataDir = path.join(dir, 'nested', 'state');
    const svc = start(['--demo']);
    // The OPC UA server starts in a worker and makes its own certificate first: slow on a busy machine.
    await logged(svc, /demo plant OPC UA server running/, 'the demo OPC UA server', 40_000);
    await logged(svc, /demo-opcua: connected to/, 'the demo OPC UA device to connect', 20_000);
    const certs = path.join(dataDir, 'pki', 'own', 'certs');
    assert.ok(readdirSync(certs).some((f) => f.endsWith('.pem')), `no certificate in ${certs}`);
    for (const d of [path.join(dir, 'nested'), dataDir, path.join(dataDir, 'pki')]) {
      assert.equal(statSync(d).mode & 0o777, 0o700, d);
    }
    svc.child.kill('SIGTERM');
    assert.equal(await svc.exited, 0, svc.stderr());
  });

  it('runs as a command of its own (bifrost-gateway: the bundle with its #! line, executable)', async () => {
    const child = spawn(defaultGatewayPath(), ['--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    running.push(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    assert.equal(code, 0, stderr);
    assert.match(stderr, /^usage: bifrost-gateway /);
  });

  it('a data dir that cannot be created: exit code 2 and why', async () => {
    writeFileSync(path.join(dir, 'file'), '');
    dataDir = path.join(dir, 'file', 'state');
    const svc = start([]);
    assert.equal(await svc.exited, 2, svc.stderr());
    assert.match(svc.stderr(), /error gateway: cannot use the data dir: cannot create the folder .*file[/\\]state: ENOTDIR/);
  });

  const refused: [string, string[], RegExp][] = [
    ['an unknown option', ['--bogus'], /^\[error\] unknown option --bogus; --help lists the options$/m],
    ['a stray argument', ['bifrost.json'], /^\[error\] unexpected argument "bifrost\.json": the gateway takes options only$/m],
    ['an option without its value', ['--config'], /^\[error\] --config needs a value$/m],
    ['an unknown --log-format', ['--log-format', 'xml'], /^\[error\] unknown --log-format "xml"; use plain, text, json$/m],
    ['--stdio with --node-ipc', ['--stdio', '--node-ipc'], /^\[error\] --stdio and --node-ipc exclude each other$/m],
  ];
  for (const [what, args, message] of refused) {
    it(`${what}: exit code 2 and why`, async () => {
      const svc = start(args);
      assert.equal(await svc.exited, 2, svc.stderr());
      assert.match(svc.stderr(), message);
      assert.equal(svc.stdout(), '');
    });
  }
});
