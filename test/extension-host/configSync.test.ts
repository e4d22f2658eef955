import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { DeviceConfig } from '../../gateway/protocol';
import { gatewayPids } from './processes';
import { waitFor } from './waitFor';
import { describeTree, findDevice, getWorld, RIG, rigDevice, waitForTagText, World, writeConfig } from './world';

/** A second device file, for `bifrost.configPath`: the same simulator under another name. */
const OTHER = { file: 'other.bifrost.json', id: 'other', name: 'Other Rig' } as const;

function otherDevice(port: number): DeviceConfig {
  return { ...rigDevice(port), id: OTHER.id, name: OTHER.name };
}

function bifrostDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'bifrost');
}

/** Waits until the tree holds every device of `present` and none of `absent`. */
function waitForDevices(world: World, what: string, present: string[], absent: string[]): Promise<true> {
  return waitFor(
    what,
    async () => {
      for (const name of present) if (!(await findDevice(world.api, name))) return undefined;
      for (const name of absent) if (await findDevice(world.api, name)) return undefined;
      return true;
    },
    () => describeTree(world.api),
  );
}

/** How bifrost.json reaches the gateway when the file breaks, goes, or moves (bifrost.configPath). */
export function configSyncSuite(): void {
  describe('bifrost.json kept in step with the gateway', () => {
    let world: World;
    let goodConfig: string;
    let otherUri: vscode.Uri;

    before(async () => {
      world = await getWorld();
      goodConfig = JSON.stringify({ devices: [rigDevice(world.rig.port)] }, null, 2);
      otherUri = vscode.Uri.joinPath(world.folder, OTHER.file);
    });

    // Each test puts back what it changed. This repairs only what a failed one left behind: a
    // needless reload would reach the suites after this one as a late devicesChanged.
    after(async () => {
      if (!world) return;
      await vscode.workspace.fs.delete(otherUri).then(undefined, () => undefined);
      const settings = vscode.workspace.getConfiguration('bifrost');
      const moved = settings.inspect<string>('configPath')?.workspaceValue !== undefined;
      if (moved) await settings.update('configPath', undefined, vscode.ConfigurationTarget.Workspace);
      const text = await vscode.workspace.fs.readFile(world.config).then((b) => new TextDecoder().decode(b), () => undefined);
      if (text !== goodConfig) await writeConfig(world, goodConfig);
      if (moved || text !== goodConfig) await waitForDevices(world, 'the rig back in the tree', [RIG.name], [OTHER.name]);
    });

    it('a new gateway gets the last good devices while bifrost.json does not parse', async () => {
      await writeConfig(world, `${goodConfig.slice(0, goodConfig.lastIndexOf(']'))},\n    { "id": "half-written", \n`);
      await waitFor('a syntax error on bifrost.json', () => (bifrostDiagnostics(world.config).length > 0 ? true : undefined));
      const [old] = gatewayPids();
      await vscode.commands.executeCommand('bifrost.restartGateway');
      await waitFor('a new gateway, running', () => (world.api.gateway.state === 'running' && gatewayPids().some((pid) => pid !== old) ? true : undefined), () => `${world.api.gateway.state}, pids ${JSON.stringify(gatewayPids())}`);
      // A value written now reaches the tree only through the new gateway's rig.
      world.rig.holdings[0] = 6100;
      await waitForTagText(world.api, RIG.name, RIG.counter, '6100');
      assert.ok(!gatewayPids().includes(old), 'the old gateway still runs');
      assert.equal(bifrostDiagnostics(world.config)[0]?.severity, vscode.DiagnosticSeverity.Error, 'the syntax error is still shown');
      assert.equal(await findDevice(world.api, 'half-written'), undefined);

      await writeConfig(world, goodConfig);
      await waitFor('no diagnostics once fixed', () => (bifrostDiagnostics(world.config).length === 0 ? true : undefined));
    });

    it('a deleted bifrost.json leaves no configured device running; written again, they come back', async () => {
      await vscode.workspace.fs.delete(world.config);
      await waitForDevices(world, 'the rig gone from the tree', [], [RIG.name]);
      await waitFor('the rig\'s connection closed', () => (world.rig.connectionCount === 0 ? true : undefined), () => `${world.rig.connectionCount} connection(s)`);
      assert.deepEqual(bifrostDiagnostics(world.config), []);

      await writeConfig(world, goodConfig);
      await waitForDevices(world, 'the rig back', [RIG.name], []);
      world.rig.holdings[0] = 6200;
      await waitForTagText(world.api, RIG.name, RIG.counter, '6200');
    });

    it('a changed bifrost.configPath loads the other file and watches it instead', async () => {
      await vscode.workspace.fs.writeFile(otherUri, new TextEncoder().encode(JSON.stringify({ devices: [otherDevice(world.rig.port)] }, null, 2)));
      await vscode.workspace.getConfiguration('bifrost').update('configPath', OTHER.file, vscode.ConfigurationTarget.Workspace);
      await waitForDevices(world, 'the other file\'s device in place of the rig', [OTHER.name], [RIG.name]);
      world.rig.holdings[0] = 6300;
      await waitForTagText(world.api, OTHER.name, RIG.counter, '6300');

      // The new file is watched: breaking it shows there, and its device keeps running.
      await vscode.workspace.fs.writeFile(otherUri, new TextEncoder().encode('{ "devices": [ { "id": "x" '));
      await waitFor('a syntax error on the other file', () => (bifrostDiagnostics(otherUri).length > 0 ? true : undefined));
      assert.ok(await findDevice(world.api, OTHER.name), `the other device kept running: ${await describeTree(world.api)}`);

      await vscode.workspace.getConfiguration('bifrost').update('configPath', undefined, vscode.ConfigurationTarget.Workspace);
      await waitForDevices(world, 'the rig back in place of the other device', [RIG.name], [OTHER.name]);
      assert.deepEqual(bifrostDiagnostics(otherUri), [], 'the other file\'s problems are no longer shown');
    });
  });
}
