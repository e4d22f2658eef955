/**
 * Drivers as plug-ins, against the built gateway: capabilities in `initialize`, loading a driver
 * module with `--driver` (and refusing a bad one), and a second protocol (the in-memory test
 * driver, test/fixtures/memoryDriver.ts) served end to end: configuration problems, the device
 * list, tree browse with paging, progress and cancellation, reads, writes, and polling
 * subscriptions with deadbands.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import { defaultGatewayPath, spawnGateway, type GatewayProcess } from '../../tools/gatewayClient';
import type {
  BrowseItem,
  BrowseResult,
  ConfigLoadResult,
  DeviceListResult,
  InitializeResult,
  ProgressParams,
  SubscribeResult,
  TagReading,
  TagsReadResult,
  TagsWriteResult,
} from '../../gateway/protocol';
import { rpcError, startGateway, ValueLog, waitFor } from './harness';

const MEMORY_DRIVER = path.resolve(__dirname, '..', '..', 'dist', 'test', 'memory-driver.js');

/** A gateway with the memory driver plugged in. */
function gatewayWithMemory(): Promise<GatewayProcess> {
  return startGateway(['--driver', MEMORY_DRIVER]);
}

/** `initialize` once more: the gateway answers it each time, and the harness keeps no answer. */
function initialize(gw: GatewayProcess): Promise<InitializeResult> {
  return gw.connection.sendRequest<InitializeResult>('initialize', { processId: null, capabilities: {} });
}

/** The plant every memory test below runs against. */
function plant(): Record<string, unknown> {
  return {
    id: 'mem',
    name: 'Memory plant',
    protocol: 'memory',
    allowWrites: true,
    pollIntervalMs: 50,
    nodes: {
      Line1: {
        Speed: { type: 'number', value: 12.5, min: 0, max: 100, writable: true, unit: 'm/min' },
        Count: { type: 'integer', value: 7 },
        Energy: { type: 'integer', value: '9007199254740993', writable: true, unit: 'Wh' },
        Mode: { type: 'enum', values: ['auto', 'manual', 'off'], value: 0, writable: true },
        Running: { type: 'boolean', value: true },
        Batch: { type: 'string', value: 'B-17', maxLength: 8, writable: true },
        Profile: { type: 'array', value: [1, 2, 3], writable: true },
        Recipe: { type: 'structure', value: { name: 'std', temp: 80 }, writable: true },
        Probe: { type: 'number', status: 'BadSensorFailure' },
      },
      Line2: { Drives: { M1: { Current: { type: 'number', value: 3.2, unit: 'A' } } }, Spare: {} },
      Ramps: {
        Fast: { type: 'number', value: 0, ramp: { step: 1, everyMs: 5 } },
        Grow: { type: 'number', value: 100, ramp: { step: 1, everyMs: 5 } },
        // 7 ms, not 5: four steps of 5 ms make one whole turn per 20 ms scan, and scans on the grid
        // would then read the same value every time.
        Cycle: { type: 'integer', value: 0, min: 0, max: 3, ramp: { step: 1, everyMs: 7 } },
      },
      Many: Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`V${String(i).padStart(2, '0')}`, { type: 'integer', value: i }])),
    },
    tags: [
      { name: 'speed', node: 'Line1/Speed', access: 'readwrite', description: 'Belt speed' },
      { name: 'running', node: 'Line1/Running' },
      { name: 'fast10', node: 'Ramps/Fast', deadband: { type: 'absolute', value: 10 } },
    ],
  };
}

async function browseAll(gw: GatewayProcess, deviceId: string, node: string | undefined, maxItems: number): Promise<{ pages: BrowseResult[]; items: BrowseItem[] }> {
  const pages: BrowseResult[] = [];
  let continuation: string | undefined;
  do {
    const page = await gw.connection.sendRequest<BrowseResult>('bifrost/browse', { deviceId, node, maxItems, continuation });
    pages.push(page);
    continuation = page.continuation;
  } while (continuation !== undefined && pages.length < 100);
  return { pages, items: pages.flatMap((p) => p.items) };
}

/** The good values of one tag in one subscription, in the order they arrived. */
function series(values: ValueLog, subscriptionId: string, tag: string): TagReading[] {
  return (values.batches.get(subscriptionId) ?? []).flatMap((batch) => batch.filter((r) => r.tag === tag));
}

function numbers(readings: TagReading[]): number[] {
  return readings.filter((r) => r.quality === 'good').map((r) => r.value as number);
}

