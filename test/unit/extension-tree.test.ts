import * as assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { ErrorCodes, NodeAttributes } from '../../gateway/protocol';
import type {
  BrowseItem,
  BrowseParams,
  BrowseResult,
  ConfigProblem,
  DeviceInfo,
  GatewayCapabilities,
  NodeAttributesParams,
  NodeAttributesResult,
  SubscribeParams,
  SubscribeResult,
  TagInfo,
  TagReading,
} from '../../gateway/protocol';
import type { ValueHub as ValueHubClass } from '../../extension/client/valueHub';
import type { TreeNode } from '../../extension/tree/nodes';
import type { SkippedEntry } from '../../extension/config/skipped';
import type { TagTreeProvider as TagTreeProviderClass } from '../../extension/tree/tagTree';
import type { TreeValues as TreeValuesClass } from '../../extension/tree/treeValues';
import { fakeVscode, FakeMarkdown, FakeTreeItem, installFakeVscode, TreeItemCollapsibleState } from './extension-fakeVscode';

const CAPS: GatewayCapabilities = {
  version: '0.2.0',
  protocols: {
    'modbus-tcp': {
      displayName: 'Modbus TCP',
      browse: 'flat',
      subscribe: 'polling',
      write: true,
      methods: false,
      history: false,
      discovery: false,
      deviceFields: [],
    },
    tree: { displayName: 'Tree Protocol', browse: 'tree', subscribe: 'native', write: true, methods: true, history: false, discovery: false, deviceFields: [] },
  },
};

function tag(name: string, extra: Partial<TagInfo> = {}): TagInfo {
  return { name, address: `holding:${name.length}`, dataType: 'uint16', valueKind: 'integer', access: 'read', writable: false, notWritableReason: `${name} is read-only: its "access" is "read".`, ...extra };
}

function device(id: string, tags: TagInfo[], protocol = 'modbus-tcp'): DeviceInfo {
  return {
    id,
    name: id.toUpperCase(),
    protocol,
    endpoint: `127.0.0.1:502 unit 1`,
    status: 'connected',
    lastError: null,
    allowWrites: false,
    pollIntervalMs: 250,
    source: 'config',
    enabled: true,
    stats: { requests: 1, errors: 0, timeouts: 0, reconnects: 0, skippedScans: 0, latencyP50Ms: 1, latencyP99Ms: 2 },
    tags,
  };
}

const flatItem = (t: TagInfo): BrowseItem => ({ ref: t.name, name: t.name, nodeClass: 'variable', dataType: t.dataType, hasChildren: false, writable: t.writable, tag: t });

/**
 * A gateway as the tree sees it: its devices, a browse that answers like the gateway does (flat:
 * the configured tags, paged; with `node` on a flat protocol: 1002), and subscriptions that the
 * test can look at and feed.
 */
class FakeGateway {
  readonly id = 'local';
  readonly name = 'Local gateway';
  readonly capabilities = CAPS;
  readonly browses: BrowseParams[] = [];
  /** Per device: the top level and, for tree protocols, the children of each node. */
  readonly spaces = new Map<string, Map<string, BrowseItem[]>>();
  readonly failing = new Map<string, string>();
  pageSize = 2;
  readonly live = new Map<string, SubscribeParams>();
  private nextSub = 1;
  private list: DeviceInfo[];
  private readonly devicesEmitter = new fakeVscode.EventEmitter<{ changed: string[] }>();
  private readonly statusEmitter = new fakeVscode.EventEmitter<DeviceInfo>();
  private readonly stateEmitter = new fakeVscode.EventEmitter<string>();
  readonly values: ValueHubClass;

  readonly devices = {
    devices: [] as DeviceInfo[],
    device: (id: string) => this.list.find((d) => d.id === id),
    onDidChangeDevices: this.devicesEmitter.event,
    onDidChangeStatus: this.statusEmitter.event,
    refresh: async () => undefined,
  };

  /** Nodes whose attributes were asked for, in order. */
  readonly attributeReads: string[] = [];

