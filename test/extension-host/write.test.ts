import * as assert from 'node:assert/strict';
import { afterEach, before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { MessageKind, PromptAnswerer } from '../../extension/commands/prompts';
import { findTag, getWorld, RIG, waitForTagText, World } from './world';

interface Asked {
  inputs: vscode.InputBoxOptions[];
  warnings: { message: string; options: vscode.MessageOptions; items: string[] }[];
  notifications: { kind: MessageKind; message: string }[];
}

/**
 * Answers Write…'s two questions as a person would, and keeps what was asked and told.
 * `whileTyping` runs while the input box is open, before its answer.
 */
function answering(value: string | undefined, confirm: string | undefined, whileTyping?: () => Promise<void>): { answerer: PromptAnswerer; asked: Asked } {
  const asked: Asked = { inputs: [], warnings: [], notifications: [] };
  return {
    asked,
    answerer: {
      inputBox: async (options) => {
        asked.inputs.push(options);
        await whileTyping?.();
        return value;
      },
      warning: async (message, options, ...items) => {
        asked.warnings.push({ message, options, items });
        return confirm;
      },
      notify: async (kind, message) => {
        asked.notifications.push({ kind, message });
        return undefined;
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

      assert.deepEqual([asked.inputs, asked.warnings], [[], []], 'nothing was asked');
      assert.deepEqual(asked.notifications, [
        { kind: 'error', message: `tag "${RIG.counter}" is read-only (its access is "read"); set "access": "readwrite" on the tag to allow writes` },
      ]);
      assert.deepEqual(writes, []);
    });

    it('confirms with the value the device holds when the box closes, not the one it held when the box opened', async () => {
      world.rig.holdings[TEMPERATURE_REGISTER] = 100; // 10.0 °C
      await waitForTagText(world.api, RIG.name, RIG.temperature, '10 °C');
      // Someone else changes the register while the value is being typed.
      const { answerer, asked } = answering('25', 'Write', async () => {
        world.rig.holdings[TEMPERATURE_REGISTER] = 177; // 17.7 °C
      });
      world.api.prompts.answerWith(answerer);

      await writeCommand(RIG.temperature);

      assert.match(asked.inputs[0]?.prompt ?? '', /Current value: 10 °C/, 'the box showed the value when it opened');
      assert.equal(asked.warnings.length, 1, 'the write was not confirmed');
      const detail = asked.warnings[0].options.detail ?? '';
      assert.match(detail, /Current value: 17\.7 °C at /, `the confirmation did not read the register again: ${detail}`);
      assert.doesNotMatch(detail, /10 °C/);
      assert.equal(world.rig.holdings[TEMPERATURE_REGISTER], 250);
      assert.match(asked.notifications[0]?.message ?? '', new RegExp(`^${RIG.name} › ${RIG.temperature} is now 25 °C \\(confirmed by the device at `));
    });
  });
}
