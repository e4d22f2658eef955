import { strict as assert } from 'node:assert';
import { builtinDrivers } from '../../gateway/drivers';
import { validateConfig } from '../../gateway/config';
import type { ModbusTcpSettings } from '../../gateway/modbus/settings';

const own = (d: { driver: unknown }) => d.driver as ModbusTcpSettings;

const device = (tags: unknown[], extra: object = {}) => ({ devices: [{ id: 'plc1', protocol: 'modbus-tcp', host: '127.0.0.1', tags, ...extra }] });

describe('configuration validation', () => {
  it('fills in the defaults', () => {
    const { devices, problems, usable } = validateConfig(device([]), 'config', builtinDrivers());
    assert.equal(usable, true);
    assert.deepEqual(problems, []);
    const d = devices[0]!;
    assert.deepEqual(
      [own(d).port, own(d).unitId, d.timeoutMs, d.pollIntervalMs, d.allowWrites, d.enabled, d.name],
      [502, 1, 1000, 1000, false, true, 'plc1'],
    );
    assert.deepEqual(own(d).limits, { maxRegisters: 125, maxBits: 2000, maxRegisterGap: undefined, maxBitGap: undefined }, 'reads are planned by cost unless "maxGap" caps them');
  });

  it('takes scale and offset beside an address string, but not twice', () => {
    const ok = validateConfig(device([{ name: 'f', address: '40101', scale: 0.01, offset: 5 }]), 'config', builtinDrivers());
    assert.deepEqual(ok.problems, []);
    assert.deepEqual([own(ok.devices[0]!).tags[0]!.address.scale, own(ok.devices[0]!).tags[0]!.address.offset], [0.01, 5]);
    const twice = validateConfig(device([{ name: 'f', address: '40101*0.01', offset: 5 }]), 'config', builtinDrivers());
    assert.equal(twice.problems[0]!.path, '/devices/0/tags/0/offset');
    assert.match(twice.problems[0]!.message, /already sets the scale and offset/);
    assert.equal(own(twice.devices[0]!).tags.length, 0);
  });

  it('refuses a document that is not a configuration, so that nothing of it is applied', () => {
    for (const doc of [null, [], 'devices', {}, { devices: {} }]) {
      const r = validateConfig(doc, 'config', builtinDrivers());
      assert.equal(r.usable, false, JSON.stringify(doc));
      assert.equal(r.problems[0]!.severity, 'error');
    }
  });

  it('warns about unknown settings and keeps the device', () => {
    const r = validateConfig(device([{ name: 'x', area: 'holding', address: 1, colour: 'red' }], { speed: 'fast' }), 'config', builtinDrivers());
    assert.deepEqual(r.problems.map((p) => [p.path, p.severity]), [['/devices/0/speed', 'warning'], ['/devices/0/tags/0/colour', 'warning']]);
    assert.equal(own(r.devices[0]!).tags.length, 1);
  });

  it('refuses a tag larger than the device reads at once', () => {
    const r = validateConfig(device([{ name: 's', address: 'holding:0:string:100' }], { maxRegistersPerRead: 60 }), 'config', builtinDrivers());
    assert.match(r.problems[0]!.message, /spans 100 registers, more than this device reads at once \(60\)/);
  });

  it('names the device and tag of each problem, and what its error left out', () => {
    const r = validateConfig(
      {
        devices: [
          { id: 'press', protocol: 'modbus-tcp', host: '127.0.0.1', colour: 'red', tags: [{ name: 'ok', address: 'holding:0' }, { name: 'speed', address: 'holding:abc' }] },
          { id: 'nobody-home', protocol: 'modbus-tcp', tags: [{ name: 'level', address: 'holding:1' }] },
          { id: 'press', protocol: 'modbus-tcp', host: '127.0.0.2' },
        ],
      },
      'config',
      builtinDrivers(),
    );
    assert.deepEqual(r.devices.map((d) => d.id), ['press']);
    assert.deepEqual(own(r.devices[0]!).tags.map((t) => t.key), ['ok']);
    const shape = r.problems.map(({ path, severity, device, tag, skipped, entry }) => ({ path, severity, device, tag, skipped, entry }));
    assert.deepEqual(shape, [
      { path: '/devices/0/colour', severity: 'warning', device: 'press', tag: undefined, skipped: undefined, entry: undefined },
      { path: '/devices/0/tags/1/address', severity: 'error', device: 'press', tag: 'speed', skipped: 'tag', entry: '/devices/0/tags/1' },
      { path: '/devices/1/host', severity: 'error', device: 'nobody-home', tag: undefined, skipped: 'device', entry: '/devices/1' },
      { path: '/devices/2/id', severity: 'error', device: 'press', tag: undefined, skipped: 'device', entry: '/devices/2' },
    ]);
    assert.match(r.problems[1]!.message, /abc/);
    assert.equal(r.problems[2]!.message, 'a Modbus TCP device needs a "host" (name or IP address)');
  });
});
