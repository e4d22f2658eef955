/**
 * A second protocol, plugged in: the in-memory test driver (test/fixtures/memoryDriver.ts), which
 * the run hands the extension's gateway through BIFROST_DRIVERS. Nothing in the extension knows
 * it: the device, its folders, values, writes and charts come from what the gateway says.
 */
import * as assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { MessageKind, PromptAnswerer } from '../../extension/commands/prompts';
import { seriesKey } from '../../extension/liveData/panelTags';
import { LINE1, MEMORY_PLANT, MEMORY_PLANT_BROWSE_MAX_ITEMS, memoryPlant } from '../fixtures/memoryPlant';
import { browserBridge } from './browserBridge';
import { heldSeries, watchPanels } from './panels';
import { waitFor } from './waitFor';
import { describeTree, findDevice, findRow, getWorld, rigDevice, row, Row, tagsInSeveralSubscriptions, waitForRowText, World, writeConfig } from './world';

const MEM = MEMORY_PLANT;
const BROWSE_MAX_ITEMS = MEMORY_PLANT_BROWSE_MAX_ITEMS;

interface Notice {
  kind: MessageKind;
  message: string;
}

interface Asked {
  inputs: vscode.InputBoxOptions[];
  confirmations: string[];
  picks: string[][];
  notices: Notice[];
}

/** Answers as a person would (`value` typed or picked by label, `confirm` clicked), and keeps what was asked and shown. */
function answering(value: string | undefined, confirm: string | undefined): { answerer: PromptAnswerer; asked: Asked } {
  const asked: Asked = { inputs: [], confirmations: [], picks: [], notices: [] };
  return {
    asked,
    answerer: {
      inputBox: async (options) => {
        asked.inputs.push(options);
        return value;
      },
      warning: async (message) => {
        asked.confirmations.push(message);
        return confirm;
      },
      quickPick: async <T extends vscode.QuickPickItem>(items: readonly T[]) => {
        asked.picks.push(items.map((i) => i.label));
        return items.find((i) => i.label === value);
      },
      notify: async (kind, message) => {
        asked.notices.push({ kind, message });
        return undefined;
      },
    },
  };
}

/** A tooltip's text as it reads, without the Markdown escapes of its punctuation. */
function tooltipText(item: vscode.TreeItem): string {
  const t = item.tooltip;
  return (typeof t === 'string' ? t : (t?.value ?? '')).replace(/\\(.)/g, '$1');
}

function liveDataTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('bifrost.liveData'));
}

