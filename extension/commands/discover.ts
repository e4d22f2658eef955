import type { DiscoveredItem } from '../../gateway/protocol';
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { Discover, type DiscoverParams, type DiscoverResult } from '../../gateway/protocol';
import { checkDeviceId, type DeviceEntry } from '../config/newDevice';
import { discoveredLabel, identityText } from '../discovery/items';
import { isTreeNode } from '../tree/nodes';
import { saveNewDevice, takenDeviceIds } from './addDevice';
import { unsavedDeviceOf } from './browseDiscovered';
import { askWhatToScan } from './discoverQuestions';
import type { Services } from './services';
import { Cancelled } from './targets';

/** Above this many hosts a scan asks first (a /22). */
const CONFIRM_ABOVE_HOSTS = 1024;
/** A serial scan that may take longer than this asks first. */
const CONFIRM_ABOVE_MS = 2 * 60_000;

/**
 * Discover Devices…: what to scan (this computer's networks offered first, then other addresses,
 * OPC UA servers and serial ports); a scan bigger than a /22, or a serial scan that may take
 * minutes, is confirmed; then the scan runs under a cancellable progress notification while what
 * it finds fills the Tag Explorer's "Discovered" row.
 */
export const discoverDevices = (s: Services) => async () => {
  const ctx = s.gateways.local.ctx;
  const scan = await askWhatToScan(s);
  const discoveryId = randomUUID();
  const params: DiscoverParams = { discoveryId, ...scan.params };
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
  if (size.estimatedMs !== undefined && size.estimatedMs > CONFIRM_ABOVE_MS) {
    const go = await s.prompts.warning(
      `The serial scan may take up to ${minutes(size.estimatedMs)}.`,
      { modal: true, detail: 'That is when every unit id stays silent at every setting; it ends sooner where units answer. Fewer baud rates, parities or unit ids make it shorter.' },
      'Scan',
    );
    if (go !== 'Scan') throw new Cancelled();
  }

  s.discoveries.begin(discoveryId);
  let result: DiscoverResult;
  try {
    const title = size.estimatedMs !== undefined ? `${scan.title} (at most ${minutes(size.estimatedMs)})` : scan.title;
    result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
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
    });
  } finally {
    s.discoveries.end(discoveryId);
  }
  const seconds = (result.durationMs / 1000).toFixed(1);
  const what = `${result.found} ${scan.kind === 'opcua' ? 'server' : 'device'}${result.found === 1 ? '' : 's'}`;
  const where = scan.kind === 'serial' ? `on ${plural(scan.params.serial.ports.length, 'serial port')}` : `on ${plural(result.hosts, 'host')}`;
  const told = [...(result.errors ?? []), ...(result.notes ?? [])].map((m) => ` ${m.target}: ${m.message}.`).join('');
  const message = result.cancelled
    ? `Discovery cancelled after ${seconds} s: ${what} found in ${result.probed} of ${result.probes} probes.${told}`
    : `Discovery found ${what} ${where} in ${seconds} s${result.found > 0 ? '; they are under "Discovered" in the Tag Explorer' : ''}.${told}`;
  void s.prompts.notify(result.errors?.length ? 'warning' : 'info', message);
};

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en')} ${word}${n === 1 ? '' : 's'}`;
}

function minutes(ms: number): string {
  return ms < 90_000 ? `${Math.ceil(ms / 1000)} s` : `${Math.ceil(ms / 60_000)} min`;
}

/**
 * Add to bifrost.json, on a discovered device or on one opened by Browse: asks an id and a name,
 * then appends the device (an opened one with the endpoint it was opened at, and closed: the
 * file's entry takes its place).
 */
export const addDiscoveredDevice = (s: Services) => async (arg?: unknown) => {
  const opened = unsavedDeviceOf(s, arg);
  const node = isTreeNode(arg) && arg.kind === 'discovered' ? arg : undefined;
  if (!node && !opened) throw new Error('Add to bifrost.json works on a device under "Discovered" in the Tag Explorer: run Bifrost: Discover Devices… first.');
  const found = node ? s.discoveries.get(node.key) : undefined;
  if (node && !found) throw new Error('That device is no longer in the discovery results.');
  const label = found ? discoveredLabel(found.item) : (opened!.name ?? opened!.id);
  const taken = (await takenDeviceIds(s)).filter((id) => id !== opened?.id);
  const id = await s.prompts.inputBox({
    title: `Add ${label} to bifrost.json (1/2)`,
    prompt: 'Device id: a short name used in commands and charts',
    value: found ? suggestId(found.item, taken) : opened!.id,
    validateInput: (v) => checkDeviceId(v, taken),
    ignoreFocusOut: true,
  });
  if (id === undefined) throw new Cancelled();
  const name = await s.prompts.inputBox({
    title: `Add ${label} to bifrost.json (2/2)`,
    prompt: 'Display name (optional)',
    value: found ? identityText(found.item) : (opened!.name ?? ''),
    ignoreFocusOut: true,
  });
  if (name === undefined) throw new Cancelled();
  const settings = found ? { ...deviceSettings(found.item), tags: [] } : withoutIdentity(opened!);
  const device = { id: id.trim(), ...(name.trim() ? { name: name.trim() } : {}), ...settings } as DeviceEntry;
  await saveNewDevice(s, device);
  if (opened) s.unsaved.close(opened.id);
  void s.prompts.notify('info', `Added ${name.trim() || id.trim()} to bifrost.json. Add its tags under "tags" (completion knows the fields).`);
};

function withoutIdentity(device: DeviceEntry): Record<string, unknown> {
  const { id: _id, name: _name, ...rest } = device as Record<string, unknown>;
  return rest;
}

/** What bifrost.json needs to reach a discovered device; an OPC UA server at its most secure endpoint. */
export function deviceSettings(item: DiscoveredItem): Pick<DeviceEntry, 'protocol'> & Record<string, unknown> {
  if (item.protocol === 'modbus-tcp') return { protocol: 'modbus-tcp', host: item.host, port: item.port, unitId: item.unitId };
  if (item.protocol === 'modbus-rtu') return { protocol: 'modbus-rtu', serialPath: item.serialPath, baudRate: item.baudRate, parity: item.parity, unitId: item.unitId };
  const best = [...item.endpoints].sort((a, b) => b.securityLevel - a.securityLevel)[0];
  return { protocol: 'opcua', endpointUrl: item.endpointUrl, ...(best ? { securityMode: best.securityMode, securityPolicy: best.securityPolicy } : {}) };
}

/** `ac-500`, or `modbus-20-u1` from the host's last part and the unit: free among `taken`. */
export function suggestId(item: DiscoveredItem, taken: readonly string[]): string {
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
