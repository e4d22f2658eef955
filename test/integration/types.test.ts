/**
 * Every type in every byte order, read through the built gateway from two real servers: our
 * simulator and pymodbus. The register images are laid out here with Node's Buffer, not with the
 * gateway's codec, so the two can disagree.
 */
import { strict as assert } from 'node:assert';
import type { GatewayProcess } from '../../tools/gatewayClient';
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';
import type { ByteOrder, TagsReadResult, TagsWriteResult } from '../../gateway/protocol';
import { rpcError, startGateway, startPymodbus, tcpDevice, type PyModbus } from './harness';

const ORDERS: ByteOrder[] = ['ABCD', 'BADC', 'CDAB', 'DCBA'];

/** Big-endian bytes → register words in the given order (the Telegraf convention for 64 bits). */
function wordsFor(bigEndian: Buffer, order: ByteOrder): number[] {
  let b: Buffer = Buffer.from(bigEndian);
  if (order === 'DCBA') b = Buffer.from(b).reverse();
  if (order === 'BADC') b = swapPairs(b);
  const words: number[] = [];
  for (let i = 0; i < b.length; i += 2) words.push(b.readUInt16BE(i));
  if (order === 'CDAB') words.reverse();
  return words;
}

function swapPairs(b: Buffer): Buffer {
  const out = Buffer.alloc(b.length);
  for (let i = 0; i < b.length; i += 2) {
    out[i] = b[i + 1]!;
    out[i + 1] = b[i]!;
  }
  return out;
}

interface Case {
  type: string;
  bytes: Buffer;
  expected: number | string;
  order?: ByteOrder;
}

function be(type: string, v: number | bigint): Buffer {
  const b = Buffer.alloc(type.endsWith('64') ? 8 : type.endsWith('32') ? 4 : 2);
  switch (type) {
    case 'int16': b.writeInt16BE(Number(v)); break;
    case 'uint16': b.writeUInt16BE(Number(v)); break;
    case 'int32': b.writeInt32BE(Number(v)); break;
    case 'uint32': b.writeUInt32BE(Number(v)); break;
    case 'float32': b.writeFloatBE(Number(v)); break;
    case 'float64': b.writeDoubleBE(Number(v)); break;
    case 'int64': b.writeBigInt64BE(BigInt(v)); break;
    case 'uint64': b.writeBigUInt64BE(BigInt(v)); break;
  }
  return b;
}

function cases(): Case[] {
  const out: Case[] = [
    { type: 'int16', bytes: be('int16', -12345), expected: -12345 },
    { type: 'uint16', bytes: be('uint16', 54321), expected: 54321 },
  ];
  const wide: [string, number | bigint, number | string][] = [
    ['int32', -123456789, -123456789],
    ['uint32', 3_000_000_000, 3_000_000_000],
    ['float32', 123.456, Math.fround(123.456)],
    ['int64', -1234567890123456789n, '-1234567890123456789'],
    ['int64', -9007199254740991n, -9007199254740991],
    ['uint64', 0x0102030405060708n, '72623859790382856'],
    ['uint64', 18446744073709551615n, '18446744073709551615'],
    ['float64', -98765.4321, -98765.4321],
  ];
  for (const order of ORDERS) for (const [type, v, expected] of wide) out.push({ type, bytes: be(type, v), expected, order });
  return out;
}

/** Lays the cases out one after the other from register 0; returns each case's address string. */
function layout(area: 'holding' | 'input'): { words: number[]; refs: { ref: string; expected: number | string }[] } {
  const words: number[] = [];
  const refs: { ref: string; expected: number | string }[] = [];
  for (const c of cases()) {
    const ref = `${area}:${words.length}:${c.type}${c.order ? `:${c.order}` : ''}`;
    words.push(...wordsFor(c.bytes, c.order ?? 'ABCD'));
    refs.push({ ref, expected: c.expected });
  }
  // "Bifrost-7" over 5 registers, high byte first, NUL padded.
  const text = Buffer.alloc(10);
  text.write('Bifrost-7', 'ascii');
  refs.push({ ref: `${area}:${words.length}:string:5`, expected: 'Bifrost-7' });
  for (let i = 0; i < 10; i += 2) words.push(text.readUInt16BE(i));
  return { words, refs };
}

