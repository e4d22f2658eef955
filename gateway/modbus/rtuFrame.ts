/**
 * Modbus RTU framing (Modbus over Serial Line v1.02): unit id, PDU, CRC-16 low byte first. An RTU
 * frame carries no length, so a master knows where an answer ends only from what it asked; the
 * parser here is told the unit and function code of the request and is fed bytes as they arrive.
 */

/** Longest RTU frame: unit id, a PDU of at most 253 bytes, CRC. */
export const MAX_RTU_FRAME = 256;

const FC_REPORT_SERVER_ID = 17;
const FC_ENCAPSULATED = 43;

/** CRC-16/MODBUS (polynomial 0xA001 reflected, initial 0xFFFF), one table lookup per byte. */
const CRC_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    table[i] = c;
  }
  return table;
})();

export function crc16(buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ CRC_TABLE[(crc ^ buf[i]!) & 0xff]!;
  return crc;
}

/** Whether the last two bytes of buf[start, end) are the CRC of the bytes before them. */
export function crcMatches(buf: Uint8Array, start: number, end: number): boolean {
  if (end - start < 3) return false;
  const crc = crc16(buf, start, end - 2);
  return buf[end - 2] === (crc & 0xff) && buf[end - 1] === crc >>> 8;
}

/** unit id + PDU + CRC. */
export function rtuFrame(unit: number, pdu: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(pdu.length + 3);
  out[0] = unit;
  out.set(pdu, 1);
  const crc = crc16(out, 0, pdu.length + 1);
  out[pdu.length + 1] = crc & 0xff;
  out[pdu.length + 2] = crc >>> 8;
  return out;
}

// The PDUs are the same on TCP and on a serial line.
export { readPdu, writeCoilsPdu, writeRegistersPdu, writeSinglePdu } from './pdu';

export type SerialParity = 'none' | 'even' | 'odd' | 'mark' | 'space';

/**
 * The silence that separates frames: 3.5 character times, a character being 11 bits with a parity
 * bit or 2 stop bits and 10 otherwise; above 19,200 baud a fixed 1.75 ms (§2.5.1.1), since the
 * character time is then shorter than UARTs and operating systems can time.
 */
export function interFrameSilenceMs(baudRate: number, parity: SerialParity = 'even', stopBits: 1 | 1.5 | 2 = 1): number {
  if (!Number.isFinite(baudRate) || baudRate <= 0) throw new RangeError(`baud rate must be a positive number, got ${String(baudRate)}`);
  if (baudRate > 19_200) return 1.75;
  const bitsPerChar = parity !== 'none' || stopBits === 2 ? 11 : 10;
  return (3.5 * bitsPerChar * 1000) / baudRate;
}

/** What one answer turned out to be. */
export type RtuParse =
  | { kind: 'incomplete' }
  /** A good answer: `pdu` is its function code and data (a copy, free to keep). */
  | { kind: 'frame'; pdu: Buffer }
  /** An exception answer with a good CRC. */
  | { kind: 'exception'; code: number }
  | { kind: 'crc-error'; frame: Buffer }
  /** A well-formed answer from another unit than the one asked. */
  | { kind: 'wrong-unit'; unit: number }
  /** Bytes that cannot be the answer: another function code, an impossible length. */
  | { kind: 'garbage'; why: string };

const INCOMPLETE: RtuParse = { kind: 'incomplete' };

/**
 * Reassembles one answer from the bytes of a serial line. Told what was asked (`expect`), it
 * knows from the function code and, where the answer has one, its byte count where the frame ends,
 * then checks CRC, unit id and function code. Bytes after a complete answer are counted as
 * `extraBytes` and otherwise ignored.
 */
export class RtuResponseParser {
  private buf = Buffer.allocUnsafe(MAX_RTU_FRAME);
  private length = 0;
  private unit = -1;
  private fc = -1;
  private result: RtuParse = INCOMPLETE;
  /** Bytes that came after the answer was complete. */
  extraBytes = 0;

  /** Starts on the answer to a request to `unit` with function code `fc`. */
  expect(unit: number, fc: number): void {
    this.unit = unit;
    this.fc = fc;
    this.length = 0;
    this.extraBytes = 0;
    this.result = INCOMPLETE;
  }

