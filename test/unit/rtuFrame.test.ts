import { strict as assert } from 'node:assert';
import { RtuResponseParser, crc16, crcMatches, interFrameSilenceMs, readPdu, requestFrameLength, rtuFrame, writeCoilsPdu, writeRegistersPdu } from '../../gateway/modbus/rtuFrame';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** A response with its CRC, from unit + PDU in hex. */
const answer = (s: string) => rtuFrame(hex(s)[0]!, hex(s).subarray(1));

describe('RTU framing', () => {
  it('computes CRC-16/MODBUS (check value 0x4B37 of "123456789") and appends it low byte first', () => {
    assert.equal(crc16(Buffer.from('123456789', 'latin1')), 0x4b37);
    // Read holding 0, count 10 of unit 1: the frame every Modbus tool shows as 01 03 00 00 00 0A C5 CD.
    assert.deepEqual(rtuFrame(1, readPdu(3, 0, 10)), hex('01 03 00 00 00 0a c5 cd'));
    assert.ok(crcMatches(hex('01 03 00 00 00 0a c5 cd'), 0, 8));
    assert.ok(!crcMatches(hex('01 03 00 00 00 0a c5 ce'), 0, 8));
  });

  it('builds write PDUs for FC15 and FC16', () => {
    assert.deepEqual(writeCoilsPdu(19, [true, false, true, true, false, false, true, true, true, false]), hex('0f 0013 000a 02 cd 01'));
    assert.deepEqual(writeRegistersPdu(1, [0x000a, 0x0102]), hex('10 0001 0002 04 000a 0102'));
  });

  it('keeps 3.5 character times of silence, 11 bits with parity or 2 stop bits, fixed 1.75 ms above 19200 baud', () => {
    assert.equal(interFrameSilenceMs(9600, 'even', 1), (3.5 * 11 * 1000) / 9600);
    assert.equal(interFrameSilenceMs(9600, 'none', 2), (3.5 * 11 * 1000) / 9600);
    assert.equal(interFrameSilenceMs(9600, 'none', 1), (3.5 * 10 * 1000) / 9600);
    assert.equal(interFrameSilenceMs(19_200, 'none', 1), (3.5 * 10 * 1000) / 19_200);
    assert.equal(interFrameSilenceMs(38_400), 1.75);
    assert.equal(interFrameSilenceMs(115_200, 'none', 2), 1.75);
    assert.throws(() => interFrameSilenceMs(0), /baud rate must be a positive number, got 0/);
  });

  describe('response parser', () => {
    const parse = (unit: number, fc: number, ...chunks: Buffer[]) => {
      const p = new RtuResponseParser();
      p.expect(unit, fc);
      return chunks.map((c) => p.push(c));
    };

    it('reassembles a byte-count answer fed one byte at a time', () => {
      const frame = answer('01 03 04 00 0a 01 02');
      const results = parse(1, 3, ...[...frame].map((b) => Buffer.from([b])));
      assert.ok(results.slice(0, -1).every((r) => r.kind === 'incomplete'));
      assert.deepEqual(results.at(-1), { kind: 'frame', pdu: hex('03 04 00 0a 01 02') });
    });

    it('knows FC5/6/15/16 answers are 8 bytes, exceptions 5, and counts bytes after the answer', () => {
      for (const fc of [5, 6, 15, 16]) {
        const frame = answer(`11 ${fc.toString(16).padStart(2, '0')} 00 01 ff 00`);
        assert.equal(frame.length, 8);
        assert.deepEqual(parse(0x11, fc, frame.subarray(0, 7), frame.subarray(7)).at(-1), { kind: 'frame', pdu: frame.subarray(1, 6) });
      }
      const p = new RtuResponseParser();
      p.expect(2, 3);
      assert.deepEqual(p.push(Buffer.concat([answer('02 83 02'), hex('00 00')])), { kind: 'exception', code: 2 });
      assert.equal(p.extraBytes, 2);
    });

    it('walks FC43 device identification objects and FC17 byte counts', () => {
      const id = answer('05 2b 0e 01 81 00 00 03 00 03 41 42 43 01 02 58 59 02 01 31');
      assert.deepEqual(parse(5, 43, id.subarray(0, 9), id.subarray(9, 15), id.subarray(15)).at(-1), { kind: 'frame', pdu: id.subarray(1, id.length - 2) });
      const rsi = answer('05 11 04 05 ff 41 42');
      assert.equal(parse(5, 17, rsi)[0]!.kind, 'frame');
    });

    it('says crc-error, wrong-unit and garbage distinctly', () => {
      const bad = answer('01 03 02 00 07');
      bad[bad.length - 1]! ^= 1;
      assert.equal(parse(1, 3, bad)[0]!.kind, 'crc-error');
      assert.deepEqual(parse(1, 3, answer('02 03 02 00 07'))[0], { kind: 'wrong-unit', unit: 2 });
      const other = parse(1, 3, hex('01 04'))[0]!;
      assert.equal(other.kind, 'garbage');
      assert.match((other as { why: string }).why, /function code 4 to a request with function code 3/);
      assert.equal(parse(1, 43, hex('01 2b 0e 01 81 00 00 02 00 ff 41'), Buffer.alloc(250))[1]!.kind, 'garbage');
    });
  });

  it('tells a slave how long each request is', () => {
    assert.equal(requestFrameLength(hex('01'), 1), 0);
    assert.equal(requestFrameLength(rtuFrame(1, readPdu(3, 0, 1)), 8), 8);
    const fc16 = rtuFrame(1, writeRegistersPdu(0, [1, 2, 3]));
    assert.equal(requestFrameLength(fc16, 6), 0);
    assert.equal(requestFrameLength(fc16, 7), fc16.length);
    assert.equal(requestFrameLength(hex('01 63'), 2), -1);
  });
});
