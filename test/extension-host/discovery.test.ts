/**
 * Discover Devices… in the extension: asked where, which ports and unit ids (answered here as a
 * person would), the scan's results fill the Tag Explorer's "Discovered" row, and Add to
 * bifrost.json turns one into a configured device that connects. The rig simulator stands in for
 * a device on the network: it answers every unit id, without identifying itself.
 */
import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { PromptAnswerer } from '../../extension/commands/prompts';
import { waitFor } from './waitFor';
import { describeTree, findDevice, getWorld, rigDevice, row, World, writeConfig } from './world';

const FOUND = { id: 'found-rig', name: 'Found Rig' } as const;

export function discoverySuite(): void {
  describe('Discover Devices', () => {
    let world: World;

    before(async () => {
      world = await getWorld();
    });

    after(async () => {
      if (!world) return;
      world.api.prompts.answerWith(undefined);
      await vscode.commands.executeCommand('bifrost.clearDiscovered');
      await writeConfig(world, JSON.stringify({ devices: [rigDevice(world.rig.port)] }, null, 2));
      await waitFor(`${FOUND.name} to leave the tree`, async () => ((await findDevice(world.api, FOUND.name)) ? undefined : true), () => describeTree(world.api));
    });

    async function discoveredRows() {
      const top = await world.api.tree.getChildren();
      const folder = top.find((n) => n.kind === 'discoveries');
      if (!folder) return undefined;
      return { folder: row(world.api, folder), rows: (await world.api.tree.getChildren(folder)).map((n) => row(world.api, n)) };
    }

    it('scans what the person names and lists every unit that answered under "Discovered", then adds one to bifrost.json, where it connects', async () => {
      const port = world.rig.port;
      const picks: string[][] = [];
      const inputs: vscode.InputBoxOptions[] = [];
      const notices: string[] = [];
      const typed = ['127.0.0.1', String(port), FOUND.id, FOUND.name];
      const answerer: PromptAnswerer = {
        inputBox: async (options) => {
          inputs.push(options);
          return typed.shift();
        },
        warning: async () => undefined,
        quickPick: async <T extends vscode.QuickPickItem>(items: readonly T[]) => {
          picks.push(items.map((i) => i.label));
          return items.find((i) => i.label === 'Other addresses…') ?? items[0];
        },
        notify: async (_kind, message) => {
          notices.push(message);
          return undefined;
        },
      };
      world.api.prompts.answerWith(answerer);
      await vscode.commands.executeCommand('bifrost.clearDiscovered');
      await vscode.commands.executeCommand('bifrost.discoverDevices');

      assert.equal(picks.length, 2, `asked ${JSON.stringify(picks)}`);
      assert.deepEqual(picks[0]!.slice(-3), ['Other addresses…', 'OPC UA servers…', 'Serial ports…'], 'the networks of this computer come first, then other addresses, OPC UA and serial ports');
      assert.ok(notices.some((n) => /^Discovery found 3 devices on 1 host/.test(n)), JSON.stringify(notices));
      const found = await waitFor('the Discovered row', () => discoveredRows());
      assert.equal(found.folder.description, '3 devices');
      assert.deepEqual(found.rows.map((r) => r.label).sort(), [`127.0.0.1:${port} · unit 0`, `127.0.0.1:${port} · unit 1`, `127.0.0.1:${port} · unit 255`]);
      for (const r of found.rows) {
        assert.equal(r.contextValue, 'discovered');
        assert.equal(r.description, 'Modbus device', 'the rig does not identify itself');
      }

      const unit1 = found.rows.find((r) => r.label.endsWith('unit 1'))!;
      await vscode.commands.executeCommand('bifrost.addDiscoveredDevice', unit1.node);
      assert.equal(inputs.at(-2)!.value, 'modbus-1-u1', 'an id is suggested from the host and unit');
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(world.config));
      const added = (JSON.parse(text) as { devices: Record<string, unknown>[] }).devices.find((d) => d['id'] === FOUND.id);
      assert.deepEqual(added, { id: FOUND.id, name: FOUND.name, protocol: 'modbus-tcp', host: '127.0.0.1', port, unitId: 1, tags: [] });
      await waitFor(
        `${FOUND.name} connected in the Tag Explorer`,
        async () => {
          const d = await findDevice(world.api, FOUND.name);
          return d && !/error|connecting|disconnected/.test(d.description) ? d : undefined;
        },
        () => describeTree(world.api),
      );
    });

    it('a scan of addresses the gateway refuses says why, and lists nothing', async () => {
      const notices: { kind: string; message: string }[] = [];
      const typed = ['10.0.0.300', '502'];
      world.api.prompts.answerWith({
        inputBox: async () => typed.shift(),
        warning: async () => undefined,
        quickPick: async <T extends vscode.QuickPickItem>(items: readonly T[]) => items.find((i) => i.label === 'Other addresses…') ?? items[0],
        notify: async (kind, message) => {
          notices.push({ kind, message });
          return undefined;
        },
      });
      await vscode.commands.executeCommand('bifrost.clearDiscovered');
      await vscode.commands.executeCommand('bifrost.discoverDevices');
      const error = await waitFor('the error', () => notices.find((n) => n.kind === 'error'));
      assert.match(error.message, /10\.0\.0\.300/);
      assert.equal(await discoveredRows(), undefined, 'a refused scan shows no Discovered row');
    });

    it('a serial scan asks which ports, baud rates, parities and unit ids, and says which port it could not open', async () => {
      const missing = '/dev/ttyBIFROST-missing';
      const notices: { kind: string; message: string }[] = [];
      const multi: { title: string | undefined; labels: string[]; picked: string[] }[] = [];
      const inputs: vscode.InputBoxOptions[] = [];
      world.api.prompts.answerWith({
        inputBox: async (options) => {
          inputs.push(options);
          return missing;
        },
        warning: async () => undefined,
        quickPick: async <T extends vscode.QuickPickItem>(items: readonly T[]) => items.find((i) => i.label === 'Serial ports…') ?? items[0],
        quickPickMany: async <T extends vscode.QuickPickItem>(items: readonly T[], options: vscode.QuickPickOptions) => {
          multi.push({ title: options.title, labels: items.map((i) => i.label), picked: items.filter((i) => i.picked).map((i) => i.label) });
          if (items.some((i) => i.label === 'Another port…')) return items.filter((i) => i.label === 'Another port…');
          // One setting keeps the scan short: 19200 baud, even parity.
          return items.filter((i) => i.label === '19200' || i.label === 'even');
        },
        notify: async (kind, message) => {
          notices.push({ kind, message });
          return undefined;
        },
      });
      await vscode.commands.executeCommand('bifrost.clearDiscovered');
      await vscode.commands.executeCommand('bifrost.discoverDevices');
      const told = await waitFor('the result', () => notices.at(-1));
      assert.equal(told.kind, 'warning', JSON.stringify(notices));
      assert.match(told.message, /^Discovery found 0 devices on 1 serial port/);
      assert.ok(told.message.includes(missing), told.message);
      const rates = multi.find((m) => m.labels.includes('19200'));
      assert.deepEqual(rates?.picked, ['9600', '19200', '38400', '57600', '115200'], "the gateway's default baud rates come checked");
      const parities = multi.find((m) => m.labels.includes('even'));
      assert.deepEqual(parities?.picked, ['even', 'none']);
      assert.ok(inputs.some((i) => /serial ports to scan/i.test(i.prompt ?? '')), 'a port path can be typed');
      assert.equal(await discoveredRows(), undefined, 'nothing found, no Discovered row');
    });
  });
}