  /** Feeds bytes; the outcome once the answer is complete or known bad, else `incomplete`. */
  push(chunk: Uint8Array): RtuParse {
    if (this.result.kind !== 'incomplete') {
      this.extraBytes += chunk.length;
      return this.result;
    }
    let i = 0;
    while (i < chunk.length) {
      const need = this.frameLength();
      if (need < 0) return (this.result = { kind: 'garbage', why: this.garbageReason(need) });
      const want = need === 0 ? 1 : need - this.length;
      const take = Math.min(want, chunk.length - i);
      this.buf.set(chunk.subarray(i, i + take), this.length);
      this.length += take;
      i += take;
      if (need > 0 && this.length === need) {
        this.result = this.check();
        this.extraBytes += chunk.length - i;
        return this.result;
      }
    }
    const need = this.frameLength();
    if (need < 0) return (this.result = { kind: 'garbage', why: this.garbageReason(need) });
    return INCOMPLETE;
  }

  /** The bytes received for this answer so far (for messages). */
  get received(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  /**
   * The length of the whole frame as far as the bytes so far tell: 0 not yet known, -1 another
   * function code, -2 an impossible length.
   */
  private frameLength(): number {
    const n = this.length;
    const b = this.buf;
    if (n < 2) return 0;
    const fc = b[1]!;
    if (fc === (this.fc | 0x80)) return 5;
    if (fc !== this.fc) return -1;
    switch (fc) {
      case 1:
      case 2:
      case 3:
      case 4:
      case 23:
      case FC_REPORT_SERVER_ID: {
        // unit, function, byte count, data, CRC
        if (n < 3) return 0;
        const total = 5 + b[2]!;
        return total > MAX_RTU_FRAME ? -2 : total;
      }
      case 5:
      case 6:
      case 15:
      case 16:
        return 8;
      case 22:
        return 10;
      case FC_ENCAPSULATED:
        return this.encapsulatedLength();
      default:
        return -1;
    }
  }

  /**
   * FC43/14: unit, function, MEI type, code, conformity, more follows, next id, object count, then
   * per object id, length, value; then CRC. Walks the objects received so far.
   */
  private encapsulatedLength(): number {
    const b = this.buf;
    const n = this.length;
    if (n < 8) return 0;
    const objects = b[7]!;
    let at = 8;
    for (let k = 0; k < objects; k++) {
      if (n < at + 2) return 0;
      at += 2 + b[at + 1]!;
      if (at + 2 > MAX_RTU_FRAME) return -2;
    }
    return at + 2;
  }

  private garbageReason(code: number): string {
    const fc = this.buf[1]!;
    if (code === -1) return `an answer with function code ${fc} to a request with function code ${this.fc}`;
    return `an answer announcing more than the ${MAX_RTU_FRAME} bytes an RTU frame holds`;
  }

  private check(): RtuParse {
    const b = this.buf;
    const n = this.length;
    if (!crcMatches(b, 0, n)) return { kind: 'crc-error', frame: Buffer.from(b.subarray(0, n)) };
    if (b[0] !== this.unit) return { kind: 'wrong-unit', unit: b[0]! };
    if (b[1] === (this.fc | 0x80)) return { kind: 'exception', code: b[2]! };
    return { kind: 'frame', pdu: Buffer.from(b.subarray(1, n - 2)) };
  }
}

/**
 * How long a request frame is, from its first bytes (what a slave needs to know to answer): 0 not
 * yet known, -1 a function code whose request length this cannot tell.
 */
export function requestFrameLength(buf: Uint8Array, length: number): number {
  if (length < 2) return 0;
  switch (buf[1]) {
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
    case 6:
      return 8;
    case 15:
    case 16:
      // unit, function, address, count, byte count, data, CRC
      return length < 7 ? 0 : 9 + buf[6]!;
    case 22:
      return 10;
    case 23:
      return length < 11 ? 0 : 13 + buf[10]!;
    case FC_REPORT_SERVER_ID:
      return 4;
    case FC_ENCAPSULATED:
      return 7;
    default:
      return -1;
  }
}
