import { strict as assert } from 'node:assert';
import { CrashWindow } from '../../extension/client/crashWindow';

describe('extension: restarts after gateway crashes', () => {
  it('restarts after each of five crashes and stops at the sixth within three minutes', () => {
    let t = 0;
    const w = new CrashWindow(5, 180_000, () => t);
    for (let i = 0; i < 5; i++) {
      t += 10_000;
      assert.equal(w.crashed(), true, `crash ${i + 1}`);
    }
    t += 10_000;
    assert.equal(w.crashed(), false, 'the sixth crash');
    assert.equal(w.describe(), '6 times within 3 minutes');
  });

  it('forgets crashes older than the window', () => {
    let t = 0;
    const w = new CrashWindow(5, 180_000, () => t);
    for (let i = 0; i < 5; i++) assert.equal(w.crashed(), true);
    t = 180_000; // the first five are now out of the window
    assert.equal(w.crashed(), true);
    for (let i = 0; i < 4; i++) assert.equal(w.crashed(), true);
    assert.equal(w.crashed(), false, 'six within the window again');
  });

  it('starts a new count when the user starts the gateway', () => {
    const w = new CrashWindow(5, 180_000, () => 0);
    for (let i = 0; i < 6; i++) w.crashed();
    w.reset();
    assert.equal(w.crashed(), true);
  });
});
