import * as assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { ErrorCodes } from '../../gateway/protocol';
import type {
  BrowseItem,
  BrowseParams,
  BrowseResult,
  DeviceInfo,
  GatewayCapabilities,
  SubscribeParams,
  SubscribeResult,
  TagInfo,
  TagReading,
} from '../../gateway/protocol';
import type { ValueHub as ValueHubClass } from '../../extension/client/valueHub';
import type { TreeNode } from '../../extension/tree/nodes';
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

  readonly ctx = {
    state: 'running',
    onDidChangeState: this.stateEmitter.event,
    request: (_type: unknown, params: BrowseParams) => this.browse(params),
  };

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

  before(() => {
    uninstall = installFakeVscode();
    const load = createRequire(__filename);
    ({ TagTreeProvider } = load('../../extension/tree/tagTree') as typeof import('../../extension/tree/tagTree'));
    ({ TreeValues } = load('../../extension/tree/treeValues') as typeof import('../../extension/tree/treeValues'));
    ({ ValueHub } = load('../../extension/client/valueHub') as typeof import('../../extension/client/valueHub'));
  });
  after(() => uninstall());

  function build(list: DeviceInfo[]): void {
    gw = new FakeGateway(list, ValueHub);
    values = new TreeValues();
    const gateways = { all: [gw], local: gw, get: (id: string) => (id === gw.id ? gw : undefined) };
    tree = new TagTreeProvider(gateways as never, values, { current: { treeRefreshMs: 0 } } as never);
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
    assert.equal(levelItem.contextValue, 'tag.readonly', 'no write description: not offered for writing');
    assert.match((levelItem.tooltip as FakeMarkdown).value, /Data type \| Double/);

    const [error] = await children(down);
    assert.equal(error.kind, 'error');
    assert.match(item(error).description ?? '', /not reachable/);
    assert.equal(gw.browses.filter((b) => b.deviceId === 'down').length, 1);
    // Once the device connects, it is browsed again.
    gw.failing.delete('down');
    gw.setStatus('down', 'connected');
    assert.deepEqual(await children(down), []);
    assert.equal(gw.browses.filter((b) => b.deviceId === 'down').length, 2);
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
});
