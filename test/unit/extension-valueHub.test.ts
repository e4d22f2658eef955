import * as assert from 'node:assert/strict';
import { ErrorCodes } from '../../gateway/protocol';
import type { SubscribeParams, SubscribeResult, TagReading } from '../../gateway/protocol';
import { SubscriptionTransport, ValueHub } from '../../extension/client/valueHub';

interface Request {
  params: SubscribeParams;
  resolve(r: SubscribeResult): void;
  reject(e: Error): void;
}

/**
 * One gateway process as the hub sees it: it records every subscribe and unsubscribe and knows
 * which subscriptions are live. It answers at once, or, with `hold`, when the test says so.
 */
class FakeGateway implements SubscriptionTransport {
  readonly requests: SubscribeParams[] = [];
  readonly unsubscribed: string[] = [];
  readonly live = new Map<string, SubscribeParams>();
  readonly waiting: Request[] = [];
  hold = false;
  /** Refs the gateway does not know: a subscribe naming one of them is refused whole (1002). */
  unknown = new Set<string>();
  /** Ref → the key readings are reported under, when it differs. */
  keys = new Map<string, string>();
  private next = 1;

  constructor(readonly name: string) {}

  subscribe(params: SubscribeParams): Promise<SubscribeResult> {
    this.requests.push(params);
    return new Promise((resolve, reject) => {
      const request = { params, resolve, reject };
      if (this.hold) this.waiting.push(request);
      else this.answer(request);
    });
  }

  async unsubscribe(id: string): Promise<void> {
    this.unsubscribed.push(id);
    this.live.delete(id);
  }

  answer(request: Request = this.waiting.shift()!): string | undefined {
    const bad = request.params.tags.find((t) => this.unknown.has(String(t)));
    if (bad !== undefined) {
      request.reject(Object.assign(new Error(`no configured tag has the name "${String(bad)}"`), { code: ErrorCodes.BadTagRef }));
      return undefined;
    }
    const id = `${this.name}-s${this.next++}`;
    this.live.set(id, request.params);
    request.resolve({
      subscriptionId: id,
      tags: request.params.tags.map((t) => this.keys.get(String(t)) ?? String(t)),
      intervalMs: request.params.intervalMs ?? 1000,
    });
    return id;
  }

  /** The live subscription that covers `tag` (the test asserts there is exactly one). */
  idsFor(deviceId: string, tag: string): string[] {
    return [...this.live].filter(([, p]) => p.deviceId === deviceId && p.tags.includes(tag)).map(([id]) => id);
  }
}

const reading = (tag: string, value: number, timestamp = 1): TagReading => ({ tag, value, quality: 'good', timestamp });
const settle = () => new Promise((r) => setImmediate(r));

/** A view: what it was given, as `tag=value`. */
function view() {
  const got: string[] = [];
  return { got, onValues: (items: TagReading[]) => got.push(...items.map((i) => `${i.tag}=${i.value}`)) };
}

