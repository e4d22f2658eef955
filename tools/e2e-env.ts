/**
 * How the end-to-end launcher hands its run to the workbench checks (test/e2e), which mocha
 * loads in the launcher's process: environment variables, and a file of measurements.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const E2E_ENV = {
  /** code-server's entry script. */
  codeServer: 'BIFROST_E2E_CODE_SERVER',
  vsix: 'BIFROST_E2E_VSIX',
  /** An empty folder for the run's state. */
  scratch: 'BIFROST_E2E_SCRATCH',
  /** A JSON-lines file the checks append their measurements to. */
  measurements: 'BIFROST_E2E_MEASUREMENTS',
  /** "1": also refresh the README's screenshots in docs/images/. */
  updateDocsImages: 'BIFROST_E2E_UPDATE_DOCS_IMAGES',
} as const;

/**
 * The in-memory test protocol (test/fixtures/memoryDriver.ts), bundled on its own by esbuild.mjs
 * and never part of the VSIX. The runs hand it to the extension's gateway through the environment
 * the extension host passes on, as a user would plug in a driver written elsewhere.
 */
export const MEMORY_DRIVER = join(resolve(__dirname, '..'), 'dist', 'test', 'memory-driver.js');

/** The environment that plugs the test drivers into every gateway the extension starts. */
export function testDriversEnv(): Record<string, string> {
  if (!existsSync(MEMORY_DRIVER)) throw new Error(`the memory test driver was not built: ${MEMORY_DRIVER} is missing (node esbuild.mjs builds it)`);
  return { BIFROST_DRIVERS: MEMORY_DRIVER };
}

export interface Measurement {
  name: string;
  value: number;
  unit: string;
}

/** Printed now, and kept for the launcher's summary (never asserted: machines differ). */
export function recordMeasurement(m: Measurement): void {
  console.log(`      measured: ${m.name}: ${m.value} ${m.unit}`);
  const file = process.env[E2E_ENV.measurements];
  if (file) appendFileSync(file, `${JSON.stringify(m)}\n`);
}

export function readMeasurements(file: string): Measurement[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Measurement);
}
