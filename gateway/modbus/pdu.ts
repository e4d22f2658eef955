/**
 * Request PDUs (function code and data), the same in a Modbus TCP frame (after the MBAP header)
 * and in an RTU frame (between the unit id and the CRC).
 */

/** FC1-4: function, start, count. */
export function readPdu(fc: number, start: number, count: number): Buffer {
  return pdu5(fc, start, count);
}

/** FC5 / FC6: function, address, value (FC5: 0xFF00 on, 0x0000 off). */
export function writeSinglePdu(fc: 5 | 6, address: number, value: number): Buffer {
  return pdu5(fc, address, value);
}

export function writeCoilsPdu(address: number, values: readonly boolean[]): Buffer {
  const bytes = Math.ceil(values.length / 8);
  const pdu = Buffer.alloc(6 + bytes);
  pdu[0] = 15;
  pdu.writeUInt16BE(address, 1);
  pdu.writeUInt16BE(values.length, 3);
  pdu[5] = bytes;
  values.forEach((v, i) => {
    if (v) pdu[6 + (i >> 3)]! |= 1 << (i & 7);
  });
  return pdu;
}

export function writeRegistersPdu(address: number, values: readonly number[]): Buffer {
  const pdu = Buffer.allocUnsafe(6 + 2 * values.length);
  pdu[0] = 16;
  pdu.writeUInt16BE(address, 1);
  pdu.writeUInt16BE(values.length, 3);
  pdu[5] = 2 * values.length;
  values.forEach((v, i) => pdu.writeUInt16BE(v, 6 + 2 * i));
  return pdu;
}

export function pdu5(fc: number, a: number, b: number): Buffer {
  const pdu = Buffer.allocUnsafe(5);
  pdu[0] = fc;
  pdu.writeUInt16BE(a, 1);
  pdu.writeUInt16BE(b, 3);
  return pdu;
}
