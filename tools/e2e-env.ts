/**
 * How the end-to-end launcher hands its run to the workbench checks (test/e2e), which mocha
 * loads in the launcher's process: environment variables, and a file of measurements.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';

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
