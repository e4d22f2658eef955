import { Call, MethodDescribe } from '../../gateway/protocol';
import type { MethodDescribeResult, TagValue } from '../../gateway/protocol';
import { argumentPrompt, argumentsText, outputsText, parseArgument } from './methodInput';
import { oneNode } from './nodeTargets';
import type { Services } from './services';
import { Cancelled } from './targets';

/**
 * Call Method…: one box per input argument (named, typed and described as the server says,
 * checked as it is typed), a modal confirmation like a write's, then `bifrost/call`; the outputs
 * and the status in a notification and the log. Whether the device may be called at all
 * (`allowWrites`) is the gateway's rule: its refusal is shown as it says it.
 *
 * Input boxes rather than a form: methods take a few arguments, the boxes check each one as it is
 * typed, work from the keyboard and in every VS Code, and are answered by the extension tests as
 * a person would answer them.
 */
export const callMethod = (s: Services) => async (arg?: unknown) => {
  const { gateway, device, ref } = await oneNode(s, arg, 'Call a Method', ['method']);
  const method: MethodDescribeResult = await gateway.ctx.request(MethodDescribe, { deviceId: device.id, methodId: ref });
  if (!method.executable) throw new Error(`${device.id}: ${method.methodId} (${method.name}) is not executable for this user (Executable/UserExecutable is false).`);

  const inputs: TagValue[] = [];
  const steps = method.inputs.length;
  for (const [i, input] of method.inputs.entries()) {
    const text = await s.prompts.inputBox({
      title: `Call ${method.name} on ${device.name} (${i + 1}/${steps})`,
      prompt: argumentPrompt(input),
      ignoreFocusOut: true,
      validateInput: (v) => {
        const r = parseArgument(v, input);
        return r.ok ? undefined : r.message;
      },
    });
    if (text === undefined) throw new Cancelled();
    const parsed = parseArgument(text, input);
    if (!parsed.ok) throw new Error(`${input.name}: ${parsed.message}`);
    inputs.push(parsed.value);
  }

  const detail = [
    `Device: ${device.name} (${device.id}, ${device.endpoint})`,
    `Method: ${method.name} (${method.methodId}) on ${method.objectId}`,
    ...(method.description ? [method.description] : []),
    ...(steps > 0 ? ['Inputs:', ...argumentsText(method.inputs, inputs).map((l) => `  ${l}`)] : ['No inputs.']),
  ].join('\n');
  const ok = await s.prompts.warning(`Call ${method.name} on ${device.name}? A method acts on the process.`, { modal: true, detail }, 'Call');
  if (ok !== 'Call') throw new Cancelled();

  const result = await gateway.ctx.request(Call, { deviceId: device.id, objectId: method.objectId, methodId: method.methodId, inputs });
  const outputs = outputsText(method.outputs, result.outputs);
  const told = `${method.name} on ${device.name}: ${result.status}${outputs.length > 0 ? `; ${outputs.join(', ')}` : ''}`;
  gateway.ctx.log.info(`client: called ${device.id}/${method.methodId}: ${result.status}${outputs.length > 0 ? ` (${outputs.join(', ')})` : ''}`);
  void s.prompts.notify(result.status === 'Good' ? 'info' : 'warning', told);
};
