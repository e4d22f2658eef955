import { TagReading, TagsRead, TagsWrite, TagValue, WriteSpec } from '../../gateway/protocol';
import { describeReading, formatTime, formatValue } from '../format';
import type { Services } from './services';
import { Cancelled, oneTag, TagTarget } from './targets';
import { describeExpected, parseWriteValue, valueText } from './writeInput';

/**
 * Write…: refused up front when the tag cannot be written (in the gateway's words); otherwise a
 * value checked against the tag's writeSpec, a modal confirmation with the value read fresh,
 * then the write. Success is reported only from the gateway's answer, which comes after the
 * device confirmed.
 */
export const writeTag = (s: Services) => async (arg?: unknown) => {
  // Read-only tags stay in the list, marked, so that picking one says why it cannot be written.
  const target = await oneTag(s.gateways, arg, 'Write a Tag', (t) => (t.tag.writable ? undefined : 'read-only'));
  const { device, tag } = target;
  if (!tag.writable) throw new Error(tag.notWritableReason ?? `${tag.name} on ${device.name} cannot be written.`);
  const spec = tag.writeSpec;
  if (!spec) throw new Error(`The gateway did not say what ${tag.name} on ${device.name} can hold, so it cannot be written from here.`);

  const before = await readNow(target);
  const value = await askValue(s, target, spec, before);

  // The confirmation shows the value as it is now, not as it was when the box opened.
  const current = await readNow(target);
  const newText = formatValue(value, tag.unit, tag.valueKind);
  const detail = [
    `Device: ${device.name} (${device.id}, ${device.endpoint})`,
    `Tag: ${tag.name}`,
    `Address: ${tag.address}${tag.dataType ? ` (${tag.dataType})` : ''}`,
    `Current value: ${current ? `${describeReading(current, tag.unit, undefined, tag.valueKind) || '—'} at ${formatTime(current.timestamp)}` : 'could not be read'}`,
    `New value: ${newText}`,
  ].join('\n');
  const ok = await s.prompts.warning(`Write ${newText} to ${tag.name} on ${device.name}?`, { modal: true, detail }, 'Write');
  if (ok !== 'Write') throw new Cancelled();

  const result = await target.gateway.ctx.request(TagsWrite, { deviceId: device.id, tag: target.ref, value });
  const written = formatValue(result.value, tag.unit, tag.valueKind);
  target.gateway.ctx.log.info(`client: wrote ${written} to ${device.id}/${target.ref}`);
  void s.prompts.notify('info', `${device.name} › ${tag.name} is now ${written} (confirmed by the device at ${formatTime(result.timestamp)}).`);
};

/** The new value: picked from the tag's values (enum), or typed and checked as it is typed. */
async function askValue(s: Services, { device, tag }: TagTarget, spec: WriteSpec, before: TagReading | undefined): Promise<TagValue> {
  const title = `Write ${tag.name} on ${device.name}`;
  const currentText = before ? describeReading(before, tag.unit, undefined, tag.valueKind) || '—' : 'unknown';
  if (spec.kind === 'enum') {
    const picked = await s.prompts.quickPick(
      spec.values.map((v) => ({
        label: v.label,
        description: String(v.value) === v.label ? undefined : String(v.value),
        detail: before?.value === v.value ? 'current value' : undefined,
        value: v.value,
      })),
      { title, placeHolder: `Current value: ${currentText}. Pick the new value.`, ignoreFocusOut: true },
    );
    if (!picked) throw new Cancelled();
    return picked.value;
  }
  const input = await s.prompts.inputBox({
    title,
    prompt: `Current value: ${currentText}. Enter ${describeExpected(spec, tag.unit)}.`,
    value: before && before.quality !== 'bad' ? valueText(before.value) : '',
    ignoreFocusOut: true,
    validateInput: (text) => {
      const r = parseWriteValue(text, spec, tag.unit);
      return r.ok ? undefined : r.message;
    },
  });
  if (input === undefined) throw new Cancelled();
  const parsed = parseWriteValue(input, spec, tag.unit);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
}

/** The value as the device has it now; undefined (not an error) if it cannot be read. */
async function readNow({ gateway, device, ref }: TagTarget): Promise<TagReading | undefined> {
  try {
    const { results } = await gateway.ctx.request(TagsRead, { deviceId: device.id, tags: [ref] });
    const reading = { ...results[0], tag: ref };
    gateway.values.publish(device.id, [reading]);
    return reading;
  } catch (err) {
    gateway.ctx.log.warn(`client: reading ${device.id}/${ref} before the write failed: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}
