import * as assert from 'node:assert/strict';
import { before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import { gatewayPids } from './processes';
import { waitFor } from './waitFor';
import { EXTENSION_ID, getWorld, World } from './world';

export function activationSuite(): void {
  describe('Activation', () => {
    let world: World;

    before(async () => {
      world = await getWorld();
    });

    it('activates and hands its test API to the tests', () => {
      const extension = vscode.extensions.getExtension(EXTENSION_ID);
      assert.ok(extension?.isActive, 'the extension is not active');
      assert.equal(typeof world.api.tree.getChildren, 'function');
    });

    it('registers every command that package.json contributes', async () => {
      const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes: { commands: { command: string }[] } };
      const contributed = manifest.contributes.commands.map((c) => c.command);
      assert.ok(contributed.length > 0, 'package.json contributes no commands');
      const registered = new Set(await vscode.commands.getCommands(true));
      assert.deepEqual(contributed.filter((id) => !registered.has(id)), [], 'contributed but not registered');
    });

    it('starts its gateway as a child process of the extension host', async () => {
      await waitFor('the gateway to be running', () => (world.api.gateway.state === 'running' ? true : undefined), () => world.api.gateway.state);
      const pids = await waitFor('one gateway process under the extension host', () => {
        const found = gatewayPids();
        return found.length === 1 ? found : undefined;
      }, () => `gateway pids: ${JSON.stringify(gatewayPids())}`);
      assert.equal(pids.length, 1);
    });
  });
}
