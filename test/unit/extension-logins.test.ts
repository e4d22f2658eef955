import * as assert from 'node:assert/strict';
import type { BifrostConfig } from '../../gateway/protocol';
import { LineIndex, locatePointer, parseConfigText } from '../../extension/config/document';
import { LITERAL_PASSWORD_MESSAGE, loginsOf, withPasswords } from '../../extension/config/logins';
import { MASK, Redactor, redactingChannel } from '../../extension/log/redact';

const TEXT = `{
  "devices": [
    { "id": "filler", "name": "Filler PLC", "protocol": "opcua", "endpointUrl": "opc.tcp://10.0.0.5:4840",
      "user": { "type": "username", "username": "operator", "password": "hunter2-in-file" } },
    { "id": "dryer", "protocol": "opcua", "endpointUrl": "opc.tcp://10.0.0.6:4840",
      "user": { "type": "username", "username": "svc", "passwordEnv": "DRYER_PW" } },
    { "id": "anon", "protocol": "opcua", "endpointUrl": "opc.tcp://10.0.0.7:4840", "user": { "type": "anonymous" } },
    { "id": "press", "protocol": "modbus-tcp", "host": "10.0.0.8", "port": 502, "enabled": false,
      "user": { "type": "username", "username": "x" } }
  ]
}`;

function doc(): BifrostConfig {
  return parseConfigText(TEXT).value as BifrostConfig;
}

describe('extension: username logins and their passwords', () => {
  it('finds the devices that log in with a username, where they log in, and a password written into the file', () => {
    const logins = loginsOf(doc());
    assert.deepEqual(logins, [
      { deviceId: 'filler', deviceName: 'Filler PLC', username: 'operator', server: 'opc.tcp://10.0.0.5:4840', enabled: true, literalPasswordAt: '/devices/0/user/password' },
      { deviceId: 'dryer', deviceName: 'dryer', username: 'svc', server: 'opc.tcp://10.0.0.6:4840', enabled: true, passwordEnv: 'DRYER_PW' },
      { deviceId: 'press', deviceName: 'press', username: 'x', server: '10.0.0.8:502', enabled: false },
    ]);
    assert.deepEqual(loginsOf({ devices: 'no' }), []);
    assert.deepEqual(loginsOf(undefined), []);
  });

  it('sends the stored password in place of the literal, leaves passwordEnv and other devices as they are, and changes nothing in the input', () => {
    const input = doc();
    const before = JSON.stringify(input);
    const sent = withPasswords(input, new Map([['dryer', 'from-secret-storage']]));
    assert.equal(JSON.stringify(input), before, 'the document read from the file was changed');
    const [filler, dryer, anon, press] = sent.devices as { user?: Record<string, unknown> }[];
    assert.deepEqual(filler!.user, { type: 'username', username: 'operator' }, 'the literal password went out');
    assert.deepEqual(dryer!.user, { type: 'username', username: 'svc', passwordEnv: 'DRYER_PW', password: 'from-secret-storage' });
    assert.deepEqual({ ...anon!.user }, { type: 'anonymous' });
    assert.deepEqual(press!.user, { type: 'username', username: 'x' });
    assert.ok(!JSON.stringify(sent).includes('hunter2-in-file'));
  });

  it('a stored password replaces the literal one', () => {
    const sent = withPasswords(doc(), new Map([['filler', 'stored-one']]));
    assert.deepEqual((sent.devices[0] as { user?: unknown }).user, { type: 'username', username: 'operator', password: 'stored-one' });
  });

  it('marks the literal password on its own line, with the message that says where passwords go', () => {
    const { root } = parseConfigText(TEXT);
    const [login] = loginsOf(doc());
    const span = locatePointer(root, login!.literalPasswordAt!);
    const line = new LineIndex(TEXT).position(span.offset).line;
    assert.match(TEXT.split('\n')[line]!, /"password": "hunter2-in-file"/);
    assert.match(LITERAL_PASSWORD_MESSAGE, /^a password does not belong in bifrost\.json: use Bifrost: Set Password… \(stored in VS Code's secret storage\) or passwordEnv$/);
  });
});

describe('extension: the log never shows a password', () => {
  it('masks the passwords it was told about, raw and JSON-escaped, and any "password" field', () => {
    const r = new Redactor();
    r.add('s3cr"et\\pw');
    r.add('abc'); // too short to mask everywhere; the field rule still covers it
    assert.equal(r.redact('login with s3cr"et\\pw failed'), `login with ${MASK} failed`);
    assert.equal(r.redact(JSON.stringify({ note: 's3cr"et\\pw' })), `{"note":"${MASK}"}`);
    assert.equal(r.redact('{"user": {"password": "abc", "username": "abc"}}'), `{"user": {"password": "${MASK}", "username": "abc"}}`);
    assert.equal(r.redact('nothing secret here'), 'nothing secret here');
  });

  it('a message trace of bifrost/config/load, as the language client writes it, carries no password', () => {
    const r = new Redactor();
    const sent = withPasswords(doc(), new Map([['dryer', 'correct horse battery']]));
    r.add('correct horse battery');
    const lines: string[] = [];
    const channel = redactingChannel({ trace: (m: string) => void lines.push(m), logLevel: 1, name: 'Bifrost' }, r);
    channel.trace(`Sending request 'bifrost/config/load - (3)'.\nParams: ${JSON.stringify(sent, null, 4)}`);
    assert.equal(channel.name, 'Bifrost', 'the channel\'s other members pass through');
    assert.equal(lines.length, 1);
    assert.ok(!lines[0]!.includes('correct horse battery'), lines[0]);
    assert.ok(lines[0]!.includes(`"password": "${MASK}"`), lines[0]);
  });
});
