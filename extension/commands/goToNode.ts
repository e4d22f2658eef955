import { revealRow } from './revealRow';
import type { Services } from './services';
import { addressSpaceDevice, askNode } from './nodeTargets';

/**
 * Go to Node…: a NodeId or a browse path, found by the gateway, then shown in the Tag Explorer
 * with its ancestors expanded and the row selected.
 */
export const goToNode = (s: Services) => async (arg?: unknown) => {
  const target = await addressSpaceDevice(s.gateways, arg, 'Go to Node');
  const { device, gateway } = target;
  const { item, ancestors, path } = await askNode(s, target, `Go to Node on ${device.name}`);
  const found = await s.tree.nodeAt(gateway.id, device.id, ancestors, item.ref);
  if (!found.node) {
    const name = item.displayName ?? item.name;
    throw new Error(
      `${device.id}: ${path} is ${item.ref} (${name}), but the Tag Explorer does not list ${found.missing === item.ref ? 'it' : found.missing} ` +
        'where the server says it is (the tree shows hierarchical references from Objects only). Refresh and try again if the address space changed.',
    );
  }
  await revealRow(s, found.node, async () => (await s.tree.nodeAt(gateway.id, device.id, ancestors, item.ref)).node);
};
