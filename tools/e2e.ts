/**
 * The end-to-end run: the packaged extension in a real VS Code (code-server 4.100.3 = VS Code
 * 1.100.3) shown by headless Chromium. Nothing is downloaded but code-server's npm packages.
 *
 *   npm run test:e2e [-- --update-docs-images] [--keep] [--only extension-host|workbench] [--vsix FILE]
 *
 * 1. installs code-server into ~/.cache/bifrost once (tools/code-server-install.sh);
 * 2. builds and packages bifrost.vsix, as `npm run package` does for a release;
 * 3. runs the extension-host suites (test/extension-host) in the workbench's extension host, with
 *    the in-memory test protocol plugged into the extension's gateway (BIFROST_DRIVERS);
 * 4. runs the workbench checks (test/e2e) in the browser, with screenshots in test-results/.
 * After each run it checks that no gateway outlived VS Code. Exits non-zero on any failure, with
 * the logs that explain it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Mocha from 'mocha';
import { CodeServer, EXTENSION_ID, type StopReport } from './code-server';
import { kill, markedProcesses } from './code-server-processes';
import { startBridge } from './e2e-bridge';
import { E2E_ENV, type Measurement, readMeasurements, testDriversEnv } from './e2e-env';
import type { ReportLine } from '../test/extension-host/report';

const ROOT = resolve(__dirname, '..');
const RESULTS = join(ROOT, 'test-results');
const PACKAGED_VSIX = join(ROOT, 'bifrost.vsix');
const TEST_BUNDLE = join(ROOT, 'dist', 'test', 'extension-host.js');
/** Until the extension host starts the suites after the workbench opened. */
const SUITES_START_TIMEOUT_MS = 120_000;
/** For all extension-host suites together. */
const SUITES_TIMEOUT_MS = 10 * 60_000;

const started = Date.now();
const seconds = (since = started) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
const log = (line: string) => console.log(`[e2e ${seconds().padStart(7)}] ${line}`);

interface Options {
  updateDocsImages: boolean;
  /** Keep the run's folder (user data, logs, workspace) even when everything passed. */
  keep: boolean;
  only: 'extension-host' | 'workbench' | undefined;
  /** Test this VSIX instead of packaging one. */
  vsix: string | undefined;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { updateDocsImages: false, keep: false, only: undefined, vsix: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--update-docs-images') options.updateDocsImages = true;
    else if (a === '--keep') options.keep = true;
    else if (a === '--only' && (argv[i + 1] === 'extension-host' || argv[i + 1] === 'workbench')) options.only = argv[++i] as Options['only'];
    else if (a === '--vsix' && argv[i + 1]) options.vsix = resolve(argv[++i]);
    else throw new Error(`unknown option ${a}; use --update-docs-images, --keep, --only extension-host|workbench, --vsix FILE`);
  }
  return options;
}

