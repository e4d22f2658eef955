/** The fuzz generators repeat themselves for a seed (so that a failure can be replayed), and differ between seeds. */
import { strict as assert } from 'node:assert';
import { ConfigFuzz } from './configFuzz';
import { JsonRpcFuzz } from './jsonRpcFuzz';

describe('input fuzzing: the generators', () => {
  const target = { deviceId: 'plant', tags: ['level', 'holding:1'] };

  it('make the same messages and documents for the same seed, and others for another', () => {
    const messages = (seed: number) => {
      const f = new JsonRpcFuzz(seed, target);
      return Array.from({ length: 300 }, () => f.next().body.toString('latin1'));
    };
    assert.deepEqual(messages(7), messages(7));
    assert.notDeepEqual(messages(7), messages(8));
    const documents = (seed: number) => {
      const f = new ConfigFuzz(seed, { id: 'plant' });
      return Array.from({ length: 50 }, () => f.next().text);
    };
    assert.deepEqual(documents(7), documents(7));
    assert.notDeepEqual(documents(7), documents(8));
  });

  it('make every category, with ids that never repeat', () => {
    const f = new JsonRpcFuzz(1, target, 'p-');
    const seen = new Set<string>();
    const ids = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const m = f.next();
      seen.add(m.category);
      if (m.expect.kind === 'answer') {
        const key = JSON.stringify(m.expect.id);
        assert.ok(!ids.has(key), key);
        ids.add(key);
      }
    }
    assert.equal(seen.size, 14);
  });
});
