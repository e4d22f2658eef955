import * as assert from 'node:assert/strict';
import { LineSplitter, parseLogLine } from '../../extension/log/logLines';

describe('extension: gateway log lines', () => {
  it('reads the level prefix and keeps the message', () => {
    assert.deepEqual(parseLogLine('[warn] device press-1: timeout'), { level: 'warn', message: 'device press-1: timeout' });
    assert.deepEqual(parseLogLine('[ERROR] boom'), { level: 'error', message: 'boom' });
    assert.deepEqual(parseLogLine('[trace] x'), { level: 'trace', message: 'x' });
    assert.deepEqual(parseLogLine('[debug]no space'), { level: 'debug', message: 'no space' });
  });

  it('treats a line without a prefix as info, and unknown prefixes as text', () => {
    assert.deepEqual(parseLogLine('plain text'), { level: 'info', message: 'plain text' });
    assert.deepEqual(parseLogLine('[fatal] x'), { level: 'info', message: '[fatal] x' });
    assert.deepEqual(parseLogLine('  [error] indented'), { level: 'info', message: '  [error] indented' });
  });

  it('splits chunks into whole lines, across chunk boundaries and CRLF', () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push('[info] one\n[warn] tw'), ['[info] one']);
    assert.deepEqual(s.push('o\r\n\n[error] thr'), ['[warn] two']);
    assert.deepEqual(s.push('ee'), []);
    assert.deepEqual(s.flush(), ['[error] three']);
    assert.deepEqual(s.flush(), []);
  });
});
