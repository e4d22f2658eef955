import type { BrowseItem, TagInfo } from '../../gateway/protocol';
import type { SkippedEntry } from '../config/skipped';

/**
 * The rows of the Tag Explorer: gateway → device → folders → tags and methods, as far as the
 * gateway's browse goes. Each node knows the gateway and device it belongs to and, below the
 * device, its ref: what commands need to read, write or chart it. Node objects are kept stable
 * while their device does not change, so a new reading repaints only its own rows.
 */

export interface GatewayNode {
  readonly kind: 'gateway';
  readonly id: string;
  readonly gatewayId: string;
}

export interface DeviceNode {
  readonly kind: 'device';
  readonly id: string;
  readonly gatewayId: string;
  readonly deviceId: string;
}

interface BrowsedNode {
  readonly id: string;
  readonly gatewayId: string;
  readonly deviceId: string;
  readonly ref: string;
  readonly item: BrowseItem;
  readonly parent: ContainerNode;
}

/** A folder or an object: it holds more. */
export interface FolderNode extends BrowsedNode {
  readonly kind: 'folder';
}

/** A variable; it may hold more too (a structure's fields). */
export interface TagNode extends BrowsedNode {
  readonly kind: 'tag';
}

export interface MethodNode extends BrowsedNode {
  readonly kind: 'method';
}

/** Stands where a container's children would be when browsing it failed. */
export interface ErrorNode {
  readonly kind: 'error';
  readonly id: string;
  readonly gatewayId: string;
  readonly deviceId: string;
  readonly message: string;
  readonly parent: ContainerNode;
}

/**
 * A device or tag of bifrost.json that the gateway left out: at the top beside the devices, or
 * under its device. It belongs to no running device.
 */
export interface SkippedNode {
  readonly kind: 'skipped';
  readonly id: string;
  readonly gatewayId: string;
  readonly skipped: SkippedEntry;
  readonly parent?: DeviceNode;
}

/** Stands where a device's rows would be when it has none: what to do about it. */
export interface HintNode {
  readonly kind: 'hint';
  readonly id: string;
  readonly gatewayId: string;
  readonly deviceId: string;
  readonly message: string;
  readonly detail: string;
  /** Where bifrost.json opens when the row is clicked (a JSON pointer), if anywhere. */
  readonly pointer?: string;
  readonly parent: DeviceNode;
}

/** What scans of the network found (Discover Devices…), below the local gateway's devices. */
export interface DiscoveriesNode {
  readonly kind: 'discoveries';
  readonly id: string;
  readonly gatewayId: string;
}

/** One device a scan found; `key` names it in the Discoveries store. */
export interface DiscoveredNode {
  readonly kind: 'discovered';
  readonly id: string;
  readonly gatewayId: string;
  readonly key: string;
  readonly parent: DiscoveriesNode;
}

export type ContainerNode = DeviceNode | FolderNode | TagNode;
export type TreeNode = GatewayNode | DeviceNode | FolderNode | TagNode | MethodNode | ErrorNode | SkippedNode | HintNode | DiscoveriesNode | DiscoveredNode;

const KINDS = new Set<string>(['gateway', 'device', 'folder', 'tag', 'method', 'error', 'skipped', 'hint', 'discoveries', 'discovered']);

/** Commands get the clicked row as their argument: this tells a row from anything else. */
export function isTreeNode(arg: unknown): arg is TreeNode {
  return typeof arg === 'object' && arg !== null && KINDS.has(String((arg as { kind?: unknown }).kind)) && 'gatewayId' in arg;
}

export function hasDevice(node: TreeNode): node is Exclude<TreeNode, GatewayNode | SkippedNode | DiscoveriesNode | DiscoveredNode> {
  return node.kind !== 'gateway' && node.kind !== 'skipped' && node.kind !== 'discoveries' && node.kind !== 'discovered';
}

/** Whether a row can be expanded to show more. */
export function isContainer(node: TreeNode): node is ContainerNode {
  return node.kind === 'device' || node.kind === 'folder' || (node.kind === 'tag' && node.item.hasChildren);
}

/** Ids of rows, unique per gateway, device and ref. */
export function gatewayNodeId(gatewayId: string): string {
  return JSON.stringify(['gateway', gatewayId]);
}
export function deviceNodeId(gatewayId: string, deviceId: string): string {
  return JSON.stringify(['device', gatewayId, deviceId]);
}
export function browsedNodeId(gatewayId: string, deviceId: string, ref: string): string {
  return JSON.stringify(['node', gatewayId, deviceId, ref]);
}

/** The key of one tag's value, across gateways. */
export function valueKey(gatewayId: string, deviceId: string, ref: string): string {
  return JSON.stringify([gatewayId, deviceId, ref]);
}

/**
 * What a tag row stands for. Configured tags come with their TagInfo; a variable the gateway
 * found by browsing may come without one: then it is the device's configured tag at the same
 * address when there is one (its unit, its access, what it can hold, so that it can be written
 * from the row), and otherwise it is described from what browsing said.
 */
export function tagInfoOf(node: TagNode, configured: readonly TagInfo[] = []): TagInfo {
  const { item } = node;
  if (item.tag) return item.tag;
  const same = configured.find((t) => t.address === item.ref);
  if (same) return same;
  const name = item.displayName ?? item.name;
  return {
    name,
    address: item.ref,
    dataType: item.dataType ?? '',
    valueKind: 'unknown',
    access: item.writable ? 'readwrite' : 'read',
    writable: false,
    notWritableReason: item.writable
      ? `The gateway did not say what ${name} can hold, so it cannot be written from here.`
      : `${name} is read-only.`,
  };
}

/** A configured tag as a browse item (for protocols that do not browse). */
export function itemOfTag(tag: TagInfo): BrowseItem {
  return { ref: tag.name, name: tag.name, nodeClass: 'variable', dataType: tag.dataType, hasChildren: false, writable: tag.writable, tag };
}

export function discoveriesNode(gatewayId: string): DiscoveriesNode {
  return { kind: 'discoveries', id: JSON.stringify(['discoveries', gatewayId]), gatewayId };
}

export function discoveredNode(parent: DiscoveriesNode, key: string): DiscoveredNode {
  return { kind: 'discovered', id: JSON.stringify(['discovered', parent.gatewayId, key]), gatewayId: parent.gatewayId, key, parent };
}
