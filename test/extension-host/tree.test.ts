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

export function treeSuite(): void {
  describe('Tag Explorer', () => {
    let world: World;

    before(async () => {
      world = await getWorld();
    });

    it('shows the devices of bifrost.json with their tags and live values', async () => {
      const rig = findDevice(world.api, RIG.name)!;
      assert.deepEqual(rig.tags.map((t) => t.label), [RIG.counter, RIG.setpoint, RIG.temperature]);
      world.rig.holdings[0] = 31337;
      await waitForTagText(world.api, RIG.name, RIG.counter, '31337');
      world.rig.holdings[0] = 31338;
      await waitForTagText(world.api, RIG.name, RIG.counter, '31338');
      const endpoint = findDevice(world.api, RIG.name)?.description ?? '';
      assert.ok(endpoint.startsWith(`127.0.0.1:${world.rig.port} `), `the device row shows its endpoint once connected, not "${endpoint}"`);
    });

    it('Start Demo Plant adds the demo devices, whose values change over time', async () => {
      const { api } = world;
      const hasDemoValue = () => {
        const tank = findDevice(api, DEMO.tank);
        return tank?.tags.some((t) => t.description !== '') ? true : undefined;
      };
      assert.equal(hasDemoValue(), undefined, 'the demo plant was running before the test started it');

      // The first value counts when VS Code is told to repaint it, as a person would see it.
      const started = performance.now();
      let firstValueMs: number | undefined;
      const listener = api.tree.onDidChangeTreeData(() => {
        if (firstValueMs === undefined && hasDemoValue()) firstValueMs = performance.now() - started;
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
        const device = findDevice(api, name);
        assert.ok(device, `${name} is not in the tree: ${describeTree(api)}`);
        assert.ok(device.tags.length >= 10, `${name} shows only ${device.tags.length} tags`);
      }
      // Every device has tags that move all the time (levels, flows, temperatures).
      const texts = (device: string) => (findDevice(api, device)?.tags ?? []).map((t) => t.description);
      const first = { tank: texts(DEMO.tank), boiler: texts(DEMO.boiler) };
      const changed = (before: string[], now: string[]) => now.some((text, i) => text !== '' && text !== before[i]);
      await waitFor(
        'values of both demo devices to change',
        () => (changed(first.tank, texts(DEMO.tank)) && changed(first.boiler, texts(DEMO.boiler)) ? true : undefined),
        () => `first ${JSON.stringify(first)}; tree: ${describeTree(api)}`,
        { timeoutMs: 30_000 },
      );
      assert.ok(readTree(api).every((d) => d.tags.length > 0), 'a device without tags');
    });
  });
}
