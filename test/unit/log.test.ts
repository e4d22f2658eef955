import { strict as assert } from 'node:assert';
import { log, logger, setLogFormat, setLogLevel, setLogSink } from '../../gateway/log';

describe('the gateway log', () => {
  let lines: string[];
  beforeEach(() => {
    lines = [];
    setLogSink((line) => lines.push(line));
    setLogLevel('info');
  });
  afterEach(() => {
    setLogSink((line) => process.stderr.write(line));
    setLogFormat('plain');
    setLogLevel('info');
  });

  it('plain: "[level] message", every line of an entry prefixed (what the extension parses)', () => {
    setLogFormat('plain');
    logger('config').warn('first\nsecond');
    assert.deepEqual(lines, ['[warn] first\n[warn] second\n']);
  });

  it('text: ISO time, level, component, message', () => {
    setLogFormat('text');
    logger('config').info('reloaded');
    log.error('a\nb');
    assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info {2}config: reloaded\n$/);
    assert.match(lines[1]!, /^(\S+Z error gateway: )a\n\1b\n$/);
  });

  it('json: one object a line, a multi-line message kept whole', () => {
    setLogFormat('json');
    logger('poller').warn('x\n"y"');
    assert.equal(lines.length, 1);
    assert.ok(lines[0]!.endsWith('\n') && !lines[0]!.slice(0, -1).includes('\n'));
    const entry = JSON.parse(lines[0]!) as Record<string, string>;
    assert.deepEqual({ ...entry, time: undefined }, { time: undefined, level: 'warn', component: 'poller', message: 'x\n"y"' });
    assert.ok(!Number.isNaN(Date.parse(entry['time']!)));
  });

  it('entries below the level are not written', () => {
    setLogLevel('warn');
    log.info('quiet');
    log.warn('loud');
    assert.deepEqual(lines, ['[warn] loud\n']);
  });
});
