/**
 * The simulator's Read Device Identification (FC43/14) and Report Server ID (FC17), checked with
 * raw frames written out byte by byte from the Modbus Application Protocol specification.
 */
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { BOILER_IDENTITY, startDemoPlant, TANK_IDENTITY } from '../../gateway/sim/demoPlant';
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';

/** Sends one request ADU (unit, PDU) and returns the answer's PDU, or null after 300 ms of silence. */
async function ask(port: number, unit: number, pdu: number[]): Promise<{ unit: number; pdu: Buffer } | null> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const frame = Buffer.from([0x12, 0x34, 0, 0, 0, pdu.length + 1, unit, ...pdu]);
    socket.write(frame);
    let buf = Buffer.alloc(0);
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => resolve(null), 300);
      socket.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        if (buf.length < 6 || buf.length < 6 + buf.readUInt16BE(4)) return;
        clearTimeout(timer);
        try {
          assert.equal(buf.length, 6 + buf.readUInt16BE(4), 'one frame, nothing after it');
          assert.equal(buf.readUInt16BE(0), 0x1234, 'transaction id echoed');
          assert.equal(buf.readUInt16BE(2), 0, 'protocol id');
          resolve({ unit: buf[6]!, pdu: buf.subarray(7) });
        } catch (err) {
          reject(err);
        }
      });
    });
  } finally {
    socket.destroy();
  }
}

interface IdAnswer {
  code: number;
  conformity: number;
  more: number;
  next: number;
  objects: [number, string][];
}

/** Decodes an FC43/14 answer PDU, checking its framing on the way. */
function decode(pdu: Buffer): IdAnswer {
  assert.equal(pdu[0], 0x2b);
  assert.equal(pdu[1], 0x0e);
  const count = pdu[6]!;
  const objects: [number, string][] = [];
  let at = 7;
  for (let i = 0; i < count; i++) {
    const id = pdu[at]!;
    const len = pdu[at + 1]!;
    objects.push([id, pdu.toString('latin1', at + 2, at + 2 + len)]);
    at += 2 + len;
  }
  assert.equal(at, pdu.length, 'the objects fill the PDU exactly');
  assert.ok(pdu.length <= 253, `PDU of ${pdu.length} bytes`);
  return { code: pdu[2]!, conformity: pdu[3]!, more: pdu[4]!, next: pdu[5]!, objects };
}

const IDENTITY = {
  vendorName: 'Acme Automation',
  productCode: 'AC-100',
  revision: 'V2.11',
  vendorUrl: 'http://acme.example',
  productName: 'Acme Pump Controller',
  modelName: 'PC-100/4',
  userApplicationName: 'Pump station 3',
};

