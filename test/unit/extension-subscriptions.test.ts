import * as assert from 'node:assert/strict';
import type { SubscribeParams, SubscribeResult, TagReading } from '../../gateway/protocol';
import { SubscriptionRegistry, SubscriptionTransport } from '../../extension/client/subscriptionRegistry';

/** A transport that records requests and answers them when the test says so. */
class ScriptedTransport implements SubscriptionTransport {
  readonly subscribed: SubscribeParams[] = [];
  readonly unsubscribed: string[] = [];
  private readonly waiting: { params: SubscribeParams; resolve: (r: SubscribeResult) => void; reject: (e: Error) => void }[] = [];
  constructor(private readonly prefix: string) {}

  subscribe(params: SubscribeParams): Promise<SubscribeResult> {
    this.subscribed.push(params);
    return new Promise((resolve, reject) => this.waiting.push({ params, resolve, reject }));
  }
  async unsubscribe(id: string): Promise<void> {
    this.unsubscribed.push(id);
  }
  answer(index: number): string {
    const w = this.waiting[index];
    const id = `${this.prefix}${index}`;
    w.resolve({ subscriptionId: id, tags: w.params.tags.map(String), intervalMs: w.params.intervalMs ?? 1000 });
    return id;
  }
  fail(index: number, message: string): void {
    this.waiting[index].reject(new Error(message));
  }
}

const reading = (tag: string, value: number): TagReading => ({ tag, value, quality: 'good', timestamp: 1 });
const settle = () => new Promise((r) => setImmediate(r));

describe('extension: subscription registry', () => {
  it('subscribes on attach and routes values by gateway id', async () => {
    const reg = new SubscriptionRegistry();
    const got: string[] = [];
    reg.add('plc', ['a', 'b'], 250, (items) => got.push(...items.map((i) => `${i.tag}=${i.value}`)));
    const t = new ScriptedTransport('g');
    const attached = reg.attach(t);
    assert.deepEqual(t.subscribed, [{ deviceId: 'plc', tags: ['a', 'b'], intervalMs: 250 }]);
    const id = t.answer(0);
    await attached;
    reg.dispatch({ subscriptionId: id, items: [reading('a', 1)] });
    reg.dispatch({ subscriptionId: 'someone-else', items: [reading('a', 2)] });
    assert.deepEqual(got, ['a=1']);
  });

  it('makes every subscription again on a new gateway, and drops the old ids', async () => {
    const reg = new SubscriptionRegistry();
    const got: number[] = [];
    reg.add('plc', ['a'], undefined, (items) => got.push(items[0].value as number));
    const first = new ScriptedTransport('old');
    const p1 = reg.attach(first);
    const oldId = first.answer(0);
    await p1;
    reg.detach();
    const second = new ScriptedTransport('new');
    const p2 = reg.attach(second);
    assert.deepEqual(second.subscribed, [{ deviceId: 'plc', tags: ['a'] }]);
    const newId = second.answer(0);
    await p2;
    reg.dispatch({ subscriptionId: oldId, items: [reading('a', 1)] });
    reg.dispatch({ subscriptionId: newId, items: [reading('a', 2)] });
    assert.deepEqual(got, [2]);
  });

  it('ignores an answer from a gateway that has gone meanwhile', async () => {
    const reg = new SubscriptionRegistry();
    reg.add('plc', ['a'], undefined, () => assert.fail('no values expected'));
    const first = new ScriptedTransport('old');
    void reg.attach(first);
    const second = new ScriptedTransport('new');
    void reg.attach(second);
    const staleId = first.answer(0);
    await settle();
    reg.dispatch({ subscriptionId: staleId, items: [reading('a', 1)] });
  });

  it('unsubscribes on dispose, also when disposed before the answer came', async () => {
    const reg = new SubscriptionRegistry();
    const t = new ScriptedTransport('g');
    await reg.attach(t);
    const early = reg.add('plc', ['a'], undefined, () => undefined);
    const late = reg.add('plc', ['b'], undefined, () => undefined);
    const lateId = t.answer(1);
    await settle();
    late.dispose();
    assert.deepEqual(t.unsubscribed, [lateId]);
    early.dispose();
    const earlyId = t.answer(0);
    await settle();
    assert.deepEqual(t.unsubscribed, [lateId, earlyId]);
    assert.equal(reg.size, 0);
  });

  it('tells the listener that the tags are bad when the gateway refuses, and retries later', async () => {
    const errors: string[] = [];
    const reg = new SubscriptionRegistry((deviceId, message) => errors.push(`${deviceId}: ${message}`));
    const got: TagReading[] = [];
    reg.add('gone', ['x'], undefined, (items) => got.push(...items));
    const t = new ScriptedTransport('g');
    const p = reg.attach(t);
    t.fail(0, 'Unknown device "gone".');
    await p;
    assert.deepEqual(errors, ['gone: Unknown device "gone".']);
    assert.equal(got.length, 1);
    assert.equal(got[0].quality, 'bad');
    assert.equal(got[0].value, null);
    assert.equal(got[0].error, 'Unknown device "gone".');
    const retry = reg.retryFailed();
    assert.equal(t.subscribed.length, 2);
    t.answer(1);
    await retry;
  });

  it('keeps values that arrive before the subscribe answer and replays them', async () => {
    const reg = new SubscriptionRegistry();
    const got: number[] = [];
    const t = new ScriptedTransport('g');
    await reg.attach(t);
    reg.add('plc', ['a'], undefined, (items) => got.push(items[0].value as number));
    reg.dispatch({ subscriptionId: 'g0', items: [reading('a', 7)] });
    t.answer(0);
    await settle();
    reg.dispatch({ subscriptionId: 'g0', items: [reading('a', 8)] });
    assert.deepEqual(got, [7, 8]);
  });
});
