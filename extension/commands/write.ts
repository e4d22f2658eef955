import * as vscode from 'vscode';
import { DeviceInfo, TagInfo, TagReading, TagsRead, TagsWrite } from '../../gateway/protocol';
import { describeReading, formatTime, formatValue } from '../format';
import { describeExpected, parseWriteValue, writeTargetFromAddress } from './writeInput';
import type { Services } from './services';
import { Cancelled, oneTag } from './targets';

/**
 * Write…: refused up front when the tag cannot be written; otherwise a checked input, a modal
 * confirmation with the value read fresh, then the write. Success is reported only from the
 * gateway's answer, which comes after the device confirmed.
 */
export const writeTag = (s: Services) => async (arg?: unknown) => {
  // Read-only tags stay in the list, marked, so that picking one says why it cannot be written.
  const { device, tag } = await oneTag(s.store, arg, 'Write a Tag', (t) => (t.tag.writable ? undefined : 'read-only'));
  if (!tag.writable) throw new Error(whyNotWritable(device, tag));

  const target = writeTargetFromAddress(tag.address, tag.type, tag.unit);
  const before = await readNow(s, device, tag);
  const input = await s.prompts.inputBox({
    title: `Write ${tag.name} on ${device.name}`,
    prompt: `Current value: ${before ? describeReading(before, tag.unit) || '—' : 'unknown'}. Enter ${describeExpected(target)}.`,
    value: before && before.quality !== 'bad' && before.value !== null ? String(before.value) : '',
    ignoreFocusOut: true,
    validateInput: (text) => {
      const r = parseWriteValue(text, target);
      return r.ok ? undefined : r.message;
    },
  });
  if (input === undefined) throw new Cancelled();
  const parsed = parseWriteValue(input, target);
  if (!parsed.ok) throw new Error(parsed.message);

  // The confirmation shows the value as it is now, not as it was when the box opened.
  const current = await readNow(s, device, tag);
  const newText = formatValue(parsed.value, tag.unit);
  const detail = [
    `Device: ${device.name} (${device.id}, ${device.endpoint})`,
    `Tag: ${tag.name}`,
    `Address: ${tag.address} (${tag.type})`,
    `Current value: ${current ? `${describeReading(current, tag.unit) || '—'} at ${formatTime(current.timestamp)}` : 'could not be read'}`,
    `New value: ${newText}`,
  ].join('\n');
  const ok = await s.prompts.warning(`Write ${newText} to ${tag.name} on ${device.name}?`, { modal: true, detail }, 'Write');
  if (ok !== 'Write') throw new Cancelled();

  const result = await s.ctx.request(TagsWrite, { deviceId: device.id, tag: tag.name, value: parsed.value });
  s.ctx.log.info(`client: wrote ${formatValue(result.value, tag.unit)} to ${device.id}/${tag.name}`);
  void vscode.window.showInformationMessage(
    `${device.name} › ${tag.name} is now ${formatValue(result.value, tag.unit)} (confirmed by the device at ${formatTime(result.timestamp)}).`,
  );
};

export function whyNotWritable(device: DeviceInfo, tag: TagInfo): string {
  if (tag.access !== 'readwrite') {
    return `${tag.name} on ${device.name} is read-only: its "access" is "read". Set "access": "readwrite" on the tag in bifrost.json to allow writes.`;
  }
  if (!device.allowWrites) {
    return `${device.name} does not allow writes. Set "allowWrites": true on the device in bifrost.json to allow them.`;
  }
  return `${tag.name} on ${device.name} cannot be written (its address is in an area that only reads, such as input registers or discrete inputs).`;
}

/** The value as the device has it now; undefined (not an error) if it cannot be read. */
async function readNow(s: Services, device: DeviceInfo, tag: TagInfo): Promise<TagReading | undefined> {
  try {
    const { results } = await s.ctx.request(TagsRead, { deviceId: device.id, tags: [tag.name] });
    s.values.apply(device.id, results);
    return results[0];
  } catch (err) {
    s.ctx.log.warn(`client: reading ${device.id}/${tag.name} before the write failed: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}
