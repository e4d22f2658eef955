import { strict as assert } from 'node:assert';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseGatewayArgs, UsageError } from '../../gateway/service/args';
import { DataDir, defaultDataDir } from '../../gateway/service/dataDir';

describe('the gateway command line (parsing)', () => {
  it('without --stdio or --node-ipc: a service, text log lines; with them: plain lines for the client', () => {
    assert.deepEqual([parseGatewayArgs([]).mode, parseGatewayArgs([]).logFormat], ['service', 'text']);
    assert.deepEqual([parseGatewayArgs(['--stdio']).mode, parseGatewayArgs(['--stdio']).logFormat], ['stdio', 'plain']);
    // What vscode-languageclient passes for its ipc transport.
    const ipc = parseGatewayArgs(['--log-level', 'debug', '--pki=/tmp/p', '--node-ipc', '--clientProcessId=4242']);
    assert.deepEqual([ipc.mode, ipc.logFormat, ipc.logLevel, ipc.pki, ipc.clientProcessId], ['ipc', 'plain', 'debug', path.resolve('/tmp/p'), 4242]);
    assert.equal(parseGatewayArgs(['--stdio', '--log-format', 'json']).logFormat, 'json');
  });

  it('paths are resolved, --driver repeats', () => {
    const a = parseGatewayArgs(['--config', 'b.json', '--data-dir', 'state', '--driver', 'x.js', '--driver', 'y.js']);
    assert.equal(a.dataDir, path.resolve('state'));
    assert.equal(a.config, 'b.json');
    assert.deepEqual(a.drivers, ['x.js', 'y.js']);
  });

  const refused: [string[], string][] = [
    [['--bogus'], 'unknown option --bogus; --help lists the options'],
    [['--config', 'b.json', 'extra'], 'unexpected argument "extra": the gateway takes options only'],
    [['--config'], '--config needs a value'],
    [['--config', '--demo'], '--config needs a value (one that starts with "-" is written --config=-VALUE)'],
    [['--demo=yes'], '--demo takes no value'],
    [['--log-level', 'loud'], 'unknown --log-level "loud"; use trace, debug, info, warn or error'],
    [['--log-format', 'xml'], 'unknown --log-format "xml"; use plain, text, json'],
    [['--clientProcessId', 'abc'], '--clientProcessId needs a process id, got "abc"'],
    [['--stdio', '--node-ipc'], '--stdio and --node-ipc exclude each other'],
  ];
  for (const [argv, message] of refused) {
    it(`refuses ${argv.join(' ')}`, () => {
      assert.throws(() => parseGatewayArgs(argv), (err: unknown) => err instanceof UsageError && err.message === message);
    });
  }
});

describe('the data dir', () => {
  it('defaults to the platform\'s data folder', () => {
    assert.equal(defaultDataDir({}, 'linux', '/home/ana'), '/home/ana/.local/share/bifrost');
    assert.equal(defaultDataDir({ XDG_DATA_HOME: '/data' }, 'linux', '/home/ana'), '/data/bifrost');
    assert.equal(defaultDataDir({ XDG_DATA_HOME: 'relative' }, 'linux', '/home/ana'), '/home/ana/.local/share/bifrost', 'a relative XDG_DATA_HOME is ignored');
    assert.equal(defaultDataDir({}, 'darwin', '/Users/ana'), '/Users/ana/Library/Application Support/bifrost');
    assert.equal(defaultDataDir({ LOCALAPPDATA: 'C:\\Users\\ana\\AppData\\Local' }, 'win32', 'C:\\Users\\ana'), 'C:\\Users\\ana\\AppData\\Local\\bifrost');
    assert.equal(defaultDataDir({}, 'win32', 'C:\\Users\\ana'), 'C:\\Users\\ana\\AppData\\Local\\bifrost');
  });

  it('creates its folders private (0700), leaves an existing one as it is, refuses a path as a name', () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'bifrost-datadir-'));
    try {
      const dir = new DataDir(path.join(tmp, 'a', 'b'));
      const buffer = dir.sub('buffer');
      assert.equal(buffer, path.join(tmp, 'a', 'b', 'buffer'));
      for (const d of [path.join(tmp, 'a'), dir.root, buffer]) assert.equal(statSync(d).mode & 0o777, 0o700, d);
      assert.equal(dir.sub('buffer'), buffer, 'a second call finds it');
      assert.throws(() => dir.sub('../x'), /not a folder name/);
      assert.throws(() => dir.sub(''), /not a folder name/);
      const shared = path.join(tmp, 'shared');
      mkdirSync(shared, { mode: 0o755 });
      chmodSync(shared, 0o755);
      new DataDir(shared).ensure();
      assert.equal(statSync(shared).mode & 0o777, 0o755, 'an existing folder keeps its mode');
      writeFileSync(path.join(tmp, 'file'), '');
      assert.throws(() => new DataDir(path.join(tmp, 'file')).ensure(), /cannot create the folder .*file|is not a folder/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