function steps(xs: number[]): number[] {
  return xs.slice(1).map((x, i) => x - xs[i]!);
}

function exited(child: ReturnType<typeof spawn>): Promise<number | null> {
  return new Promise((r) => child.once('exit', (code) => r(code)));
}

describe('plug-in drivers', function () {
  this.timeout(20_000);

  describe('initialize', () => {
    it('answers the version and every protocol with what it can do; a --driver module adds its own', async () => {
      const plain = await startGateway();
      const withMemory = await gatewayWithMemory();
      try {
        const builtIn = (await initialize(plain)).capabilities.bifrost;
        const init = await initialize(withMemory);
        const caps = init.capabilities.bifrost;
        assert.equal(caps.version, init.serverInfo.version);
        assert.match(caps.version, /^\d+\.\d+\.\d+/);
        assert.deepEqual(Object.keys(builtIn.protocols), ['modbus-tcp', 'modbus-rtu', 'opcua']);
        assert.deepEqual(Object.keys(caps.protocols), ['modbus-tcp', 'modbus-rtu', 'opcua', 'memory']);

        const modbus = caps.protocols['modbus-tcp']!;
        assert.deepEqual(
          { ...modbus, deviceFields: undefined },
          { displayName: 'Modbus TCP', browse: 'flat', subscribe: 'polling', write: true, methods: false, history: false, discovery: true, inspect: true, deviceFields: undefined },
        );
        assert.deepEqual(modbus.deviceFields.map((f) => [f.key, f.kind, f.required, f.default]), [
          ['host', 'string', true, undefined],
          ['port', 'integer', false, 502],
          ['unitId', 'integer', false, 1],
        ]);
        assert.deepEqual([modbus.deviceFields[1]!.min, modbus.deviceFields[1]!.max, modbus.deviceFields[2]!.max], [1, 65535, 255]);
        assert.ok(modbus.deviceFields.every((f) => f.label.length > 0 && (f.description ?? '').length > 0));

        const memory = caps.protocols['memory']!;
        assert.deepEqual(
          { ...memory, deviceFields: undefined },
          { displayName: 'In-memory test device', browse: 'tree', subscribe: 'polling', write: true, methods: false, history: false, discovery: false, deviceFields: undefined },
        );
        assert.deepEqual(memory.deviceFields, []);
      } finally {
        await plain.close();
        await withMemory.close();
      }
    });

    it('loads the drivers named in BIFROST_DRIVERS as well', async () => {
      const viaEnv = await spawnGateway({ env: { ...process.env, BIFROST_DRIVERS: MEMORY_DRIVER } });
      try {
        assert.deepEqual(Object.keys((await initialize(viaEnv)).capabilities.bifrost.protocols), ['modbus-tcp', 'modbus-rtu', 'opcua', 'memory']);
        assert.match(viaEnv.stderr(), /plug-in driver "memory" loaded from /);
      } finally {
        await viaEnv.close();
      }
    });
  });

  describe('a bad --driver file', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-drivers-'));
      writeFileSync(path.join(dir, 'not-a-driver.js'), 'module.exports = { hello: "world" };\n');
      writeFileSync(path.join(dir, 'throws.js'), 'throw new Error("this module breaks on load");\n');
      writeFileSync(
        path.join(dir, 'taken.js'),
        'exports.driver = { protocol: "modbus-tcp", capabilities: {}, rules: { device: [], tag: [] }, validate() { return {}; }, create() { throw new Error("never"); } };\n',
      );
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const cases: [string, RegExp][] = [
      ['missing.js', /^\[error\] cannot load the driver .*missing\.js: Cannot find module/m],
      ['not-a-driver.js', /^\[error\] cannot load the driver .*not-a-driver\.js: not a driver module: "protocol" must be a lowercase name such as "modbus-tcp"; "create" must be a function; "validate" must be a function; "capabilities" is missing; "rules" needs "device" and "tag" arrays$/m],
      ['throws.js', /^\[error\] cannot load the driver .*throws\.js: this module breaks on load$/m],
      ['taken.js', /^\[error\] cannot load the driver .*taken\.js: a driver for protocol "modbus-tcp" is already registered$/m],
    ];
    for (const [file, message] of cases) {
      it(`ends the gateway with code 2 and says why: ${file}`, async () => {
        const child = spawn(process.execPath, [defaultGatewayPath(), '--stdio', '--driver', path.join(dir, file)], { stdio: ['pipe', 'pipe', 'pipe'] });
        let stderr = '';
        let stdout = '';
        child.stderr.on('data', (d) => (stderr += d));
        child.stdout.on('data', (d) => (stdout += d));
        assert.equal(await exited(child), 2, stderr);
        assert.match(stderr, message);
        assert.equal(stdout, '', 'nothing on the JSON-RPC wire');
      });
    }
  });

  it('reports a device its driver cannot start as a problem at the device, and runs the others', async () => {
    const gw = await gatewayWithMemory();
    try {
      const res = await gw.connection.sendRequest<ConfigLoadResult>('bifrost/config/load', {
        devices: [plant(), { id: 'broken', protocol: 'memory', nodes: {}, failToStart: 'the simulated hardware is missing' }],
      });
      assert.deepEqual(res.devices, ['mem']);
      assert.deepEqual(res.problems.filter((p) => p.severity === 'error'), [
        {
          path: '/devices/1',
          message: 'broken: the memory driver could not start this device: the simulated hardware is missing',
          severity: 'error',
          device: 'broken',
          skipped: 'device',
          entry: '/devices/1',
        },
      ]);
      const { devices } = await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list');
      assert.deepEqual(devices.map((d) => d.id), ['mem']);
      assert.equal((await rpcError(gw.connection.sendRequest('bifrost/tags/read', { deviceId: 'broken', tags: ['x'] }))).code, 1001);
    } finally {
      await gw.close();
    }
  });

  describe('a device of the plug-in protocol', () => {
    let gw: GatewayProcess;
    let values: ValueLog;
    const progress: ProgressParams[] = [];
    const list = async () => (await gw.connection.sendRequest<DeviceListResult>('bifrost/devices/list')).devices;

    before(async () => {
      gw = await gatewayWithMemory();
      values = new ValueLog(gw.connection);
      gw.connection.onNotification('$/progress', (p: ProgressParams) => void progress.push(p));
    });
    after(() => gw.close());

    it('loads with its own configuration rules: broken nodes, tags and fields are reported with JSON pointers, the rest runs', async () => {
      const good = plant();
      const nodes = good['nodes'] as Record<string, Record<string, unknown>>;
      nodes['Line1'] = {
        ...nodes['Line1'],
        Kind: { type: 'complex' },
        Flag: { type: 'boolean', value: 3 },
        'a/b': { type: 'number' },
        Range: { type: 'number', min: 5, max: 1 },
        Text: { type: 'string', ramp: { step: 1, everyMs: 10 } },
        Choice: { type: 'enum', value: 0 },
        Loose: { type: 'number', colour: 'red' },
      };
      good['tags'] = [...(good['tags'] as object[]), { name: 'ghost', node: 'Line9/Nothing' }, { name: 'folder', node: 'Line1' }, { name: 'nowhere' }];
      const res = await gw.connection.sendRequest<ConfigLoadResult>('bifrost/config/load', {
        devices: [good, { id: 'slow-page', protocol: 'memory', nodes: {}, browseDelayMs: -1 }, { id: 'empty', protocol: 'memory' }],
      });
      assert.deepEqual(res.devices, ['mem']);
      const errors = res.problems.filter((p) => p.severity === 'error');
      const at = (path: string) => errors.find((p) => p.path === path)?.message;
      assert.deepEqual(errors.map((p) => p.path).sort(), [
        '/devices/0/nodes/Line1/Choice/values',
        '/devices/0/nodes/Line1/Flag/value',
        '/devices/0/nodes/Line1/Kind/type',
        '/devices/0/nodes/Line1/Range/max',
        '/devices/0/nodes/Line1/Text/ramp',
        '/devices/0/nodes/Line1/a~1b',
        '/devices/0/tags/3/node',
        '/devices/0/tags/4/node',
        '/devices/0/tags/5/node',
        '/devices/1/browseDelayMs',
        '/devices/2/nodes',
      ]);
      assert.match(at('/devices/0/nodes/Line1/Kind/type')!, /unknown variable type "complex"; use number, integer, boolean/);
      assert.equal(at('/devices/0/nodes/Line1/Flag/value'), '"value": expected true or false, got 3');
      assert.equal(at('/devices/0/nodes/Line1/Range/max'), '"max" (1) is below "min" (5)');
      assert.equal(at('/devices/0/tags/3/node'), 'no node has the path "Line9/Nothing"');
      assert.equal(at('/devices/0/tags/4/node'), '"Line1" is a folder; a tag names a variable');
      assert.match(at('/devices/0/tags/5/node')!, /every memory tag needs a "node"/);
      assert.equal(at('/devices/1/browseDelayMs'), '"browseDelayMs" must be a whole number from 0 to 60000 (got -1)');
      assert.match(at('/devices/2/nodes')!, /a memory device needs "nodes"/);
      assert.deepEqual(
        res.problems.filter((p) => p.severity === 'warning').map((p) => [p.path, p.message]),
        [['/devices/0/nodes/Line1/Loose/colour', 'unknown variable setting "colour" is ignored']],
      );
      // Everything valid runs: the broken variables are left out, their neighbours stay.
      const line1 = await gw.connection.sendRequest<BrowseResult>('bifrost/browse', { deviceId: 'mem', node: 'Line1' });
      assert.deepEqual(line1.items.map((i) => i.name), ['Speed', 'Count', 'Energy', 'Mode', 'Running', 'Batch', 'Profile', 'Recipe', 'Probe', 'Loose']);
    });

    it('is listed with its configured tags, connected', async () => {
      await gw.connection.sendRequest<ConfigLoadResult>('bifrost/config/load', { devices: [plant(), { ...plant(), id: 'mem-ro', allowWrites: false }] });
      const devices = await waitFor('both connected', async () => {
        const l = await list();
        return l.length === 2 && l.every((d) => d.status === 'connected') ? l : undefined;
      });
      const mem = devices.find((d) => d.id === 'mem')!;
      assert.deepEqual([mem.protocol, mem.name, mem.endpoint, mem.lastError, mem.source, mem.pollIntervalMs], ['memory', 'Memory plant', 'memory (38 variables)', null, 'config', 50]);
      assert.deepEqual(mem.tags, [
        { name: 'speed', address: 'Line1/Speed', dataType: 'float64', valueKind: 'number', unit: 'm/min', description: 'Belt speed', access: 'readwrite', writable: true, writeSpec: { kind: 'number', min: 0, max: 100 } },
        { name: 'running', address: 'Line1/Running', dataType: 'bool', valueKind: 'boolean', access: 'read', writable: false, notWritableReason: 'Line1/Running is read-only on the device' },
        { name: 'fast10', address: 'Ramps/Fast', dataType: 'float64', valueKind: 'number', access: 'read', writable: false, notWritableReason: 'Ramps/Fast is read-only on the device' },
      ]);
      const ro = devices.find((d) => d.id === 'mem-ro')!;
      assert.equal(ro.tags[0]!.writable, false);
      assert.equal(ro.tags[0]!.notWritableReason, 'writes are disabled for this device; set "allowWrites": true in its configuration to allow them');
    });

    it('browses as a tree: folders with hasChildren at the top, then the variables of a folder with their TagInfo', async () => {
      const top = await gw.connection.sendRequest<BrowseResult>('bifrost/browse', { deviceId: 'mem' });
      assert.equal(top.continuation, undefined);
      assert.deepEqual(top.items, [
        { ref: 'Line1', name: 'Line1', nodeClass: 'folder', hasChildren: true },
        { ref: 'Line2', name: 'Line2', nodeClass: 'folder', hasChildren: true },
        { ref: 'Ramps', name: 'Ramps', nodeClass: 'folder', hasChildren: true },
        { ref: 'Many', name: 'Many', nodeClass: 'folder', hasChildren: true },
      ]);
      const line2 = await gw.connection.sendRequest<BrowseResult>('bifrost/browse', { deviceId: 'mem', node: 'Line2' });
      assert.deepEqual(line2.items.map((i) => [i.ref, i.nodeClass, i.hasChildren]), [['Line2/Drives', 'folder', true], ['Line2/Spare', 'folder', false]]);
      const deep = await gw.connection.sendRequest<BrowseResult>('bifrost/browse', { deviceId: 'mem', node: 'Line2/Drives/M1' });
      assert.deepEqual(deep.items.map((i) => i.ref), ['Line2/Drives/M1/Current']);
      assert.deepEqual((await gw.connection.sendRequest<BrowseResult>('bifrost/browse', { deviceId: 'mem', node: 'Line2/Spare' })).items, []);

      const line1 = await gw.connection.sendRequest<BrowseResult>('bifrost/browse', { deviceId: 'mem', node: 'Line1' });
      const item = (name: string) => line1.items.find((i) => i.name === name)!;
      assert.ok(line1.items.every((i) => i.nodeClass === 'variable' && !i.hasChildren && i.tag?.name === i.ref && i.tag.address === i.ref && i.dataType === i.tag.dataType && i.writable === i.tag.writable));
      assert.deepEqual(
        line1.items.map((i) => [i.name, i.dataType, i.tag!.valueKind, i.writable]),
        [
          ['Speed', 'float64', 'number', true],
          ['Count', 'int64', 'integer', false],
          ['Energy', 'int64', 'integer', true],
          ['Mode', 'enum', 'integer', true],
          ['Running', 'bool', 'boolean', false],
          ['Batch', 'string', 'string', true],
          ['Profile', 'float64[]', 'array', true],
          ['Recipe', 'structure', 'structure', true],
          ['Probe', 'float64', 'number', false],
        ],
      );
      assert.deepEqual(item('Energy').tag!.writeSpec, { kind: 'integer', min: '-9223372036854775808', max: '9223372036854775807' });
      assert.deepEqual(item('Mode').tag!.writeSpec, { kind: 'enum', values: [{ value: 0, label: 'auto' }, { value: 1, label: 'manual' }, { value: 2, label: 'off' }] });
      assert.deepEqual(item('Batch').tag!.writeSpec, { kind: 'string', maxLength: 8 });
      assert.deepEqual([item('Profile').tag!.writeSpec, item('Recipe').tag!.writeSpec], [{ kind: 'json' }, { kind: 'json' }]);
      assert.equal(item('Running').tag!.writeSpec, undefined);
      assert.equal(item('Running').tag!.notWritableReason, 'Line1/Running is read-only on the device');
      assert.equal(item('Speed').tag!.notWritableReason, undefined);

      const onReadOnly = await gw.connection.sendRequest<BrowseResult>('bifrost/browse', { deviceId: 'mem-ro', node: 'Line1' });
      assert.ok(onReadOnly.items.every((i) => i.writable === false && /writes are disabled for this device/.test(i.tag!.notWritableReason!)));

      for (const [node, message] of [
        ['Line1/Speed', /mem: "Line1\/Speed" is a variable; only folders have children/],
        ['Line7', /mem: no node has the path "Line7"/],
      ] as const) {
        const err = await rpcError(gw.connection.sendRequest('bifrost/browse', { deviceId: 'mem', node }));
        assert.equal(err.code, 1002, err.message);
        assert.match(err.message, message);
      }
    });

    it('pages a browse with continuation: every item exactly once, in order', async () => {
      const { pages, items } = await browseAll(gw, 'mem', 'Many', 10);
      assert.deepEqual(pages.map((p) => p.items.length), [10, 10, 5]);
      assert.equal(pages[2]!.continuation, undefined);
      assert.deepEqual(items.map((i) => i.name), Array.from({ length: 25 }, (_, i) => `V${String(i).padStart(2, '0')}`));
      // One page per item, and a page as large as the folder, list the same.
      assert.deepEqual((await browseAll(gw, 'mem', 'Many', 1)).items, items);
      assert.deepEqual((await browseAll(gw, 'mem', 'Many', 25)).pages.length, 1);
      // A continuation belongs to the node it came from.
      const err = await rpcError(gw.connection.sendRequest('bifrost/browse', { deviceId: 'mem', node: 'Line1', continuation: pages[0]!.continuation }));
      assert.equal(err.code, -32602);
      assert.match(err.message, /"continuation" "10\|Many" does not come from a browse of "Line1" on mem/);
    });

    it('answers fewer items than asked when its browseMaxItems says so; the rest follow by continuation', async () => {
      const capped = { ...plant(), id: 'mem-capped', browseMaxItems: 4 };
      await gw.connection.sendRequest<ConfigLoadResult>('bifrost/config/load', { devices: [plant(), { ...plant(), id: 'mem-ro', allowWrites: false }, capped] });
      const { pages, items } = await browseAll(gw, 'mem-capped', 'Line1', 1000);
      assert.deepEqual(pages.map((p) => p.items.length), [4, 4, 1]);
      assert.deepEqual(items.map((i) => i.name), ['Speed', 'Count', 'Energy', 'Mode', 'Running', 'Batch', 'Profile', 'Recipe', 'Probe']);
      // Asked for fewer than the cap, a page is as small as asked.
      assert.deepEqual((await browseAll(gw, 'mem-capped', 'Line1', 3)).pages.map((p) => p.items.length), [3, 3, 3]);
    });

    it('reads every kind of value, 64-bit integers beyond 2^53 as decimal strings, with source and server timestamps', async () => {
      const refs = ['speed', 'Line1/Count', 'Line1/Energy', 'Line1/Mode', 'running', 'Line1/Batch', 'Line1/Profile', 'Line1/Recipe', 'Line1/Probe'];
      const before = Date.now();
      const { results } = await gw.connection.sendRequest<TagsReadResult>('bifrost/tags/read', { deviceId: 'mem', tags: refs });
      assert.deepEqual(results.map((r) => r.tag), refs);
      assert.deepEqual(results.slice(0, 8).map((r) => [r.value, r.quality]), [
        [12.5, 'good'],
        [7, 'good'],
        ['9007199254740993', 'good'],
        [0, 'good'],
        [true, 'good'],
        ['B-17', 'good'],
        [[1, 2, 3], 'good'],
        [{ name: 'std', temp: 80 }, 'good'],
      ]);
      for (const r of results.slice(0, 8)) {
        assert.ok(r.serverTimestamp! >= before && r.serverTimestamp! <= r.timestamp, JSON.stringify(r));
        assert.ok(r.sourceTimestamp! <= r.serverTimestamp!, JSON.stringify(r));
      }
      assert.deepEqual(results[8], { tag: 'Line1/Probe', value: null, quality: 'bad', timestamp: results[8]!.timestamp, status: 'BadSensorFailure', error: 'mem: Line1/Probe: the device reports BadSensorFailure' });

      for (const [ref, message] of [
        ['Line1', /mem: "Line1" is a folder; browse it for its variables/],
        ['Line1/Nothing', /mem: "Line1\/Nothing": no configured tag has that name, and no node has that path/],
      ] as const) {
        const err = await rpcError(gw.connection.sendRequest('bifrost/tags/read', { deviceId: 'mem', tags: ['speed', ref] }));
        assert.equal(err.code, 1002, err.message);
        assert.match(err.message, message);
      }
    });

    it('writes values its writeSpec admits and answers the confirmed value; refuses the rest before anything changes', async () => {
      const write = (deviceId: string, tag: string, value: unknown) => gw.connection.sendRequest<TagsWriteResult>('bifrost/tags/write', { deviceId, tag, value });
      const accepted: [string, unknown, unknown][] = [
        ['speed', 42.5, 42.5],
        ['Line1/Energy', '9007199254740995', '9007199254740995'],
        ['Line1/Mode', 2, 2],
        ['Line1/Batch', 'B-18', 'B-18'],
        ['Line1/Profile', [4, 5], [4, 5]],
        ['Line1/Recipe', { name: 'hot', temp: 95 }, { name: 'hot', temp: 95 }],
      ];
      for (const [tag, value, confirmed] of accepted) {
        const res = await write('mem', tag, value);
        assert.deepEqual([res.tag, res.value], [tag, confirmed]);
      }
      const refused: [string, string, unknown, number, RegExp][] = [
        ['mem-ro', 'speed', 1, 1004, /^mem-ro: writes are disabled for this device; set "allowWrites": true/],
        ['mem', 'running', true, 1004, /^mem: Line1\/Running is read-only on the device$/],
        ['mem', 'Line1/Count', 1, 1004, /^mem: Line1\/Count is read-only on the device$/],
        ['mem', 'speed', 150, 1003, /^mem: cannot write 150 to speed: 150 is outside 0\.\.100$/],
        ['mem', 'speed', 'fast', 1003, /^mem: cannot write "fast" to speed: expected a number, got "fast"$/],
        ['mem', 'Line1/Energy', 1.5, 1003, /^mem: cannot write 1\.5 to Line1\/Energy: expected a whole number/],
        ['mem', 'Line1/Energy', '9223372036854775808', 1003, /is outside -9223372036854775808\.\.9223372036854775807$/],
        ['mem', 'Line1/Mode', 3, 1003, /expected one of 0 \(auto\), 1 \(manual\), 2 \(off\), got 3$/],
        ['mem', 'Line1/Batch', 'TOO-LONG-1', 1003, /"TOO-LONG-1" has 10 characters, at most 8 fit$/],
        ['mem', 'Line1/Profile', [1, 'two'], 1003, /expected an array of numbers/],
        ['mem', 'Line1/Recipe', { name: 'cold' }, 1003, /expected the fields name, temp, got name$/],
        ['mem', 'Line1/Recipe', { name: 'cold', temp: 'low' }, 1003, /field "temp" holds a number, got "low"$/],
        ['mem', 'Line1', 1, 1002, /"Line1" is a folder/],
      ];
      for (const [deviceId, tag, value, code, message] of refused) {
        const err = await rpcError(write(deviceId, tag, value));
        assert.equal(err.code, code, `${deviceId} ${tag} ${JSON.stringify(value)}: ${err.message}`);
        assert.match(err.message, message);
      }
      const { results } = await gw.connection.sendRequest<TagsReadResult>('bifrost/tags/read', {
        deviceId: 'mem',
        tags: ['speed', 'Line1/Speed', 'Line1/Energy', 'Line1/Mode', 'Line1/Batch', 'Line1/Profile', 'Line1/Recipe'],
      });
      assert.deepEqual(results.map((r) => r.value), [42.5, 42.5, '9007199254740995', 2, 'B-18', [4, 5], { name: 'hot', temp: 95 }]);
      const ro = await gw.connection.sendRequest<TagsReadResult>('bifrost/tags/read', { deviceId: 'mem-ro', tags: ['speed'] });
      assert.equal(ro.results[0]!.value, 12.5, 'the refused write changed nothing');
      assert.match(gw.stderr(), /\[info\] mem: wrote "9007199254740995" to Line1\/Energy \(Line1\/Energy\)/);
    });

    describe('subscriptions', () => {
      const subscribe = (params: object) => gw.connection.sendRequest<SubscribeResult>('bifrost/subscribe', { deviceId: 'mem', intervalMs: 20, ...params });
      const unsubscribe = (subscriptionId: string) => gw.connection.sendRequest('bifrost/unsubscribe', { subscriptionId });

      it('deliver changing values; an absolute deadband (per subscription) holds back changes within it', async () => {
        const plain = await subscribe({ tags: ['Ramps/Fast', 'Ramps/Cycle'] });
        const banded = await subscribe({ tags: ['Ramps/Fast'], deadband: { type: 'absolute', value: 10 } });
        try {
          // Both ramps run on the device's clock: wait until each has moved, not for a time.
          await waitFor('several banded values and a step of the cycle', () => numbers(series(values, banded.subscriptionId, 'Ramps/Fast')).length >= 5 && new Set(numbers(series(values, plain.subscriptionId, 'Ramps/Cycle'))).size > 1);
          const cycle = numbers(series(values, plain.subscriptionId, 'Ramps/Cycle'));
          assert.ok(cycle.every((x) => Number.isInteger(x) && x >= 0 && x <= 3) && new Set(cycle).size > 1, `an integer ramp wraps within 0..3: ${cycle.join(' ')}`);
          const all = numbers(series(values, plain.subscriptionId, 'Ramps/Fast'));
          const held = numbers(series(values, banded.subscriptionId, 'Ramps/Fast'));
          assert.ok(steps(all).every((d) => d > 0), `the ramp rises: ${all.join(' ')}`);
          assert.ok(steps(all).some((d) => d <= 10), `without a deadband smaller changes arrive: ${all.join(' ')}`);
          assert.ok(steps(held).every((d) => d > 10), `each change beyond 10: ${held.join(' ')}`);
        } finally {
          await unsubscribe(plain.subscriptionId);
          await unsubscribe(banded.subscriptionId);
        }
      });

      it('honour a percent deadband of the last value sent', async () => {
        const sub = await subscribe({ tags: ['Ramps/Grow'], deadband: { type: 'percent', value: 10 } });
        try {
          await waitFor('several values', () => numbers(series(values, sub.subscriptionId, 'Ramps/Grow')).length >= 4);
          const xs = numbers(series(values, sub.subscriptionId, 'Ramps/Grow'));
          xs.slice(1).forEach((x, i) => assert.ok(x - xs[i]! > 0.1 * xs[i]!, `${xs[i]} → ${x}: more than 10 % (${xs.join(' ')})`));
        } finally {
          await unsubscribe(sub.subscriptionId);
        }
      });

      it("use a tag's own deadband, and a subscription's deadband over it", async () => {
        const own = await subscribe({ tags: ['fast10'] });
        const wider = await subscribe({ tags: ['fast10'], deadband: { type: 'absolute', value: 30 } });
        try {
          await waitFor('several values', () => numbers(series(values, wider.subscriptionId, 'fast10')).length >= 3);
          const a = numbers(series(values, own.subscriptionId, 'fast10'));
          const b = numbers(series(values, wider.subscriptionId, 'fast10'));
          assert.ok(steps(a).every((d) => d > 10), `the tag's deadband: ${a.join(' ')}`);
          assert.ok(steps(a).some((d) => d <= 30), `finer than the subscription's: ${a.join(' ')}`);
          assert.ok(steps(b).every((d) => d > 30), `the subscription's deadband: ${b.join(' ')}`);
        } finally {
          await unsubscribe(own.subscriptionId);
          await unsubscribe(wider.subscriptionId);
        }
      });

      it('send unchanged values on every scan only without onChangeOnly', async () => {
        const every = await subscribe({ tags: ['running', 'Ramps/Fast'], onChangeOnly: false });
        const changes = await subscribe({ tags: ['running', 'Ramps/Fast'] });
        try {
          await waitFor('several scans', () => series(values, changes.subscriptionId, 'Ramps/Fast').length >= 5 && series(values, every.subscriptionId, 'running').length >= 5);
          const repeated = series(values, every.subscriptionId, 'running');
          assert.ok(repeated.every((r) => r.value === true && r.quality === 'good'));
          assert.deepEqual(series(values, changes.subscriptionId, 'running').map((r) => r.value), [true], 'an unchanged value is sent once');
        } finally {
          await unsubscribe(every.subscriptionId);
          await unsubscribe(changes.subscriptionId);
        }
      });

      it('stop with unsubscribe while others on the same scan group go on', async () => {
        const gone = await subscribe({ tags: ['Ramps/Fast'] });
        const stays = await subscribe({ tags: ['Ramps/Fast'] });
        await waitFor('values for both', () => values.count(gone.subscriptionId) >= 2 && values.count(stays.subscriptionId) >= 2);
        await unsubscribe(gone.subscriptionId);
        const frozen = values.count(gone.subscriptionId);
        const from = values.count(stays.subscriptionId);
        await waitFor('more scans', () => values.count(stays.subscriptionId) >= from + 5);
        await unsubscribe(stays.subscriptionId);
        assert.equal(values.count(gone.subscriptionId), frozen, 'nothing after the answer to unsubscribe');
      });
    });

    describe('browse progress and cancellation', () => {
      before(async () => {
        const slow = (id: string, count: number, delayMs: number) => ({
          id,
          protocol: 'memory',
          browseDelayMs: delayMs,
          browsePageSize: 2,
          nodes: { Big: Object.fromEntries(Array.from({ length: count }, (_, i) => [`N${i}`, { type: 'number', value: i }])) },
        });
        await gw.connection.sendRequest('bifrost/config/load', { devices: [plant(), slow('walk', 6, 20), slow('crawl', 40, 300)] });
      });

      it('reports $/progress under the progressToken while a browse runs', async () => {
        const res = await gw.connection.sendRequest<BrowseResult>('bifrost/browse', { deviceId: 'walk', node: 'Big', progressToken: 'walk-1' });
        assert.equal(res.items.length, 6);
        const mine = progress.filter((p) => p.token === 'walk-1').map((p) => p.value);
        assert.deepEqual(mine, [
          { done: 2, total: 6, message: '2 of 6 items of Big' },
          { done: 4, total: 6, message: '4 of 6 items of Big' },
          { done: 6, total: 6, message: '6 of 6 items of Big' },
        ]);
        // Without a token, no progress.
        const count = progress.length;
        await gw.connection.sendRequest<BrowseResult>('bifrost/browse', { deviceId: 'walk', node: 'Big' });
        assert.equal(progress.length, count);
      });

      it('answers a cancelled browse with -32800 at once, and reports no progress after that', async () => {
        const source = new CancellationTokenSource();
        const answer = rpcError(gw.connection.sendRequest('bifrost/browse', { deviceId: 'crawl', node: 'Big', progressToken: 7 }, source.token));
        await waitFor('the first progress report', () => progress.some((p) => p.token === 7));
        source.cancel();
        const err = await answer;
        assert.equal(err.code, -32800, err.message);
        assert.equal(err.message, 'the request was cancelled');
        const reports = progress.filter((p) => p.token === 7);
        assert.ok(reports.length < 20, `the browse stopped early (${reports.length} of 20 pages)`);
        assert.ok(reports.every((p) => p.value.total === 40));
        // Requests after it are served as usual; notifications sent before an answer arrive before it.
        await gw.connection.sendRequest<BrowseResult>('bifrost/browse', { deviceId: 'walk', node: 'Big' });
        assert.equal(progress.filter((p) => p.token === 7).length, reports.length);
      });
    });
  });
});
