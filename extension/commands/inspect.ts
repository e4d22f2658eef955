import type { DeviceInfo } from '../../gateway/protocol';
import { isBitArea, type InspectorDevice, type InspectorTagRequest } from '../../webview/inspectorMessages';
import { protocolCapabilities, protocolName } from '../client/capabilities';
import { userMessage } from '../client/errors';
import type { Gateway } from '../client/gateway';
import { checkTagName } from '../config/tagEdits';
import { checkTagRequest, registerTagOf, suggestRegisterTagName } from '../inspector/registerTag';
import { hasDevice, isTreeNode } from '../tree/nodes';
import type { Services } from './services';
import { appendTag, configDocument, tagRefusal } from './tagFile';
import { Cancelled, type DeviceTarget } from './targets';

/**
 * Inspect Registers…: the raw registers (or bits) of a Modbus device in a panel, read live, to
 * find what it holds and make tags of it. From a device's row, or the palette, which asks for
 * one of the devices whose protocol can be inspected.
 */
export const inspectRegisters = (s: Services) => async (arg?: unknown) => {
  const target = await inspectableDevice(s, arg);
  const { gateway, device } = target;
  const refusal = tagRefusal(s, gateway, device);
  const shown: InspectorDevice = {
    id: device.id,
    name: device.name,
    description: [protocolName(gateway.capabilities, device.protocol), device.endpoint].filter(Boolean).join(' · '),
    ...(refusal ? { addTagRefusal: refusal } : {}),
  };
  s.inspectors.open(gateway, shown, (tag) => addRegisterTag(s, target, tag));
};

function inspects(gateway: Gateway, device: DeviceInfo): boolean {
  return protocolCapabilities(gateway.capabilities, device.protocol)?.inspect === true;
}

async function inspectableDevice(s: Services, arg: unknown): Promise<DeviceTarget> {
  if (isTreeNode(arg) && hasDevice(arg)) {
    const gateway = s.gateways.get(arg.gatewayId);
    const device = gateway?.devices.device(arg.deviceId);
    if (!gateway || !device) throw new Error(`The device "${arg.deviceId}" is no longer there (the configuration changed).`);
    if (!inspects(gateway, device)) throw new Error(`${device.name} has no registers to inspect: the register inspector is for Modbus devices (${protocolName(gateway.capabilities, device.protocol)}).`);
    return { gateway, device };
  }
  const all = s.gateways.all.flatMap((gateway) => gateway.devices.devices.filter((device) => inspects(gateway, device)).map((device) => ({ gateway, device })));
  if (all.length === 0) {
    throw new Error('There is no Modbus device to inspect: start the demo plant or add a Modbus TCP or RTU device to bifrost.json.');
  }
  const several = s.gateways.all.length > 1;
  const picked = await s.prompts.quickPick(
    all.map((t) => ({
      label: t.device.name,
      description: [protocolName(t.gateway.capabilities, t.device.protocol), several ? t.gateway.name : undefined].filter(Boolean).join(' · '),
      detail: `${t.device.endpoint} · ${t.device.enabled ? t.device.status : 'disabled'}`,
      target: t,
    })),
    { title: 'Inspect Registers', matchOnDescription: true, placeHolder: 'Modbus device' },
  );
  if (!picked) throw new Cancelled();
  return picked.target;
}

/** Add as Tag from the panel: asks the name, appends the tag to the device in bifrost.json, and says so. */
async function addRegisterTag(s: Services, target: DeviceTarget, req: InspectorTagRequest): Promise<string | undefined> {
  const { gateway, device } = target;
  try {
    const refusal = tagRefusal(s, gateway, device) ?? checkTagRequest(req);
    if (refusal) throw new Error(refusal);
    const { uri, doc, taken } = await configDocument(s, device);
    const where = isBitArea(req.area) ? `${req.area} ${req.address}` : `${req.area} register ${req.address}`;
    const name = await s.prompts.inputBox({
      title: `Add ${where} as a tag of ${device.name}`,
      prompt: `Tag name for ${where} as ${req.type}${registerTagOf('x', req).byteOrder ? ` (byte order ${req.byteOrder})` : ''}`,
      value: suggestRegisterTagName(req, taken),
      ignoreFocusOut: true,
      validateInput: (v) => checkTagName(v, taken),
    });
    if (name === undefined) return undefined;
    const problem = checkTagName(name, taken);
    if (problem) throw new Error(problem);
    const tag = registerTagOf(name.trim(), req);
    await appendTag(uri, doc, device.id, tag);
    gateway.ctx.log.info(`client: added ${device.id} ${where} (${req.type}) as tag "${tag.name}" in bifrost.json`);
    void s.prompts.notify('info', `Added ${where} as "${tag.name}" (${req.type}) on ${device.name} in bifrost.json.`);
    return tag.name;
  } catch (err) {
    void s.prompts.notify('error', userMessage(err));
    throw err;
  }
}
