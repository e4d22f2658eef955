import type { DiscoveredItem } from '../../gateway/protocol';
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { Discover, type DiscoverParams, type DiscoverResult, type ModbusDiscoverParams } from '../../gateway/protocol';
import { checkDeviceId, type DeviceEntry } from '../config/newDevice';
import { discoveredLabel, identityText } from '../discovery/items';
import { localSubnets } from '../discovery/subnets';
import { isTreeNode } from '../tree/nodes';
import { saveNewDevice, takenDeviceIds } from './addDevice';
import type { Services } from './services';
import { Cancelled } from './targets';

/** Above this many hosts a scan asks first (a /22). */
const CONFIRM_ABOVE_HOSTS = 1024;
const STEPS = 3;

/**
 * Discover Devices…: where (this computer's networks offered first), which ports and unit ids;
 * a scan bigger than a /22 is confirmed; then the scan runs under a cancellable progress
 * notification while what it finds fills the Tag Explorer's "Discovered" row.
 */
export const discoverDevices = (s: Services) => async () => {
  const ctx = s.gateways.local.ctx;
  const modbus = await askWhatToScan(s);
  const discoveryId = randomUUID();
  const params: DiscoverParams = { discoveryId, modbus };
  // The gateway checks the addresses (and says what is wrong with them) and counts the hosts.
  const size = await ctx.request(Discover, { ...params, dryRun: true });
  if (size.hosts > CONFIRM_ABOVE_HOSTS) {
    const go = await s.prompts.warning(
      `Scan ${size.hosts.toLocaleString('en')} hosts (${size.probes.toLocaleString('en')} host × port probes)?`,
      { modal: true, detail: 'That is more than a /22 network. Discovery only reads, but every host named gets connection attempts.' },
      'Scan',
    );
    if (go !== 'Scan') throw new Cancelled();
  }

  s.discoveries.begin(discoveryId);
  let result: DiscoverResult;
  try {
    result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Discovering Modbus TCP devices', cancellable: true },
      async (progress, token) => {
        let reported = 0;
        const listener = ctx.onDiscoveryProgress((n) => {
          if (n.discoveryId !== discoveryId || n.total === 0) return;
          const percent = (100 * n.done) / n.total;
          progress.report({ message: `${n.done} of ${n.total} probed, ${s.discoveries.all.length} found so far`, increment: percent - reported });
          reported = percent;
        });
        try {
          return await ctx.request(Discover, params, token);
        } finally {
          listener.dispose();
        }
      },
    );
  } finally {
    s.discoveries.end(discoveryId);
  }
  const seconds = (result.durationMs / 1000).toFixed(1);
  const what = `${result.found} device${result.found === 1 ? '' : 's'}`;
  const message = result.cancelled
    ? `Discovery cancelled after ${seconds} s: ${what} found in ${result.probed} of ${result.probes} probes.`
    : `Discovery found ${what} on ${result.hosts} host${result.hosts === 1 ? '' : 's'} in ${seconds} s; they are under "Discovered" in the Tag Explorer.`;
  void s.prompts.notify('info', message);
};

async function askWhatToScan(s: Services): Promise<ModbusDiscoverParams> {
  const subnets = localSubnets();
  const where = await s.prompts.quickPick(
    [
      ...subnets.map((n) => ({ label: n.cidr, description: `${n.hosts.toLocaleString('en')} hosts`, detail: `this computer: ${n.via}`, targets: n.cidr })),
      { label: 'Other addresses…', description: 'addresses, ranges, CIDR blocks or host names', targets: '' },
    ],
    { title: `Discover Devices (1/${STEPS}): where`, placeHolder: 'A network of this computer, or other addresses', ignoreFocusOut: true },
  );
  if (!where) throw new Cancelled();
  const targetsText = await ask(s, 1, {
    prompt: 'Addresses to scan, separated by commas or spaces',
    placeHolder: '192.168.1.0/24, 10.0.0.5-40, plc-3.local',
    value: where.targets,
    validateInput: (v) => (splitList(v).length === 0 ? 'Name at least one address, range, CIDR block or host name.' : undefined),
  });
  const portsText = await ask(s, 2, {
    prompt: 'TCP ports to try on each host, separated by commas',
    value: '502',
    validateInput: (v) => (parsePorts(v) ? undefined : 'Ports are whole numbers from 1 to 65535, e.g. "502" or "502, 5020".'),
  });
  const units = await s.prompts.quickPick(
    [
      { label: 'Unit ids 1, 255 and 0', description: 'the usual ones: quick', unitIds: undefined as ModbusDiscoverParams['unitIds'] },
      { label: 'Every unit id, 1-247', description: 'for gateways to serial buses: up to 247 questions per open port', unitIds: 'all' as const },
    ],
    { title: `Discover Devices (3/${STEPS}): unit ids`, placeHolder: 'Which unit ids to ask on each open port', ignoreFocusOut: true },
  );
  if (!units) throw new Cancelled();
  return { targets: splitList(targetsText), ports: parsePorts(portsText)!, ...(units.unitIds ? { unitIds: units.unitIds } : {}) };
}

