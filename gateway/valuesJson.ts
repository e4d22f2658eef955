import { ByteFrames } from './byteFrames';
import type { TagReading } from './protocol';

/**
 * `bifrost/values` is the one message sent 100,000 items a second; this writes its JSON by hand,
 * straight into the outgoing bytes (ByteFrames), with no string per reading. The output is plain
 * JSON: the contract is unchanged, and a unit test holds it equal to JSON.stringify's.
 */
const piece = (s: string) => Buffer.from(s, 'latin1');
const TRUE = piece('true');
const FALSE = piece('false');
const NULL = piece('null');
const TAG = piece('{"tag":');
const VALUE = piece(',"value":');

/**
 * A piece of JSON that ends in a number (`,"sourceTimestamp":1795245019008`), kept encoded while
 * the number repeats: the readings of one request, or of one publish, mostly share their
 * timestamps, and writing 13 digits for each was a third of the encoding's cost. A number seen
 * once is written digit by digit; only one that comes again is kept (no allocation per reading).
 */
class NumberPiece {
  private readonly prefix: Buffer;
  private last = NaN;
  private encoded: Buffer | null = null;

  constructor(prefix: string) {
    this.prefix = piece(prefix);
  }

  write(out: ByteFrames, n: number): void {
    if (n !== this.last) {
      this.last = n;
      this.encoded = null;
      out.bytes(this.prefix);
      if (Number.isFinite(n)) out.number(n);
      else out.bytes(NULL);
      return;
    }
    this.encoded ??= Buffer.concat([this.prefix, piece(Number.isFinite(n) ? String(n) : 'null')]);
    out.bytes(this.encoded);
  }
}

const QUALITY_AND_TIME: Record<TagReading['quality'], NumberPiece> = {
  good: new NumberPiece(',"quality":"good","timestamp":'),
  uncertain: new NumberPiece(',"quality":"uncertain","timestamp":'),
  bad: new NumberPiece(',"quality":"bad","timestamp":'),
};
const SOURCE_TIMESTAMP = new NumberPiece(',"sourceTimestamp":');
const SERVER_TIMESTAMP = new NumberPiece(',"serverTimestamp":');
// Fixed pieces as bytes: copying them is cheaper than encoding text of more than a few characters.
const NOTIFICATION_START = piece('{"jsonrpc":"2.0","method":"bifrost/values","params":{"subscriptionId":');
const ITEMS_START = piece(',"items":[');
const STATUS = piece(',"status":');
const ERROR = piece(',"error":');

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
      out.jsonString(v);
      return;
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
  out.bytes(NOTIFICATION_START);
  out.jsonString(subscriptionId);
  out.bytes(ITEMS_START);
  for (let i = 0; i < items.length; i++) {
    const r = items[i]!;
    if (i > 0) out.ascii(',');
    out.bytes(TAG);
    out.jsonString(r.tag);
    out.bytes(VALUE);
    writeValue(out, r.value);
    QUALITY_AND_TIME[r.quality].write(out, r.timestamp);
    if (r.sourceTimestamp !== undefined) SOURCE_TIMESTAMP.write(out, r.sourceTimestamp);
    if (r.serverTimestamp !== undefined) SERVER_TIMESTAMP.write(out, r.serverTimestamp);
    if (r.status !== undefined) {
      out.bytes(STATUS);
      out.jsonString(r.status);
    }
    if (r.error !== undefined) {
      out.bytes(ERROR);
      out.jsonString(r.error);
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
