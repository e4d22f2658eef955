import * as assert from 'node:assert/strict';
import type { BrowseParams, BrowseResult } from '../../gateway/protocol';
import { BROWSE_PAGE, BrowseCache } from '../../extension/tree/browseCache';

const describeError = (err: unknown) => (err instanceof Error ? err.message : String(err));

describe('extension: browse cache', () => {
  it('asks for pages of BROWSE_PAGE items and keeps the result', async () => {
    const asked: BrowseParams[] = [];
    const cache = new BrowseCache(describeError);
    const request = async (p: BrowseParams): Promise<BrowseResult> => {
      asked.push(p);
      return p.continuation ? { items: [{ ref: 'b', name: 'b', nodeClass: 'variable', hasChildren: false }] } : { items: [{ ref: 'a', name: 'a', nodeClass: 'variable', hasChildren: false }], continuation: 'next' };
    };
    const first = await cache.children('g', 'plc', undefined, request);
    assert.deepEqual('items' in first && first.items.map((i) => i.ref), ['a', 'b']);
    assert.deepEqual(asked, [
      { deviceId: 'plc', maxItems: BROWSE_PAGE },
      { deviceId: 'plc', maxItems: BROWSE_PAGE, continuation: 'next' },
    ]);
    assert.equal(await cache.children('g', 'plc', undefined, request), first);
    assert.equal(asked.length, 2);
  });

  it('cancels a browse on its way when its device is dropped', async () => {
    const cache = new BrowseCache(describeError);
    let signal: AbortSignal | undefined;
    const outcome = cache.children('g', 'plc', 'ns=1;s=Big', (_p, s) => {
      signal = s;
      return new Promise((_resolve, reject) => s.addEventListener('abort', () => reject(new Error('cancelled by the client'))));
    });
    cache.drop('g', 'plc');
    assert.deepEqual(await outcome, { cancelled: true });
    assert.equal(signal?.aborted, true);
  });

  it('keeps a failure as its message until it is dropped', async () => {
    const cache = new BrowseCache(describeError);
    let calls = 0;
    const failing = async (): Promise<BrowseResult> => {
      calls++;
      throw new Error('plc: not connected');
    };
    assert.deepEqual(await cache.children('g', 'plc', undefined, failing), { error: 'plc: not connected' });
    await cache.children('g', 'plc', undefined, failing);
    assert.equal(calls, 1);
    assert.equal(cache.dropFailed('g', 'plc'), true);
    await cache.children('g', 'plc', undefined, failing);
    assert.equal(calls, 2);
  });

  it('refuses a gateway that sends the same continuation twice', async () => {
    const cache = new BrowseCache(describeError);
    const loop = async (): Promise<BrowseResult> => ({ items: [], continuation: 'same' });
    const outcome = await cache.children('g', 'plc', undefined, loop);
    assert.match('error' in outcome ? outcome.error : '', /same continuation/);
  });
});