async function ask(s: Services, step: number, options: vscode.InputBoxOptions): Promise<string> {
  const v = await s.prompts.inputBox({ ...options, title: `Discover Devices (${step}/${STEPS})`, ignoreFocusOut: true });
  if (v === undefined) throw new Cancelled();
  return v;
}

function splitList(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

function parsePorts(text: string): number[] | undefined {
  const parts = splitList(text);
  if (parts.length === 0) return undefined;
  const ports = parts.map(Number);
  return ports.every((p) => Number.isInteger(p) && p >= 1 && p <= 65535) ? ports : undefined;
}

/** Add to bifrost.json, on a discovered device: asks an id and a name, then appends the device. */
export const addDiscoveredDevice = (s: Services) => async (arg?: unknown) => {
  const node = isTreeNode(arg) && arg.kind === 'discovered' ? arg : undefined;
  if (!node) throw new Error('Add to bifrost.json works on a device under "Discovered" in the Tag Explorer: run Bifrost: Discover Devices… first.');
  const found = s.discoveries.get(node.key);
  if (!found) throw new Error('That device is no longer in the discovery results.');
  const { item } = found;
  const taken = await takenDeviceIds(s);
  const id = await s.prompts.inputBox({
    title: `Add ${discoveredLabel(item)} to bifrost.json (1/2)`,
    prompt: 'Device id: a short name used in commands and charts',
    value: suggestId(item, taken),
    validateInput: (v) => checkDeviceId(v, taken),
    ignoreFocusOut: true,
  });
  if (id === undefined) throw new Cancelled();
  const name = await s.prompts.inputBox({ title: `Add ${discoveredLabel(item)} to bifrost.json (2/2)`, prompt: 'Display name (optional)', value: identityText(item), ignoreFocusOut: true });
  if (name === undefined) throw new Cancelled();
  const device = { id: id.trim(), ...(name.trim() ? { name: name.trim() } : {}), ...deviceSettings(item), tags: [] } as DeviceEntry;
  await saveNewDevice(s, device);
  void s.prompts.notify('info', `Added ${name.trim() || id.trim()} to bifrost.json. Add its tags under "tags" (completion knows the fields).`);
};

/** What bifrost.json needs to reach a discovered device; an OPC UA server at its most secure endpoint. */
function deviceSettings(item: DiscoveredItem): Pick<DeviceEntry, 'protocol'> & Record<string, unknown> {
  if (item.protocol === 'modbus-tcp') return { protocol: 'modbus-tcp', host: item.host, port: item.port, unitId: item.unitId };
  if (item.protocol === 'modbus-rtu') return { protocol: 'modbus-rtu', serialPath: item.serialPath, baudRate: item.baudRate, parity: item.parity, unitId: item.unitId };
  const best = [...item.endpoints].sort((a, b) => b.securityLevel - a.securityLevel)[0];
  return { protocol: 'opcua', endpointUrl: item.endpointUrl, ...(best ? { securityMode: best.securityMode, securityPolicy: best.securityPolicy } : {}) };
}

/** `ac-500`, or `modbus-20-u1` from the host's last part and the unit: free among `taken`. */
function suggestId(item: DiscoveredItem, taken: readonly string[]): string {
  const productCode = item.protocol === 'opcua' ? item.applicationName : item.identity?.productCode;
  const where = item.protocol === 'modbus-rtu' ? item.serialPath : item.host;
  const unitId = item.protocol === 'opcua' ? null : item.unitId;
  const slug = (productCode ?? '')
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/^[^a-z0-9]+|-+$/g, '');
  const tail = where.split(/[.:/]/).filter(Boolean).at(-1) ?? 'device';
  const base = slug || (unitId === null ? `opcua-${tail}` : `modbus-${tail}-u${unitId}`);
  if (!taken.includes(base)) return base;
  for (let i = 2; ; i++) if (!taken.includes(`${base}-${i}`)) return `${base}-${i}`;
}
