/**
 * serialport and its native binding loader: a bundle of its own (dist/serial.js, with the
 * binding's prebuilds in dist/prebuilds), loaded by ./load.ts when a serial port is first used.
 */
import { SerialPort } from 'serialport';
import { bindingsDir } from './bindingsDir';

export { SerialPort };

/** The native binding file node-gyp-build picks for this platform (the one serialport loaded). */
export function bindingFile(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- node-gyp-build has no types; its resolve is what bindings-cpp loads
  const load = require('node-gyp-build') as { resolve(dir: string): string };
  return load.resolve(bindingsDir);
}
