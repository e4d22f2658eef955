import * as vscode from 'vscode';
import type { DeviceInfo, TagInfo } from '../../gateway/protocol';
import type { DeviceStore } from '../client/deviceStore';
import type { TreeNode } from '../tree/tagTree';

/**
 * Commands work from the tree (the clicked row is their argument) and from the palette (no
 * argument: they ask with a quick pick). These helpers turn either into a device or tags.
 */

export interface TagTarget {
  device: DeviceInfo;
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

function isNode(arg: unknown): arg is TreeNode {
  return typeof arg === 'object' && arg !== null && 'kind' in arg && 'deviceId' in arg;
}

export function deviceOf(store: DeviceStore, deviceId: string): DeviceInfo {
  const device = store.device(deviceId);
  if (!device) throw new Error(`The device "${deviceId}" is no longer there (the configuration changed).`);
  return device;
}

function tagOf(store: DeviceStore, deviceId: string, name: string): TagTarget {
  const device = deviceOf(store, deviceId);
  const tag = device.tags.find((t) => t.name === name);
  if (!tag) throw new Error(`The tag "${name}" is no longer configured on ${device.name}.`);
  return { device, tag };
}

/** The clicked tag, or one picked from all tags; `note` adds a remark to an entry (e.g. "read-only"). */
export async function oneTag(store: DeviceStore, arg: unknown, title: string, note?: (t: TagTarget) => string | undefined): Promise<TagTarget> {
  if (isNode(arg) && arg.kind === 'tag') return tagOf(store, arg.deviceId, arg.tag);
  const choices = allTags(store);
  if (choices.length === 0) throw store.devices.length === 0 ? noDevices() : new Error('The devices have no tags.');
  const items = choices.map((t) => {
    const item = tagPickItem(t);
    const remark = note?.(t);
    return remark ? { ...item, description: `${item.description} · ${remark}` } : item;
  });
  const picked = await vscode.window.showQuickPick(items, { title, matchOnDescription: true, matchOnDetail: true, placeHolder: 'Tag' });
  if (!picked) throw new Cancelled();
  return picked.target;
}

/** The selected tags (tree selection with several rows), the clicked one, or several picked. */
export async function someTags(store: DeviceStore, arg: unknown, selection: unknown, title: string): Promise<TagTarget[]> {
  if (Array.isArray(selection) && selection.length > 1) {
    const out: TagTarget[] = [];
    for (const n of selection) {
      if (!isNode(n)) continue;
      if (n.kind === 'tag') out.push(tagOf(store, n.deviceId, n.tag));
      else out.push(...deviceOf(store, n.deviceId).tags.map((tag) => ({ device: deviceOf(store, n.deviceId), tag })));
    }
    return out;
  }
  if (isNode(arg)) {
    if (arg.kind === 'tag') return [tagOf(store, arg.deviceId, arg.tag)];
    const device = deviceOf(store, arg.deviceId);
    return device.tags.map((tag) => ({ device, tag }));
  }
  const choices = allTags(store);
  if (choices.length === 0) throw store.devices.length === 0 ? noDevices() : new Error('The devices have no tags.');
  const picked = await vscode.window.showQuickPick(choices.map(tagPickItem), { title, canPickMany: true, matchOnDescription: true, placeHolder: 'Tags' });
  if (!picked || picked.length === 0) throw new Cancelled();
  return picked.map((p) => p.target);
}

/** The clicked device (or the device of a clicked tag), or one picked. */
export async function oneDevice(store: DeviceStore, arg: unknown, title: string): Promise<DeviceInfo> {
  if (isNode(arg)) return deviceOf(store, arg.deviceId);
  if (store.devices.length === 0) throw noDevices();
  if (store.devices.length === 1) return store.devices[0];
  const picked = await vscode.window.showQuickPick(
    store.devices.map((d) => ({ label: d.name, description: d.id, detail: `${d.endpoint} · ${d.status}`, device: d })),
    { title, matchOnDescription: true, placeHolder: 'Device' },
  );
  if (!picked) throw new Cancelled();
  return picked.device;
}

/** A clicked row of either kind, or a tag picked. */
export async function deviceOrTag(store: DeviceStore, arg: unknown, title: string): Promise<{ device: DeviceInfo; tag?: TagInfo }> {
  if (isNode(arg) && arg.kind === 'device') return { device: deviceOf(store, arg.deviceId) };
  return oneTag(store, arg, title);
}

function allTags(store: DeviceStore): TagTarget[] {
  return store.devices.flatMap((device) => device.tags.map((tag) => ({ device, tag })));
}

function tagPickItem(t: TagTarget): vscode.QuickPickItem & { target: TagTarget } {
  return {
    label: t.tag.name,
    description: t.device.name,
    detail: [t.tag.address, t.tag.type, t.tag.unit, t.tag.description].filter(Boolean).join(' · '),
    target: t,
  };
}
