import * as vscode from 'vscode';
import { TagsRead } from '../../gateway/protocol';
import { describeReading, formatTime, formatValue, withoutDevicePrefix } from '../format';
import type { Services } from './services';
import { oneDevice, oneTag } from './targets';

/** Read: one tag, fresh from the device; the answer in a notification. */
export const readTag = (s: Services) => async (arg?: unknown) => {
  const { gateway, device, ref, tag } = await oneTag(s.gateways, arg, 'Read a Tag');
  const { results } = await gateway.ctx.request(TagsRead, { deviceId: device.id, tags: [ref] });
  const r = { ...results[0], tag: ref };
  gateway.values.publish(device.id, [r]);
  const where = `${device.name} › ${tag.name}`;
  const error = r.error === undefined ? undefined : withoutDevicePrefix(r.error, device.id);
  if (r.quality === 'bad') {
    void s.prompts.notify('warning', `${where}: no value (${error ?? r.status ?? 'bad quality'}) at ${formatTime(r.timestamp)}.`);
  } else {
    const why = error ?? r.status;
    const remark = r.quality === 'uncertain' ? `uncertain${why ? `: ${why}` : ''}` : 'good';
    void s.prompts.notify('info', `${where} = ${formatValue(r.value, tag.unit, tag.valueKind)} (${remark}, ${formatTime(r.timestamp)})`);
  }
};

/** Read All: every configured tag of a device in one request; the answers in a list. */
export const readDevice = (s: Services) => async (arg?: unknown) => {
  const { gateway, device } = await oneDevice(s.gateways, arg, 'Read All Tags of a Device');
  if (device.tags.length === 0) throw new Error(`${device.name} has no configured tags to read.`);
  const refs = device.tags.map((t) => t.name);
  const { results } = await gateway.ctx.request(TagsRead, { deviceId: device.id, tags: refs });
  const readings = results.map((r, i) => ({ ...r, tag: refs[i] }));
  gateway.values.publish(device.id, readings);
  const bad = readings.filter((r) => r.quality !== 'good').length;
  const stamp = readings.length > 0 ? formatTime(Math.max(...readings.map((r) => r.timestamp))) : '';
  await vscode.window.showQuickPick(
    readings.map((r, i) => ({
      label: r.tag,
      description: describeReading(r, device.tags[i].unit, device.id, device.tags[i].valueKind),
      detail: `${r.quality}${r.status ? ` (${r.status})` : ''} · ${formatTime(r.timestamp)}`,
    })),
    {
      title: `${device.name}: ${readings.length} tag(s) read at ${stamp}${bad ? `, ${bad} not good` : ''}`,
      placeHolder: 'Values as read just now (Escape to close)',
      matchOnDescription: true,
    },
  );
};
