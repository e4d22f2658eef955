import * as assert from 'node:assert/strict';
import { before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import { browserBridge } from './browserBridge';
import { waitFor } from './waitFor';
import { findTag, getWorld, RIG, World } from './world';

function liveDataTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('bifrost.liveData'));
}

export function liveDataSuite(): void {
  describe('Live Data panel', () => {
    let world: World;

    before(async () => {
      world = await getWorld();
    });

    it('Add to Chart opens one panel for the tags added', async () => {
      assert.equal(liveDataTabs().length, 0, 'a Live Data panel was open before the test');
      for (const tag of [RIG.counter, RIG.temperature]) {
        const row = findTag(world.api, RIG.name, tag);
        assert.ok(row, `${RIG.name} › ${tag} is not in the tree`);
        await vscode.commands.executeCommand('bifrost.addToChart', row.node);
      }
      const [tab] = await waitFor('a Live Data tab', () => {
        const tabs = liveDataTabs();
        return tabs.length > 0 ? tabs : undefined;
      });
      assert.equal(tab.label, 'Live Data');
      assert.equal(liveDataTabs().length, 1, 'the second tag opened a second panel');
      assert.ok(tab.isActive, 'the panel is not the active tab');
    });

    it('shows the values as they change (seen from the browser showing the workbench)', async function () {
      const bridge = browserBridge();
      // VS Code's own test runner gives no way into a webview: only a browser-hosted run can look.
      if (!bridge) this.skip();
      const panelText = async () => (await bridge.webviewTexts()).find((t) => t.includes(RIG.temperature)) ?? '';
      let seen = '';
      const shows = (value: string) => async () => {
        seen = await panelText();
        return seen.includes(RIG.counter) && seen.includes(value) ? true : undefined;
      };
      world.rig.holdings[0] = 27182;
      await waitFor('the panel to show counter = 27182', shows('27182'), () => JSON.stringify(seen), { everyMs: 250 });
      world.rig.holdings[0] = 27183;
      await waitFor('the panel to show counter = 27183', shows('27183'), () => JSON.stringify(seen), { everyMs: 250 });
    });
  });
}
