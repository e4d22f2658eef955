/**
 * The gateway's command line and its exit codes, as docs/protocol.md lists them: 0 for --help and
 * an orderly end, 1 when the client is gone or `exit` comes without `shutdown`, 2 for a bad option
 * or a --config file that cannot be used. Nothing but JSON-RPC ever reaches stdout.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultGatewayPath } from '../../tools/gatewayClient';
import { GATEWAY_NODE_OPTIONS, type DeviceListResult } from '../../gateway/protocol';
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';
import { startGateway, waitFor } from './harness';

interface Run {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

function gateway(args: string[]): Run {
  const child = spawn(process.execPath, [...GATEWAY_NODE_OPTIONS, defaultGatewayPath(), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

describe('the gateway command line', function () {
  this.timeout(30_000);
  let dir: string;
  const running: ChildProcess[] = [];

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-cli-'));
  });
  afterEach(() => {
    for (const c of running.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const run = (args: string[]) => {
    const r = gateway(args);
    running.push(r.child);
    return r;
  };

  it('--help: the usage on stderr, nothing on stdout, code 0', async () => {
    const r = run(['--help']);
    assert.equal(await r.exited, 0);
    assert.match(r.stderr(), /^usage: bifrost-gateway \[--stdio \| --node-ipc\] \[--config FILE\]/);
    assert.equal(r.stdout(), '');
  });

  const refused: [string, string[], (d: string) => RegExp][] = [
    ['an unknown --log-level', ['--stdio', '--log-level', 'loud'], () => /^\[error\] unknown --log-level "loud"; use trace, debug, info, warn or error$/m],
    ['a --config file that does not exist', ['--stdio', '--config', 'MISSING'], (d) => new RegExp(`^\\[error\\] cannot load --config ${escape(path.join(d, 'missing.json'))}: ENOENT`, 'm')],
    ['a --config file that does not parse', ['--stdio', '--config', 'BROKEN'], (d) => new RegExp(`^\\[error\\] cannot load --config ${escape(path.join(d, 'broken.json'))}: .+`, 'm')],
  ];
  for (const [what, args, message] of refused) {
    it(`${what}: code 2, and why on stderr`, async () => {
      writeFileSync(path.join(dir, 'broken.json'), '{ "devices": [ { "id": "a" ');
      const files: Record<string, string> = { MISSING: path.join(dir, 'missing.json'), BROKEN: path.join(dir, 'broken.json') };
      const r = run(args.map((a) => files[a] ?? a));
      assert.equal(await r.exited, 2, r.stderr());
      assert.match(r.stderr(), message(dir));
      assert.equal(r.stdout(), '', 'nothing on the JSON-RPC wire');
    });
  }

  it('--config with comments and trailing commas: loads the devices', async () => {
    const sim = new ModbusTcpSimulator();
    await sim.start();
    const file = path.join(dir, 'bifrost.json');
    writeFileSync(file, `{\n  // the line's PLC\n  "devices": [{ "id": "plc1", "protocol": "modbus-tcp", "host": "127.0.0.1", "port": ${sim.port}, },],\n}\n`);
    const gw = await startGateway(['--config', file]);
    try {
      const list = await waitFor('plc1 connected', async () => {
        const l = await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list');
        return l.devices[0]?.status === 'connected' ? l : undefined;
      });
      assert.deepEqual(list.devices.map((d) => [d.id, d.source]), [['plc1', 'config']]);
    } finally {
      await gw.close();
      await sim.stop();
    }
  });

  it('`exit` without `shutdown` first: code 1', async () => {
    const gw = await startGateway();
    const exited = new Promise<number | null>((r) => gw.child.once('exit', (code) => r(code)));
    await gw.connection.sendNotification('exit');
    assert.equal(await exited, 1);
    await gw.close();
  });

  it('the client process of --clientProcessId is gone: code 1', async () => {
    const client = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    running.push(client);
    const r = run(['--stdio', '--clientProcessId', String(client.pid)]);
    await waitFor('the gateway to listen', () => /listening on stdio/.test(r.stderr()));
    client.kill('SIGKILL');
    assert.equal(await r.exited, 1, r.stderr());
    assert.equal(r.stdout(), '');
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
