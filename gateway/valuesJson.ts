import { ByteFrames } from './byteFrames';
import type { TagReading } from './protocol';

/**
 * `bifrost/values` is the one message sent 100,000 items a second; this writes its JSON by hand,
 * straight into the outgoing bytes (ByteFrames), with no string per reading. The output is plain
 * JSON: the contract is unchanged, and a unit test holds it equal to JSON.stringify's.
 */
const quotedTags = new Map<string, Buffer>();

function quoted(tag: string): Buffer {
  let q = quotedTags.get(tag);
  if (q === undefined) {
    q = Buffer.from(`{"tag":${JSON.stringify(tag)},"value":`, 'utf8');
    // Tag keys repeat every scan; the bound only guards against a client inventing endless refs.
    if (quotedTags.size > 200_000) quotedTags.clear();
    quotedTags.set(tag, q);
  }
  return q;
}

const piece = (s: string) => Buffer.from(s, 'latin1');
const TRUE = piece('true');
const FALSE = piece('false');
const NULL = piece('null');
const QUALITY: Record<TagReading['quality'], Buffer> = {
  good: piece(',"quality":"good","timestamp":'),
  uncertain: piece(',"quality":"uncertain","timestamp":'),
  bad: piece(',"quality":"bad","timestamp":'),
};

function writeValue(out: ByteFrames, v: TagReading['value']): void {
  switch (typeof v) {
    case 'number':
      if (Number.isFinite(v)) out.number(v);
      else out.bytes(NULL);
      return;
    case 'boolean':
      out.bytes(v ? TRUE : FALSE);
      return;
    case 'string':
    case 'object':
      // Arrays and structures (and null) as JSON.stringify writes them.
      if (v === null) out.bytes(NULL);
      else out.text(JSON.stringify(v));
      return;
    default:
      out.bytes(NULL);
  }
}

/** The notification's JSON (no frame header) appended to `out`. */
export function writeValuesNotification(out: ByteFrames, subscriptionId: string, items: readonly TagReading[]): void {
  out.ascii('{"jsonrpc":"2.0","method":"bifrost/values","params":{"subscriptionId":');
  out.text(JSON.stringify(subscriptionId));
  out.ascii(',"items":[');
  for (let i = 0; i < items.length; i++) {
    const r = items[i]!;
    if (i > 0) out.ascii(',');
    out.bytes(quoted(r.tag));
    writeValue(out, r.value);
    out.bytes(QUALITY[r.quality]);
    out.number(r.timestamp);
    if (r.sourceTimestamp !== undefined) {
      out.ascii(',"sourceTimestamp":');
      out.number(r.sourceTimestamp);
    }
    if (r.serverTimestamp !== undefined) {
      out.ascii(',"serverTimestamp":');
      out.number(r.serverTimestamp);
    }
    if (r.status !== undefined) {
      out.ascii(',"status":');
      out.text(JSON.stringify(r.status));
    }
    if (r.error !== undefined) {
      out.ascii(',"error":');
      out.text(JSON.stringify(r.error));
    }
    out.ascii('}');
  }
  out.ascii(']}}');
}

/** The same JSON as a string (messages held for a lagging client, tests). */
export function valuesNotificationJson(subscriptionId: string, items: readonly TagReading[]): string {
  const out = new ByteFrames(256 + items.length * 96);
  writeValuesNotification(out, subscriptionId, items);
  return out.toString();
}
