/**
 * A Sparkplug B edge node's messages: the Will and NBIRTH share a session's bdSeq, which moves on
 * with every new session; seq runs 0-255 from the NBIRTH across every message of the node;
 * aliases are unique in the node and DDATA goes by alias; a rebirth request is recognised only on
 * the node's own NCMD topic.
 */
import { strict as assert } from 'node:assert';
import { REBIRTH, SparkplugEdgeNode } from '../../gateway/mqtt/sparkplug/edgeNode';
import { decodePayload, encodePayload } from '../../gateway/mqtt/sparkplug/payload';

const T = 1_700_000_000_000;

describe('Sparkplug B edge node', () => {
  it('a session: NDEATH as the Will and NBIRTH carry the same bdSeq, the next session the next one, wrapping at 255', () => {
    const node = new SparkplugEdgeNode('plant1', 'line2-gw', 254);
    const will = node.newSession();
    assert.equal(will.topic, 'spBv1.0/plant1/NDEATH/line2-gw');
    assert.deepEqual(decodePayload(will.payload).metrics.map((m) => [m.name, m.datatype, m.value]), [['bdSeq', 'UInt64', 254n]]);
    const birth = decodePayload(node.nbirth(T).payload);
    assert.equal(birth.seq, 0);
    assert.deepEqual(birth.metrics.map((m) => [m.name, m.value]), [['bdSeq', 254n], [REBIRTH, false]]);
    assert.equal(decodePayload(node.newSession().payload).metrics[0]!.value, 255n);
    // A session that never got to its NBIRTH still used its bdSeq.
    assert.equal(decodePayload(node.newSession().payload).metrics[0]!.value, 0n);
    assert.equal(node.currentBdSeq, 0);
  });

  it('DBIRTH gives aliases unique in the node; DDATA sends values by alias with their datatype; seq counts every message and wraps', () => {
    const node = new SparkplugEdgeNode('plant1', 'gw');
    node.newSession();
    node.nbirth(T);
    const tank = decodePayload(node.dbirth('demo-tank', [
      { name: 'level', datatype: 'Double', value: 55.2, timestamp: T, properties: { engUnit: { type: 'String', value: '%' } } },
      { name: 'pump_running', datatype: 'Boolean', value: true, timestamp: T },
    ], T).payload);
    assert.equal(tank.seq, 1);
    assert.deepEqual(tank.metrics.map((m) => [m.name, m.alias, m.value]), [['level', 1n, 55.2], ['pump_running', 2n, true]]);
    assert.deepEqual(tank.metrics[0]!.properties, { engUnit: { type: 'String', value: '%' } });
    const boiler = decodePayload(node.dbirth('demo-boiler', [{ name: 'level', datatype: 'Int16', value: -3, timestamp: T }], T).payload);
    assert.deepEqual(boiler.metrics.map((m) => [m.name, m.alias]), [['level', 3n]], 'the same name on another device gets its own alias');
    const data = node.ddata('demo-tank', [{ name: 'pump_running', value: false, timestamp: T + 100 }], T + 100);
    assert.equal(data.topic, 'spBv1.0/plant1/DDATA/gw/demo-tank');
    assert.deepEqual(decodePayload(data.payload), { timestamp: T + 100, seq: 3, metrics: [{ alias: 2n, datatype: 'Boolean', value: false, timestamp: T + 100 }] });
    for (let i = 0; i < 252; i++) node.ddata('demo-tank', [{ name: 'level', value: i, timestamp: T }]);
    assert.equal(decodePayload(node.ddata('demo-tank', [{ name: 'level', value: 1, timestamp: T }]).payload).seq, 0, 'after 255 comes 0');
    const death = node.ddeath('demo-tank', T);
    assert.equal(death.topic, 'spBv1.0/plant1/DDEATH/gw/demo-tank');
    assert.equal(decodePayload(death.payload).seq, 1);
    assert.equal(node.isBorn('demo-tank'), false);
  });

  it('refuses what a host would misread: DDATA before DBIRTH, a metric not born, messages before NBIRTH, ids a topic cannot carry', () => {
    const node = new SparkplugEdgeNode('plant1', 'gw');
    node.newSession();
    assert.throws(() => node.dbirth('d', []), /no NBIRTH in this session/);
    node.nbirth();
    assert.throws(() => node.ddata('d', [{ name: 'x', value: 1, timestamp: T }]), /no DBIRTH in this session/);
    node.dbirth('d', [{ name: 'x', datatype: 'Int32', value: 1, timestamp: T }]);
    assert.throws(() => node.ddata('d', [{ name: 'y', value: 1, timestamp: T }]), /"y" was not in its DBIRTH/);
    assert.throws(() => node.ddata('d', [{ name: 'x', value: 2 ** 40, timestamp: T }]), /does not fit an Int32/);
    assert.throws(() => node.dbirth('a/b', []), /"\/"/);
    assert.throws(() => new SparkplugEdgeNode('plant+1', 'gw'), /groupId "plant\+1"/);
    // A new session forgets what was born: devices are born again after the next NBIRTH.
    node.newSession();
    assert.throws(() => node.ddata('d', [{ name: 'x', value: 1, timestamp: T }]), /no NBIRTH/);
  });

  it('a rebirth request is Node Control/Rebirth true on the NCMD topic of the node; anything else is ignored', () => {
    const node = new SparkplugEdgeNode('plant1', 'gw');
    const rebirth = encodePayload({ timestamp: T, metrics: [{ name: REBIRTH, datatype: 'Boolean', value: true }] });
    assert.equal(node.command('spBv1.0/plant1/NCMD/gw', rebirth), 'rebirth');
    assert.equal(node.command('spBv1.0/plant1/NCMD/other', rebirth), undefined);
    assert.equal(node.command('spBv1.0/plant1/NCMD/gw', encodePayload({ metrics: [{ name: REBIRTH, datatype: 'Boolean', value: false }] })), undefined);
    assert.equal(node.command('spBv1.0/plant1/NCMD/gw', new Uint8Array([0xff, 0xff, 0xff])), undefined, 'garbage is ignored');
  });
});