function run(command: string, args: string[], what: string): string {
  const r = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${what} failed (${r.error?.message ?? `exit code ${r.status}`}):\n${r.stdout ?? ''}`);
  return r.stdout;
}

/** A folder for VS Code to open, with a bifrost.json the extension activates on. */
function makeWorkspace(dir: string, config: object = { devices: [] }): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'bifrost.json'), `${JSON.stringify(config, null, 2)}\n`);
  return dir;
}

type ResultLine = ReportLine;

interface SuiteOutcome {
  passes: number;
  failures: number;
  skipped: number;
  measurements: Measurement[];
  /** Each failed test with the first lines of its error: repeated in the run's last lines, which CI shows. */
  failed: string[];
}

/** Prints the extension-host suites' lines as they come, until the end line or a timeout. */
async function followResults(file: string, server: CodeServer): Promise<SuiteOutcome> {
  const measurements: Measurement[] = [];
  const failed: string[] = [];
  const waitingSince = Date.now();
  let seen = 0;
  let begun = false;
  for (;;) {
    const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
    for (const text of lines.slice(seen)) {
      const line = JSON.parse(text) as ResultLine;
      switch (line.event) {
        case 'start':
          begun = true;
          log(`extension-host suites started: ${line.total} tests`);
          break;
        case 'pass':
          log(`  ✓ ${line.title} (${line.ms} ms)`);
          break;
        case 'fail':
          log(`  ✗ ${line.title}\n${indent(line.error)}`);
          failed.push(`${line.title}\n${indent(line.error.split('\n').slice(0, 6).join('\n'))}`);
          break;
        case 'skip':
          log(`  - ${line.title} (skipped)`);
          break;
        case 'measure':
          measurements.push({ name: line.name, value: line.value, unit: line.unit });
          break;
        case 'end':
          return { passes: line.passes, failures: line.failures, skipped: line.skipped, measurements, failed };
      }
    }
    seen = lines.length;
    if (!begun && server.extensionHostLog().includes(`Activating extension ${EXTENSION_ID} failed`)) {
      throw new Error('the extension failed to activate (its error is in the extension host log below)');
    }
    if (!begun && Date.now() - waitingSince > SUITES_START_TIMEOUT_MS) {
      throw new Error(
        `the extension did not start the extension-host suites within ${SUITES_START_TIMEOUT_MS / 1000} s of the workbench opening ` +
          '(did it activate? is BIFROST_EXTENSION_TESTS read in activate()?)',
      );
    }
    if (Date.now() - waitingSince > SUITES_TIMEOUT_MS) throw new Error(`the extension-host suites did not finish within ${SUITES_TIMEOUT_MS / 60_000} minutes`);
    if (server.exited) throw new Error('code-server exited while the suites ran');
    await new Promise((r) => setTimeout(r, 200));
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `      ${l}`)
    .join('\n');
}

/** The extension host's log and the extension's own, for a failure's explanation. */
function printLogs(server: CodeServer, heading: string): void {
  const tail = (text: string, lines = 200) => text.split('\n').slice(-lines).join('\n');
  console.log(`\n----- ${heading}: extension host log -----\n${tail(server.extensionHostLog())}`);
  console.log(`\n----- ${heading}: Bifrost log -----\n${tail(server.extensionLog())}`);
  console.log(`\n----- ${heading}: code-server log -----\n${tail(server.serverLog(), 60)}\n`);
}

/** Keeps a run's logs in test-results/ for CI artifacts. */
function saveLogs(server: CodeServer, name: string): void {
  const dir = join(RESULTS, 'e2e-logs');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}-exthost.log`), server.extensionHostLog());
  writeFileSync(join(dir, `${name}-bifrost.log`), server.extensionLog());
  writeFileSync(join(dir, `${name}-code-server.log`), server.serverLog());
}

/** The installed extension holds what it runs, never the test bundles this run hands it from the repository. */
function shippedTestFiles(server: CodeServer): string[] {
  const installed = readdirSync(server.extensionsDir).find((name) => name.startsWith(`${EXTENSION_ID}-`));
  if (!installed) return [`the VSIX is not installed under ${server.extensionsDir}`];
  const files = readdirSync(join(server.extensionsDir, installed), { recursive: true, encoding: 'utf8' });
  return files.filter((f) => /^dist[\\/]test\b/.test(f)).map((f) => `the VSIX ships a test file: ${f}`);
}

function checkStop(report: StopReport, what: string): string[] {
  const problems: string[] = [];
  for (const p of report.gatewaysLeft) problems.push(`${what}: a gateway outlived VS Code (pid ${p.pid}: ${p.args})`);
  for (const p of report.othersKilled) log(`${what}: killed a leftover process ${p.pid}: ${p.args}`);
  return problems;
}

