import { strict as assert } from 'node:assert';
import { ErrorCodes } from '../../gateway/protocol';
import { BifrostError } from '../../gateway/errors';
import { RequestQueue } from '../../gateway/modbus/requestQueue';

/** A request the test finishes by hand, and a log of the order requests started in. */
class Requests {
  readonly started: string[] = [];
  private readonly finish = new Map<string, (value: string) => void>();

  run(name: string): () => Promise<string> {
    return () => {
      this.started.push(name);
      return new Promise<string>((resolve) => this.finish.set(name, resolve));
    };
  }

  end(name: string): void {
    const f = this.finish.get(name);
    assert.ok(f, `${name} has not started (started: ${this.started.join(', ')})`);
    this.finish.delete(name);
    f(name);
  }
}

const settle = () => new Promise((r) => setImmediate(r));

describe('request queue', () => {
  it('runs one request at a time, and user requests before the scan requests that waited longer', async () => {
    const q = new RequestQueue('10.0.0.7:502');
    const r = new Requests();
    const done: string[] = [];
    const add = (priority: 'user' | 'scan', name: string) => q.enqueue(priority, r.run(name)).then((v) => void done.push(v));
    const all = [add('scan', 'scan1'), add('scan', 'scan2'), add('scan', 'scan3'), add('user', 'write'), add('user', 'read')];
    await settle();
    assert.deepEqual(r.started, ['scan1'], 'one request in flight');
    assert.equal(q.depth, 5);
    r.end('scan1');
    await settle();
    assert.deepEqual(r.started, ['scan1', 'write'], 'the user request that came after two scans goes first');
    r.end('write');
    await settle();
    r.end('read');
    await settle();
    r.end('scan2');
    await settle();
    r.end('scan3');
    await Promise.all(all);
    assert.deepEqual(r.started, ['scan1', 'write', 'read', 'scan2', 'scan3']);
    assert.deepEqual(done, r.started, 'each caller gets its own answer');
    assert.equal(q.depth, 0);
  });

  it('lets 64 requests of a kind wait and refuses the next with 1010, while the other kind still queues', async () => {
    const q = new RequestQueue('10.0.0.7:502');
    const r = new Requests();
    const first = q.enqueue('scan', r.run('in flight'));
    const waiting = Array.from({ length: 64 }, (_, i) => q.enqueue('scan', r.run(`scan${i}`)));
    await assert.rejects(q.enqueue('scan', r.run('one too many')), (err: unknown) => {
      assert.ok(err instanceof BifrostError, String(err));
      assert.equal(err.code, ErrorCodes.DeviceBusy);
      assert.equal(err.message, '64 requests already waiting for 10.0.0.7:502; try again later', 'names the connection; the device that asked adds its id');
      return true;
    });
    const user = q.enqueue('user', r.run('user'));
    assert.equal(q.depth, 1 + 64 + 1, 'the refused request never joined the queue');
    r.end('in flight');
    await settle();
    assert.equal(r.started.at(-1), 'user', 'the user request goes before the 64 scans');
    r.end('user');
    for (let i = 0; i < 64; i++) {
      await settle();
      r.end(`scan${i}`);
    }
    await Promise.all([first, user, ...waiting]);
    assert.ok(!r.started.includes('one too many'), 'the refused request never ran');
  });

  it('fails the waiting requests with the reason and lets the one in flight finish', async () => {
    const q = new RequestQueue('10.0.0.7:502');
    const r = new Requests();
    const inFlight = q.enqueue('scan', r.run('in flight'));
    const waitingUser = q.enqueue('user', r.run('user'));
    const waitingScan = q.enqueue('scan', r.run('scan'));
    const lost = new BifrostError(ErrorCodes.DeviceUnavailable, 'plc: connection lost before writing holding register 5');
    q.failAll(lost);
    await assert.rejects(waitingUser, lost);
    await assert.rejects(waitingScan, lost);
    r.end('in flight');
    assert.equal(await inFlight, 'in flight');
    await settle();
    assert.deepEqual(r.started, ['in flight'], 'a failed request is never run afterwards');
    assert.equal(q.depth, 0);
  });

  it('keeps serving after a request fails', async () => {
    const q = new RequestQueue('10.0.0.7:502');
    const r = new Requests();
    const failing = q.enqueue('user', () => Promise.reject(new Error('plc: no answer within 300 ms')));
    const next = q.enqueue('scan', r.run('next'));
    await assert.rejects(failing, /no answer within 300 ms/);
    await settle();
    r.end('next');
    assert.equal(await next, 'next');
  });
});
