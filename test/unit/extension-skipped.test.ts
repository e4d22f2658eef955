import * as assert from 'node:assert/strict';
import { validateConfig } from '../../gateway/config';
import { builtinDrivers } from '../../gateway/drivers';
import { problemText, skippedEntries } from '../../extension/config/skipped';
import { shortened } from '../../extension/format';

describe('extension: what the gateway left out of bifrost.json, in words', () => {
  const doc = {
    devices: [
      { id: 'press', protocol: 'modbus-tcp', host: '127.0.0.1', colour: 'red', tags: [{ name: 'speed', address: 'holding:abc' }, { address: 'holding:1' }] },
      { id: 'nobody-home', name: 'Nobody Home', protocol: 'modbus-tcp', port: 70000 },
      { protocol: 'modbus-tcp', host: '127.0.0.1' },
    ],
  };
  // The gateway's own answer, so that these words are checked against what it really reports.
  const { problems } = validateConfig(doc, 'config', builtinDrivers());

  it('groups the errors by the entry they left out, named as the file names it', () => {
    const entries = skippedEntries(problems, doc);
    assert.deepEqual(
      entries.map((e) => [e.kind, e.entry, e.label, e.deviceId, e.problems.map((p) => p.path)]),
      [
        ['tag', '/devices/0/tags/0', 'speed', 'press', ['/devices/0/tags/0/address']],
        ['tag', '/devices/0/tags/1', 'tag 2 (no name)', 'press', ['/devices/0/tags/1/name']],
        ['device', '/devices/1', 'Nobody Home', 'nobody-home', ['/devices/1/host', '/devices/1/port']],
        ['device', '/devices/2', 'device 3 (no id)', undefined, ['/devices/2/id']],
      ],
    );
  });

  it('names the device and tag of every problem and says what was skipped', () => {
    const texts = problems.map(problemText);
    assert.deepEqual(texts.slice(0, 1), ['Device "press": unknown device setting "colour" is ignored']);
    assert.match(texts[1]!, /^Tag "speed" of device "press" skipped: .*abc/);
    assert.equal(texts[2], 'A tag without a name of device "press" skipped: every tag needs a "name"');
    assert.equal(texts[3], 'Device "nobody-home" skipped: a Modbus TCP device needs a "host" (name or IP address)');
    assert.equal(texts[4], 'Device "nobody-home" skipped: "port" must be a whole number from 1 to 65535 (got 70000)');
    assert.match(texts[5]!, /^A device without a valid id skipped: every device needs an "id"/);
  });
});

describe('extension: notifications too long to show whole', () => {
  it('keeps a message that fits', () => {
    assert.equal(shortened('Test Rig › setpoint is now 1450 rpm (confirmed by the device at 10:00:00.000).'), undefined);
  });

  it('cuts a long one at a word, and a message of several lines after its first', () => {
    const long = 'rig: not connected, cannot do reading holding registers 0-10: connection refused by 192.168.10.20:502 (nothing listens there?)';
    const short = shortened(long)!;
    assert.ok(short.length <= 111, short);
    assert.ok(short.endsWith('…'));
    assert.ok(long.startsWith(short.slice(0, -1)), `${short} is not the start of the message`);
    assert.match(long.charAt(short.length - 1), /[\s,;:(]/, 'cut inside a word');
    assert.equal(shortened('The gateway failed.\nat Object.<anonymous> (gateway.js:1:1)'), 'The gateway failed. …');
  });
});
