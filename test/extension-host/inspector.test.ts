import * as assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { InspectorPanel } from '../../extension/inspector/inspectorPanel';
import type { InspectorProbe, InspectorRead, ToInspector } from '../../webview/inspectorMessages';
import { waitFor } from './waitFor';
import { describeTree, findDevice, findTag, getWorld, rigDevice, RIG, World, writeConfig } from './world';

const LOCAL = 'local';

/** The two registers of a float32 in CDAB, as the rig holds it. */
function cdab(f: number): [number, number] {
  const v = new DataView(new ArrayBuffer(4));
  v.setFloat32(0, f);
  return [v.getUint16(2), v.getUint16(0)];
}

export function inspectorSuite(): void {
  describe('Register inspector', () => {
    let world: World;
    let panel: InspectorPanel;
    const posted: ToInspector[] = [];
    let listener: vscode.Disposable | undefined;

    before(async () => {
      world = await getWorld();
      listener = world.api.inspectors.onDidPost(({ message, delivered }) => {
        if (delivered) posted.push(message);
      });
    });

    afterEach(() => world.api.prompts.answerWith(undefined));

    after(async function () {
      this.timeout(60_000);
      listener?.dispose();
      world.api.inspectors.find(LOCAL, RIG.id)?.dispose();
      await writeConfig(world, JSON.stringify({ devices: [rigDevice(world.rig.port)] }, null, 2));
      await waitFor('the added tag gone again', async () => ((await findTag(world.api, RIG.name, 'rig_float')) ? undefined : true), () => describeTree(world.api), { timeoutMs: 30_000 });
    });

    /** The first read delivered to the webview since `from` that `ok` accepts. */
    function waitForRead(what: string, from: number, ok: (r: InspectorRead) => boolean): Promise<InspectorRead> {
      return waitFor(
        what,
        () => posted.slice(from).flatMap((m) => (m.type === 'read' && ok(m.read) ? [m.read] : []))[0],
        () => JSON.stringify(posted.slice(-3)).slice(0, 600),
      );
    }

    it('is offered on Modbus devices and opens on one, showing the registers the device holds', async () => {
      const device = await findDevice(world.api, RIG.name);
      assert.ok(device, 'the rig is in the tree');
      assert.match(device.contextValue, /^device.*\.inspect\b/, 'the context menu offers Inspect Registers on a Modbus device');
      world.rig.holdings.set([4660, 22136, 65535], 40);
      const from = posted.length;
      await vscode.commands.executeCommand('bifrost.inspectRegisters', device.node);
      panel = await waitFor('the inspector of the rig', () => world.api.inspectors.find(LOCAL, RIG.id));
      await waitFor('the inspector\'s tab, active', () => {
        const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
        return tab?.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith('bifrost.inspector') && tab.label === `Registers: ${RIG.name}` ? tab : undefined;
      }, () => JSON.stringify(vscode.window.tabGroups.activeTabGroup.activeTab?.label));
      const init = await waitFor('the panel told its device', () => posted.slice(from).find((m) => m.type === 'init'));
      assert.ok(init.type === 'init' && init.device.addTagRefusal === undefined, 'a device of bifrost.json takes tags');
      const first = await waitForRead('the first read of holding 0-99', from, (r) => r.area === 'holding' && r.start === 0 && r.count === 100);
      assert.deepEqual(first.values.slice(40, 43), [4660, 22136, 65535], 'what the rig holds');
      assert.deepEqual(first.errors, []);
    });

    it('reads again while shown, and follows a new range', async () => {
      let from = posted.length;
      world.rig.holdings[41] = 31337;
      await waitForRead('holding 41 = 31337', from, (r) => r.start === 0 && r.values[41] === 31337);
      from = posted.length;
      world.rig.holdings.set(cdab(21.53), 60);
      await panel.handle({ type: 'settings', settings: { ...panel.settings, start: 60, count: 4, intervalMs: 250 } });
      const moved = await waitForRead('holding 60-63', from, (r) => r.start === 60 && r.count === 4);
      assert.deepEqual(moved.values.slice(0, 2), cdab(21.53));
      await panel.handle({ type: 'settings', settings: { ...panel.settings, area: 'coil', start: 0, count: 8 } });
      world.rig.coils[3] = 1;
      await waitForRead('coils 0-7', from, (r) => r.area === 'coil' && r.count === 8 && r.values[3] === 1);
    });

    it('stops reading while hidden and when closed', async function () {
      this.timeout(30_000);
      const doc = await vscode.workspace.openTextDocument({ content: 'over the inspector' });
      await vscode.window.showTextDocument(doc, { preview: false, viewColumn: vscode.ViewColumn.Active });
      await waitFor('the inspector hidden', () => (panel.panel.visible ? undefined : true));
      // A read in flight when it was hidden still answers; none starts after it.
      await new Promise((ok) => setTimeout(ok, 600));
      const reads = panel.reads;
      await new Promise((ok) => setTimeout(ok, 1200));
      assert.equal(panel.reads, reads, 'a hidden inspector reads nothing (250 ms interval)');
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      panel.reveal();
      await waitFor('reading again once shown', () => (panel.reads > reads ? true : undefined));
    });

    it('finds which registers exist, with the requests it took', async () => {
      const from = posted.length;
      await panel.handle({ type: 'probe', range: { area: 'holding', start: 0, count: 300 } });
      const probe = await waitFor('the probe result', () => posted.slice(from).find((m): m is { type: 'probe'; probe: InspectorProbe } => m.type === 'probe')?.probe);
      assert.deepEqual(probe.present, [[0, 99]], 'the rig has 100 holding registers');
      assert.deepEqual(probe.absent, [[100, 299]]);
      assert.ok(probe.requests >= 2, `${probe.requests} request(s)`);
    });

    it('adds a row as a tag of the device in bifrost.json, which the gateway then reads', async () => {
      const asked: vscode.InputBoxOptions[] = [];
      const notifications: string[] = [];
      world.api.prompts.answerWith({
        inputBox: async (options) => {
          asked.push(options);
          return 'rig_float';
        },
        warning: async () => undefined,
        notify: async (_kind, message) => {
          notifications.push(message);
          return undefined;
        },
      });
      const from = posted.length;
      await panel.handle({ type: 'addTag', tag: { area: 'holding', address: 60, type: 'float32', byteOrder: 'CDAB' } });
      assert.equal(asked[0]?.value, 'holding_60_float32', 'the name suggested');
      assert.equal(asked[0]?.validateInput?.(RIG.counter), `The device has a tag "${RIG.counter}" already: choose another name.`);
      assert.ok(posted.length >= from);
      await waitFor('tagAdded posted', () => posted.slice(from).find((m) => m.type === 'tagAdded'));
      assert.match(notifications[0] ?? '', /Added holding register 60 as "rig_float" \(float32\)/);
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(world.config));
      const config = JSON.parse(text) as { devices: { id: string; tags: unknown[] }[] };
      const tags = config.devices.find((d) => d.id === RIG.id)!.tags;
      assert.deepEqual(tags.at(-1), { name: 'rig_float', area: 'holding', address: 60, type: 'float32', byteOrder: 'CDAB' });
      assert.equal(tags.length, 4, 'the other tags stay');
      await waitFor('the new tag reading 21.53 in the Tag Explorer', async () => {
        const t = await findTag(world.api, RIG.name, 'rig_float');
        return t?.description.startsWith('21.53') ? t : undefined;
      }, () => describeTree(world.api), { timeoutMs: 30_000 });
    });
  });
}