describe('Simulator device identification (FC43/14, FC17)', () => {
  const sims: ModbusTcpSimulator[] = [];
  async function sim(opts: ConstructorParameters<typeof ModbusTcpSimulator>[0]): Promise<number> {
    const s = new ModbusTcpSimulator(opts);
    sims.push(s);
    return s.start();
  }
  afterEach(async () => {
    await Promise.all(sims.splice(0).map((s) => s.stop()));
  });

  it('answers the basic stream (code 1) with objects 0-2 and conformity 0x82 (regular, individual access)', async () => {
    const port = await sim({ identity: IDENTITY });
    const answer = await ask(port, 7, [0x2b, 0x0e, 0x01, 0x00]);
    assert.equal(answer?.unit, 7);
    assert.deepEqual(
      answer.pdu,
      Buffer.concat([
        Buffer.from([0x2b, 0x0e, 0x01, 0x82, 0x00, 0x00, 0x03]),
        Buffer.from([0x00, 15]), Buffer.from('Acme Automation'),
        Buffer.from([0x01, 6]), Buffer.from('AC-100'),
        Buffer.from([0x02, 5]), Buffer.from('V2.11'),
      ]),
    );
  });

  it('answers the regular stream (code 2) with objects 0-6, and code 3 with the same set', async () => {
    const port = await sim({ identity: IDENTITY });
    const all = Object.values(IDENTITY).map((v, i): [number, string] => [i, v]);
    for (const code of [2, 3]) {
      const d = decode((await ask(port, 1, [0x2b, 0x0e, code, 0x00]))!.pdu);
      assert.deepEqual(d, { code, conformity: 0x82, more: 0, next: 0, objects: all });
    }
  });

  it('starts a stream at the object id asked for; an id outside the category restarts at 0', async () => {
    const port = await sim({ identity: IDENTITY });
    assert.deepEqual(decode((await ask(port, 1, [0x2b, 0x0e, 0x02, 0x04]))!.pdu).objects.map(([id]) => id), [4, 5, 6]);
    assert.deepEqual(decode((await ask(port, 1, [0x2b, 0x0e, 0x01, 0x05]))!.pdu).objects.map(([id]) => id), [0, 1, 2]);
  });

  it('answers one object for code 4, and exception 2 for an object it does not have', async () => {
    const port = await sim({ identity: { vendorName: 'V', productCode: 'P', revision: '1.0', modelName: 'M-1' } });
    assert.deepEqual(decode((await ask(port, 1, [0x2b, 0x0e, 0x04, 0x05]))!.pdu), { code: 4, conformity: 0x82, more: 0, next: 0, objects: [[5, 'M-1']] });
    assert.deepEqual((await ask(port, 1, [0x2b, 0x0e, 0x04, 0x04]))!.pdu, Buffer.from([0xab, 0x02]));
    assert.deepEqual((await ask(port, 1, [0x2b, 0x0e, 0x04, 0x80]))!.pdu, Buffer.from([0xab, 0x02]));
  });

  it('says basic conformity (0x81) when only the basic objects are set', async () => {
    const port = await sim({ identity: { vendorName: 'V', productCode: 'P', revision: '1.0' } });
    const d = decode((await ask(port, 1, [0x2b, 0x0e, 0x02, 0x00]))!.pdu);
    assert.equal(d.conformity, 0x81);
    assert.deepEqual(d.objects, [[0, 'V'], [1, 'P'], [2, '1.0']]);
  });

  it('answers exception 3 for a bad read device id code or request length, exception 1 for another MEI type', async () => {
    const port = await sim({ identity: IDENTITY });
    assert.deepEqual((await ask(port, 1, [0x2b, 0x0e, 0x00, 0x00]))!.pdu, Buffer.from([0xab, 0x03]));
    assert.deepEqual((await ask(port, 1, [0x2b, 0x0e, 0x05, 0x00]))!.pdu, Buffer.from([0xab, 0x03]));
    assert.deepEqual((await ask(port, 1, [0x2b, 0x0e, 0x01]))!.pdu, Buffer.from([0xab, 0x03]));
    assert.deepEqual((await ask(port, 1, [0x2b, 0x0d, 0x01, 0x00]))!.pdu, Buffer.from([0xab, 0x01]));
  });

  it('splits objects that do not fit one PDU with "more follows" and the next object id', async () => {
    const long = (c: string) => c.repeat(100);
    const identity = { vendorName: long('v'), productCode: long('p'), revision: long('r'), vendorUrl: long('u'), productName: long('n') };
    const port = await sim({ identity });
    const seen: [number, string][] = [];
    let next = 0;
    let rounds = 0;
    for (;;) {
      const d = decode((await ask(port, 1, [0x2b, 0x0e, 0x02, next]))!.pdu);
      seen.push(...d.objects);
      rounds++;
      if (d.more === 0x00) break;
      assert.equal(d.more, 0xff);
      assert.ok(d.next > next, 'the next object id moves on');
      next = d.next;
    }
    assert.equal(rounds, 3, 'two 102-byte objects fit a 253-byte PDU, a third does not');
    assert.deepEqual(seen, Object.values(identity).map((v, i): [number, string] => [i, v]));
  });

  it('answers FC17 with server id, run indicator 0xFF and the product name (else the vendor name)', async () => {
    const port = await sim({ identity: IDENTITY });
    const name = Buffer.from('Acme Pump Controller');
    assert.deepEqual((await ask(port, 9, [0x11]))!.pdu, Buffer.concat([Buffer.from([0x11, 2 + name.length, 9, 0xff]), name]));
    const bare = await sim({ identity: { vendorName: 'Acme', productCode: 'P', revision: '1' } });
    assert.deepEqual((await ask(bare, 1, [0x11]))!.pdu, Buffer.from([0x11, 6, 1, 0xff, ...Buffer.from('Acme')]));
    assert.deepEqual((await ask(bare, 1, [0x11, 0x00]))!.pdu, Buffer.from([0x91, 0x03]));
  });

  it('answers exception 1 to FC43 and FC17 without an identity, and says nothing for a unit it does not serve', async () => {
    const port = await sim({ unitIds: [3] });
    assert.deepEqual((await ask(port, 3, [0x2b, 0x0e, 0x01, 0x00]))!.pdu, Buffer.from([0xab, 0x01]));
    assert.deepEqual((await ask(port, 3, [0x11]))!.pdu, Buffer.from([0x91, 0x01]));
    assert.equal(await ask(port, 4, [0x2b, 0x0e, 0x01, 0x00]), null);
  });

  it('refuses an identity it could not send, saying which field and what is expected', () => {
    assert.throws(() => new ModbusTcpSimulator({ identity: { vendorName: '', productCode: 'P', revision: '1' } }), /'vendorName' must be a non-empty string of printable ASCII/);
    assert.throws(() => new ModbusTcpSimulator({ identity: { ...IDENTITY, modelName: 'x'.repeat(245) } }), /'modelName' .* at most 244 characters/);
    assert.throws(() => new ModbusTcpSimulator({ identity: { ...IDENTITY, productName: 'Pumpe Süd' } }), /'productName' .*printable ASCII.*"Pumpe Süd"/);
  });

  it('gives the demo plant devices their identities', async () => {
    const plant = await startDemoPlant({ tickMs: 0, opcua: false });
    try {
      assert.equal(plant.simulators.tank.identity?.productCode, TANK_IDENTITY.productCode);
      const tankPort = plant.simulators.tank.port;
      const d = decode((await ask(tankPort, 1, [0x2b, 0x0e, 0x02, 0x00]))!.pdu);
      assert.deepEqual(d.objects.slice(0, 2), [[0, 'Bifrost Demo Plant'], [1, 'BDP-TANK']]);
      assert.match(d.objects[2]![1], /^\d+\.\d+\.\d+/);
      const b = decode((await ask(plant.simulators.boiler.port, 2, [0x2b, 0x0e, 0x04, 0x04]))!.pdu);
      assert.deepEqual(b.objects, [[4, BOILER_IDENTITY.productName!]]);
    } finally {
      await plant.stop();
    }
  });
});
