import { strict as assert } from 'node:assert';
import { preview } from '../../gateway/errors';

describe('preview (values in error messages)', () => {
  it('shows what JSON.stringify shows, cut to 60 characters', () => {
    const values: unknown[] = [1, -0, 1e21, 'text', '"quoted"\n', null, true, [1, [2, [3]]], { a: 1, b: [null, { c: 'd' }] }, [undefined, 2], { skip: undefined, keep: 1 }, 'x'.repeat(100), Array(50).fill(12345), { 'a"b': '\u0000' }];
    for (const v of values) {
      const json = JSON.stringify(v);
      assert.equal(preview(v), json.length > 60 ? `${json.slice(0, 57)}...` : json, json);
    }
    assert.equal(preview(undefined), 'nothing');
    assert.equal(preview('abcdef', 5), '"a...');
  });

  it('does not walk more than it shows: 100,000 levels, a 50 MB string', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    assert.throws(() => JSON.stringify(deep), RangeError);
    assert.equal(preview(deep), `${'['.repeat(57)}...`);
    assert.equal(preview({ s: 'y'.repeat(50_000_000) }), `{"s":"${'y'.repeat(51)}...`);
  });
});