async function extensionHostPhase(entry: string, vsix: string, scratch: string): Promise<{ problems: string[]; measurements: Measurement[] }> {
  const t = Date.now();
  const results = join(scratch, 'results.jsonl');
  const workspace = makeWorkspace(join(scratch, 'workspace'));
  let server: CodeServer | undefined;
  const bridge = await startBridge(() => server?.page);
  const problems: string[] = [];
  let measurements: Measurement[] = [];
  try {
    server = await CodeServer.start({
      entry,
      vsix,
      workspace,
      scratch,
      env: { BIFROST_EXTENSION_TESTS: TEST_BUNDLE, BIFROST_EXTENSION_TEST_RESULTS: results, BIFROST_E2E_BROWSER: bridge.url, ...testDriversEnv() },
      log,
    });
    problems.push(...shippedTestFiles(server));
    log('workbench open; waiting for the extension-host suites');
    let outcome: SuiteOutcome | undefined;
    try {
      outcome = await followResults(results, server);
      measurements = outcome.measurements;
      if (outcome.failures > 0) problems.push(`extension host: ${outcome.failures} of ${outcome.passes + outcome.failures} tests failed`);
      for (const f of outcome.failed) problems.push(`extension host: ✗ ${f}`);
      log(`extension-host suites: ${outcome.passes} passed, ${outcome.failures} failed, ${outcome.skipped} skipped (${seconds(t)})`);
    } catch (err) {
      problems.push(`extension host: ${err instanceof Error ? err.message : String(err)}`);
    }
    saveLogs(server, 'extension-host');
    if (problems.length > 0) printLogs(server, 'extension-host run');
  } catch (err) {
    problems.push(`extension host: could not open the workbench: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    if (server) problems.push(...checkStop(await server.stop(), 'extension-host run'));
    await bridge.close();
  }
  return { problems, measurements };
}

async function workbenchPhase(entry: string, vsix: string, scratch: string, options: Options): Promise<{ problems: string[]; measurements: Measurement[] }> {
  const measurementsFile = join(scratch, 'measurements.jsonl');
  process.env[E2E_ENV.codeServer] = entry;
  process.env[E2E_ENV.vsix] = vsix;
  process.env[E2E_ENV.scratch] = scratch;
  process.env[E2E_ENV.measurements] = measurementsFile;
  if (options.updateDocsImages) process.env[E2E_ENV.updateDocsImages] = '1';
  // The checks are one person's session, step by step: after a failed step the rest cannot pass.
  const mocha = new Mocha({ timeout: 180_000, reporter: 'spec', color: false, bail: true });
  mocha.addFile(join(ROOT, 'test', 'e2e', 'workbench.test.ts'));
  const failed: string[] = [];
  const failures = await new Promise<number>((done) => {
    mocha.run(done).on('fail', (test, err: Error) => failed.push(`workbench: ✗ ${test.fullTitle()}\n${indent(String(err.stack ?? err.message).split('\n').slice(0, 6).join('\n'))}`));
  });
  return { problems: failures > 0 ? [`workbench: ${failures} check(s) failed`, ...failed] : [], measurements: readMeasurements(measurementsFile) };
}

/**
 * code-server runs in a process group of its own, which a Ctrl-C in the terminal does not reach:
 * on an interrupt, and when this process exits, end whatever of this run still runs.
 */
function stopOnInterrupt(scratch: string): void {
  const killAll = () => {
    for (const p of markedProcesses(scratch)) kill(p.pid, 'SIGKILL');
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      console.error(`\n${signal}: stopping this run's processes`);
      killAll();
      rmSync(scratch, { recursive: true, force: true });
      process.exit(130);
    });
  }
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const lines = run('bash', [join(ROOT, 'tools', 'code-server-install.sh')], 'installing code-server').trim().split('\n');
  const entry = lines[lines.length - 1];
  log(`code-server: ${entry}`);

  let vsix = PACKAGED_VSIX;
  if (options.vsix) {
    vsix = options.vsix;
    run('node', ['esbuild.mjs'], 'building the extension-host suites');
  } else {
    run('npm', ['run', '--silent', 'package'], 'packaging the VSIX');
  }
  const vsixBytes = statSync(vsix).size;
  log(`${options.vsix ? 'testing' : 'packaged'} ${vsix}: ${(vsixBytes / 1024 / 1024).toFixed(2)} MB`);
  if (!existsSync(TEST_BUNDLE)) throw new Error(`the extension-host suites were not built: ${TEST_BUNDLE} is missing`);

  const scratch = mkdtempSync(join(tmpdir(), 'bifrost-e2e-'));
  stopOnInterrupt(scratch);
  const problems: string[] = [];
  const measurements: Measurement[] = [{ name: 'VSIX size', value: Math.round((vsixBytes / 1024 / 1024) * 100) / 100, unit: 'MB' }];
  try {
    if (options.only !== 'workbench') {
      const dir = join(scratch, 'exthost');
      mkdirSync(dir);
      const r = await extensionHostPhase(entry, vsix, dir);
      problems.push(...r.problems);
      measurements.push(...r.measurements);
    }
    if (options.only !== 'extension-host') {
      const dir = join(scratch, 'workbench');
      mkdirSync(dir);
      const r = await workbenchPhase(entry, vsix, dir, options);
      problems.push(...r.problems);
      measurements.push(...r.measurements);
    }
  } finally {
    if (options.keep || problems.length > 0) log(`run folder kept: ${scratch}`);
    else rmSync(scratch, { recursive: true, force: true });
  }

  console.log('\n===== end-to-end measurements =====');
  for (const m of measurements) console.log(`${m.name}: ${m.value} ${m.unit}`);
  console.log(`end-to-end run: ${seconds()}`);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'e2e-measurements.json'), `${JSON.stringify(measurements, null, 2)}\n`);
  if (problems.length > 0) {
    console.log(`\nEND-TO-END FAILED:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    return 1;
  }
  console.log('end-to-end: all passed');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`end-to-end run could not run: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
