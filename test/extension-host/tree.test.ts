import * as assert from 'node:assert/strict';
import { before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import { measure } from './report';
import { waitFor } from './waitFor';
import { describeTree, findDevice, getWorld, readTree, RIG, waitForTagText, World } from './world';

/** The demo plant as the Tag Explorer names it. */
export const DEMO = {
  tank: 'Tank Farm PLC',
  boiler: 'Boiler Controller',
} as const;

function tooltipText(item: vscode.TreeItem): string {
  const t = item.tooltip;
  return typeof t === 'string' ? t : (t?.value ?? '');
}

export function treeSuite(): void {
  describe('Tag Explorer', () => {
    let world: World;

    before(async () => {
      world = await getWorld();
    });

    it('shows the devices of bifrost.json with their tags, browsed from the gateway, and live values', async () => {
      const rig = (await findDevice(world.api, RIG.name))!;
      assert.deepEqual(rig.tags.map((t) => [t.node.kind, t.label]), [RIG.counter, RIG.setpoint, RIG.temperature].map((name) => ['tag', name]));
      world.rig.holdings[0] = 31337;
      await waitForTagText(world.api, RIG.name, RIG.counter, '31337');
      world.rig.holdings[0] = 31338;
      await waitForTagText(world.api, RIG.name, RIG.counter, '31338');
      const endpoint = (await findDevice(world.api, RIG.name))?.description ?? '';
      assert.ok(endpoint.startsWith(`127.0.0.1:${world.rig.port} `), `the device row shows its endpoint once connected, not "${endpoint}"`);
    });

    it('describes tags and devices from what the gateway says, in protocol-neutral words', async () => {
      const { api } = world;
      const rig = (await findDevice(api, RIG.name))!;
      const items = rig.tags.map((t) => api.tree.getTreeItem(t.node));
      const ids = [api.tree.getTreeItem(rig.node).id, ...items.map((i) => i.id)];
      assert.equal(new Set(ids).size, ids.length, `row ids repeat: ${JSON.stringify(ids)}`);
      const [counter, setpoint, temperature] = items.map(tooltipText);
      assert.match(counter, /Data type \| uint16/);
      assert.match(counter, /read only: .+/, 'a read-only tag says why, in the gateway\'s words');
      assert.match(setpoint, /Access \| read\/write/);
      assert.match(temperature, /Data type \| int16/);
      assert.deepEqual(items.map((i) => i.contextValue), ['tag.readonly', 'tag.writable', 'tag.writable']);

      // As VS Code asks when the mouse rests on the row: with fresh statistics.
      const text = tooltipText(await api.tree.resolveTreeItem(api.tree.getTreeItem(rig.node), rig.node));
      const displayName = api.gateway.capabilities?.protocols['modbus-tcp']?.displayName ?? '(no displayName)';
      assert.ok(text.includes(displayName), `the device tooltip does not name the protocol as the gateway does (${displayName}): ${text}`);
      assert.doesNotMatch(text + counter, /\bpoll/i);
    });

    it('Start Demo Plant adds the demo devices, whose values change over time', async () => {
      const { api } = world;
      const hasDemoValue = async () => {
        const tank = await findDevice(api, DEMO.tank);
        return tank?.tags.some((t) => t.description !== '') ? true : undefined;
      };
      assert.equal(await hasDemoValue(), undefined, 'the demo plant was running before the test started it');

      // The first value counts when VS Code is told to repaint it, as a person would see it.
      const started = performance.now();
      let firstValueMs: number | undefined;
      const listener = api.tree.onDidChangeTreeData!(() => {
        const at = performance.now() - started;
        void hasDemoValue().then((shown) => {
          if (shown && firstValueMs === undefined) firstValueMs = at;
        });
      });
      let shownAfterMs: number;
      try {
        await vscode.commands.executeCommand('bifrost.startDemo');
        shownAfterMs = await waitFor('a value of the demo plant in the Tag Explorer', () => firstValueMs, () => describeTree(api));
      } finally {
        listener.dispose();
      }
      measure('Start Demo Plant → first live value in the tree', Math.round(shownAfterMs), 'ms');

      for (const name of [DEMO.tank, DEMO.boiler]) {
        const device = await findDevice(api, name);
        assert.ok(device, `${name} is not in the tree: ${await describeTree(api)}`);
        assert.ok(device.tags.length >= 10, `${name} shows only ${device.tags.length} tags`);
      }
      // Every device has tags that move all the time (levels, flows, temperatures).
      const texts = async (device: string) => ((await findDevice(api, device))?.tags ?? []).map((t) => t.description);
      const first = { tank: await texts(DEMO.tank), boiler: await texts(DEMO.boiler) };
      const changed = (before: string[], now: string[]) => now.some((text, i) => text !== '' && text !== before[i]);
      await waitFor(
        'values of both demo devices to change',
        async () => (changed(first.tank, await texts(DEMO.tank)) && changed(first.boiler, await texts(DEMO.boiler)) ? true : undefined),
        async () => `first ${JSON.stringify(first)}; tree: ${await describeTree(api)}`,
        { timeoutMs: 30_000 },
      );
      const devices = await readTree(api);
      assert.deepEqual(devices.filter((d) => !d.tags.some((t) => t.node.kind === 'tag')).map((d) => d.label), [], 'a device without tag rows');
    });
  });
}
