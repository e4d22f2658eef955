import * as vscode from 'vscode';
import type { RemoteGateways } from '../client/remoteGateways';
import { isRemoteGatewayId, remoteGatewayId } from '../client/remoteIds';
import { remoteGatewayItem } from './remoteItems';
import { Browse, NodeAttributes } from '../../gateway/protocol';
import type { BrowseItem, DeviceInfo } from '../../gateway/protocol';
import { protocolCapabilities } from '../client/capabilities';
import { userMessage } from '../client/errors';
import type { Gateway } from '../client/gateway';
import type { Gateways } from '../client/gateways';
import type { Settings } from '../config/settings';
import type { SkippedEntry } from '../config/skipped';
import { AttributeCache } from '../nodes/attributeCache';
import { BrowseCache, BrowseOutcome, BrowseRequest } from './browseCache';
import { Coalescer } from './coalescer';
import type { Discoveries } from '../discovery/discoveries';
import { discoveredItem, discoveriesItem } from '../discovery/items';
import type { DeviceNote, DeviceNoteSource } from './deviceNotes';
import { deviceItem, deviceTooltip, errorItem, folderItem, gatewayItem, hintItem, methodItem, skippedItem, tagItem, withNodeDetails, type ValuesHealth } from './items';
import {
  browsedNodeId,
  ContainerNode,
  DeviceNode,
  deviceNodeId,
  discoveredNode,
  discoveriesNode,
  FolderNode,
  GatewayNode,
  gatewayNodeId,
  HintNode,
  isContainer,
  itemOfTag,
  MethodNode,
  SkippedNode,
  TagNode,
  TreeNode,
  valueKey,
} from './nodes';
import type { ShownTags, TreeValues } from './treeValues';

export const TAG_EXPLORER_VIEW = 'bifrost.tagExplorer';

/** What the tree shows of bifrost.json beyond the running devices (ConfigSync): the entries the local gateway left out. */
export interface ConfigEntries {
  readonly skipped: readonly SkippedEntry[];
  readonly onDidChangeSkipped: vscode.Event<void>;
  /** Where a configured device is written, to open the editor there. */
  devicePointer(deviceId: string): string | undefined;
}

/** The children of one container as rows, built once per browse outcome. */
interface Children {
  readonly outcome: BrowseOutcome;
  readonly nodes: TreeNode[];
}

/** What the tree holds of one device below its own row; forgotten as a whole when the device changes. */
interface DeviceRows {
  /** Per container id. */
  readonly children: Map<string, Children>;
  /** Containers whose children the view shows: listed, and not collapsed since. */
  readonly expanded: Set<string>;
  /** Tag rows per value key: one tag may show in several places. */
  readonly tagRows: Map<string, TagNode[]>;
  /** Row id → the container it was handed out under, to keep ids unique when a ref shows under two parents. */
  readonly usedIds: Map<string, string>;
}

/**
 * The Tag Explorer: gateway → device → folders → tags and methods. Below the device everything
 * comes from `bifrost/browse`, lazily, when a row is expanded; the gateway level is left out
 * while there is only one gateway. Values show while the view is visible, for the rows whose
 * parents are expanded; repaints are batched to at most one per `bifrost.tree.refreshMs`.
 */
