import { strict as assert } from 'node:assert';
import { AckWatchdog } from '../../gateway/mqtt/publisherCommon';

describe('MQTT publishers: publishes the broker never acknowledges', () => {
  it('says stuck once the oldest unacknowledged publish waited longer than the limit, not before', () => {
    let t = 0;
    const stuck: number[] = [];
    const w = new AckWatchdog(3000, (waited) => stuck.push(waited), () => t);
    const first = w.sent();
    t = 1000;
    w.sent()();
    t = 2900;
    w.check();
    assert.deepEqual(stuck, []);
    first();
    t = 10_000;
    w.check();
    assert.deepEqual(stuck, [], 'everything was acknowledged');
    w.sent();
    t = 13_001;
    w.check();
    assert.deepEqual(stuck, [3001]);
    assert.equal(w.waiting, 0, 'it forgets what it watched once stuck');
    w.stop();
  });

  it('counts from the oldest one still waiting', () => {
    let t = 0;
    const stuck: number[] = [];
    const w = new AckWatchdog(3000, (waited) => stuck.push(waited), () => t);
    const a = w.sent();
    t = 2000;
    w.sent();
    a();
    t = 4000;
    w.check();
    assert.deepEqual(stuck, [], 'the one still waiting is 2 s old');
    t = 5001;
    w.check();
    assert.deepEqual(stuck, [3001]);
    w.stop();
  });
});
