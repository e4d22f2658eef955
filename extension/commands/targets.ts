import * as vscode from 'vscode';
import type { DeviceInfo, TagInfo } from '../../gateway/protocol';
import type { Gateway } from '../client/gateway';
import type { Gateways } from '../client/gateways';
import { hasDevice, isTreeNode, tagInfoOf } from '../tree/nodes';

/**
 * Commands work from the tree (the clicked row is their argument) and from the palette (no
 * argument: they ask with a quick pick). These helpers turn either into a device or tags.
 */

export interface DeviceTarget {
  gateway: Gateway;
  device: DeviceInfo;
}

export interface TagTarget extends DeviceTarget {
  /** What requests name the tag by: its configured name, or the ref browsing gave. */
  ref: string;
  tag: TagInfo;
}

/** Thrown when the user closes a picker: the command ends without a message. */
export class Cancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

function noDevices(): Error {
  return new Error('There are no devices yet: start the demo plant or add a device to bifrost.json.');
}

function deviceOf(gateways: Gateways, gatewayId: string, deviceId: string): DeviceTarget {
  const gateway = gateways.get(gatewayId);
  const device = gateway?.devices.device(deviceId);
  if (!gateway || !device) throw new Error(`The device "${deviceId}" is no longer there (the configuration changed).`);
  return { gateway, device };
}

/** The clicked tag row, if the argument is one. */
function clickedTag(gateways: Gateways, arg: unknown): TagTarget | undefined {
  if (!isTreeNode(arg) || arg.kind !== 'tag') return undefined;
  const target = deviceOf(gateways, arg.gatewayId, arg.deviceId);
  return { ...target, ref: arg.ref, tag: tagInfoOf(arg, target.device.tags) };
}

function configuredTags(t: DeviceTarget): TagTarget[] {
  return t.device.tags.map((tag) => ({ ...t, ref: tag.name, tag }));
}

/** The clicked tag, or one picked from all tags; `note` adds a remark to an entry (e.g. "read-only"). */
export async function oneTag(gateways: Gateways, arg: unknown, title: string, note?: (t: TagTarget) => string | undefined): Promise<TagTarget> {
  const clicked = clickedTag(gateways, arg);
  if (clicked) return clicked;
  const choices = allTags(gateways);
  if (choices.length === 0) throw noTags(gateways);
  const items = choices.map((t) => {
    const item = tagPickItem(gateways, t);
    const remark = note?.(t);
    return remark ? { ...item, description: `${item.description} · ${remark}` } : item;
  });
  const picked = await vscode.window.showQuickPick(items, { title, matchOnDescription: true, matchOnDetail: true, placeHolder: 'Tag' });
  if (!picked) throw new Cancelled();
  return picked.target;
}

/** The selected tags (tree selection with several rows), the clicked one, or several picked. */
export async function someTags(gateways: Gateways, arg: unknown, selection: unknown, title: string): Promise<TagTarget[]> {
  if (Array.isArray(selection) && selection.length > 1) {
    const out: TagTarget[] = [];
    for (const n of selection) {
      if (!isTreeNode(n)) continue;
      if (n.kind === 'tag') out.push(clickedTag(gateways, n)!);
      else if (n.kind === 'device') out.push(...configuredTags(deviceOf(gateways, n.gatewayId, n.deviceId)));
    }
    return out;
  }
  const clicked = clickedTag(gateways, arg);
  if (clicked) return [clicked];
  if (isTreeNode(arg) && arg.kind === 'device') return configuredTags(deviceOf(gateways, arg.gatewayId, arg.deviceId));
  const choices = allTags(gateways);
  if (choices.length === 0) throw noTags(gateways);
  const picked = await vscode.window.showQuickPick(
    choices.map((t) => tagPickItem(gateways, t)),
    { title, canPickMany: true, matchOnDescription: true, placeHolder: 'Tags' },
  );
  if (!picked || picked.length === 0) throw new Cancelled();
  return picked.map((p) => p.target);
}

/** The clicked device (or the device of a clicked row below it), or one picked. */
export async function oneDevice(gateways: Gateways, arg: unknown, title: string): Promise<DeviceTarget> {
  if (isTreeNode(arg) && hasDevice(arg)) return deviceOf(gateways, arg.gatewayId, arg.deviceId);
  const all = gateways.all.flatMap((gateway) => gateway.devices.devices.map((device) => ({ gateway, device })));
  if (all.length === 0) throw noDevices();
  if (all.length === 1) return all[0];
  const picked = await vscode.window.showQuickPick(
    all.map((t) => ({ label: t.device.name, description: where(gateways, t), detail: `${t.device.endpoint} · ${t.device.status}`, target: t })),
    { title, matchOnDescription: true, placeHolder: 'Device' },
  );
  if (!picked) throw new Cancelled();
  return picked.target;
}

/** What Copy Address copies from a clicked row (a device's endpoint, a tag's address, a folder's ref), or from a picked tag. */
export async function addressOf(gateways: Gateways, arg: unknown, title: string): Promise<string> {
  if (isTreeNode(arg)) {
    if (arg.kind === 'device') return deviceOf(gateways, arg.gatewayId, arg.deviceId).device.endpoint;
    if (arg.kind === 'folder' || arg.kind === 'method') return arg.ref;
  }
  return (await oneTag(gateways, arg, title)).tag.address;
}

function allTags(gateways: Gateways): TagTarget[] {
  return gateways.all.flatMap((gateway) => gateway.devices.devices.flatMap((device) => configuredTags({ gateway, device })));
}

function noTags(gateways: Gateways): Error {
  return gateways.all.every((g) => g.devices.devices.length === 0) ? noDevices() : new Error('The devices have no configured tags.');
}

/** The device's name, and the gateway's while there are several. */
function where(gateways: Gateways, t: DeviceTarget): string {
  return gateways.all.length > 1 ? `${t.device.name} · ${t.gateway.name}` : t.device.name;
}

function tagPickItem(gateways: Gateways, t: TagTarget): vscode.QuickPickItem & { target: TagTarget } {
  return {
    label: t.tag.name,
    description: where(gateways, t),
    detail: [t.tag.address, t.tag.dataType, t.tag.unit, t.tag.description].filter(Boolean).join(' · '),
    target: t,
  };
}