export class TagTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly cache = new BrowseCache(userMessage);
  /** Node attributes for tooltips, read when the mouse first rests on a row. */
  private readonly attributes = new AttributeCache(userMessage);
  private readonly gatewayNodes = new Map<string, GatewayNode>();
  private readonly deviceNodes = new Map<string, DeviceNode>();
  /** Per device node id. */
  private readonly rows = new Map<string, DeviceRows>();
  private readonly emitter = new vscode.EventEmitter<TreeNode | TreeNode[] | undefined>();
  private readonly repaint: Coalescer<string>;
  /** The values health each device row was last painted with, to repaint it when that changes. */
  private readonly paintedHealth = new Map<string, string>();
  private readonly disposables: vscode.Disposable[] = [];
  private remotes: RemoteGateways | undefined;
  /** The gateways listened to, with their listeners. */
  private readonly followed = new Map<string, { gateway: Gateway; listeners: vscode.Disposable[] }>();

  readonly onDidChangeTreeData = this.emitter.event;

  constructor(
    private readonly gateways: Gateways,
    private readonly values: TreeValues,
    settings: Settings,
    private readonly config: ConfigEntries,
    /** What else the extension knows about devices (passwords, certificates). */
    private readonly notes: readonly DeviceNoteSource[] = [],
    /** What scans of the network found: a row below the local gateway's devices. */
    private readonly discoveries?: Discoveries,
  ) {
    this.repaint = new Coalescer(
      () => settings.current.treeRefreshMs,
      (keys) => this.fireFor(keys),
    );
    this.disposables.push(
      this.emitter,
      values.onDidChange((keys) => keys.forEach((k) => this.repaint.add(k))),
      config.onDidChangeSkipped(() => this.emitter.fire(undefined)),
      ...notes.map((n) => n.onDidChange(() => this.repaintDevices())),
    );
    if (discoveries) this.disposables.push(discoveries.onDidChange(() => this.emitter.fire(undefined)));
    this.followGateways();
    this.disposables.push(gateways.onDidChange(() => this.followGateways()));
  }

  /** Listens to every gateway's devices and state; forgets what it held of a gateway that is gone. */
  private followGateways(): void {
    const current = new Map(this.gateways.all.map((g) => [g.id, g]));
    let changed = false;
    for (const [id, followed] of this.followed) {
      if (current.get(id) === followed.gateway) continue;
      followed.listeners.forEach((d) => d.dispose());
      this.followed.delete(id);
      this.forgetGateway(id);
      changed = true;
    }
    for (const gateway of current.values()) {
      if (this.followed.has(gateway.id)) continue;
      this.followed.set(gateway.id, { gateway, listeners: this.listenTo(gateway) });
      changed = true;
    }
    if (changed) {
      this.emitter.fire(undefined);
      this.syncValues();
    }
  }

  private listenTo(gateway: Gateway): vscode.Disposable[] {
    return [
      gateway.devices.onDidChangeDevices((change) => {
        change.changed.forEach((id) => this.forgetDevice(gateway.id, id));
        this.emitter.fire(undefined);
        this.syncValues();
      }),
      gateway.devices.onDidChangeStatus((d) => {
        // A device that could not be browsed may well be browsable once it is connected.
        if (d.status === 'connected' && this.cache.dropFailed(gateway.id, d.id)) {
          this.emitter.fire(this.deviceNode(gateway.id, d.id));
        } else {
          this.repaint.add(deviceNodeId(gateway.id, d.id));
        }
      }),
      gateway.ctx.onDidChangeState(() => this.emitter.fire(undefined)),
    ];
  }

  /** A gateway went (a remote one removed, or its token replaced): its rows and cached answers with it. */
  private forgetGateway(gatewayId: string): void {
    for (const [id, node] of this.deviceNodes) {
      if (node.gatewayId !== gatewayId) continue;
      // Only devices that have a row were browsed.
      this.cache.drop(gatewayId, node.deviceId);
      this.attributes.drop(gatewayId, node.deviceId);
      this.deviceNodes.delete(id);
      this.rows.delete(id);
    }
  }

  getChildren(node?: TreeNode): TreeNode[] | Promise<TreeNode[]> {
    if (!node) {
      if (!this.showsGatewayLevel) return this.topRowsOf(this.gateways.local);
      // The remote gateways as the setting lists them, with a client or not (no token yet).
      return [this.gatewayNode(this.gateways.local.id), ...(this.remotes?.all ?? []).map((r) => this.gatewayNode(remoteGatewayId(r.entry.url)))];
    }
    if (node.kind === 'gateway') {
      const gateway = this.gateways.get(node.gatewayId);
      return gateway ? this.topRowsOf(gateway) : [];
    }
    if (node.kind === 'discoveries') return (this.discoveries?.all ?? []).map((d) => discoveredNode(node, d.key));
    return isContainer(node) ? this.childrenOf(node) : [];
  }

  getParent(node: TreeNode): TreeNode | undefined {
    switch (node.kind) {
      case 'gateway':
        return undefined;
      case 'device':
      case 'discoveries':
        return this.showsGatewayLevel ? this.gatewayNode(node.gatewayId) : undefined;
      case 'skipped':
        return node.parent ?? (this.showsGatewayLevel ? this.gatewayNode(node.gatewayId) : undefined);
      default:
        return node.parent;
    }
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const item = this.itemOf(node);
    // VS Code resolves only a tooltip left undefined: a node's comes with its attributes, on hover.
    if (this.isAddressSpaceRow(node)) item.tooltip = undefined;
    // Commands that edit this workspace's bifrost.json do not apply to a remote gateway's rows (`\.remote\b`).
    if (node.kind !== 'gateway' && isRemoteGatewayId(node.gatewayId) && item.contextValue) item.contextValue += '.remote';
    return item;
  }

  /** The remote gateways (Connect to Gateway…), shown as top-level rows with their connection state. */
  setRemotes(remotes: RemoteGateways): void {
    this.remotes = remotes;
    this.disposables.push(remotes.onDidChange(() => this.emitter.fire(undefined)));
    this.emitter.fire(undefined);
  }

  /** The tree shows a gateway level only when there are several gateways. */
  private get showsGatewayLevel(): boolean {
    return 1 + (this.remotes?.all.length ?? 0) > 1;
  }

  private itemOf(node: TreeNode): vscode.TreeItem {
    if (node.kind === 'gateway' && isRemoteGatewayId(node.gatewayId)) {
      const remote = this.remotes?.all.find((r) => remoteGatewayId(r.entry.url) === node.gatewayId);
      return remote ? remoteGatewayItem(node, remote, this.gateways.get(node.gatewayId) !== undefined) : new vscode.TreeItem('(gone)');
    }
    const gateway = this.gateways.get(node.gatewayId);
    if (!gateway) return new vscode.TreeItem('(gone)');
    if (node.kind === 'gateway') return gatewayItem(node, gateway.name, gateway.ctx.state);
    if (node.kind === 'skipped') return skippedItem(node);
    if (node.kind === 'discoveries') return discoveriesItem(node, this.discoveries?.all.length ?? 0, this.discoveries?.running ?? null);
    if (node.kind === 'discovered') {
      const found = this.discoveries?.get(node.key);
      return found ? discoveredItem(node, found.item) : new vscode.TreeItem('(gone)');
    }
    const device = gateway.devices.device(node.deviceId);
    if (!device) return new vscode.TreeItem('(gone)');
    switch (node.kind) {
      case 'device': {
        const health = this.healthOf(gateway, device.id);
        this.paintedHealth.set(node.id, JSON.stringify(health));
        return deviceItem(node, device, gateway.capabilities, health, this.notesOf(gateway.id, device));
      }
      case 'hint':
        return hintItem(node);
      case 'folder':
        return folderItem(node, this.walks(gateway, device));
      case 'method':
        return methodItem(node, this.walks(gateway, device));
      case 'error':
        return errorItem(node);
      case 'tag':
        return tagItem(node, device, gateway.values.last(node.deviceId, node.ref), this.walks(gateway, device));
    }
  }

  /**
   * Device tooltips show statistics: fetched fresh when the mouse rests on the row. Rows of an
   * address space show their node's main attributes, read once per node.
   */
  async resolveTreeItem(item: vscode.TreeItem, node: TreeNode): Promise<vscode.TreeItem> {
    const gateway = this.gateways.get(node.gatewayId);
    if (!gateway || gateway.ctx.state !== 'running') return item;
    if (node.kind === 'device') {
      await gateway.devices.refresh();
      const device = gateway.devices.device(node.deviceId);
      if (device) item.tooltip = deviceTooltip(device, gateway.capabilities, this.healthOf(gateway, device.id), this.notesOf(gateway.id, device));
    } else if (this.isAddressSpaceRow(node)) {
      const outcome = await this.attributes.get(gateway.id, node.deviceId, node.ref, (deviceId, ref) => gateway.ctx.request(NodeAttributes, { deviceId, node: ref }));
      // What the row says as it is now (its value may have changed since it was painted), then the attributes.
      item.tooltip = withNodeDetails(this.itemOf(node).tooltip, outcome);
    }
    return item;
  }

  /** A folder, variable or method row of a device whose protocol walks an address space. */
  private isAddressSpaceRow(node: TreeNode): node is FolderNode | TagNode | MethodNode {
    if (node.kind !== 'folder' && node.kind !== 'tag' && node.kind !== 'method') return false;
    const gateway = this.gateways.get(node.gatewayId);
    const device = gateway?.devices.device(node.deviceId);
    return gateway !== undefined && device !== undefined && this.walks(gateway, device);
  }

  /**
   * The row of `ref` below a device, listing each of `ancestors` (refs from the device's top
   * level down) on the way, as Go to Node needs to reveal it; undefined when one of them is not
   * among its parent's children (the tree lists hierarchical children only).
   */
  async nodeAt(gatewayId: string, deviceId: string, ancestors: readonly string[], ref: string): Promise<{ node?: TreeNode; missing?: string }> {
    let at: TreeNode = this.deviceNode(gatewayId, deviceId);
    for (const step of [...ancestors, ref]) {
      if (!isContainer(at)) return { missing: step };
      const children: TreeNode[] = await this.childrenOf(at);
      const next = children.find((n) => 'ref' in n && n.ref === step);
      if (!next) return { missing: step };
      at = next;
    }
    return { node: at };
  }

  /** A device's row, to reveal it. */
  deviceRow(gatewayId: string, deviceId: string): DeviceNode {
    return this.deviceNode(gatewayId, deviceId);
  }

  /** The view expanded or collapsed a row: its tags' values start or stop. */
  setExpanded(node: TreeNode, expanded: boolean): void {
    if (!isContainer(node)) return;
    const { expanded: set } = this.rowsOf(node.gatewayId, node.deviceId);
    if (expanded) set.add(node.id);
    else set.delete(node.id);
    this.syncValues();
  }

  /** Browses everything again (Refresh). The rows stay until the new answers replace them, and so do their values. */
  refresh(): void {
    this.cache.dropAll();
    this.attributes.dropAll();
    this.emitter.fire(undefined);
  }

  // ------------------------------------------------------------------------------------------

  /** Whether the device's protocol walks an address space (OPC UA): its rows are nodes. */
  private walks(gateway: Gateway, device: DeviceInfo): boolean {
    return protocolCapabilities(gateway.capabilities, device.protocol)?.browse === 'tree';
  }

  private notesOf(gatewayId: string, device: DeviceInfo): DeviceNote[] {
    return this.notes.flatMap((n) => n.notesFor(gatewayId, device));
  }

  /** The device rows, all of them (their notes changed). */
  private repaintDevices(): void {
    for (const gateway of this.gateways.all) for (const d of gateway.devices.devices) this.repaint.add(deviceNodeId(gateway.id, d.id));
  }

  private devicesOf(gateway: Gateway): DeviceNode[] {
    return gateway.devices.devices.map((d) => this.deviceNode(gateway.id, d.id));
  }

  /** A gateway's devices, then the devices of bifrost.json it left out (the local gateway loads the file). */
  private topRowsOf(gateway: Gateway): TreeNode[] {
    const rows: TreeNode[] = this.devicesOf(gateway);
    if (gateway !== this.gateways.local) return rows;
    for (const s of this.config.skipped) if (s.kind === 'device') rows.push(this.skippedNode(gateway.id, s, undefined));
    if (this.discoveries && (this.discoveries.all.length > 0 || this.discoveries.running)) rows.push(discoveriesNode(gateway.id));
    return rows;
  }

  /** A configured device's tags that the gateway left out, as rows below it. */
  private skippedTagsOf(gateway: Gateway, device: DeviceNode): SkippedNode[] {
    if (gateway !== this.gateways.local || gateway.devices.device(device.deviceId)?.source !== 'config') return [];
    return this.config.skipped.filter((s) => s.kind === 'tag' && s.deviceId === device.deviceId).map((s) => this.skippedNode(gateway.id, s, device));
  }

  private skippedNode(gatewayId: string, skipped: SkippedEntry, parent: DeviceNode | undefined): SkippedNode {
    return { kind: 'skipped', id: JSON.stringify(['skipped', gatewayId, skipped.entry]), gatewayId, skipped, ...(parent ? { parent } : {}) };
  }

  /** What to do about a device that shows nothing: add tags to bifrost.json, or there is nothing to browse. */
  private hintFor(gateway: Gateway, device: DeviceNode): HintNode {
    const d = gateway.devices.device(device.deviceId);
    const walks = d !== undefined && protocolCapabilities(gateway.capabilities, d.protocol)?.browse === 'tree';
    const base = { kind: 'hint' as const, id: JSON.stringify(['hint', device.id]), gatewayId: gateway.id, deviceId: device.deviceId, parent: device };
    if (walks) return { ...base, message: 'Nothing found', detail: 'browsing the device listed nothing; Refresh to browse again' };
    const pointer = d?.source === 'config' ? this.config.devicePointer(device.deviceId) : undefined;
    const inspects = d !== undefined && protocolCapabilities(gateway.capabilities, d.protocol)?.inspect === true;
    const detail = inspects
      ? 'add one under "tags" in bifrost.json (click to open), or find its registers with Inspect Registers…'
      : 'add one under "tags" in bifrost.json (click to open)';
    const hint = { ...base, message: 'No tags yet', detail };
    return pointer !== undefined ? { ...hint, pointer: `${pointer}/tags` } : hint;
  }

  /** How many of a device's configured tags on screen read bad or uncertain, from the value hub's last readings. */
  private healthOf(gateway: Gateway, deviceId: string): ValuesHealth {
    const device = gateway.devices.device(deviceId);
    const rows = this.rows.get(deviceNodeId(gateway.id, deviceId));
    if (!device?.enabled || !rows) return { read: 0, bad: 0, uncertain: 0 };
    let read = 0;
    let bad = 0;
    let uncertain = 0;
    for (const nodes of rows.tagRows.values()) {
      const r = gateway.values.last(deviceId, nodes[0]!.ref);
      if (!r) continue;
      read++;
      if (r.quality === 'bad') bad++;
      else if (r.quality === 'uncertain') uncertain++;
    }
    return { read, bad, uncertain };
  }

  private gatewayNode(gatewayId: string): GatewayNode {
    let n = this.gatewayNodes.get(gatewayId);
    if (!n) this.gatewayNodes.set(gatewayId, (n = { kind: 'gateway', id: gatewayNodeId(gatewayId), gatewayId }));
    return n;
  }

  private rowsOf(gatewayId: string, deviceId: string): DeviceRows {
    const id = deviceNodeId(gatewayId, deviceId);
    let r = this.rows.get(id);
    if (!r) this.rows.set(id, (r = { children: new Map(), expanded: new Set(), tagRows: new Map(), usedIds: new Map() }));
    return r;
  }

  private deviceNode(gatewayId: string, deviceId: string): DeviceNode {
    const id = deviceNodeId(gatewayId, deviceId);
    let n = this.deviceNodes.get(id);
    if (!n) this.deviceNodes.set(id, (n = { kind: 'device', id, gatewayId, deviceId }));
    return n;
  }

  private async childrenOf(container: ContainerNode): Promise<TreeNode[]> {
    const gateway = this.gateways.get(container.gatewayId);
    const device = gateway?.devices.device(container.deviceId);
    if (!gateway || !device) return [];
    const ref = container.kind === 'device' ? undefined : container.ref;
    const outcome = await this.cache.children(gateway.id, device.id, ref, this.browser(gateway));
    const rows = this.rowsOf(gateway.id, device.id);
    let children = rows.children.get(container.id);
    // Dropped while browsing: a refresh is on its way; until then the rows stay as they were.
    if ('cancelled' in outcome) return children?.nodes ?? [];
    if (children?.outcome !== outcome) {
      this.forgetChildren(rows, container.id);
      children = { outcome, nodes: this.nodesOf(rows, container, outcome) };
      rows.children.set(container.id, children);
    }
    rows.expanded.add(container.id);
    this.syncValues();
    if (container.kind !== 'device') return children.nodes;
    const skipped = this.skippedTagsOf(gateway, container);
    if (children.nodes.length === 0 && skipped.length === 0 && 'items' in outcome) return [this.hintFor(gateway, container)];
    return skipped.length > 0 ? [...children.nodes, ...skipped] : children.nodes;
  }

  /** How rows of a gateway's devices are listed: by browsing, or from the configured tags where the protocol does not browse. */
  private browser(gateway: Gateway): BrowseRequest {
    return async (params, signal) => {
      const device = gateway.devices.device(params.deviceId);
      if (device && protocolCapabilities(gateway.capabilities, device.protocol)?.browse === 'none') {
        return { items: params.node === undefined ? device.tags.map(itemOfTag) : [] };
      }
      const cancel = new vscode.CancellationTokenSource();
      signal.addEventListener('abort', () => cancel.cancel(), { once: true });
      try {
        return await gateway.ctx.request(Browse, params, cancel.token);
      } finally {
        cancel.dispose();
      }
    };
  }

  private nodesOf(rows: DeviceRows, parent: ContainerNode, outcome: BrowseOutcome): TreeNode[] {
    const { gatewayId, deviceId } = parent;
    if ('error' in outcome) {
      return [{ kind: 'error', id: JSON.stringify(['error', parent.id]), gatewayId, deviceId, message: outcome.error, parent }];
    }
    if (!('items' in outcome)) return [];
    return outcome.items.map((item: BrowseItem) => {
      let id = browsedNodeId(gatewayId, deviceId, item.ref);
      if (rows.usedIds.has(id)) id = JSON.stringify([id, parent.id]);
      rows.usedIds.set(id, parent.id);
      const base = { id, gatewayId, deviceId, ref: item.ref, item, parent };
      switch (item.nodeClass) {
        case 'variable': {
          const node: TagNode = { kind: 'tag', ...base };
          const key = valueKey(gatewayId, deviceId, item.ref);
          rows.tagRows.set(key, [...(rows.tagRows.get(key) ?? []), node]);
          return node;
        }
        case 'method':
          return { kind: 'method', ...base };
        default:
          return { kind: 'folder', ...base };
      }
    });
  }

  /** The rows a container had, before new ones take their place. */
  private forgetChildren(rows: DeviceRows, containerId: string): void {
    for (const node of rows.children.get(containerId)?.nodes ?? []) {
      if (node.kind !== 'tag') continue;
      const key = valueKey(node.gatewayId, node.deviceId, node.ref);
      const left = (rows.tagRows.get(key) ?? []).filter((n) => n !== node);
      if (left.length > 0) rows.tagRows.set(key, left);
      else rows.tagRows.delete(key);
    }
    for (const [id, under] of rows.usedIds) if (under === containerId) rows.usedIds.delete(id);
    rows.children.delete(containerId);
  }

  /**
   * A device changed: it is browsed again, and its rows are replaced when the answer comes (the
   * view asks again at once for the rows it shows). A device that is gone goes with its rows.
   */
  private forgetDevice(gatewayId: string, deviceId: string): void {
    this.cache.drop(gatewayId, deviceId);
    this.attributes.drop(gatewayId, deviceId);
    if (this.gateways.get(gatewayId)?.devices.device(deviceId)) return;
    const id = deviceNodeId(gatewayId, deviceId);
    this.rows.delete(id);
    this.deviceNodes.delete(id);
  }

  /** Tells the values which tags are on screen: those under expanded rows, all the way up. */
  private syncValues(): void {
    const shown: ShownTags[] = [];
    for (const gateway of this.gateways.all) {
      for (const device of this.devicesOf(gateway)) {
        // A disabled device is never read: subscribing its tags would only bring "bad" readings.
        if (gateway.devices.device(device.deviceId)?.enabled === false) continue;
        const refs = new Set<string>();
        this.collectShown(device, refs);
        if (refs.size > 0) shown.push({ gateway, deviceId: device.deviceId, refs: [...refs] });
      }
    }
    this.values.show(shown);
  }

  private collectShown(container: ContainerNode, refs: Set<string>): void {
    const rows = this.rows.get(deviceNodeId(container.gatewayId, container.deviceId));
    if (!rows?.expanded.has(container.id)) return;
    for (const node of rows.children.get(container.id)?.nodes ?? []) {
      if (node.kind === 'tag') refs.add(node.ref);
      if (isContainer(node)) this.collectShown(node, refs);
    }
  }

  /** Repaints the rows of device keys (device node ids) and value keys (see valueKey). */
  private fireFor(keys: string[]): void {
    const nodes: TreeNode[] = [];
    // Devices whose tags changed: each one's health is worked out once per batch, not per tag.
    const touched = new Map<string, [gatewayId: string, deviceId: string]>();
    for (const k of keys) {
      const device = this.deviceNodes.get(k);
      if (device) {
        nodes.push(device);
        continue;
      }
      const [gatewayId, deviceId] = JSON.parse(k) as [string, string, string];
      const deviceKey = deviceNodeId(gatewayId, deviceId);
      nodes.push(...(this.rows.get(deviceKey)?.tagRows.get(k) ?? []));
      touched.set(deviceKey, [gatewayId, deviceId]);
    }
    for (const [deviceKey, [gatewayId, deviceId]] of touched) {
      const deviceRow = this.deviceNodes.get(deviceKey);
      const gateway = this.gateways.get(gatewayId);
      // The device row too, when the readings changed how its values are as a whole.
      if (deviceRow && gateway && !nodes.includes(deviceRow) && this.paintedHealth.get(deviceRow.id) !== JSON.stringify(this.healthOf(gateway, deviceId))) {
        nodes.push(deviceRow);
      }
    }
    if (nodes.length > 0) this.emitter.fire(nodes);
  }

  dispose(): void {
    for (const f of this.followed.values()) f.listeners.forEach((d) => d.dispose());
    this.cache.dropAll();
    this.attributes.dropAll();
    this.repaint.dispose();
    this.disposables.forEach((d) => d.dispose());
  }
}
