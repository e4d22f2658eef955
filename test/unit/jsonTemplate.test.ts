import { strict as assert } from 'node:assert';
import { builtinDrivers } from '../../gateway/drivers';
import { validateConfig } from '../../gateway/config';
import { compileTopic, PayloadTemplate, type ValueFields } from '../../gateway/mqtt/jsonTemplate';

const reading: ValueFields = {
  device: 'plc1',
  deviceName: 'Press 1',
  tag: 'level',
  value: 21.5,
  quality: 'good',
  timestamp: 1_764_756_000_000,
  time: '2025-12-03T10:00:00.000Z',
  unit: 'm',
  error: null,
};

function payload(template: unknown): PayloadTemplate {
  const t = PayloadTemplate.compile(template);
  if ('error' in t) throw new Error(t.error);
  return t;
}

function problemsOf(entry: Record<string, unknown>) {
  return validateConfig({ devices: [], publish: [entry] }, 'config', builtinDrivers()).problems;
}

describe('mqtt-json templates', () => {
  it('makes a field alone its JSON value, and text around fields text', () => {
    const t = payload({ v: '{value}', q: '{quality}', ts: '{timestamp}', label: '{deviceName}: {tag} in {unit}', nested: ['{value}', 'fixed', 3, null], u: '{error}' });
    assert.deepEqual(JSON.parse(t.render(reading)), { v: 21.5, q: 'good', ts: 1_764_756_000_000, label: 'Press 1: level in m', nested: [21.5, 'fixed', 3, null], u: null });
    assert.equal(payload('{value}').render({ ...reading, value: true }), 'true');
    assert.equal(payload('{tag}={value}').render({ ...reading, value: [1, 2] }), '"level=[1,2]"');
  });

  it('renders a topic from {device} and {tag}', () => {
    const t = compileTopic('site/{device}/{tag}/value');
    assert.ok(!('error' in t));
    assert.equal(t.render(reading), 'site/plc1/level/value');
  });

  it('says which field is unknown, or cannot be used in a topic, and refuses topic wildcards', () => {
    const unknown = compileTopic('site/{device}/{name}');
    assert.ok('error' in unknown);
    assert.match(unknown.error, /there is no field \{name\} \(the fields here are \{device\}, \{tag\}\)/);
    const notInTopic = compileTopic('site/{device}/{value}');
    assert.ok('error' in notInTopic);
    assert.match(notInTopic.error, /\{value\} cannot be used here/);
    for (const [topic, why] of [
      ['site/+/{tag}', /wildcards/],
      ['site/#', /wildcards/],
      ['$SYS/{device}', /starts with "\$"/],
      ['', /empty/],
      ['site/{device', /opens or closes no field/],
    ] as const) {
      const t = compileTopic(topic);
      assert.ok('error' in t, topic);
      assert.match(t.error, why);
    }
    const badPayload = PayloadTemplate.compile({ v: '{value}', x: { deep: '{valeu}' } });
    assert.ok('error' in badPayload);
    assert.match(badPayload.error, /payload\/x\/deep: .*there is no field \{valeu\}/);
  });

  it('is checked with the configuration: a problem names the field', () => {
    const base = { type: 'mqtt-json', broker: 'mqtt://127.0.0.1:1883' };
    const [topic] = problemsOf({ ...base, topic: 'a/{devcie}' });
    assert.equal(topic?.path, '/publish/0/topic');
    assert.match(topic!.message, /"topic": .*there is no field \{devcie\}/);
    const [body] = problemsOf({ ...base, payload: { v: '{vaule}' } });
    assert.equal(body?.path, '/publish/0/payload');
    assert.match(body!.message, /there is no field \{vaule\}/);
    const [unknownKey] = problemsOf({ ...base, groupId: 'g' });
    assert.equal(unknownKey?.severity, 'warning');
    assert.match(unknownKey!.message, /unknown publisher setting "groupId"/);
    const twice = validateConfig({ devices: [], publish: [base, base] }, 'config', builtinDrivers()).problems;
    assert.equal(twice[0]?.path, '/publish/1/topic');
    assert.deepEqual(problemsOf(base), []);
  });

  it('takes a command topic only with {device} and {tag} in it, apart from the value and reply topics', () => {
    const base = { type: 'mqtt-json', broker: 'mqtt://127.0.0.1:1883', topic: 'site/{device}/{tag}' };
    assert.deepEqual(problemsOf({ ...base, commandTopic: '{topic}/set' }), []);
    const [noTag] = problemsOf({ ...base, commandTopic: 'site/{device}/set' });
    assert.equal(noTag?.path, '/publish/0/commandTopic');
    assert.match(noTag!.message, /needs \{device\} and \{tag\}/);
    const [same] = problemsOf({ ...base, commandTopic: '{topic}' });
    assert.match(same!.message, /must differ from "topic"/);
    const [wild] = problemsOf({ ...base, commandTopic: '{topic}/+' });
    assert.match(wild!.message, /wildcards/);
    const [lonely] = problemsOf({ ...base, replyTopic: '{topic}/r' });
    assert.equal(lonely?.severity, 'warning');
  });
});
