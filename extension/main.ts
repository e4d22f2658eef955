import * as vscode from 'vscode';
import { Certificates } from './certificates/certificates';
import { Discoveries } from './discovery/discoveries';
import { Ctx } from './client/ctx';
import { LocalGateway } from './client/gateway';
import { Gateways } from './client/gateways';
import { RemoteGateways } from './client/remoteGateways';
import { remoteUrlOf } from './client/remoteIds';
import type { ValueHub } from './client/valueHub';
import { registerCommands } from './commands';
import { Prompts } from './commands/prompts';
import { Settings } from './config/settings';
import { ConfigSync } from './config/sync';
import { UnsavedDevices } from './discovery/unsavedDevices';
import { LiveDataPanels } from './liveData';
import { GatewayHistory } from './liveData/history';
import { InspectorPanels } from './inspector';
import { Log } from './log/log';
import { AttributesDocuments } from './nodes/attributesDocuments';
import { Passwords } from './secrets/passwords';
import { StatusBar } from './statusBar/statusBar';
import type { TreeNode } from './tree/nodes';
import { TAG_EXPLORER_VIEW, TagTreeProvider } from './tree/tagTree';
import { TreeValues } from './tree/treeValues';

let ctx: Ctx | undefined;

/** The gateway the extension starts itself; it loads bifrost.json. */
const LOCAL_GATEWAY = 'local';

/** What activate() returns in tests: the parts the extension-host suites look at and answer for. */
export interface BifrostTestApi {
  readonly tree: TagTreeProvider;
  /** The Tag Explorer's view: what is selected (Go to Node). */
  readonly view: Pick<vscode.TreeView<TreeNode>, 'selection'>;
  readonly gateway: Pick<Ctx, 'state' | 'stopReason' | 'onDidChangeState' | 'capabilities'>;
  readonly prompts: Prompts;
  /** The local gateway's value hub: its gateway subscriptions, and the readings that crossed the wire. */
  readonly values: Pick<ValueHub, 'gatewaySubscriptions' | 'readingsReceived'>;
  /** The Live Data panels' host side: what each holds, and every message posted to a webview. */
  readonly liveData: Pick<LiveDataPanels, 'contents' | 'onDidPost'>;
  /** The register inspectors' host side: an open one by device (to hand it the webview's messages), and what they post. */
  readonly inspectors: Pick<InspectorPanels, 'find' | 'onDidPost'>;
  /** The trust prompt, to hand it a gateway's notification as the client does. */
  readonly certificates: Pick<Certificates, 'untrusted'>;
  /** The devices opened from the discovery results without being saved (Browse). */
  readonly unsaved: Pick<UnsavedDevices, 'devices'>;
  /** The remote gateways of the setting and their connection states. */
  readonly remotes: Pick<RemoteGateways, 'all' | 'onDidChange'>;
}

/** Wiring only: each part owns its behaviour. */
export function activate(context: vscode.ExtensionContext): BifrostTestApi | undefined {
  // Hosts without a test runner of their own (a browser-based VS Code) run the extension-host
  // suites when this names their bundle. Inert otherwise.
  const tests = process.env.BIFROST_EXTENSION_TESTS;
  // Only tests get the test API: no other extension can confirm a write in place of the user.
  const testing = context.extensionMode === vscode.ExtensionMode.Test || Boolean(tests);

  const log = new Log();
  const settings = new Settings();
  const prompts = new Prompts();
  ctx = new Ctx(context, log, settings, prompts);
  const c = ctx;
  c.pushExt(log, settings);

  const passwords = new Passwords(context.secrets, log, prompts);
  // bifrost.json first: after every gateway start its devices come back before the demo plant
  // and the subscriptions (registered by the gateway below).
  const unsaved = new UnsavedDevices(LOCAL_GATEWAY);
  const configSync = new ConfigSync(c, passwords, LOCAL_GATEWAY, unsaved);
  const local = new LocalGateway(LOCAL_GATEWAY, 'Local gateway', c, { countReadings: testing });
  const gateways = new Gateways(local, log);
  const certificates = new Certificates(gateways, prompts);

  const treeValues = new TreeValues();
  const discoveries = new Discoveries();
  const tree = new TagTreeProvider(gateways, treeValues, settings, configSync, [passwords, certificates, unsaved], discoveries);
  const view = vscode.window.createTreeView(TAG_EXPLORER_VIEW, { treeDataProvider: tree, showCollapseAll: true, canSelectMany: true });
  treeValues.setVisible(view.visible);
  const charts = new LiveDataPanels(
    context,
    (gatewayId) => gateways.valuesOf(gatewayId),
    log.channel,
    new GatewayHistory((gatewayId) => gateways.get(gatewayId ?? LOCAL_GATEWAY)),
  );
  const attributes = new AttributesDocuments(gateways);
  const inspectors = new InspectorPanels(context, log.channel);
  const remotes = new RemoteGateways(context, log, prompts);
  gateways.follow(remotes);
  tree.setRemotes(remotes);

  c.pushExt(
    passwords,
    configSync,
    local,
    certificates,
    treeValues,
    tree,
    view,
    view.onDidChangeVisibility((e) => treeValues.setVisible(e.visible)),
    view.onDidExpandElement((e) => tree.setExpanded(e.element, true)),
    view.onDidCollapseElement((e) => tree.setExpanded(e.element, false)),
    charts,
    attributes,
    inspectors,
    new StatusBar(local),
    discoveries,
    unsaved,
    c.onDiscovered((n) => discoveries.take(n)),
    c.onDiscoveryProgress((n) => discoveries.progress(n)),
    remotes,
    gateways,
    vscode.commands.registerCommand('bifrost.connectRemoteGateway', () => remotes.connect()),
    vscode.commands.registerCommand('bifrost.removeRemoteGateway', (arg?: unknown) => remotes.remove(remoteUrlOfRow(arg))),
    ...registerCommands({ gateways, configSync, tree, view, charts, prompts, passwords, certificates, attributes, discoveries, unsaved, inspectors }),
    settings.onDidChange((change) => {
      if (change.restartGateway) void c.restart();
    }),
  );

  // Not awaited: activation ends at once; commands wait for the gateway (or say it is down).
  void c.start();
  void remotes.sync();

  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a bundle named at run time
  if (tests) setTimeout(() => void (require(tests) as { run(): Promise<void> }).run().catch(() => undefined));

  return testing ? { tree, view, gateway: c, prompts, values: local.values, liveData: charts, inspectors, certificates, unsaved, remotes } : undefined;
}

/** The URL of a remote gateway's row (the command from its context menu), or undefined to ask. */
function remoteUrlOfRow(arg: unknown): string | undefined {
  const id = (arg as { kind?: unknown; gatewayId?: unknown } | undefined)?.gatewayId;
  return typeof id === 'string' ? remoteUrlOf(id) : undefined;
}

export async function deactivate(): Promise<void> {
  const c = ctx;
  ctx = undefined;
  // Stops the gateway (and with it the demo plant's simulators) before the extension host goes.
  await c?.dispose();
}
