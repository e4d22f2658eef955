import type { ChartTag } from '../client/liveValues';
import type { Services } from './services';
import { oneDevice, someTags, TagTarget } from './targets';

/** Add to Chart: the selected or clicked tags, or tags picked, into the Live Data panel. */
export const addToChart = (s: Services) => async (arg?: unknown, selection?: unknown) => {
  const tags = await someTags(s.gateways, arg, selection, 'Add Tags to the Live Data Chart');
  s.charts.add(tags.map((t) => chartTag(s, t)));
};

/** Add All to Chart: every configured tag of a device. */
export const addDeviceToChart = (s: Services) => async (arg?: unknown) => {
  const target = await oneDevice(s.gateways, arg, 'Add All Tags of a Device to the Chart');
  if (target.device.tags.length === 0) throw new Error(`${target.device.name} has no configured tags to chart.`);
  s.charts.add(target.device.tags.map((tag) => chartTag(s, { ...target, ref: tag.name, tag })));
};

export const openLiveData = (s: Services) => () => s.charts.openNew();

/**
 * The panel takes a series' kind and type from the tag, not from the values it happens to see.
 * A remote gateway's tag names its gateway (the same device id may well run on two gateways).
 */
function chartTag(s: Services, { gateway, device, ref, tag }: TagTarget): ChartTag {
  const remote = gateway !== s.gateways.local;
  const t: ChartTag = { deviceId: device.id, deviceName: remote ? `${device.name} (${gateway.name})` : device.name, tag: ref };
  if (remote) t.gatewayId = gateway.id;
  // A browsed variable the gateway did not describe is `unknown`: the panel then learns its kind from its values.
  if (tag.valueKind !== 'unknown') t.valueKind = tag.valueKind;
  if (tag.unit) t.unit = tag.unit;
  if (tag.dataType) t.dataType = tag.dataType;
  return t;
}