  readonly ctx = {
    state: 'running',
    onDidChangeState: this.stateEmitter.event,
    request: (type: { method: string }, params: BrowseParams & NodeAttributesParams) =>
      type.method === NodeAttributes.method ? this.attributesOf(params) : this.browse(params),
  };

  async attributesOf(params: NodeAttributesParams): Promise<NodeAttributesResult> {
    this.attributeReads.push(params.node);
    return {
      ref: params.node,
      attributes: [
        { name: 'NodeId', value: params.node },
        { name: 'DataType', value: 'Double (i=11)' },
        { name: 'AccessLevel', value: 'CurrentRead, HistoryRead' },
        { name: 'Description', value: 'Level of the tank' },
        { name: 'Historizing', value: 'true' },
      ],
      engineeringUnits: '%',
      euRange: { low: 0, high: 100 },
    };
  }

  constructor(list: DeviceInfo[], ValueHub: typeof ValueHubClass) {
    this.list = list;
    this.devices.devices = list;
    this.values = new ValueHub();
    void this.values.attach({
      subscribe: async (p: SubscribeParams): Promise<SubscribeResult> => {
        const id = `s${this.nextSub++}`;
        this.live.set(id, p);
        return { subscriptionId: id, tags: p.tags.map(String), intervalMs: 250 };
      },
      unsubscribe: async (id: string) => void this.live.delete(id),
    });
  }

  setDevices(list: DeviceInfo[], changed: string[]): void {
    this.list = list;
    this.devices.devices = list;
    this.devicesEmitter.fire({ changed });
  }

  setStatus(id: string, status: DeviceInfo['status'], lastError: string | null = null): void {
    const d = this.devices.device(id)!;
    d.status = status;
    d.lastError = lastError;
    this.statusEmitter.fire(d);
  }

  async browse(params: BrowseParams): Promise<BrowseResult> {
    this.browses.push(params);
    const failure = this.failing.get(params.deviceId);
    if (failure) throw Object.assign(new Error(failure), { code: ErrorCodes.DeviceUnavailable });
    const d = this.devices.device(params.deviceId)!;
    const space = this.spaces.get(d.id);
    let items: BrowseItem[];
    if (!space) {
      if (params.node !== undefined) throw Object.assign(new Error(`${d.id} is flat: no node "${params.node}"`), { code: ErrorCodes.BadTagRef });
      items = d.tags.map(flatItem);
    } else {
      items = space.get(params.node ?? '') ?? [];
    }
    const from = params.continuation === undefined ? 0 : Number(params.continuation);
    const to = Math.min(items.length, from + Math.min(this.pageSize, params.maxItems ?? 1000));
    return { items: items.slice(from, to), ...(to < items.length ? { continuation: String(to) } : {}) };
  }

  /** Sends readings on the live subscription that has `ref`. */
  push(deviceId: string, items: TagReading[]): void {
    for (const [id, p] of this.live) {
      const mine = items.filter((r) => p.deviceId === deviceId && p.tags.includes(r.tag));
      if (mine.length > 0) this.values.dispatch({ subscriptionId: id, items: mine });
    }
  }

  subscribedTags(deviceId: string): string[] {
    return [...this.live.values()].filter((p) => p.deviceId === deviceId).flatMap((p) => p.tags.map(String)).sort();
  }
}

const settle = () => new Promise((r) => setImmediate(r));
const label = (item: FakeTreeItem) => item.label;

