import { strict as assert } from 'node:assert';
import { Duplex } from 'node:stream';
import { RtuClient, RtuFailure } from '../../gateway/modbus/rtuClient';
import { rtuFrame } from '../../gateway/modbus/rtuFrame';

/** The far end of a line: sees each request the client sends, answers when the test says. */
class FarEnd {
  readonly requests: Buffer[] = [];
  readonly stream: Duplex;
  private onRequest: ((frame: Buffer) => void) | null = null;

  constructor() {
    this.stream = new Duplex({
      read: () => undefined,
      write: (chunk: Buffer, _enc, done) => {
        this.requests.push(chunk);
        this.onRequest?.(chunk);
        done();
      },
    });
  }

  answer(unit: number, pdu: Buffer): void {
    this.stream.push(rtuFrame(unit, pdu));
  }

  whenAsked(handler: (frame: Buffer) => void): void {
    this.onRequest = handler;
  }
}

/** FC3 read of one register; the answer holds `value`. */
const READ_ONE = Buffer.from([0x03, 0x00, 0x00, 0x00, 0x01]);
const holding = (value: number) => Buffer.from([0x03, 0x02, value >> 8, value & 0xff]);

describe('Modbus RTU client: late answers', () => {
  it('never takes the late answer to a timed-out request for the next one (an answer up to twice the timeout late)', async () => {
    const far = new FarEnd();
    const client = new RtuClient(far.stream, { silenceMs: 2 });
    client.timeoutMs = 100;
    let asked = 0;
    far.whenAsked(() => {
      asked++;
      // The first request's answer comes 170 ms late, later ones after 40 ms: sent as soon as the
      // line had been quiet briefly (at 150 ms), the second request would see the first's answer first.
      if (asked === 1) setTimeout(() => far.answer(1, holding(1111)), 170);
      else setTimeout(() => far.answer(1, holding(2222)), 40);
    });
    await assert.rejects(client.transact(1, READ_ONE), (err: unknown) => err instanceof RtuFailure && err.kind === 'timeout');
    const second = await client.transact(1, READ_ONE);
    assert.deepEqual([...second], [...holding(2222)], 'the second request got its own answer');
    assert.ok(client.stats.lateBytes >= 7, `the late answer was thrown away (${client.stats.lateBytes} late bytes)`);
    client.destroy();
  });

  it('holds only the unit that did not answer: a request to another unit goes out after the drain', async () => {
    const far = new FarEnd();
    const client = new RtuClient(far.stream, { silenceMs: 2 });
    client.timeoutMs = 400;
    const sentAt: number[] = [];
    far.whenAsked((frame) => {
      sentAt.push(performance.now());
      if (frame[0] === 2) setTimeout(() => far.answer(2, holding(2)), 1);
    });
    await assert.rejects(client.transact(1, READ_ONE));
    const failedAt = performance.now();
    await client.transact(2, READ_ONE);
    // Unit 2 is asked well before unit 1's late answers could have stopped coming (400 ms more).
    assert.ok(sentAt[1]! - failedAt < 300, `unit 2 was asked ${Math.round(sentAt[1]! - failedAt)} ms after unit 1's timeout`);
    client.destroy();
  });

  it('after a good answer, the next request goes out after the silence only', async () => {
    const far = new FarEnd();
    const client = new RtuClient(far.stream, { silenceMs: 2 });
    client.timeoutMs = 1000;
    far.whenAsked(() => setTimeout(() => far.answer(1, holding(7)), 1));
    await client.transact(1, READ_ONE);
    const t = performance.now();
    await client.transact(1, READ_ONE);
    // Not the timeout's wait: that is only owed after a timeout (a generous bound, not a speed test).
    assert.ok(performance.now() - t < 500, `${Math.round(performance.now() - t)} ms`);
    client.destroy();
  });
});