export function pluginSuite(): void {
  describe('A plug-in protocol (the in-memory test driver)', () => {
    let world: World;

    before(async () => {
      world = await getWorld();
      await writeConfig(world, JSON.stringify({ devices: [rigDevice(world.rig.port), memoryPlant()] }, null, 2));
      await waitFor(
        `${MEM.name} connected in the Tag Explorer`,
        async () => ((await findDevice(world.api, MEM.name))?.description.startsWith('memory ') ? true : undefined),
        () => describeTree(world.api),
      );
    });

    afterEach(() => world.api.prompts.answerWith(undefined));

    after(async () => {
      if (!world) return;
      await writeConfig(world, JSON.stringify({ devices: [rigDevice(world.rig.port)] }, null, 2));
      await waitFor(`${MEM.name} to leave the tree`, async () => ((await findDevice(world.api, MEM.name)) ? undefined : true), () => describeTree(world.api));
    });

    async function rowAt(...path: string[]): Promise<Row> {
      const r = await findRow(world.api, MEM.name, path);
      assert.ok(r, `${[MEM.name, ...path].join(' › ')} is not in the tree: ${await describeTree(world.api)}`);
      return r;
    }

    const memTags = () => world.api.values.gatewaySubscriptions().filter((s) => s.deviceId === MEM.id).flatMap((s) => s.tags);

    it('shows the device with the protocol\'s name, and browses its folders when they are expanded, page after page', async () => {
      const { api } = world;
      const displayName = api.gateway.capabilities?.protocols[MEM.protocol]?.displayName;
      assert.ok(displayName, `the gateway lists no ${MEM.protocol} driver: ${JSON.stringify(api.gateway.capabilities)}`);
      const device = (await findDevice(api, MEM.name))!;
      const deviceItem = api.tree.getTreeItem(device.node);
      assert.equal(deviceItem.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed, 'a device that walks an address space opens when asked');
      assert.equal(device.description, 'memory (11 variables)');
      const tooltip = tooltipText(await api.tree.resolveTreeItem(deviceItem, device.node));
      assert.ok(tooltip.includes(displayName), `the device tooltip does not name the protocol as the gateway does (${displayName}): ${tooltip}`);

      assert.deepEqual(device.tags.map((t) => [t.node.kind, t.label]), [['folder', 'Line1'], ['folder', 'Line2'], ['folder', 'Ramps']]);
      for (const folder of device.tags) {
        assert.equal(api.tree.getTreeItem(folder.node).collapsibleState, vscode.TreeItemCollapsibleState.Collapsed, `${folder.label} is not collapsed`);
      }
      // Nothing below a closed folder is subscribed.
      assert.deepEqual(memTags(), [], 'tags of a device whose folders are all closed are subscribed');

      const line1 = await api.tree.getChildren(device.tags[0].node);
      assert.deepEqual(line1.map((n) => [n.kind, row(api, n).label]), LINE1.map((name) => ['tag', name]), `more than ${BROWSE_MAX_ITEMS} children: all pages`);
      const ids = line1.map((n) => api.tree.getTreeItem(n).id);
      assert.equal(new Set(ids).size, ids.length, `row ids repeat: ${JSON.stringify(ids)}`);
      await waitFor('Line1\'s variables subscribed (and nothing of the closed folders)', () => {
        const tags = memTags();
        return LINE1.every((name) => tags.includes(`Line1/${name}`)) ? tags : undefined;
      }, () => JSON.stringify(memTags()));
      assert.deepEqual(memTags().filter((t) => !t.startsWith('Line1/')), [], 'a tag of a closed folder is subscribed');

      // Folders nest as deep as the device has them.
      const current = await rowAt('Line2', 'Drives', 'M1', 'Current');
      assert.equal(current.node.kind, 'tag');
      assert.deepEqual([(await rowAt('Line2')).contextValue, (await rowAt('Line2', 'Drives')).contextValue], ['folder.node', 'folder.node'], 'nodes of an address space (browse "tree")');
    });

    it('shows each variable\'s value with its unit, and a ramp changing over time', async () => {
      const { api } = world;
      const expected: [string, string][] = [
        ['Speed', '12.5 m/min'],
        ['Energy', '9007199254740993 Wh'],
        ['Running', 'true'],
        ['Batch', '"B-17"'],
        ['Profile', '[1,2,3]'],
        ['Recipe', '{"name":"std","temp":80}'],
        ['Probe', 'bad: BadSensorFailure'],
      ];
      for (const [name, text] of expected) await waitForRowText(api, MEM.name, ['Line1', name], text);
      const speed = await rowAt('Line1', 'Speed');
      // Node rows leave their tooltip to resolveTreeItem, as VS Code asks when the mouse rests on them.
      const tooltip = tooltipText(await api.tree.resolveTreeItem(api.tree.getTreeItem(speed.node), speed.node));
      assert.match(tooltip, /Data type \| float64/);
      assert.match(tooltip, /Access \| read\/write/);
      assert.match(tooltip, /Belt speed/);
      assert.equal(speed.contextValue, 'tag.writable.node');
      assert.equal((await rowAt('Line1', 'Running')).contextValue, 'tag.readonly.node');
      const running = (await rowAt('Line1', 'Running')).node;
      assert.match(tooltipText(await api.tree.resolveTreeItem(api.tree.getTreeItem(running), running)), /read only: Line1\/Running is read-only on the device/);

      const countText = async () => (await rowAt('Line1', 'Count')).description;
      const first = await waitFor('Line1 › Count to show a value', async () => {
        const text = await countText();
        return /^\d+ pcs$/.test(text) ? text : undefined;
      }, countText);
      let now = first;
      await waitFor('Line1 › Count to change', async () => ((now = await countText()) !== first && /^\d+ pcs$/.test(now) ? true : undefined), () => `was ${first}, now ${now}`);
      assert.ok(Number.parseInt(now, 10) > Number.parseInt(first, 10), `the ramp went from ${first} to ${now}`);
    });

    it('Read gives the value fresh from the device', async () => {
      const { answerer, asked } = answering(undefined, undefined);
      world.api.prompts.answerWith(answerer);
      const count = await rowAt('Line1', 'Count');
      const readCount = async () => {
        asked.notices.length = 0;
        await vscode.commands.executeCommand('bifrost.read', count.node);
        assert.equal(asked.notices.length, 1, `Read showed ${JSON.stringify(asked.notices)}`);
        const [notice] = asked.notices;
        assert.equal(notice.kind, 'info');
        const m = new RegExp(`^${MEM.name} › Line1/Count = (\\d+) pcs \\(good, \\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\)$`).exec(notice.message);
        assert.ok(m, `Read said: ${notice.message}`);
        return Number(m[1]);
      };
      const first = await readCount();
      // The ramp steps every 100 ms: once the row shows a later value, a second read must too.
      await waitFor('the row to show a value past the first read', async () => (Number.parseInt((await rowAt('Line1', 'Count')).description, 10) > first ? true : undefined));
      const second = await readCount();
      assert.ok(second > first, `read ${first}, then ${second}`);

      asked.notices.length = 0;
      await vscode.commands.executeCommand('bifrost.read', (await rowAt('Line1', 'Probe')).node);
      assert.deepEqual(asked.notices.map((n) => n.kind), ['warning']);
      assert.match(asked.notices[0].message, /^Memory Plant › Line1\/Probe: no value \(Line1\/Probe: the device reports BadSensorFailure\) at /);
    });

    it('Write… checks the value against the driver\'s writeSpec, confirms, and the device gets it', async () => {
      const { api } = world;
      await waitForRowText(api, MEM.name, ['Line1', 'Speed'], '12.5 m/min');
      const { answerer, asked } = answering('42.5', 'Write');
      api.prompts.answerWith(answerer);
      await vscode.commands.executeCommand('bifrost.write', (await rowAt('Line1', 'Speed')).node);

      assert.equal(asked.inputs.length, 1, 'the value was not asked for');
      const input = asked.inputs[0];
      assert.match(input.prompt ?? '', /Current value: 12\.5 m\/min\. Enter a number from 0 to 100 m\/min\./);
      assert.equal(input.value, '12.5');
      const validate = (text: string) => input.validateInput?.(text);
      assert.match(String(validate('150')), /out of range/);
      assert.match(String(validate('fast')), /not a number/);
      assert.equal(validate('42.5'), undefined);
      assert.deepEqual(asked.confirmations, [`Write 42.5 m/min to Line1/Speed on ${MEM.name}?`]);
      assert.equal(asked.notices.length, 1, JSON.stringify(asked.notices));
      assert.match(asked.notices[0].message, new RegExp(`^${MEM.name} › Line1/Speed is now 42\\.5 m/min \\(confirmed by the device at `));
      await waitForRowText(api, MEM.name, ['Line1', 'Speed'], '42.5 m/min');

      // An enumeration is picked from the driver's labels.
      const mode = answering('manual', 'Write');
      api.prompts.answerWith(mode.answerer);
      await vscode.commands.executeCommand('bifrost.write', (await rowAt('Line1', 'Mode')).node);
      assert.deepEqual(mode.asked.picks, [['auto', 'manual', 'off']]);
      assert.deepEqual(mode.asked.inputs, [], 'an enumeration is not typed');
      await waitForRowText(api, MEM.name, ['Line1', 'Mode'], '1');
    });

    it('Write… refuses what the driver refuses, in the driver\'s words, and the value stays', async () => {
      const { api } = world;
      // Well-formed JSON, which only the driver can judge: the structure lacks a field.
      const recipe = answering('{"name": "cold"}', 'Write');
      api.prompts.answerWith(recipe.answerer);
      await vscode.commands.executeCommand('bifrost.write', (await rowAt('Line1', 'Recipe')).node);
      assert.equal(recipe.asked.confirmations.length, 1, 'the write was not confirmed before it was sent');
      assert.deepEqual(recipe.asked.notices, [{ kind: 'error', message: 'mem: cannot write {"name":"cold"} to Line1/Recipe: expected the fields name, temp, got name' }]);
      await waitForRowText(api, MEM.name, ['Line1', 'Recipe'], '{"name":"std","temp":80}');

      // Read-only on the device: refused before anything is asked, with the driver's reason.
      const running = answering('false', 'Write');
      api.prompts.answerWith(running.answerer);
      await vscode.commands.executeCommand('bifrost.write', (await rowAt('Line1', 'Running')).node);
      assert.deepEqual([running.asked.inputs, running.asked.confirmations], [[], []]);
      assert.deepEqual(running.asked.notices, [{ kind: 'error', message: 'Line1/Running is read-only on the device' }]);
    });

    it('Copy Address copies the ref of a variable or a folder', async () => {
      await vscode.commands.executeCommand('bifrost.copyAddress', (await rowAt('Line2', 'Drives', 'M1', 'Current')).node);
      assert.equal(await vscode.env.clipboard.readText(), 'Line2/Drives/M1/Current');
      await vscode.commands.executeCommand('bifrost.copyAddress', (await rowAt('Line2', 'Drives')).node);
      assert.equal(await vscode.env.clipboard.readText(), 'Line2/Drives');
    });

    it('Add to Chart puts variables in a Live Data panel, each charted or tabled by its kind', async () => {
      const { api } = world;
      const panelsBefore = liveDataTabs().length;
      await vscode.commands.executeCommand('bifrost.openLiveData');
      await waitFor('a new Live Data panel', () => (liveDataTabs().length === panelsBefore + 1 ? true : undefined));
      const names = ['Count', 'Energy', 'Running', 'Batch', 'Profile'];
      const rows = await Promise.all(names.map((name) => rowAt('Line1', name)));
      const watch = watchPanels(api);
      const key = (name: string) => seriesKey(MEM.id, `Line1/${name}`);
      try {
        // As the tree calls it with several rows selected: the clicked row and the selection.
        await vscode.commands.executeCommand('bifrost.addToChart', rows[0].node, rows.map((r) => r.node));
        const held = (name: string) => heldSeries(api, key(name));
        const describeHeld = () => JSON.stringify(names.map((n) => held(n)));
        await waitFor('every variable in the panel with a reading', () => (names.every((n) => held(n)?.last) ? true : undefined), describeHeld);
        assert.equal(api.liveData.contents()[0]?.length, names.length, 'the variables did not go to the panel just opened');

        assert.deepEqual(
          names.map((n) => [n, held(n)!.info.valueKind, held(n)!.info.dataType]),
          [
            ['Count', 'integer', 'int64'],
            ['Energy', 'integer', 'int64'],
            ['Running', 'boolean', 'bool'],
            ['Batch', 'string', 'string'],
            ['Profile', 'array', 'float64[]'],
          ],
          'the kinds come from the driver\'s TagInfo',
        );
        assert.equal(held('Energy')!.last?.value, '9007199254740993', 'the exact 64-bit value is kept');
        assert.deepEqual([held('Batch')!.last?.value, held('Profile')!.last?.value], ['B-17', [1, 2, 3]]);
        // The ramp moves on the chart; the 64-bit integer and the boolean are charted too, the string and the array only tabled.
        const countFirst = held('Count')!.last!.value as number;
        await waitFor('the ramp to move in the panel, on the chart', () => {
          const c = held('Count')!;
          return (c.last!.value as number) > countFirst && c.points >= 2 ? true : undefined;
        }, describeHeld);
        assert.ok(held('Energy')!.points >= 1 && held('Running')!.points >= 1, describeHeld());
        assert.deepEqual([held('Batch')!.points, held('Profile')!.points], [0, 0], 'a string or an array is charted');

        await waitFor(
          'the ramp\'s changing values delivered to the webview',
          () => (new Set(watch.delivered(key('Count')).map((r) => r.value)).size >= 2 ? true : undefined),
          () => JSON.stringify(watch.delivered(key('Count'))),
        );
        assert.deepEqual(tagsInSeveralSubscriptions(api), [], 'the panel and the tree subscribe a tag twice');

        const bridge = browserBridge();
        if (bridge) {
          // A hidden webview shows no text: if another editor came to the front meanwhile (work an
          // earlier suite left running), Add to Chart again brings the panel back (it adds nothing new).
          const activeTabs = () => vscode.window.tabGroups.all.map((g) => g.activeTab?.label ?? '(none)');
          await waitFor('the panel\'s table to show the string and the array', async () => {
            if (!liveDataTabs().some((t) => t.isActive)) await vscode.commands.executeCommand('bifrost.addToChart', rows[0].node, rows.map((r) => r.node));
            const text = (await bridge.webviewTexts()).find((t) => t.includes('Line1/Batch')) ?? '';
            return text.includes('B-17') && text.includes('Line1/Profile') ? true : undefined;
          }, async () => `${JSON.stringify(await bridge.webviewTexts())}; active tabs ${JSON.stringify(activeTabs())}`, { everyMs: 250 });
        }
      } finally {
        watch.dispose();
      }
      const mine = liveDataTabs().find((t) => t.isActive);
      if (mine) await vscode.window.tabGroups.close(mine);
    });
  });
}
