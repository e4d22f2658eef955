import { NodeAttributes } from '../../gateway/protocol';
import { userMessage } from '../client/errors';
import type { Gateway } from '../client/gateway';
import { checkTagName, suggestTagName } from '../config/tagEdits';
import { oneNode } from './nodeTargets';
import type { Services } from './services';
import { appendTag, configDocument, tagRefusal } from './tagFile';
import { Cancelled } from './targets';

/**
 * Pin to bifrost.json: the clicked variable becomes a named tag of its device in bifrost.json
 * (`name`, `nodeId`, and `unit` from its EngineeringUnits), edited as text so comments and layout
 * stay. Only devices of bifrost.json on the local gateway: the file is theirs.
 */
export const pinTag = (s: Services) => async (arg?: unknown) => {
  const target = await oneNode(s, arg, 'Pin a Node to bifrost.json', ['variable']);
  const { gateway, device, ref, item } = target;
  const refusal = tagRefusal(s, gateway, device);
  if (refusal) throw new Error(refusal);
  const { uri, doc, inFile, taken } = await configDocument(s, device);
  const pinned = inFile.find((t) => t.nodeId === ref);
  if (pinned) throw new Error(`${ref} is pinned already: it is the tag "${pinned.name ?? '(no name)'}" of ${device.name}.`);

  const unit = await engineeringUnitsOf(target.gateway, device.id, ref);
  const name = await s.prompts.inputBox({
    title: `Pin ${item.displayName ?? item.name} to bifrost.json`,
    prompt: `Tag name for ${ref} on ${device.name}${unit ? ` (unit ${unit})` : ''}`,
    value: suggestTagName(item.name, taken),
    ignoreFocusOut: true,
    validateInput: (v) => checkTagName(v, taken),
  });
  if (name === undefined) throw new Cancelled();
  const problem = checkTagName(name, taken);
  if (problem) throw new Error(problem);

  await appendTag(uri, doc, device.id, { name: name.trim(), nodeId: ref, ...(unit ? { unit } : {}) });
  gateway.ctx.log.info(`client: pinned ${device.id}/${ref} as tag "${name.trim()}" in bifrost.json`);
  void s.prompts.notify('info', `Pinned ${ref} as "${name.trim()}" on ${device.name} in bifrost.json.`);
};

/** The node's EngineeringUnits, if the server has them; a failed read only loses the unit. */
async function engineeringUnitsOf(gateway: Gateway, deviceId: string, ref: string): Promise<string | undefined> {
  try {
    return (await gateway.ctx.request(NodeAttributes, { deviceId, node: ref })).engineeringUnits || undefined;
  } catch (err) {
    gateway.ctx.log.warn(`client: the engineering units of ${deviceId}/${ref} could not be read: ${userMessage(err)}`);
    return undefined;
  }
}
