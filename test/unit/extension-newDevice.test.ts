import * as assert from 'node:assert/strict';
import type { DeviceField } from '../../gateway/protocol';
import { checkDeviceId, checkField, newDevice } from '../../extension/config/newDevice';

const host: DeviceField = { key: 'host', label: 'Host name or IP address', kind: 'string', required: true, placeholder: '192.168.0.10' };
const port: DeviceField = { key: 'port', label: 'TCP port', kind: 'integer', required: false, default: 502, min: 1, max: 65535 };
const shared: DeviceField = { key: 'shareConnection', label: 'Share the connection', kind: 'boolean', required: false };
const rate: DeviceField = { key: 'rate', label: 'Sampling rate', kind: 'number', required: true, min: 0.5, max: 100 };

describe('extension: a new device from the protocol\'s fields', () => {
  it('checks each field from its kind, limits and whether it is required', () => {
    assert.match(checkField(host, ' ')!, /^Enter host name or IP address, e\.g\. 192\.168\.0\.10\.$/);
    assert.equal(checkField(host, '10.0.0.3'), undefined);
    assert.equal(checkField(port, ''), undefined, 'optional');
    assert.match(checkField(port, '70000')!, /out of range: enter a whole number from 1 to 65535/);
    assert.match(checkField(port, '5o2')!, /whole number/);
    assert.equal(checkField(shared, 'TRUE'), undefined);
    assert.match(checkField(shared, 'yes')!, /true or false/);
  });

  it('builds the entry with typed values, leaving out optional fields left empty', () => {
    const entry = newDevice('modbus-tcp', ' press-3 ', 'Press 3', [
      { field: host, text: '10.0.0.3' },
      { field: port, text: '1502' },
      { field: shared, text: '' },
    ]);
    assert.deepEqual(entry, { id: 'press-3', name: 'Press 3', protocol: 'modbus-tcp', host: '10.0.0.3', port: 1502, tags: [] });
    assert.deepEqual(Object.keys(newDevice('memory', 'm', '', [])), ['id', 'protocol', 'tags']);
  });

  it('takes numbers with fractions for a number field, within its limits', () => {
    assert.equal(checkField(rate, '2.5'), undefined);
    assert.match(checkField(rate, '0.1')!, /out of range: enter a number from 0.5 to 100/);
    assert.match(checkField(rate, 'fast')!, /^Enter a number from 0.5 to 100\.$/);
    assert.deepEqual(newDevice('memory', 'm', '', [{ field: rate, text: '2.5' }]), { id: 'm', protocol: 'memory', rate: 2.5, tags: [] });
  });

  it('checks the id', () => {
    assert.equal(checkDeviceId('press-3', ['a']), undefined);
    assert.match(checkDeviceId('a', ['a'])!, /exists already/);
    assert.match(checkDeviceId('bad id', [])!, /letters, digits/);
  });
});
