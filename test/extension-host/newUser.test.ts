import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import { waitFor } from './waitFor';
import { describeTree, getWorld, readTree, RIG, rigDevice, World, writeConfig } from './world';

/** A tooltip's text as it reads, without the Markdown escapes of its punctuation. */
function tooltipText(item: vscode.TreeItem): string {
  const t = item.tooltip;
  return (typeof t === 'string' ? t : (t?.value ?? '')).replace(/\\(.)/g, '$1');
}

/** What a new user met first: entries left out of bifrost.json, a device without tags, a disabled one. */
export function newUserSuite(): void {
  describe('What bifrost.json leaves out, and devices that show nothing', () => {
    let world: World;

    before(async () => {
      world = await getWorld();
    });

    after(async () => {
      await writeConfig(world, JSON.stringify({ devices: [rigDevice(world.rig.port)] }, null, 2));
      await waitFor(
        'the entries of this suite gone from the Tag Explorer',
        async () => {
          const roots = await world.api.tree.getChildren();
          return !roots.some((n) => n.kind === 'skipped') && !(await readTree(world.api)).some((d) => d.label === 'New Drive') ? true : undefined;
        },
        () => describeTree(world.api),
      );
    });

    it('shows a skipped tag under its device and a skipped device at the top, each opening its entry, with one diagnostic per mistake', async () => {
      const rig = rigDevice(world.rig.port);
      const text = JSON.stringify(
        {
          devices: [
            { ...rig, tags: [...(rig.tags ?? []), { name: 'broken', address: 'holding:abc' }] },
            { id: 'no-host', name: 'Packer', protocol: 'modbus-tcp', tags: [{ name: 'count', address: 'holding:0' }] },
            { id: 'empty', name: 'New Drive', protocol: 'modbus-tcp', host: '127.0.0.1', port: world.rig.port, unitId: 2 },
            { id: 'parked', name: 'Parked Mixer', protocol: 'modbus-tcp', host: '127.0.0.1', port: world.rig.port, enabled: false, tags: [{ name: 'speed', address: 'holding:0' }] },
          ],
        },
        null,
        2,
      );
      await writeConfig(world, text);
      // The tree shows the new file in steps (skipped entries, then each device): wait for all of it.
      const wanted = [RIG.name, 'New Drive', 'Parked Mixer'];
      const { roots, devices } = await waitFor(
        'the skipped device at the top of the Tag Explorer and the three devices of the file',
        async () => {
          const nodes = await world.api.tree.getChildren();
          if (!nodes.some((n) => n.kind === 'skipped')) return undefined;
          const shown = await readTree(world.api);
          const rigShown = shown.find((d) => d.label === RIG.name);
          if (!wanted.every((name) => shown.some((d) => d.label === name))) return undefined;
          return rigShown?.tags.some((r) => r.label === 'broken') ? { roots: nodes, devices: shown } : undefined;
        },
        () => describeTree(world.api),
      );
      const skipped = roots.filter((n) => n.kind === 'skipped').map((n) => world.api.tree.getTreeItem(n));
      assert.deepEqual(skipped.map((i) => i.label), ['Packer']);
      assert.equal(skipped[0]!.description, 'skipped: a Modbus TCP device needs a "host" (name or IP address)');
      assert.deepEqual(skipped[0]!.command?.arguments, ['/devices/1/host']);

      const rigRows = devices.find((d) => d.label === RIG.name)!.tags;
      const broken = rigRows.find((r) => r.label === 'broken');
      assert.ok(broken, `no row for the broken tag: ${await describeTree(world.api)}`);
      assert.equal(broken.node.kind, 'skipped');
      assert.match(tooltipText(world.api.tree.getTreeItem(broken.node)), /Tag "broken" of device "rig" skipped: /);
      assert.deepEqual(devices.find((d) => d.label === 'New Drive')!.tags.map((r) => [r.node.kind, r.label]), [['hint', 'No tags yet']]);
      const parked = devices.find((d) => d.label === 'Parked Mixer')!;
      assert.equal(parked.description, 'disabled');
      assert.deepEqual(parked.tags.map((r) => r.description), ['not read (device disabled)']);

      // The click opens bifrost.json with the broken address selected.
      const command = world.api.tree.getTreeItem(broken.node).command!;
      await vscode.commands.executeCommand(command.command, ...(command.arguments ?? []));
      const editor = await waitFor('bifrost.json in an editor', () => (vscode.window.activeTextEditor?.document.uri.fsPath === world.config.fsPath ? vscode.window.activeTextEditor : undefined));
      assert.equal(editor.document.getText(editor.selection), '"holding:abc"');

      const diagnostics = vscode.languages.getDiagnostics(world.config).filter((d) => d.source === 'bifrost');
      assert.deepEqual(
        diagnostics.map((d) => [d.severity, d.message.replace(/:.*/, '')]),
        [
          [vscode.DiagnosticSeverity.Error, 'Tag "broken" of device "rig" skipped'],
          [vscode.DiagnosticSeverity.Error, 'Device "no-host" skipped'],
        ],
      );
      // VS Code's JSON service reads the file with the editor schema: it adds no entry of its own.
      await new Promise((r) => setTimeout(r, 2000));
      const others = vscode.languages.getDiagnostics(world.config).filter((d) => d.source !== 'bifrost');
      assert.deepEqual(others.map((d) => `${d.source}: ${d.message}`), []);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    });
  });
}
