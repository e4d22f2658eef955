/**
 * The demo terminal: its table rendering, then the built dist/demo.js running the real gateway
 * with its demo plant, both piped (snapshots) and on a pseudo-terminal (live redraw, Ctrl-C).
 */
import * as assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DeviceInfo, TagInfo, TagReading, ValueKind } from '../../gateway/protocol';
import { BOILER_TAGS, TANK_TAGS } from '../../gateway/sim/demoPlant';
import { formatAge, formatValue, renderDevices, renderLine, scaleDecimals } from '../../tools/table';

const DIST = path.resolve(__dirname, '..', '..', 'dist');
const DEMO = path.join(DIST, 'demo.js');
const GATEWAY = path.join(DIST, 'gateway.js');

function kindOf(type: string, address: string): ValueKind {
  if (type === 'bool') return 'boolean';
  if (type === 'string') return 'string';
  return type.startsWith('float') || address.includes('*') ? 'number' : 'integer';
}

function tagInfo(name: string, type: string, address: string, unit?: string): TagInfo {
  return { name, dataType: type, valueKind: kindOf(type, address), address, unit, access: 'read', writable: false };
}

function deviceInfo(tags: TagInfo[], overrides: Partial<DeviceInfo> = {}): DeviceInfo {
  return {
    id: 'dev',
    name: 'Test Device',
    protocol: 'modbus-tcp',
    endpoint: '127.0.0.1:1502 unit 1',
    status: 'connected',
    lastError: null,
    allowWrites: false,
    pollIntervalMs: 500,
    source: 'config',
    enabled: true,
    stats: { requests: 12, errors: 1, timeouts: 0, reconnects: 0, skippedScans: 0, latencyP50Ms: 0.25, latencyP99Ms: 1 },
    tags,
    ...overrides,
  };
}

describe('demo terminal: table', () => {
  it('formats values by type, scale and magnitude', () => {
    const t = (type: string, address = 'holding:0') => ({ dataType: type, valueKind: kindOf(type, address), address });
    assert.equal(formatValue(null, t('uint16')), '—');
    assert.equal(formatValue(true, t('bool')), 'true');
    assert.equal(formatValue('AB "1"', t('string')), '"AB \\"1\\""');
    assert.equal(formatValue('18446744073709551615', t('uint64')), '18446744073709551615');
    assert.equal(formatValue(4182, t('uint32')), '4182');
    assert.equal(formatValue(70, t('int16', 'input:0:int16*0.1')), '70.0', 'a scaled integer keeps its decimals');
    assert.equal(formatValue(2.3800000000000003, t('int16', 'input:1:int16*0.01')), '2.38');
    assert.equal(formatValue(70, t('float32')), '70.00');
    assert.equal(formatValue(3.14159, t('float32')), '3.142');
    assert.equal(formatValue(12873.45, t('float64')), '12873.5');
    assert.equal(formatValue(1.5e-7, t('float32')), '1.500e-7');
    assert.equal(formatValue(Number.NaN, t('float32')), 'NaN');
    assert.equal(scaleDecimals('holding:0:int16*0.25+20'), 2);
    assert.equal(scaleDecimals('holding:0:int16*1e-3'), 3);
    assert.equal(scaleDecimals('holding:0:int16'), 0);
  });

  it('formats ages', () => {
    assert.equal(formatAge(-5), '0.0 s');
    assert.equal(formatAge(430), '0.4 s');
    assert.equal(formatAge(12_900), '12 s');
    assert.equal(formatAge(3 * 60_000 + 5000), '3 min');
    assert.equal(formatAge(2.5 * 3_600_000), '2 h');
  });

  it('cuts lines to the width, counting characters and not colour codes', () => {
    const segs = [{ text: 'abc', style: 'red' as const }, { text: 'defgh' }];
    assert.equal(renderLine(segs, 100, false), 'abcdefgh');
    assert.equal(renderLine(segs, 6, false), 'abcde…');
    assert.equal(renderLine(segs, 6, true), '\x1b[31mabc\x1b[0mde…');
    assert.equal(renderLine([{ text: 'a\x1b[2Jb\n' }], 10, false), 'a [2Jb ', 'control characters cannot reach the terminal');
  });

  it('shows every tag with value, unit, age and quality, and bad readings with their reason in red', () => {
    const now = 1_000_000;
    const tags = [tagInfo('level', 'float32', 'input:0:float32', '%'), tagInfo('pressure', 'int16', 'input:2:int16*0.01', 'bar'), tagInfo('door', 'bool', 'discrete:0')];
    const readings = new Map<string, TagReading>([
      ['level', { tag: 'level', value: 54.321, quality: 'good', timestamp: now - 300 }],
      ['pressure', { tag: 'pressure', value: null, quality: 'bad', timestamp: now - 2000, error: 'Modbus exception 2: illegal data address' }],
    ]);
    const plain = renderDevices([{ info: deviceInfo(tags), readings }], { now, color: false, width: 200 });
    assert.match(plain[0], /^Test Device {2}dev {2}127\.0\.0\.1:1502 unit 1 {2}connected {2}requests 12 {2}errors 1 {2}p50 0\.25 ms$/);
    assert.match(plain[1], /^ {2}level +54\.32 % +0\.3 s {2}good$/);
    assert.match(plain[2], /^ {2}pressure +— bar +2\.0 s {2}bad: Modbus exception 2: illegal data address$/);
    assert.match(plain[3], /^ {2}door +— +waiting$/);
    assert.ok(plain.every((l) => !l.includes('\x1b')));

    const colored = renderDevices([{ info: deviceInfo(tags), readings }], { now, color: true, width: 200 });
    assert.ok(colored[2].includes('\x1b[31mbad: Modbus exception 2: illegal data address\x1b[0m'));
    assert.ok(colored[0].includes('\x1b[32mconnected\x1b[0m'));
  });

  it('shows why a device is not connected', () => {
    const info = deviceInfo([], { status: 'disconnected', lastError: 'connect ECONNREFUSED 127.0.0.1:1502' });
    const lines = renderDevices([{ info, readings: new Map() }], { now: 0, color: true, width: 200 });
    assert.ok(lines[0].includes('\x1b[31mdisconnected\x1b[0m'));
    assert.equal(lines[1], '\x1b[31m  connect ECONNREFUSED 127.0.0.1:1502\x1b[0m');
  });
});