describe('extension: value hub', () => {
  let hub: ValueHub;
  let gw: FakeGateway;

  beforeEach(async () => {
    hub = new ValueHub();
    gw = new FakeGateway('g1');
    await hub.attach(gw);
  });

  it('the tree and two panels on the same tags make one gateway subscription, and each reading reaches all three once', async () => {
    const tree = view();
    const panelA = view();
    const panelB = view();
    hub.subscribe('plc', ['a', 'b', 'c'], undefined, tree.onValues);
    await settle();
    hub.subscribe('plc', ['a', 'b'], undefined, panelA.onValues);
    hub.subscribe('plc', ['b', 'c'], undefined, panelB.onValues);
    await settle();
    assert.deepEqual(gw.requests, [{ deviceId: 'plc', tags: ['a', 'b', 'c'] }]);
    assert.equal(gw.live.size, 1);
    assert.equal(hub.gatewaySubscriptions().length, 1);

    const [id] = gw.live.keys();
    hub.dispatch({ subscriptionId: id, items: [reading('a', 1), reading('b', 2), reading('c', 3)] });
    assert.deepEqual(tree.got, ['a=1', 'b=2', 'c=3']);
    assert.deepEqual(panelA.got, ['a=1', 'b=2']);
    assert.deepEqual(panelB.got, ['b=2', 'c=3']);
  });

  it('a view that joins later gets the last readings at once, without a request', async () => {
    const tree = view();
    hub.subscribe('plc', ['a', 'b'], undefined, tree.onValues);
    await settle();
    hub.dispatch({ subscriptionId: gw.idsFor('plc', 'a')[0], items: [reading('a', 7), reading('b', 8)] });
    const late = view();
    hub.subscribe('plc', ['b'], undefined, late.onValues);
    await settle();
    assert.deepEqual(late.got, ['b=8']);
    assert.equal(gw.requests.length, 1);
    assert.equal(hub.last('plc', 'a')?.value, 7);
  });

  it('a panel closing leaves the tree\'s values flowing on the same subscription', async () => {
    const tree = view();
    const panel = view();
    hub.subscribe('plc', ['a', 'b'], undefined, tree.onValues);
    const panelHandle = hub.subscribe('plc', ['a'], undefined, panel.onValues);
    await settle();
    const [id] = gw.live.keys();
    panelHandle.dispose();
    await settle();
    assert.deepEqual(gw.unsubscribed, []);
    hub.dispatch({ subscriptionId: id, items: [reading('a', 5)] });
    assert.deepEqual(tree.got, ['a=5']);
    assert.deepEqual(panel.got, []);
  });

  it('leaves no gateway subscription behind once every view is gone, also one still waiting for its answer', async () => {
    const handles = [hub.subscribe('plc', ['a', 'b'], undefined, () => undefined), hub.subscribe('plc', ['b'], 100, () => undefined)];
    await settle();
    gw.hold = true;
    handles.push(hub.subscribe('plc', ['z'], undefined, () => undefined), hub.subscribe('other', ['x'], undefined, () => undefined));
    await settle();
    assert.equal(gw.waiting.length, 2);
    handles.forEach((h) => h.dispose());
    await settle();
    while (gw.waiting.length > 0) gw.answer();
    await settle();
    assert.deepEqual([...gw.live.keys()], [], 'gateway subscriptions left');
    assert.deepEqual(hub.gatewaySubscriptions(), []);
    assert.equal(gw.unsubscribed.length, 4);
  });

  it('a new gateway process gets one subscription per device and interval, and the old ids mean nothing', async () => {
    const tree = view();
    const panel = view();
    hub.subscribe('plc', ['a', 'b'], undefined, tree.onValues);
    await settle();
    hub.subscribe('plc', ['b', 'c'], undefined, panel.onValues); // c: a second subscription on g1
    hub.subscribe('plc', ['a'], 100, panel.onValues);
    await settle();
    assert.equal(gw.live.size, 3);
    const oldId = gw.idsFor('plc', 'a')[0];

    hub.detach();
    const gw2 = new FakeGateway('g2');
    await hub.attach(gw2);
    assert.deepEqual(
      gw2.requests.map((r) => [r.deviceId, r.intervalMs, [...r.tags].sort()]),
      [
        ['plc', undefined, ['a', 'b', 'c']],
        ['plc', 100, ['a']],
      ],
    );
    hub.dispatch({ subscriptionId: oldId, items: [reading('a', 1)] });
    hub.dispatch({ subscriptionId: gw2.idsFor('plc', 'c')[0], items: [reading('a', 2), reading('c', 3)] });
    assert.deepEqual(tree.got, ['a=2']);
    assert.deepEqual(panel.got, ['c=3']);
  });

  it('forgets every reading when the gateway goes: a value of a dead process is not current', async () => {
    hub.subscribe('plc', ['a'], undefined, () => undefined);
    await settle();
    hub.dispatch({ subscriptionId: gw.idsFor('plc', 'a')[0], items: [reading('a', 1)] });
    hub.detach();
    assert.equal(hub.last('plc', 'a'), undefined);
  });

  it('ignores an answer from a gateway that has gone meanwhile', async () => {
    gw.hold = true;
    hub.subscribe('plc', ['a'], undefined, () => assert.fail('no values expected'));
    await settle();
    hub.detach();
    const gw2 = new FakeGateway('g2');
    gw2.hold = true;
    void hub.attach(gw2);
    const staleId = gw.answer()!;
    await settle();
    hub.dispatch({ subscriptionId: staleId, items: [reading('a', 1)] });
    assert.deepEqual(hub.gatewaySubscriptions(), []);
  });

  it('a panel that re-subscribes a device with one more tag costs one request for that tag and none for the others', async () => {
    const tree = view();
    hub.subscribe('plc', ['a', 'b'], undefined, tree.onValues);
    let panel = hub.subscribe('plc', ['a'], undefined, () => undefined);
    await settle();
    // What a panel does when a tag is added: drop its subscription, make one with every tag.
    panel.dispose();
    panel = hub.subscribe('plc', ['a', 'x'], undefined, () => undefined);
    await settle();
    assert.deepEqual(gw.requests, [
      { deviceId: 'plc', tags: ['a', 'b'] },
      { deviceId: 'plc', tags: ['x'] },
    ]);
    assert.deepEqual(gw.unsubscribed, []);
    panel.dispose();
  });

  it('replaces a subscription when most of its tags are no longer shown, before ending it', async () => {
    const tree = hub.subscribe('plc', ['a', 'b', 'c', 'd'], undefined, () => undefined);
    const panel = view();
    hub.subscribe('plc', ['a'], undefined, panel.onValues);
    await settle();
    const [treeId] = gw.live.keys();
    gw.hold = true;
    tree.dispose(); // the tree is hidden: only the panel's tag is wanted
    await settle();
    assert.deepEqual(gw.requests.at(-1), { deviceId: 'plc', tags: ['a'] });
    assert.deepEqual(gw.unsubscribed, [], 'the old one runs until its replacement is there');
    hub.dispatch({ subscriptionId: treeId, items: [reading('a', 1)] });
    const newId = gw.answer()!;
    await settle();
    assert.deepEqual(gw.unsubscribed, [treeId]);
    hub.dispatch({ subscriptionId: treeId, items: [reading('a', 2)] }); // late, from the ended one
    hub.dispatch({ subscriptionId: newId, items: [reading('a', 3)] });
    assert.deepEqual(panel.got, ['a=1', 'a=3']);
    assert.deepEqual(gw.idsFor('plc', 'a'), [newId]);
  });

  it('ends up with no tag in two subscriptions when views come back while a replacement is on its way', async () => {
    let tree = hub.subscribe('plc', ['a', 'b', 'c', 'd'], undefined, () => undefined);
    hub.subscribe('plc', ['a'], undefined, () => undefined);
    await settle();
    gw.hold = true;
    tree.dispose(); // hidden: a replacement for 'a' is asked for
    await settle();
    tree = hub.subscribe('plc', ['a', 'b', 'c', 'd'], undefined, () => undefined); // shown again
    await settle();
    while (gw.waiting.length > 0) {
      gw.answer();
      await settle();
    }
    for (const t of ['a', 'b', 'c', 'd']) assert.equal(gw.idsFor('plc', t).length, 1, `${t} is in ${gw.idsFor('plc', t).length} gateway subscriptions`);
    tree.dispose();
  });

  it('merges the small subscriptions of tags added one by one into one', async () => {
    const panel = view();
    const handles = [];
    for (const t of ['a', 'b', 'c', 'd', 'e']) {
      handles.push(hub.subscribe('plc', [t], undefined, panel.onValues));
      await settle();
    }
    await settle();
    assert.equal(gw.live.size, 1, `live: ${JSON.stringify([...gw.live.values()])}`);
    assert.deepEqual([...gw.live.values()][0].tags, ['a', 'b', 'c', 'd', 'e']);
    hub.dispatch({ subscriptionId: [...gw.live.keys()][0], items: [reading('e', 5)] });
    assert.deepEqual(panel.got, ['e=5']);
    handles.forEach((h) => h.dispose());
  });

  it('a tag the gateway does not know turns only that tag bad; the others still get values', async () => {
    const errors: string[] = [];
    hub = new ValueHub({ onError: (d, m) => errors.push(`${d}: ${m}`) });
    await hub.attach(gw);
    gw.unknown.add('gone');
    const panel = view();
    const got: TagReading[] = [];
    hub.subscribe('plc', ['a', 'gone', 'b', 'c'], undefined, (items) => {
      got.push(...items);
      panel.onValues(items);
    });
    await settle();
    await settle();
    const live = [...gw.live.values()].flatMap((p) => p.tags).sort();
    assert.deepEqual(live, ['a', 'b', 'c']);
    const bad = got.find((r) => r.tag === 'gone');
    assert.equal(bad?.quality, 'bad');
    assert.equal(bad?.value, null);
    assert.match(bad?.error ?? '', /no configured tag has the name "gone"/);
    assert.equal(errors.length, 1);
    hub.dispatch({ subscriptionId: gw.idsFor('plc', 'b')[0], items: [reading('b', 4)] });
    assert.ok(panel.got.includes('b=4'));
  });

  it('tries refused tags again when asked (the device list changed)', async () => {
    gw.unknown.add('later');
    const panel = view();
    hub.subscribe('plc', ['later'], undefined, panel.onValues);
    await settle();
    assert.equal(gw.live.size, 0);
    assert.equal(hub.last('plc', 'later')?.quality, 'bad');
    gw.unknown.clear();
    hub.retryFailed();
    await settle();
    assert.equal(gw.live.size, 1);
    hub.dispatch({ subscriptionId: gw.idsFor('plc', 'later')[0], items: [reading('later', 9)] });
    assert.deepEqual(panel.got.at(-1), 'later=9');
  });

  it('hands readings over under the ref asked for when the gateway reports them under another key', async () => {
    gw.keys.set('40101', 'holding:100');
    const panel = view();
    hub.subscribe('plc', ['40101'], undefined, panel.onValues);
    await settle();
    hub.dispatch({ subscriptionId: gw.idsFor('plc', '40101')[0], items: [reading('holding:100', 12)] });
    assert.deepEqual(panel.got, ['40101=12']);
    assert.equal(hub.last('plc', '40101')?.value, 12);
  });

  it('keeps values that arrive before the subscribe answer and replays them', async () => {
    gw.hold = true;
    const panel = view();
    hub.subscribe('plc', ['a'], undefined, panel.onValues);
    await settle();
    hub.dispatch({ subscriptionId: 'g1-s1', items: [reading('a', 7)] });
    gw.answer();
    await settle();
    hub.dispatch({ subscriptionId: 'g1-s1', items: [reading('a', 8)] });
    assert.deepEqual(panel.got, ['a=7', 'a=8']);
  });

  it('a Read result reaches the views that show the tag', async () => {
    const tree = view();
    hub.subscribe('plc', ['a'], undefined, tree.onValues);
    await settle();
    hub.publish('plc', [reading('a', 42, 5), reading('unshown', 1, 5)]);
    assert.deepEqual(tree.got, ['a=42']);
    assert.equal(hub.last('plc', 'a')?.value, 42);
    assert.equal(hub.last('plc', 'unshown'), undefined, 'nothing reports it: not kept as if it were current');
  });

  it('counts the readings that crossed the wire when asked to', async () => {
    hub = new ValueHub({ countReadings: true });
    await hub.attach(gw);
    hub.subscribe('plc', ['a'], undefined, () => undefined);
    hub.subscribe('plc', ['a'], undefined, () => undefined);
    await settle();
    hub.dispatch({ subscriptionId: gw.idsFor('plc', 'a')[0], items: [reading('a', 1)] });
    assert.equal(hub.readingsReceived('plc', 'a'), 1);
  });
});
