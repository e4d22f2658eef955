import * as vscode from 'vscode';
import { TagReading, TagsRead } from '../../gateway/protocol';
import { describeReading, formatTime, formatValue } from '../format';
import type { Services } from './services';
import { oneDevice, oneTag } from './targets';

/** Read: one tag, fresh from the device; the answer in a notification. */
export const readTag = (s: Services) => async (arg?: unknown) => {
  const { device, tag } = await oneTag(s.store, arg, 'Read a Tag');
  const { results } = await s.ctx.request(TagsRead, { deviceId: device.id, tags: [tag.name] });
  const r = results[0];
  s.values.apply(device.id, results);
  const where = `${device.name} › ${tag.name}`;
  if (r.quality === 'bad') {
    void vscode.window.showWarningMessage(`${where}: no value (${r.error ?? 'bad quality'}) at ${formatTime(r.timestamp)}.`);
  } else {
    const remark = r.quality === 'uncertain' ? `uncertain${r.error ? `: ${r.error}` : ''}` : 'good';
    void vscode.window.showInformationMessage(`${where} = ${formatValue(r.value, tag.unit)} (${remark}, ${formatTime(r.timestamp)})`);
  }
};

/** Read All: every tag of a device in one request; the answers in a list. */
export const readDevice = (s: Services) => async (arg?: unknown) => {
  const device = await oneDevice(s.store, arg, 'Read All Tags of a Device');
  if (device.tags.length === 0) throw new Error(`${device.name} has no tags to read.`);
  const { results } = await s.ctx.request(TagsRead, { deviceId: device.id, tags: device.tags.map((t) => t.name) });
  s.values.apply(device.id, results);
  const units = new Map(device.tags.map((t) => [t.name, t.unit]));
  const bad = results.filter((r) => r.quality !== 'good').length;
  const stamp = results.length > 0 ? formatTime(Math.max(...results.map((r) => r.timestamp))) : '';
  await vscode.window.showQuickPick(
    results.map((r: TagReading) => ({
      label: r.tag,
      description: describeReading(r, units.get(r.tag)),
      detail: `${r.quality} · ${formatTime(r.timestamp)}`,
    })),
    {
      title: `${device.name}: ${results.length} tag(s) read at ${stamp}${bad ? `, ${bad} not good` : ''}`,
      placeHolder: 'Values as read just now (Escape to close)',
      matchOnDescription: true,
    },
  );
};
