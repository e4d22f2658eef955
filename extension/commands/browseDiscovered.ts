import type { OpcUaDiscoveredItem, OpcUaEndpointSummary } from '../../gateway/protocol';
import type { DeviceEntry } from '../config/newDevice';
import { isTreeNode } from '../tree/nodes';
import { suggestId } from './discover';
import { takenDeviceIds } from './addDevice';
import { revealRow } from './revealRow';
import type { Services } from './services';
import { Cancelled } from './targets';

/** How long an opened server may take to be listed by the gateway. */
const LISTED_WITHIN_MS = 10_000;

/**
 * Browse, on an OPC UA server under "Discovered": opens it on the local gateway without writing
 * it to bifrost.json (at the endpoint the person picks, most secure first), then shows it in the
 * Tag Explorer, expanded. Its certificate is trusted only as any other server's: when the person
 * says so. Add to bifrost.json on its row keeps it; Close stops it.
 */
export const browseDiscovered = (s: Services) => async (arg?: unknown) => {
  const node = isTreeNode(arg) && arg.kind === 'discovered' ? arg : undefined;
  const item = node ? s.discoveries.get(node.key)?.item : undefined;
  if (!item || item.protocol !== 'opcua') throw new Error('Browse works on an OPC UA server under "Discovered" in the Tag Explorer: run Bifrost: Discover Devices… first.');
  const endpoint = await pickEndpoint(s, item);
  const user = await askUser(s, item, endpoint);
  const local = s.gateways.local;
  const already = s.unsaved.devices.find((d) => {
    const o = d as Record<string, unknown>;
    return o['endpointUrl'] === item.endpointUrl && o['securityMode'] === endpoint.securityMode && o['securityPolicy'] === endpoint.securityPolicy;
  });
  const id = already?.id ?? suggestId(item, [...(await takenDeviceIds(s)), ...s.unsaved.devices.map((d) => d.id)]);
  if (!already) {
    const device = {
      id,
      name: item.applicationName || id,
      protocol: 'opcua',
      endpointUrl: item.endpointUrl,
      securityMode: endpoint.securityMode,
      securityPolicy: endpoint.securityPolicy,
      ...(user ? { user } : {}),
      tags: [],
    } as DeviceEntry;
    s.unsaved.open(device);
    await s.configSync.reload();
    await listed(s, id);
  }
  const row = s.tree.deviceRow(local.id, id);
  await revealRow(s, row, async () => row, true);
};

async function pickEndpoint(s: Services, item: OpcUaDiscoveredItem): Promise<OpcUaEndpointSummary> {
  const endpoints = [...item.endpoints].sort((a, b) => b.securityLevel - a.securityLevel);
  if (endpoints.length === 0) throw new Error(`${item.endpointUrl} listed no endpoints: there is nothing to connect to.`);
  if (endpoints.length === 1) return endpoints[0]!;
  const picked = await s.prompts.quickPick(
    endpoints.map((e, i) => ({
      label: e.securityMode === 'None' ? 'None (no security)' : `${e.securityMode} · ${e.securityPolicy}`,
      description: `logins: ${e.userTokenTypes.join(', ') || 'none'}${i === 0 ? ' · the most secure' : ''}`,
      detail: e.endpointUrl,
      endpoint: e,
    })),
    { title: `Browse ${item.applicationName}: endpoint`, placeHolder: 'How to connect (the server ranks them: most secure first)', ignoreFocusOut: true },
  );
  if (!picked) throw new Cancelled();
  return picked.endpoint;
}

/** Anonymous where the endpoint takes it; else a user name (its password is asked as for any device). */
async function askUser(s: Services, item: OpcUaDiscoveredItem, endpoint: OpcUaEndpointSummary): Promise<{ type: 'username'; username: string } | undefined> {
  if (endpoint.userTokenTypes.includes('anonymous') || !endpoint.userTokenTypes.includes('username')) return undefined;
  const username = await s.prompts.inputBox({
    title: `Browse ${item.applicationName}: login`,
    prompt: 'This endpoint takes no anonymous login: user name (the password is asked next and kept in VS Code\u2019s secret storage)',
    validateInput: (v) => (v.trim() ? undefined : 'Enter a user name.'),
    ignoreFocusOut: true,
  });
  if (username === undefined) throw new Cancelled();
  return { type: 'username', username: username.trim() };
}

/** Resolves once the local gateway lists `id`; rejects with the gateway's reason when it left it out. */
async function listed(s: Services, id: string): Promise<void> {
  const store = s.gateways.local.devices;
  const refused = () => {
    const problems = s.configSync.unsavedProblems.filter((p) => p.severity === 'error');
    return problems.length ? new Error(`The gateway did not open ${id}: ${problems.map((p) => p.message).join('; ')}`) : undefined;
  };
  if (store.device(id)) return;
  const early = refused();
  if (early) {
    s.unsaved.close(id);
    throw early;
  }
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`The gateway did not list ${id} within ${LISTED_WITHIN_MS / 1000} s: see Bifrost's log.`));
    }, LISTED_WITHIN_MS);
    const sub = store.onDidChangeDevices(() => {
      if (!store.device(id)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve();
    });
  });
}

/** The unsaved device a command is about: its row, or its id from a tooltip link. */
export function unsavedDeviceOf(s: Services, arg: unknown): DeviceEntry | undefined {
  const id = typeof arg === 'string' ? arg : isTreeNode(arg) && arg.kind === 'device' && arg.gatewayId === s.gateways.local.id ? arg.deviceId : undefined;
  return id === undefined ? undefined : s.unsaved.get(id);
}

/** Close, on a device opened by Browse: the gateway stops it; nothing was written anywhere. */
export const closeUnsavedDevice = (s: Services) => async (arg?: unknown) => {
  const device = unsavedDeviceOf(s, arg);
  if (!device) throw new Error('Close works on a device opened with Browse from the discovery results.');
  s.unsaved.close(device.id);
  await s.configSync.reload();
};
