/**
 * The extension-host suites (test/extension-host) in VS Code's own test runner, for machines
 * that can download VS Code: `npm run test:electron`. The extension runs from this folder
 * (dist/extension.js), VS Code 1.100.3 from .vscode-test/. Where VS Code cannot be downloaded,
 * this says so and fails at once; `npm run test:e2e` runs the same suites in code-server.
 *
 * Here the suites cannot look into webviews (no browser to ask), so the Live Data check that
 * reads the panel's page is skipped (the one of what the panel delivers to its webview runs);
 * everything else runs as in the code-server run, the in-memory test protocol included.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { downloadAndUnzipVSCode, runTests } from '@vscode/test-electron';
import { isGateway, kill, markedProcesses, RUN_MARK_VARIABLE } from './code-server-processes';
import { testDriversEnv } from './e2e-env';
import { NO_BROWSER } from '../test/extension-host/browserBridge';

const ROOT = resolve(__dirname, '..');
const VSCODE_VERSION = '1.100.3';
const TEST_BUNDLE = join(ROOT, 'dist', 'test', 'extension-host.js');
/** The whole download; the runner's own timeout only covers a stalled connection. */
const DOWNLOAD_TIMEOUT_MS = 5 * 60_000;

async function download(): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not done after ${DOWNLOAD_TIMEOUT_MS / 60_000} minutes`)), DOWNLOAD_TIMEOUT_MS);
  });
  try {
    return await Promise.race([downloadAndUnzipVSCode({ version: VSCODE_VERSION, timeout: 20_000 }), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function main(): Promise<number> {
  let vscodeExecutablePath: string;
  try {
    vscodeExecutablePath = await download();
  } catch (err) {
    console.error(
      `\nCould not download VS Code ${VSCODE_VERSION} for the extension-host tests: ${err instanceof Error ? err.message : String(err)}\n` +
        'This machine cannot reach VS Code\'s download server. Run `npm run test:e2e` instead: it runs the same suites ' +
        'in code-server, which installs from the npm registry.\n',
    );
    return 1;
  }

  const scratch = mkdtempSync(join(tmpdir(), 'bifrost-electron-'));
  const mark = scratch;
  const workspace = join(scratch, 'workspace');
  const userData = join(scratch, 'user-data');
  mkdirSync(workspace, { recursive: true });
  mkdirSync(join(userData, 'User'), { recursive: true });
  writeFileSync(join(workspace, 'bifrost.json'), '{ "devices": [] }\n');
  writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify({ 'security.workspace.trust.enabled': false, 'telemetry.telemetryLevel': 'off' }));
  let failed = false;
  try {
    await runTests({
      vscodeExecutablePath,
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: TEST_BUNDLE,
      extensionTestsEnv: {
        [RUN_MARK_VARIABLE]: mark,
        BIFROST_EXTENSION_TEST_RESULTS: join(scratch, 'results.jsonl'),
        // No browser shows this workbench: the checks that look into webviews are skipped, on purpose.
        BIFROST_E2E_BROWSER: NO_BROWSER,
        ...testDriversEnv(),
      },
      launchArgs: [workspace, '--user-data-dir', userData, '--extensions-dir', join(scratch, 'extensions'), '--disable-workspace-trust', '--disable-extensions'],
    });
  } catch (err) {
    failed = true;
    console.error(`extension-host tests failed: ${err instanceof Error ? err.message : String(err)}`);
  }

  // VS Code has exited: nothing the extension started may still run. (Linux can tell.)
  if (process.platform === 'linux') {
    const left = markedProcesses(mark);
    for (const p of left) {
      console.error(`${isGateway(p) ? 'a gateway outlived VS Code' : 'left running'}: pid ${p.pid}: ${p.args}`);
      kill(p.pid, 'SIGKILL');
    }
    if (left.some(isGateway)) failed = true;
  }
  rmSync(scratch, { recursive: true, force: true });
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
