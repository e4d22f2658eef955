import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Config } from './config/settings';
import { ConfigSync } from './config/sync';
import { Ctx } from './client/ctx';
import { DemoPlant } from './client/demoPlant';
import { DeviceStore } from './client/deviceStore';
import { GatewayValues } from './client/gatewayValues';
import { LiveDataPanels } from './liveData';
import { Log } from './log/log';
import { Prompts } from './commands/prompts';
import { StatusBar } from './statusBar/statusBar';
import { TAG_EXPLORER_VIEW, TagTreeProvider } from './tree/tagTree';
import { TreeValues } from './tree/treeValues';

let ctx: Ctx | undefined;

/** What activate() returns: the parts the extension-host tests look at and answer for. */
export interface BifrostTestApi {
  readonly tree: TagTreeProvider;
  readonly gateway: Pick<Ctx, 'state' | 'onDidChangeState'>;
  readonly prompts: Prompts;
}

/** Wiring only: each part owns its behaviour. */
export function activate(context: vscode.ExtensionContext): BifrostTestApi | undefined {
  const log = new Log();
  const config = new Config();
  ctx = new Ctx(context, log, config);
  const c = ctx;
  c.pushExt(log, config);

  // Restore steps run in this order after every gateway start: config, demo plant, subscriptions.
  const configSync = new ConfigSync(c);
  const demo = new DemoPlant(c);
  const source = new GatewayValues(c);

  const store = new DeviceStore(c);
  const values = new TreeValues(source, store);
  const tree = new TagTreeProvider(c, store, values);
  const view = vscode.window.createTreeView(TAG_EXPLORER_VIEW, { treeDataProvider: tree, showCollapseAll: true, canSelectMany: true });
  values.setVisible(view.visible);
  const charts = new LiveDataPanels(context, source, log.channel);
  const prompts = new Prompts();

  c.pushExt(
    configSync,
    source,
    store,
    values,
    tree,
    view,
    view.onDidChangeVisibility((e) => values.setVisible(e.visible)),
    charts,
    new StatusBar(c, store),
    ...registerCommands({ ctx: c, store, values, demo, configSync, charts, prompts }),
    config.onDidChange((change) => {
      if (change.restartGateway) void c.restart();
    }),
  );

  // Not awaited: activation ends at once; commands wait for the gateway (or say it is down).
  void c.start();

  // Hosts without a test runner of their own (a browser-based VS Code) run the extension-host
  // suites when this names their bundle. Inert otherwise.
  const tests = process.env.BIFROST_EXTENSION_TESTS;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a bundle named at run time
  if (tests) setTimeout(() => void (require(tests) as { run(): Promise<void> }).run().catch(() => undefined));

  // Only tests get the seam that answers Write…'s questions: no other extension can confirm a
  // write in place of the user.
  const testing = context.extensionMode === vscode.ExtensionMode.Test || Boolean(tests);
  return testing ? { tree, gateway: c, prompts } : undefined;
}

export async function deactivate(): Promise<void> {
  const c = ctx;
  ctx = undefined;
  // Stops the gateway (and with it the demo plant's simulators) before the extension host goes.
  await c?.dispose();
}
