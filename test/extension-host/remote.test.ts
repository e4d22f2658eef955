/**
 * A remote gateway: the built gateway started by the test on loopback with a token, connected
 * through Connect to Gateway… (address and token typed into the input boxes), shown as a row
 * beside the local gateway, connected only once it answered; then removed from its row.
 */
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { TreeNode } from '../../extension/tree/nodes';
import { waitFor } from './waitFor';
import { EXTENSION_ID, getWorld, type World } from './world';

export function remoteSuite(): void {
  describe('remote gateways', function () {
    let w: World;
    let dir: string;
    let gateway: ChildProcess | undefined;
    let url: string;
    let token: string;

    before(async () => {
      w = await getWorld();
      const gatewayJs = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'dist', 'gateway.js');
      dir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-remote-'));
      const tokens = path.join(dir, 'tokens.json');
      const added = spawnSync(process.execPath, [gatewayJs, 'token', 'add', 'vscode', '--read-write', '--tokens', tokens], { encoding: 'utf8' });
      assert.equal(added.status, 0, added.stderr);
      token = added.stdout.trim();
      const child = spawn(process.execPath, [gatewayJs, '--listen', '127.0.0.1:0', '--tokens', tokens], { stdio: ['ignore', 'ignore', 'pipe'] });
      gateway = child;
      let log = '';
      child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
      url = await waitFor('the remote gateway listening', () => /listening on (ws:\/\/\S+)/.exec(log)?.[1], () => log, { timeoutMs: 20_000 });
    });

    after(async () => {
      w?.api.prompts.answerWith(undefined);
      if (gateway && gateway.exitCode === null) {
        const exited = new Promise((r) => gateway!.once('exit', r));
        gateway.kill('SIGTERM');
        await exited;
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    async function topRows(): Promise<{ node: TreeNode; label: string; description: string }[]> {
      const nodes = (await w.api.tree.getChildren()) as TreeNode[];
      return nodes.map((node) => {
        const item = w.api.tree.getTreeItem(node);
        const label = typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
        return { node, label, description: String(item.description ?? '') };
      });
    }

    it('connects with a token typed in, shows the gateway beside the local one, and removes it from its row', async () => {
      const typed = [url, token];
      w.api.prompts.answerWith({ inputBox: async () => typed.shift(), warning: async () => undefined });
      await vscode.commands.executeCommand('bifrost.connectRemoteGateway');
      const remote = await waitFor(
        'the remote gateway connected in the tree',
        async () => (await topRows()).find((r) => r.label === url && r.description === 'connected'),
        async () => JSON.stringify((await topRows()).map((r) => `${r.label}: ${r.description}`)),
        { timeoutMs: 30_000 },
      );
      const labels = (await topRows()).map((r) => r.label);
      assert.ok(labels.includes('Local gateway'), `the local gateway beside it: ${labels.join(', ')}`);
      const entries = vscode.workspace.getConfiguration('bifrost').get<{ url: string }[]>('remoteGateways') ?? [];
      assert.deepEqual(entries, [{ url }]);
      assert.ok(!JSON.stringify(entries).includes(token), 'no token in settings');

      await vscode.commands.executeCommand('bifrost.removeRemoteGateway', remote.node);
      await waitFor('the remote gateway gone', async () => ((await topRows()).some((r) => r.label === url) ? undefined : true), async () => JSON.stringify((await topRows()).map((r) => r.label)));
      assert.deepEqual(vscode.workspace.getConfiguration('bifrost').get('remoteGateways'), []);
    });
  });
}
