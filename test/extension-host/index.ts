/**
 * The extension-host suites: mocha inside a real VS Code, against the installed extension.
 * `run()` is what VS Code's test runner calls (`--extensionTestsPath`); in a browser-based VS Code
 * the extension calls it itself when BIFROST_EXTENSION_TESTS names this bundle.
 *
 * The suites build on one another in this order (the demo plant started by the tree suite is
 * what the crash suite expects back), and share the world in world.ts. The plug-in suite needs
 * the in-memory test driver in the gateway (BIFROST_DRIVERS, which both launchers set).
 */
import Mocha from 'mocha';
import { activationSuite } from './activation.test';
import { configSuite } from './config.test';
import { configSyncSuite } from './configSync.test';
import { crashSuite } from './crash.test';
import { discoverySuite } from './discovery.test';
import { inspectorSuite } from './inspector.test';
import { liveDataSuite } from './liveData.test';
import { newUserSuite } from './newUser.test';
import { opcuaSuite } from './opcua.test';
import { pluginSuite } from './plugin.test';
import { remoteSuite } from './remote.test';
import { report } from './report';
import { secretsSuite } from './secrets.test';
import { treeSuite } from './tree.test';
import { disposeWorld } from './world';
import { writeSuite } from './write.test';

const SUITES = [activationSuite, treeSuite, writeSuite, configSuite, liveDataSuite, inspectorSuite, opcuaSuite, pluginSuite, newUserSuite, configSyncSuite, discoverySuite, secretsSuite, remoteSuite, crashSuite];

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec' });
  // Suites are bundled, not loaded from files: define them the way a loaded file would.
  mocha.suite.emit('pre-require', globalThis, 'extension-host', mocha);
  for (const define of SUITES) define();
  mocha.suite.afterAll('stop the simulator', () => disposeWorld());

  return new Promise((resolve, reject) => {
    let passes = 0;
    let failures = 0;
    let skipped = 0;
    const runner = mocha.run((failed) => {
      report({ event: 'end', passes, failures, skipped });
      if (failed > 0) reject(new Error(`${failed} extension-host test(s) failed`));
      else resolve();
    });
    report({ event: 'start', total: runner.total });
    runner.on('pass', (test) => {
      passes++;
      report({ event: 'pass', title: test.fullTitle(), ms: test.duration ?? 0 });
    });
    runner.on('fail', (test, err: Error) => {
      failures++;
      report({ event: 'fail', title: test.fullTitle(), error: err.stack ?? err.message });
    });
    runner.on('pending', (test) => {
      skipped++;
      report({ event: 'skip', title: test.fullTitle() });
    });
  });
}