describe('extension: Tag Explorer', () => {
  let uninstall: () => void;
  let TagTreeProvider: typeof TagTreeProviderClass;
  let TreeValues: typeof TreeValuesClass;
  let ValueHub: typeof ValueHubClass;
  let gw: FakeGateway;
  let values: TreeValuesClass;
  let tree: TagTreeProviderClass;
  let config: { skipped: SkippedEntry[]; onDidChangeSkipped: (l: () => void) => { dispose(): void }; devicePointer(id: string): string | undefined; changed: InstanceType<typeof fakeVscode.EventEmitter<void>> };

  before(() => {
    uninstall = installFakeVscode();
    const load = createRequire(__filename);
    ({ TagTreeProvider } = load('../../extension/tree/tagTree') as typeof import('../../extension/tree/tagTree'));
    ({ TreeValues } = load('../../extension/tree/treeValues') as typeof import('../../extension/tree/treeValues'));
    ({ ValueHub } = load('../../extension/client/valueHub') as typeof import('../../extension/client/valueHub'));
  });
  after(() => uninstall());

  function build(list: DeviceInfo[], skipped: SkippedEntry[] = []): void {
    gw = new FakeGateway(list, ValueHub);
    values = new TreeValues();
    const gateways = { all: [gw], local: gw, get: (id: string) => (id === gw.id ? gw : undefined), onDidChange: () => ({ dispose() {} }) };
    const changed = new fakeVscode.EventEmitter<void>();
    config = { skipped, changed, onDidChangeSkipped: changed.event, devicePointer: (id) => `/devices/${list.findIndex((d) => d.id === id)}` };
    tree = new TagTreeProvider(gateways as never, values, { current: { treeRefreshMs: 0 } } as never, config as never);
  }
  afterEach(() => {
    tree.dispose();
    values.dispose();
  });

  const item = (n: TreeNode) => tree.getTreeItem(n) as unknown as FakeTreeItem;
  const children = async (n?: TreeNode) => await tree.getChildren(n);

  it('shows the devices at the top while there is one gateway, and their tags from a browse that follows every page', async () => {
    build([device('plc', [tag('a'), tag('b'), tag('c')]), device('press', [tag('a')])]);
    const roots = await children();
    assert.deepEqual(roots.map((n) => n.kind), ['device', 'device'], 'no gateway row while there is one gateway');
    assert.equal(item(roots[0]).collapsibleState, TreeItemCollapsibleState.Expanded);
    const tags = await children(roots[0]);
    assert.deepEqual(tags.map((n) => label(item(n))), ['a', 'b', 'c']);
    assert.deepEqual(
      gw.browses.map((b) => [b.deviceId, b.node, b.continuation]),
      [
        ['plc', undefined, undefined],
        ['plc', undefined, '2'],
      ],
      'two pages, the second asked for with the continuation',
    );
    const other = await children(roots[1]);
    const ids = [...tags, ...other, ...roots].map((n) => item(n).id);
    assert.equal(new Set(ids).size, ids.length, `ids are not unique: ${JSON.stringify(ids)}`);
    assert.notEqual(item(tags[0]).id, item(other[0]).id, 'tag "a" of two devices has two ids');
    assert.equal(tree.getParent(tags[0]), roots[0]);
    assert.equal(tree.getParent(roots[0]), undefined);

    await children(roots[0]);
    assert.equal(gw.browses.length, 3, 'the second look at plc came from the cache (the third browse is press)');
  });

  it('browses folders lazily, shows tags and methods below them, and a failed browse as a row with the message', async () => {
    const level: BrowseItem = { ref: 'ns=2;s=Level', name: 'Level', nodeClass: 'variable', dataType: 'Double', hasChildren: false };
    build([device('ua', [], 'tree'), device('down', [], 'tree')]);
    gw.spaces.set('ua', new Map([
      ['', [{ ref: 'ns=2;s=Tank', name: 'Tank', nodeClass: 'object', hasChildren: true }]],
      ['ns=2;s=Tank', [level, { ref: 'ns=2;s=Fill', name: 'Fill', nodeClass: 'method', hasChildren: false }]],
    ]));
    gw.failing.set('down', 'down: the server is not reachable');
    const [ua, down] = await children();
    assert.equal(item(ua).collapsibleState, TreeItemCollapsibleState.Collapsed, 'an address space is listed when asked');
    const [tank] = await children(ua);
    assert.equal(tank.kind, 'folder');
    assert.equal(gw.browses.filter((b) => b.node === 'ns=2;s=Tank').length, 0, 'not browsed before it is expanded');
    const below = await children(tank);
    assert.deepEqual(below.map((n) => n.kind), ['tag', 'method']);
    assert.deepEqual(gw.browses.at(-1), { deviceId: 'ua', node: 'ns=2;s=Tank', maxItems: 1000 });
    const levelItem = item(below[0]);
    assert.equal(levelItem.contextValue, 'tag.readonly.node', 'no write description: not offered for writing; a node of an address space');
    assert.equal(levelItem.tooltip, undefined, 'left for resolveTreeItem, which VS Code calls only for an undefined tooltip');
    assert.match(((await tree.resolveTreeItem(tree.getTreeItem(below[0]), below[0])).tooltip as FakeMarkdown).value, /Data type \| Double/);
    assert.equal(levelItem.description, 'Double', 'no value yet: the DataType shows');
    const fill = item(below[1]);
    assert.equal(fill.contextValue, 'method.node');
    assert.equal(fill.command?.command, 'bifrost.callMethod', 'a click on a method opens its call');
    assert.match(item(ua).contextValue ?? '', /^device\.nodes\b/);

    const [error] = await children(down);
    assert.equal(error.kind, 'error');
    assert.match(item(error).description ?? '', /not reachable/);
    assert.equal(gw.browses.filter((b) => b.deviceId === 'down').length, 1);
    // Once the device connects, it is browsed again.
    gw.failing.delete('down');
    gw.setStatus('down', 'connected');
    assert.deepEqual((await children(down)).map((n) => n.kind), ['hint'], 'browsed, and nothing there: it says so');
    assert.equal(gw.browses.filter((b) => b.deviceId === 'down').length, 2);
  });

  it('reads a node\'s attributes for its tooltip once, not per repaint, and again after Refresh', async () => {
    build([device('ua', [], 'tree')]);
    gw.spaces.set('ua', new Map([['', [{ ref: 'ns=2;s=Level', name: 'Level', nodeClass: 'variable', dataType: 'Double', hasChildren: false }]]]));
    const [ua] = await children();
    const [level] = await children(ua);
    const first = (await tree.resolveTreeItem(tree.getTreeItem(level), level)).tooltip as FakeMarkdown;
    for (const text of [/DataType \| Double \\\(i=11\\\)/, /AccessLevel \| CurrentRead, HistoryRead/, /Description \| Level of the tank/, /EngineeringUnits \| %/, /EURange \| 0 … 100/]) {
      assert.match(first.value, text);
    }
    assert.match(first.value, /Data type \| Double/, 'what the row said before stays');
    await tree.resolveTreeItem(tree.getTreeItem(level), level);
    assert.deepEqual(gw.attributeReads, ['ns=2;s=Level'], 'the second look came from the cache');
    tree.refresh();
    await tree.resolveTreeItem(tree.getTreeItem(level), level);
    assert.equal(gw.attributeReads.length, 2, 'Refresh reads the attributes again');
  });

  it('finds the row of a node below its ancestors, listing each level as the view would', async () => {
    build([device('ua', [], 'tree')]);
    gw.spaces.set('ua', new Map([
      ['', [{ ref: 'ns=2;s=Plant', name: 'Plant', nodeClass: 'folder', hasChildren: true }]],
      ['ns=2;s=Plant', [{ ref: 'ns=2;s=Tank', name: 'Tank', nodeClass: 'object', hasChildren: true }]],
      ['ns=2;s=Tank', [{ ref: 'ns=2;s=Level', name: 'Level', nodeClass: 'variable', hasChildren: false }]],
    ]));
    const found = await tree.nodeAt('local', 'ua', ['ns=2;s=Plant', 'ns=2;s=Tank'], 'ns=2;s=Level');
    assert.equal(found.node?.kind, 'tag');
    assert.equal(item(found.node!).label, 'Level');
    const parent = tree.getParent(found.node!)!;
    assert.equal(item(parent).label, 'Tank', 'getParent leads back up, as reveal needs');
    assert.deepEqual(await tree.nodeAt('local', 'ua', ['ns=2;s=Plant'], 'ns=2;s=Level'), { missing: 'ns=2;s=Level' }, 'not below Plant directly');
  });

  it('says what a tag is in protocol-neutral words: type, address, access and why not, times and status', async () => {
    build([device('plc', [tag('level', { unit: '%', dataType: 'float32', valueKind: 'number' }), tag('on', { valueKind: 'boolean' })])]);
    const [plc] = await children();
    const [level, on] = await children(plc);
    values.setVisible(true);
    await settle();
    gw.push('plc', [
      { tag: 'level', value: 42.5, quality: 'uncertain', timestamp: Date.UTC(2026, 0, 1, 10), sourceTimestamp: Date.UTC(2026, 0, 1, 9), serverTimestamp: Date.UTC(2026, 0, 1, 9, 30), status: 'UncertainLastUsableValue' },
      { tag: 'on', value: true, quality: 'good', timestamp: 1 },
    ]);
    const row = item(level);
    assert.equal(row.description, '42.5 % (uncertain: UncertainLastUsableValue)');
    const tip = (row.tooltip as FakeMarkdown).value;
    for (const part of [/Address \| `holding:5`/, /Data type \| float32/, /read only: level is read\\-only/, /Source time/, /Server time/, /Status \| UncertainLastUsableValue/]) {
      assert.match(tip, part);
    }
    assert.deepEqual([(item(on).iconPath as { id: string }).id, (row.iconPath as { id: string }).id], ['circle-filled', 'warning']);

    const deviceTip = (await tree.resolveTreeItem(item(plc) as never, plc)).tooltip as FakeMarkdown;
    assert.match(deviceTip.value, /Modbus TCP/, 'the protocol by its displayName');
    assert.match(deviceTip.value, /Default interval 250 ms/);
    assert.doesNotMatch(deviceTip.value + tip, /poll|scan/i);
  });

  it('browses a device again when it changes, and only that device', async () => {
    build([device('plc', [tag('a')]), device('press', [tag('x')])]);
    const [plc, press] = await children();
    await children(plc);
    await children(press);
    assert.equal(gw.browses.length, 2);
    gw.setDevices([device('plc', [tag('a'), tag('b')]), device('press', [tag('x')])], ['plc']);
    assert.deepEqual((await children(plc)).map((n) => label(item(n))), ['a', 'b']);
    await children(press);
    assert.deepEqual(gw.browses.map((b) => b.deviceId), ['plc', 'press', 'plc']);
  });

  it('subscribes the shown tags while visible, shares them with panels, and leaves nothing subscribed when all views are gone', async () => {
    build([device('plc', [tag('a'), tag('b'), tag('c')])]);
    const [plc] = await children();
    const rows = await children(plc);
    assert.deepEqual(gw.subscribedTags('plc'), [], 'nothing while the view is hidden');
    values.setVisible(true);
    await settle();
    assert.deepEqual(gw.subscribedTags('plc'), ['a', 'b', 'c']);

    // Two Live Data panels on the same device, as panels ask: the device's default interval.
    const panelA: string[] = [];
    const panelB: string[] = [];
    const a = gw.values.subscribe('plc', ['a', 'b'], undefined, (items) => panelA.push(...items.map((r) => `${r.tag}=${r.value}`)));
    const b = gw.values.subscribe('plc', ['b'], undefined, (items) => panelB.push(...items.map((r) => `${r.tag}=${r.value}`)));
    await settle();
    assert.equal(gw.live.size, 1, 'the tree and both panels share one gateway subscription');

    const repainted: string[] = [];
    tree.onDidChangeTreeData((e) => {
      for (const n of Array.isArray(e) ? e : e ? [e] : []) repainted.push(label(item(n)));
    });
    gw.push('plc', [{ tag: 'b', value: 7, quality: 'good', timestamp: 1 }]);
    assert.deepEqual([panelA, panelB], [['b=7'], ['b=7']]);
    a.dispose();
    await settle();
    gw.push('plc', [{ tag: 'b', value: 8, quality: 'good', timestamp: 2 }]);
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(item(rows[1]).description, '8', 'the tree still gets values after a panel closed');
    assert.ok(repainted.includes('b'), 'the row was repainted');

    tree.setExpanded(plc, false);
    await settle();
    assert.deepEqual(gw.subscribedTags('plc'), ['b'], 'a collapsed device shows no values; the panel keeps its tag');
    b.dispose();
    values.setVisible(false);
    await settle();
    assert.equal(gw.live.size, 0, 'a gateway subscription outlived every view');
  });

  it('Refresh browses again without stopping the values of the rows it shows', async () => {
    build([device('plc', [tag('a'), tag('b')])]);
    const [plc] = await children();
    await children(plc);
    values.setVisible(true);
    await settle();
    const before = [...gw.live.keys()];
    tree.refresh();
    await settle();
    const again = await children(plc);
    await settle();
    assert.equal(gw.browses.length, 2, 'browsed again');
    assert.deepEqual([...gw.live.keys()], before, 'the subscription was not made again');
    gw.push('plc', [{ tag: 'a', value: 3, quality: 'good', timestamp: 1 }]);
    assert.equal(item(again[0]).description, '3');
  });

  const icon = (i: FakeTreeItem) => (i.iconPath as { id: string }).id;
  const command = (i: FakeTreeItem) => (i as unknown as { command?: { command: string; arguments: unknown[] } }).command;

  it('shows the devices and tags bifrost.json had to leave out as rows in error that open the entry in the editor', async () => {
    const problem = (path: string, extra: { message: string } & Partial<ConfigProblem>): ConfigProblem => ({ path, severity: 'error', ...extra });
    const skippedTag: SkippedEntry = {
      kind: 'tag',
      entry: '/devices/0/tags/1',
      deviceId: 'plc',
      label: 'speed',
      problems: [problem('/devices/0/tags/1/address', { message: 'unknown area "holding" in "holding:abc"', device: 'plc', tag: 'speed', skipped: 'tag', entry: '/devices/0/tags/1' })],
    };
    const skippedDevice: SkippedEntry = {
      kind: 'device',
      entry: '/devices/1',
      deviceId: 'nobody-home',
      label: 'nobody-home',
      problems: [problem('/devices/1/host', { message: 'a Modbus TCP device needs a "host" (name or IP address)', device: 'nobody-home', skipped: 'device', entry: '/devices/1' })],
    };
    build([device('plc', [tag('ok')])], [skippedTag, skippedDevice]);
    const roots = await children();
    assert.deepEqual(roots.map((n) => [n.kind, label(item(n))]), [['device', 'PLC'], ['skipped', 'nobody-home']]);
    const broken = item(roots[1]);
    assert.equal(broken.description, 'skipped: a Modbus TCP device needs a "host" (name or IP address)');
    assert.equal(icon(broken), 'error');
    assert.deepEqual(command(broken), { command: 'bifrost.openConfigAt', title: 'Open in Editor', arguments: ['/devices/1/host'] });
    assert.match((broken.tooltip as FakeMarkdown).value, /Device "nobody\\-home" skipped: a Modbus TCP device needs a "host"/);

    const below = await children(roots[0]);
    assert.deepEqual(below.map((n) => [n.kind, label(item(n))]), [['tag', 'ok'], ['skipped', 'speed']]);
    assert.match((item(below[1]).tooltip as FakeMarkdown).value, /Tag "speed" of device "plc" skipped: unknown area/);
    assert.deepEqual(command(item(below[1]))?.arguments, ['/devices/0/tags/1/address']);
    assert.equal(tree.getParent(below[1]), roots[0]);
    assert.equal(tree.getParent(roots[1]), undefined);

    // Fixed in the file: the rows go at the next load.
    let repainted = 0;
    tree.onDidChangeTreeData(() => repainted++);
    config.skipped = [];
    config.changed.fire();
    assert.equal(repainted, 1);
    assert.deepEqual((await children()).map((n) => n.kind), ['device']);
    assert.deepEqual((await children(roots[0])).map((n) => n.kind), ['tag']);
  });

  it('says what to do where a device has no tags, and opens its entry', async () => {
    build([device('empty', []), device('ua', [], 'tree')]);
    gw.spaces.set('ua', new Map([['', []]]));
    const [empty, ua] = await children();
    assert.equal(item(empty).collapsibleState, TreeItemCollapsibleState.Expanded, 'opened, so that the hint shows');
    const [hint] = await children(empty);
    assert.equal(hint.kind, 'hint');
    assert.equal(label(item(hint)), 'No tags yet');
    assert.match(item(hint).description ?? '', /add one under "tags" in bifrost\.json/);
    assert.deepEqual(command(item(hint))?.arguments, ['/devices/0/tags']);
    const [nothing] = await children(ua);
    assert.equal(label(item(nothing)), 'Nothing found');
    assert.equal(command(item(nothing)), undefined);
  });

  it('shows a disabled device as disabled: its tags are not read, grey, and no failure is told', async () => {
    const off = { ...device('off', [tag('a')]), enabled: false, status: 'disconnected' as const, lastError: 'off: disabled in the configuration' };
    build([off, device('plc', [tag('a')])]);
    const [offNode, plc] = await children();
    const [a] = await children(offNode);
    await children(plc);
    values.setVisible(true);
    await settle();
    assert.deepEqual(gw.subscribedTags('off'), [], 'a disabled device is never subscribed');
    assert.deepEqual(gw.subscribedTags('plc'), ['a']);
    const row = item(a);
    assert.equal(row.description, 'not read (device disabled)');
    assert.equal(icon(row), 'circle-outline');
    const deviceRow = item(offNode);
    assert.equal(deviceRow.description, 'disabled');
    const tip = ((await tree.resolveTreeItem(deviceRow as never, offNode)).tooltip as FakeMarkdown).value;
    assert.match(tip, /Disabled in the configuration/);
    assert.doesNotMatch(tip, /Last error|Requests/);
  });

  it('paints a connected device green only while its values are good, and says how many are bad', async () => {
    build([device('plc', [tag('a'), tag('b'), tag('c')])]);
    const [plc] = await children();
    await children(plc);
    values.setVisible(true);
    await settle();
    gw.push('plc', ['a', 'b', 'c'].map((t) => ({ tag: t, value: 1, quality: 'good' as const, timestamp: 1 })));
    assert.equal(icon(item(plc)), 'pass-filled');
    const repainted: string[] = [];
    tree.onDidChangeTreeData((e) => {
      for (const n of Array.isArray(e) ? e : e ? [e] : []) repainted.push(n.kind);
    });
    gw.push('plc', [{ tag: 'b', value: null, quality: 'bad', timestamp: 2, status: 'Modbus exception 2', error: 'plc: Modbus exception 2 (illegal data address) reading holding register 1' }]);
    await new Promise((r) => setTimeout(r, 5));
    assert.ok(repainted.includes('device'), `the device row was not repainted: ${JSON.stringify(repainted)}`);
    const row = item(plc);
    assert.equal(icon(row), 'warning');
    assert.equal(row.description, '127.0.0.1:502 unit 1 · 1 of 3 values bad');
    gw.push('plc', [{ tag: 'b', value: 2, quality: 'good', timestamp: 3 }]);
    assert.equal(icon(item(plc)), 'pass-filled');
  });

  it("counts failed connects in the device's tooltip, and names the last error without the device's id again", async () => {
    const refused = {
      ...device('nobody-home', [tag('a')]),
      status: 'error' as const,
      lastError: 'nobody-home: connection refused by 127.0.0.1:1 (nothing listens there?)',
      stats: { requests: 0, errors: 0, timeouts: 0, reconnects: 0, connectFailures: 7, skippedScans: 0, latencyP50Ms: null, latencyP99Ms: null },
    };
    build([refused]);
    const [node] = await children();
    const tip = ((await tree.resolveTreeItem(item(node) as never, node)).tooltip as FakeMarkdown).value;
    assert.match(tip, /\| Failed connects \| 7 \|/);
    assert.match(tip, /Last error: connection refused by 127\\\.0\\\.0\\\.1:1/);
    assert.doesNotMatch(tip, /Last error: nobody/);
  });
});
