/**
 * Outgoing bytes built in place. At 100,000 values a second, building each message as a string
 * (piece by piece, then joined, then converted to UTF-8 by the write) was most of what the
 * gateway allocated; here the text is written into one growing buffer that is reused from write
 * to write, so a message leaves nothing behind for the garbage collector.
 */
const HEADER_ROOM = 32; // "Content-Length: " + up to 10 digits + "\r\n\r\n" = 30
const DIGITS_LIMIT = 1e15; // integers below it are written digit by digit; String() beyond

export class ByteFrames {
  private buf: Buffer;
  private len = 0;
  /** Where the body of the frame being written starts (the header is written once it is known). */
  private bodyStart = -1;

  constructor(private readonly initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Bytes of complete frames held. */
  get length(): number {
    return this.len;
  }

  /** Starts a frame; its body follows, then end(). */
  begin(): void {
    this.room(HEADER_ROOM);
    this.bodyStart = this.len + HEADER_ROOM;
    this.len = this.bodyStart;
  }

  /** Ends the frame: puts its Content-Length header in front of the body. */
  end(): void {
    const start = this.bodyStart - HEADER_ROOM;
    const bodyLength = this.len - this.bodyStart;
    const headerLength = this.buf.write(`Content-Length: ${bodyLength}\r\n\r\n`, start, 'latin1');
    this.buf.copyWithin(start + headerLength, this.bodyStart, this.len);
    this.len = start + headerLength + bodyLength;
    this.bodyStart = -1;
  }

  /** Forgets the frame begun (its encoding failed): what was complete before stays. */
  abort(): void {
    if (this.bodyStart < 0) return;
    this.len = this.bodyStart - HEADER_ROOM;
    this.bodyStart = -1;
  }

  /** A whole frame around a body already encoded as text. */
  frame(body: string): void {
    this.begin();
    this.text(body);
    this.end();
  }

  /** Text that is known to be ASCII (JSON punctuation, names, quoted keys of plain ASCII). */
  ascii(s: string): void {
    const n = s.length;
    this.room(n);
    const buf = this.buf;
    let at = this.len;
    // Short pieces are cheaper copied here than through a call into the runtime.
    if (n <= 16) for (let i = 0; i < n; i++) buf[at++] = s.charCodeAt(i);
    else at += buf.write(s, at, 'latin1');
    this.len = at;
  }

  /** Bytes encoded once and written many times (quoted tag names, fixed pieces of JSON). */
  bytes(b: Uint8Array): void {
    const n = b.length;
    this.room(n);
    // Up to a few bytes a loop is cheaper than a call into the runtime; beyond, a copy is.
    if (n <= 8) {
      const buf = this.buf;
      let at = this.len;
      for (let i = 0; i < n; i++) buf[at++] = b[i]!;
    } else this.buf.set(b, this.len);
    this.len += n;
  }

  /**
   * A JSON string (quotes included) as JSON.stringify writes it. Plain ASCII (tag names, almost
   * always) is copied character by character; anything to escape, or beyond ASCII, goes the long
   * way. Cheaper than looking up a pre-encoded copy: with 10,000 tags the lookups missed the cache.
   */
  jsonString(s: string): void {
    const n = s.length;
    this.room(n + 2);
    const buf = this.buf;
    const start = this.len;
    let at = start;
    buf[at++] = 0x22;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7e) {
        this.len = start;
        this.text(JSON.stringify(s));
        return;
      }
      buf[at++] = c;
    }
    buf[at++] = 0x22;
    this.len = at;
  }

  /** Any text, as UTF-8. */
  text(s: string): void {
    this.room(s.length * 3);
    this.len += this.buf.write(s, this.len, 'utf8');
  }

  /** A finite number as JSON writes it. */
  number(v: number): void {
    if (!Number.isInteger(v) || v >= DIGITS_LIMIT || v <= -DIGITS_LIMIT) {
      this.ascii(String(v));
      return;
    }
    this.room(17);
    const buf = this.buf;
    if (v < 0) {
      buf[this.len++] = 0x2d; // '-'
      v = -v;
    }
    if (v < 1e8) {
      this.len = writeDigits(buf, this.len, v);
      return;
    }
    // Timestamps (13 digits) and other large integers: two halves, each small enough for integer
    // arithmetic, the low one zero-padded to eight digits.
    const high = Math.floor(v / 1e8);
    let low = v - high * 1e8;
    let at = writeDigits(buf, this.len, high) + 8;
    this.len = at;
    for (let i = 0; i < 8; i++) {
      const q = (low / 10) | 0;
      buf[--at] = 0x30 + low - q * 10;
      low = q;
    }
  }

  /** The complete frames, as a view of the buffer: valid until the next call of clear(). */
  view(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  /**
   * Empties this. `handedOff`: the last view() is still in use (a stream queued it), so the
   * next frames go into a new buffer instead of overwriting it.
   */
  clear(handedOff: boolean): void {
    this.len = 0;
    if (handedOff) this.buf = Buffer.allocUnsafe(this.initialBytes);
  }

  /** The bytes written so far as text (for callers that want a string). */
  toString(): string {
    return this.buf.toString('utf8', 0, this.len);
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, 0, this.len);
    this.buf = grown;
  }
}

/** The digits of an integer 0 ≤ v < 2^31 at `at`; returns the position after them. */
function writeDigits(buf: Buffer, at: number, v: number): number {
  let digits = 1;
  for (let p = 10; p <= v; p *= 10) digits++;
  const end = at + digits;
  let i = end;
  do {
    const q = (v / 10) | 0;
    buf[--i] = 0x30 + v - q * 10;
    v = q;
  } while (v > 0);
  return end;
}
