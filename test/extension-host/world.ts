/**
 * What every extension-host suite shares: the activated extension's test API, the workspace
 * folder with its bifrost.json, and the Modbus TCP simulator that stands in for a device.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { BifrostTestApi } from '../../extension/main';
import type { TreeNode } from '../../extension/tree/nodes';
import type { DeviceConfig } from '../../gateway/protocol';
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';
import { waitFor } from './waitFor';

export const EXTENSION_ID = 'bifrost.bifrost';

/** The device bifrost.json describes; its registers are the simulator's. */
export const RIG = {
  id: 'rig',
  name: 'Test Rig',
  /** holding 0, read-only. */
  counter: 'counter',
  /** holding 10, uint16, writable. */
  setpoint: 'setpoint',
  /** holding 11, int16 × 0.1 °C, writable. */
  temperature: 'temperature',
} as const;

export function rigDevice(port: number): DeviceConfig {
  return {
    id: RIG.id,
    name: RIG.name,
    protocol: 'modbus-tcp',
    host: '127.0.0.1',
    port,
    pollIntervalMs: 200,
    // The simulator shares the extension host's event loop with VS Code: on a busy machine an
    // answer can wait for the host, and the rig must not then look like a silent device.
    timeoutMs: 2000,
    allowWrites: true,
    tags: [
      { name: RIG.counter, area: 'holding', address: 0, description: 'Changed by the test' },
      { name: RIG.setpoint, area: 'holding', address: 10, access: 'readwrite' },
      { name: RIG.temperature, area: 'holding', address: 11, type: 'int16', scale: 0.1, unit: '°C', access: 'readwrite' },
    ],
  };
}

export interface World {
  api: BifrostTestApi;
  folder: vscode.Uri;
  config: vscode.Uri;
  rig: ModbusTcpSimulator;
}

let setup: Promise<World> | undefined;
let simulator: ModbusTcpSimulator | undefined;

/**
 * Set up once, on first use: the extension activated, the rig running and in bifrost.json. A
 * failed setup fails every suite at once, with the same reason.
 */
export function getWorld(): Promise<World> {
  return (setup ??= createWorld());
}

async function createWorld(): Promise<World> {
  const extension = vscode.extensions.getExtension<BifrostTestApi>(EXTENSION_ID);
  assert.ok(extension, `the extension ${EXTENSION_ID} is not installed in this VS Code`);
  const api = await extension.activate();
  assert.ok(api, 'the extension gave no test API: is BIFROST_EXTENSION_TESTS set, or the host in test mode?');
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  assert.ok(folder, 'the tests need a workspace folder');
  const rig = (simulator = new ModbusTcpSimulator({ holdings: 100 }));
  await rig.start();
  const world = { api, folder, config: vscode.Uri.joinPath(folder, 'bifrost.json'), rig };
  await writeConfig(world, JSON.stringify({ devices: [rigDevice(rig.port)] }, null, 2));
  // Values flow to the tree only while it is visible.
  await vscode.commands.executeCommand('workbench.view.extension.bifrost');
  await waitFor('the Test Rig in the Tag Explorer', () => findDevice(api, RIG.name), () => describeTree(api), { timeoutMs: 30_000 });
  return world;
}

export async function disposeWorld(): Promise<void> {
  const rig = simulator;
  simulator = undefined;
  setup = undefined;
  await rig?.stop();
}

export async function writeConfig(w: World, text: string): Promise<void> {
  await vscode.workspace.fs.writeFile(w.config, new TextEncoder().encode(text));
}

// ---------------------------------------------------------------------------------------------
// The tree as VS Code sees it: the provider's children and items
// ---------------------------------------------------------------------------------------------

export interface Row {
  node: TreeNode;
  label: string;
  description: string;
  contextValue: string;
}

export interface DeviceRow extends Row {
  /** The rows under the device: its tags (a flat protocol), or why browsing it failed. */
  tags: Row[];
}

export function row(api: BifrostTestApi, node: TreeNode): Row {
  const item = api.tree.getTreeItem(node);
  const label = typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
  const description = typeof item.description === 'string' ? item.description : '';
  return { node, label, description, contextValue: item.contextValue ?? '' };
}

/** The devices at the top of the tree (the gateway level is collapsed while there is one) and the rows below each. */
export async function readTree(api: BifrostTestApi): Promise<DeviceRow[]> {
  const roots = await api.tree.getChildren();
  const devices = roots.filter((n) => n.kind === 'device');
  return Promise.all(devices.map(async (device) => ({ ...row(api, device), tags: (await api.tree.getChildren(device)).map((n) => row(api, n)) })));
}

export async function findDevice(api: BifrostTestApi, name: string): Promise<DeviceRow | undefined> {
  return (await readTree(api)).find((d) => d.label === name);
}

export async function findTag(api: BifrostTestApi, device: string, tag: string): Promise<Row | undefined> {
  return (await findDevice(api, device))?.tags.find((t) => t.node.kind === 'tag' && t.label === tag);
}

/** The row at `path` (labels, one per level) below a device, listing each level's children as the view does when expanded. */
export async function findRow(api: BifrostTestApi, device: string, path: readonly string[]): Promise<Row | undefined> {
  let at = (await findDevice(api, device))?.node;
  for (const label of path) {
    if (!at) return undefined;
    at = (await api.tree.getChildren(at)).find((n) => row(api, n).label === label);
  }
  return at && row(api, at);
}

/** Waits until the row at `path` below a device shows exactly `description`. */
export function waitForRowText(api: BifrostTestApi, device: string, path: readonly string[], description: string, timeoutMs = 20_000): Promise<Row> {
  let seen: string | undefined;
  return waitFor(
    `${[device, ...path].join(' › ')} to show "${description}" in the Tag Explorer`,
    async () => {
      const r = await findRow(api, device, path);
      seen = r?.description;
      return r?.description === description ? r : undefined;
    },
    () => (seen === undefined ? 'no such row' : JSON.stringify(seen)),
    { timeoutMs },
  );
}

/** For timeouts: what the tree showed. */
export async function describeTree(api: BifrostTestApi): Promise<string> {
  const devices = await readTree(api);
  if (devices.length === 0) return `an empty tree (gateway ${api.gateway.state})`;
  return devices.map((d) => `${d.label} [${d.description}]: ${d.tags.map((t) => `${t.label}=${t.description || '∅'}`).join(', ')}`).join(' | ');
}

/** Waits until a tag's row shows exactly `description`. */
export function waitForTagText(api: BifrostTestApi, device: string, tag: string, description: string, timeoutMs = 20_000): Promise<Row> {
  return waitFor(
    `${device} › ${tag} to show "${description}" in the Tag Explorer`,
    async () => {
      const r = await findTag(api, device, tag);
      return r?.description === description ? r : undefined;
    },
    () => describeTree(api),
    { timeoutMs },
  );
}

/** `device/tag` of every tag that more than one of the hub's gateway subscriptions carries. */
export function tagsInSeveralSubscriptions(api: BifrostTestApi): string[] {
  const count = new Map<string, number>();
  for (const s of api.values.gatewaySubscriptions()) for (const t of s.tags) count.set(`${s.deviceId}/${t}`, (count.get(`${s.deviceId}/${t}`) ?? 0) + 1);
  return [...count].filter(([, n]) => n > 1).map(([k]) => k);
}
