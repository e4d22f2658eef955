/**
 * Progress and results of an extension-host run, one JSON object per line, for launchers that
 * cannot see the extension host's console: a browser-based VS Code has no test runner of its own.
 * The file is named by BIFROST_EXTENSION_TEST_RESULTS; without it only the console gets them.
 */
import { appendFileSync } from 'node:fs';

export type ReportLine =
  | { event: 'start'; total: number }
  | { event: 'pass'; title: string; ms: number }
  | { event: 'fail'; title: string; error: string }
  | { event: 'skip'; title: string }
  | { event: 'measure'; name: string; value: number; unit: string }
  | { event: 'end'; passes: number; failures: number; skipped: number };

const file = process.env.BIFROST_EXTENSION_TEST_RESULTS;

export function report(line: ReportLine): void {
  if (file) appendFileSync(file, `${JSON.stringify(line)}\n`);
}

/** A measurement for the run's summary (never asserted: the machine's speed varies). */
export function measure(name: string, value: number, unit: string): void {
  console.log(`measured: ${name}: ${value} ${unit}`);
  report({ event: 'measure', name, value, unit });
}
