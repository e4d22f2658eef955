import * as assert from 'node:assert/strict';
import { afterEach, before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { PromptAnswerer } from '../../extension/commands/prompts';
import { findTag, getWorld, RIG, waitForTagText, World } from './world';

interface Asked {
  inputs: vscode.InputBoxOptions[];
  warnings: { message: string; options: vscode.MessageOptions; items: string[] }[];
}

/** Answers Write…'s two questions as a person would, and keeps what was asked. */
function answering(value: string | undefined, confirm: string | undefined): { answerer: PromptAnswerer; asked: Asked } {
  const asked: Asked = { inputs: [], warnings: [] };
  return {
    asked,
    answerer: {
      inputBox: async (options) => {
        asked.inputs.push(options);
        return value;
      },
      warning: async (message, options, ...items) => {
        asked.warnings.push({ message, options, items });
        return confirm;
      },
    },
  };
}

export function writeSuite(): void {
  describe('Write…', () => {
    let world: World;
    const TEMPERATURE_REGISTER = 11;

    before(async () => {
      world = await getWorld();
    });

    afterEach(() => world.api.prompts.answerWith(undefined));

    async function writeCommand(tag: string): Promise<void> {
      const row = await findTag(world.api, RIG.name, tag);
      assert.ok(row, `${RIG.name} › ${tag} is not in the tree`);
      // As the tree's context menu calls it: with the clicked row.
      await vscode.commands.executeCommand('bifrost.write', row.node);
    }

    it('checks the typed value, confirms with the current and the new value, and the device gets it', async () => {
      world.rig.holdings[TEMPERATURE_REGISTER] = 123; // 12.3 °C
      await waitForTagText(world.api, RIG.name, RIG.temperature, '12.3 °C');
      const writes: string[] = [];
      world.rig.onWrite = (area, address, count) => writes.push(`${area}:${address}+${count}`);
      const { answerer, asked } = answering('21.5', 'Write');
      world.api.prompts.answerWith(answerer);

      await writeCommand(RIG.temperature);

      assert.equal(asked.inputs.length, 1, 'the value was not asked for');
      const input = asked.inputs[0];
      assert.match(input.prompt ?? '', /Current value: 12\.3 °C/);
      assert.equal(input.value, '12.3', 'the box starts with the current value');
      const validate = (text: string) => input.validateInput?.(text);
      assert.match(String(validate('abc')), /not a number/);
      assert.match(String(validate('21.55')), /between two steps of 0\.1/);
      assert.match(String(validate('4000')), /out of range/);
      assert.equal(validate('21.5'), undefined);

      assert.equal(asked.warnings.length, 1, 'the write was not confirmed');
      const confirmation = asked.warnings[0];
      assert.equal(confirmation.message, `Write 21.5 °C to ${RIG.temperature} on ${RIG.name}?`);
      assert.equal(confirmation.options.modal, true);
      assert.match(confirmation.options.detail ?? '', /Current value: 12\.3 °C/);
      assert.match(confirmation.options.detail ?? '', /New value: 21\.5 °C/);
      assert.deepEqual(confirmation.items, ['Write']);

      assert.equal(world.rig.holdings[TEMPERATURE_REGISTER], 215, 'the register holds 21.5 °C / 0.1');
      assert.deepEqual(writes, [`holding:${TEMPERATURE_REGISTER}+1`]);
      await waitForTagText(world.api, RIG.name, RIG.temperature, '21.5 °C');
    });

    it('writes nothing when the confirmation is dismissed', async () => {
      world.rig.holdings[TEMPERATURE_REGISTER] = 50;
      const writes: string[] = [];
      world.rig.onWrite = (area, address) => writes.push(`${area}:${address}`);
      const { answerer, asked } = answering('30', undefined);
      world.api.prompts.answerWith(answerer);

      await writeCommand(RIG.temperature);

      assert.equal(asked.warnings.length, 1);
      assert.deepEqual(writes, []);
      assert.equal(world.rig.holdings[TEMPERATURE_REGISTER], 50);
    });

    it('refuses a read-only tag before asking anything', async () => {
      const writes: string[] = [];
      world.rig.onWrite = (area, address) => writes.push(`${area}:${address}`);
      const { answerer, asked } = answering('1', 'Write');
      world.api.prompts.answerWith(answerer);

      await writeCommand(RIG.counter);

      assert.deepEqual(asked, { inputs: [], warnings: [] });
      assert.deepEqual(writes, []);
    });
  });
}
