import type { TagReading } from './protocol';

/**
 * `bifrost/values` is the one message sent 100,000 items a second; this writes its JSON by hand,
 * about twice as fast as JSON.stringify over the same objects. The output is plain JSON: the
 * contract is unchanged, and a unit test holds it equal to JSON.stringify's.
 */
const quotedTags = new Map<string, string>();

function quoted(tag: string): string {
  let q = quotedTags.get(tag);
  if (q === undefined) {
    q = JSON.stringify(tag);
    // Tag keys repeat every scan; the bound only guards against a client inventing endless refs.
    if (quotedTags.size > 200_000) quotedTags.clear();
    quotedTags.set(tag, q);
  }
  return q;
}

function valueJson(v: TagReading['value']): string {
  switch (typeof v) {
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'string':
    case 'object':
      // Arrays and structures (and null) as JSON.stringify writes them.
      return JSON.stringify(v);
    default:
      return 'null';
  }
}

export function valuesNotificationJson(subscriptionId: string, items: readonly TagReading[]): string {
  let s = `{"jsonrpc":"2.0","method":"bifrost/values","params":{"subscriptionId":${JSON.stringify(subscriptionId)},"items":[`;
  for (let i = 0; i < items.length; i++) {
    const r = items[i]!;
    if (i > 0) s += ',';
    s += `{"tag":${quoted(r.tag)},"value":${valueJson(r.value)},"quality":"${r.quality}","timestamp":${r.timestamp}`;
    if (r.sourceTimestamp !== undefined) s += `,"sourceTimestamp":${r.sourceTimestamp}`;
    if (r.serverTimestamp !== undefined) s += `,"serverTimestamp":${r.serverTimestamp}`;
    if (r.status !== undefined) s += `,"status":${JSON.stringify(r.status)}`;
    if (r.error !== undefined) s += `,"error":${JSON.stringify(r.error)}`;
    s += '}';
  }
  return s + ']}}';
}