describe('demo terminal: dist/demo.js with the real gateway', function () {
  const children: ChildProcess[] = [];

  before(() => {
    for (const file of [DEMO, GATEWAY]) {
      if (!fs.existsSync(file)) throw new Error(`${file} is missing: build first (npm test does, or run "node esbuild.mjs")`);
    }
  });

  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  function start(command: string, args: string[]): { child: ChildProcess; output: () => string; errors: () => string; exited: Promise<number | null> } {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '' } });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, output: () => out, errors: () => err, exited };
  }

  async function waitFor(cond: () => boolean): Promise<void> {
    while (!cond()) await new Promise((r) => setTimeout(r, 50));
  }

  function alive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  it('prints snapshots of every demo tag when piped, and shuts the gateway down on SIGINT', async function () {
    this.timeout(30_000);
    const demo = start(process.execPath, [DEMO, '--verbose']);
    await waitFor(() => /^---/m.test(demo.output()) && demo.output().includes('Boiler Controller'));
    const first = demo.output().split(/^---.*$/m)[1];
    for (const name of [...Object.values(TANK_TAGS), ...Object.values(BOILER_TAGS)]) {
      assert.match(first, new RegExp(`^  ${name} .*  (good|waiting)$`, 'm'), `row for ${name}`);
    }
    assert.match(first, /^Tank Farm PLC {2}demo-tank {2}127\.0\.0\.1:\d+ unit 1 {2}connected/m);
    assert.match(first, /^ {2}serial_number +"TF-PLC-2291-0047" +\d+\.\d s {2}good$/m);
    assert.ok(!first.includes('\x1b'), 'no escape codes when stdout is not a terminal');

    // --verbose passes the gateway log on; it names the gateway's pid.
    await waitFor(() => /pid \d+/.test(demo.errors()));
    const gatewayPid = Number(/pid (\d+)/.exec(demo.errors())![1]);
    assert.ok(alive(gatewayPid));

    demo.child.kill('SIGINT');
    assert.equal(await demo.exited, 0, demo.errors());
    await waitFor(() => !alive(gatewayPid));
  });

  it('redraws in place on a terminal and quits cleanly on Ctrl-C', async function () {
    this.timeout(30_000);
    // `script` gives the demo a pseudo-terminal; keystrokes go through its stdin.
    const cmd = `stty cols 150 rows 60; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(DEMO)}`;
    const demo = start('script', ['-qfec', cmd, '/dev/null']);
    await waitFor(() => (demo.output().match(/serial_number/g) ?? []).length >= 4);
    const out = demo.output();
    assert.ok(out.includes('\x1b[?1049h'), 'switches to the alternate screen');
    assert.ok(out.includes('\x1b[H'), 'redraws from the top');
    assert.ok(out.includes('\x1b[32mconnected\x1b[0m'), 'status in colour');
    if (spawnSync('socat', ['-V']).status === 0) {
      // The serial bus joins a moment later; m mutes its energy meter, which then turns bad.
      await waitFor(() => demo.output().includes('m: mute demo-meter on the serial bus'));
      demo.child.stdin!.write('m');
      // The table is longer than the screen: the header shows the gateway took it.
      await waitFor(() => demo.output().includes('m: unmute demo-meter on the serial bus'));
    }
    demo.child.stdin!.write('\x03');
    assert.equal(await demo.exited, 0, demo.errors());
    assert.ok(demo.output().endsWith('\x1b[?25h\x1b[?1049l'), 'restores the cursor and the screen');
  });
});
