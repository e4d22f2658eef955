import { NodeResolve } from '../../gateway/protocol';
import type { BrowseItem, NodeResolveResult } from '../../gateway/protocol';
import { protocolCapabilities } from '../client/capabilities';
import type { Gateways } from '../client/gateways';
import { hasDevice, isTreeNode, type TreeNode } from '../tree/nodes';
import type { Services } from './services';
import { Cancelled, oneDevice, type DeviceTarget } from './targets';

/**
 * Commands on the nodes of a device's address space (OPC UA): the clicked row, or, from the
 * palette, a device and a node id or browse path resolved by the gateway (`bifrost/nodes/resolve`).
 */

export interface NodeTarget extends DeviceTarget {
  ref: string;
  item: BrowseItem;
  /** The clicked row, when there was one. */
  row?: TreeNode;
}

/** Whether the device's protocol has an address space to walk (OPC UA does, Modbus does not). */
export function walksAddressSpace(t: DeviceTarget): boolean {
  return protocolCapabilities(t.gateway.capabilities, t.device.protocol)?.browse === 'tree';
}

/** The clicked device (which must have an address space), or one picked. */
export async function addressSpaceDevice(gateways: Gateways, arg: unknown, title: string): Promise<DeviceTarget> {
  const target = await oneDevice(gateways, arg, title);
  if (!walksAddressSpace(target)) {
    throw new Error(`${target.device.name} (${target.device.protocol}) has no address space of nodes to go to: its tags are all in bifrost.json.`);
  }
  return target;
}

/** Asks for a NodeId or a browse path and has the gateway find it. */
export async function askNode(s: Services, target: DeviceTarget, title: string): Promise<NodeResolveResult & { path: string }> {
  const path = await s.prompts.inputBox({
    title,
    prompt: `A NodeId (ns=2;s=Tank.Level, i=2258) or a browse path from Objects (/Plant/Tank/Level) on ${target.device.name}`,
    placeHolder: 'ns=1;s=Plant.Tank.Level or /Plant/Tank/Level',
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() === '' ? 'Enter a NodeId or a browse path starting with "/".' : undefined),
  });
  if (path === undefined) throw new Cancelled();
  const result = await target.gateway.ctx.request(NodeResolve, { deviceId: target.device.id, path: path.trim() });
  return { ...result, path: path.trim() };
}

/** The clicked node row; from the palette, a device and a node asked for. `classes` limits what fits. */
export async function oneNode(s: Services, arg: unknown, title: string, classes?: readonly BrowseItem['nodeClass'][]): Promise<NodeTarget> {
  let target: NodeTarget;
  if (isTreeNode(arg) && hasDevice(arg) && 'item' in arg) {
    const d = await oneDevice(s.gateways, arg, title);
    target = { ...d, ref: arg.ref, item: arg.item, row: arg };
  } else {
    const d = await addressSpaceDevice(s.gateways, arg, title);
    const { item } = await askNode(s, d, title);
    target = { ...d, ref: item.ref, item };
  }
  if (classes && !classes.includes(target.item.nodeClass)) {
    const name = target.item.displayName ?? target.item.name;
    throw new Error(`${target.device.id}: ${target.ref} (${name}) is ${article(target.item.nodeClass)}, not ${classes.map(article).join(' or ')}.`);
  }
  return target;
}

function article(nodeClass: string): string {
  return `${/^[aeiou]/.test(nodeClass) ? 'an' : 'a'} ${nodeClass}`;
}