for (const peer of ['simulator', 'pymodbus'] as const) {
  describe(`reading every type and byte order from ${peer === 'simulator' ? 'the built-in simulator' : 'pymodbus 3.0'}`, function () {
    this.timeout(30_000);
    let gw: GatewayProcess;
    let sim: ModbusTcpSimulator | undefined;
    let py: PyModbus | undefined;
    const holding = layout('holding');
    const input = layout('input');
    const coils = [1, 0, 1, 1, 0, 0, 0, 1, 1];
    const discretes = [0, 1, 1, 0, 1];
    const flags = 0b1000_0000_0000_1010; // bits 1, 3 and 15

    before(async () => {
      const hr = [...holding.words];
      hr[150] = flags;
      let port: number;
      if (peer === 'simulator') {
        sim = new ModbusTcpSimulator();
        port = await sim.start();
        sim.holdings.set(hr);
        sim.inputs.set(input.words);
        sim.coils.set(coils);
        sim.discretes.set(discretes);
      } else {
        py = await startPymodbus({ hr, ir: input.words, co: coils, di: discretes });
        port = py.port;
      }
      gw = await startGateway();
      const res = await gw.connection.sendRequest<{ problems: unknown[] }>('bifrost/config/load', {
        devices: [tcpDevice('peer', port, { allowWrites: true, tags: [{ name: 'setpoint', area: 'holding', address: 160, type: 'float32', byteOrder: 'CDAB', access: 'readwrite' }] })],
      });
      assert.deepEqual(res.problems, []);
    });

    after(async () => {
      await gw?.close();
      await sim?.stop();
      await py?.stop();
    });

    for (const area of ['holding', 'input'] as const) {
      it(`decodes ${area} registers: 16/32/64-bit integers, floats and strings in all four orders`, async () => {
        const l = area === 'holding' ? holding : input;
        const res = await gw.connection.sendRequest<TagsReadResult>('bifrost/tags/read', { deviceId: 'peer', tags: l.refs.map((r) => r.ref) });
        assert.equal(res.results.length, l.refs.length);
        res.results.forEach((r, i) => {
          assert.equal(r.quality, 'good', `${l.refs[i]!.ref}: ${r.error}`);
          assert.deepEqual(r.value, l.refs[i]!.expected, l.refs[i]!.ref);
        });
      });
    }

    it('reads coils, discrete inputs and bits inside a register, in classic notation too', async () => {
      const refs = ['coil:0', 'coil:1', '00003', 'coil:8', 'discrete:1', '10004', 'holding:150.1', 'holding:150.2', '40151.3', 'holding:150.15'];
      const res = await gw.connection.sendRequest<TagsReadResult>('bifrost/tags/read', { deviceId: 'peer', tags: refs });
      assert.deepEqual(res.results.map((r) => r.value), [true, false, true, true, true, false, true, false, true, true]);
      assert.ok(res.results.every((r) => r.quality === 'good'));
    });

    it('writes every type and byte order and reads the same values back', async () => {
      let at = 200;
      const written: { ref: string; value: number | string | boolean }[] = [];
      for (const order of ORDERS) {
        for (const [type, value] of [
          ['int32', -7654321],
          ['uint32', 4_000_000_001],
          ['float32', Math.fround(-0.15625)],
          ['int64', '-4611686018427387905'],
          ['uint64', '9223372036854775809'],
          ['float64', 6.02214076e23],
        ] as const) {
          written.push({ ref: `holding:${at}:${type}:${order}`, value });
          at += type.endsWith('64') ? 4 : 2;
        }
      }
      written.push({ ref: `holding:${at++}:int16`, value: -2 }, { ref: `holding:${at}:string:3`, value: 'PLC' }, { ref: 'coil:20', value: true });
      for (const w of written) {
        const res = await gw.connection.sendRequest<TagsWriteResult>('bifrost/tags/write', { deviceId: 'peer', tag: w.ref, value: w.value });
        assert.deepEqual(res.value, w.value, w.ref);
      }
      const back = await gw.connection.sendRequest<TagsReadResult>('bifrost/tags/read', { deviceId: 'peer', tags: written.map((w) => w.ref) });
      assert.deepEqual(back.results.map((r) => r.value), written.map((w) => w.value));
      if (sim) {
        // The device holds exactly the bytes the convention prescribes.
        assert.deepEqual([...sim.holdings.slice(200, 202)], wordsFor(be('int32', -7654321), 'ABCD'));
        assert.deepEqual([...sim.holdings.slice(224, 228)], wordsFor(be('int64', -4611686018427387905n), 'BADC'));
      }
    });

    it('writes a bit inside a register without touching its neighbours', async () => {
      await gw.connection.sendRequest('bifrost/tags/write', { deviceId: 'peer', tag: 'holding:150.2', value: true });
      await gw.connection.sendRequest('bifrost/tags/write', { deviceId: 'peer', tag: 'holding:150.15', value: false });
      const res = await gw.connection.sendRequest<TagsReadResult>('bifrost/tags/read', { deviceId: 'peer', tags: ['holding:150'] });
      assert.equal(res.results[0]!.value, 0b0000_0000_0000_1110);
    });

    it('writes a configured tag and reports the value the device now holds', async () => {
      const res = await gw.connection.sendRequest<TagsWriteResult>('bifrost/tags/write', { deviceId: 'peer', tag: 'setpoint', value: 72.5 });
      assert.equal(res.value, 72.5);
      const back = await gw.connection.sendRequest<TagsReadResult>('bifrost/tags/read', { deviceId: 'peer', tags: ['setpoint', 'holding:160:float32:CDAB'] });
      assert.deepEqual(back.results.map((r) => r.value), [72.5, 72.5]);
    });

    it('turns a Modbus exception into a clear error naming the device, the exception and the registers', async () => {
      const far = peer === 'simulator' ? 65530 : 500;
      if (sim) sim.fault = { exception: 2 };
      try {
        const res = await gw.connection.sendRequest<TagsReadResult>('bifrost/tags/read', { deviceId: 'peer', tags: [`holding:${far}`, `holding:${far + 2}`] });
        // The read bridging both was refused, so each was tried alone: each names its own register.
        res.results.forEach((r, i) => {
          assert.equal(r.quality, 'bad');
          assert.equal(r.value, null);
          assert.equal(r.status, 'Modbus exception 2');
          assert.equal(r.error, `peer: Modbus exception 2 (illegal data address) reading holding register ${far + 2 * i}`);
        });
        const err = await rpcError(gw.connection.sendRequest('bifrost/tags/write', { deviceId: 'peer', tag: `holding:${far}`, value: 1 }));
        assert.equal(err.code, 1006);
        assert.equal(err.message, `peer: Modbus exception 2 (illegal data address) writing holding register ${far}`);
      } finally {
        if (sim) sim.fault = null;
      }
      // An exception is an answer: the connection stays, the next read works.
      const ok = await gw.connection.sendRequest<TagsReadResult>('bifrost/tags/read', { deviceId: 'peer', tags: ['holding:0:int16'] });
      assert.equal(ok.results[0]!.quality, 'good');
    });
  });
}
