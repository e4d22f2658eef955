import * as assert from 'node:assert/strict';
import { before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import { GATEWAY_NODE_OPTIONS } from '../../gateway/protocol';
import { gatewayProcesses } from './processes';
import { waitFor } from './waitFor';
import { EXTENSION_ID, getWorld, RIG, World } from './world';

export function activationSuite(): void {
  describe('Activation', () => {
    let world: World;

    before(async () => {
      world = await getWorld();
    });

    it('activates, and the tree shows the devices at the top while there is one gateway', async () => {
      const extension = vscode.extensions.getExtension(EXTENSION_ID);
      assert.ok(extension?.isActive, 'the extension is not active');
      const roots = await world.api.tree.getChildren();
      assert.deepEqual(
        roots.map((n) => n.kind),
        roots.map(() => 'device'),
        'a row above the devices: the gateway level should be collapsed while there is one gateway',
      );
      const rig = roots.find((n) => n.kind === 'device' && n.deviceId === RIG.id);
      assert.ok(rig, `the rig is not at the top of the tree: ${JSON.stringify(roots)}`);
      assert.equal(world.api.tree.getParent(rig), undefined);
    });

    it('registers every command that package.json contributes', async () => {
      const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes: { commands: { command: string }[] } };
      const contributed = manifest.contributes.commands.map((c) => c.command);
      const all = await vscode.commands.getCommands(true);
      const registered = new Set(all);
      assert.deepEqual(contributed.filter((id) => !registered.has(id)), [], 'contributed but not registered');
      // And the other way: a command the extension registers but does not contribute has no
      // title and no place in the palette. (VS Code itself registers the view's own commands.)
      const ours = all.filter((id) => id.startsWith('bifrost.') && !id.startsWith('bifrost.tagExplorer.'));
      assert.deepEqual(ours.filter((id) => !contributed.includes(id)), [], 'registered but not contributed');
    });

    it('starts its gateway as a child process over IPC, with the gateway\'s node options', async () => {
      await waitFor('the gateway to be running', () => (world.api.gateway.state === 'running' ? true : undefined), () => world.api.gateway.state);
      const [gateway] = await waitFor('one gateway process under the extension host', () => {
        const found = gatewayProcesses();
        return found.length === 1 ? found : undefined;
      }, () => `gateway processes: ${JSON.stringify(gatewayProcesses())}`);
      for (const option of [...GATEWAY_NODE_OPTIONS, '--node-ipc']) {
        assert.ok(gateway.args.split(/\s+/).includes(option), `the gateway runs without ${option}: ${gateway.args}`);
      }
    });

    it('knows what the gateway can do from its answer to initialize', () => {
      const caps = world.api.gateway.capabilities;
      assert.ok(caps, 'no capabilities from the gateway');
      const modbus = caps.protocols['modbus-tcp'];
      assert.ok(modbus, `the gateway lists no modbus-tcp driver: ${JSON.stringify(caps)}`);
      assert.equal(modbus.browse, 'flat');
      assert.equal(modbus.displayName, 'Modbus TCP');
      assert.ok(modbus.deviceFields.some((f) => f.key === 'host'), `Add Device would not ask for the host: ${JSON.stringify(modbus.deviceFields)}`);
    });
  });
}
