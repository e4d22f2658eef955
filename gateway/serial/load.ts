/**
 * Loads serialport (dist/serial.js beside the gateway bundle; the sources under tsx) when a serial
 * port is first used or listed: a gateway without serial devices never loads a native binding.
 * The build maps `./bundle` from this file to `./serial.js` (esbuild.mjs). Logs once which binding
 * loaded, so that a user's log says what their platform got.
 */
import { errorMessage } from '../errors';
import { log } from '../log';

type SerialBundle = typeof import('./bundle');

let loaded: SerialBundle | null = null;
let failure: Error | null = null;

/** serialport, or an error that says why this gateway has no serial port support. */
export function loadSerial(): SerialBundle {
  if (loaded) return loaded;
  if (failure) throw failure;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a bundle of its own, loaded on first use
    const bundle = require('./bundle') as SerialBundle;
    // serialport loads its binding lazily too: resolving it here makes a missing one fail now, with its reason.
    const file = bundle.bindingFile();
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the same module serialport requires (cached)
    require(file);
    log.info(`serial ports: native binding ${file} (${process.platform}-${process.arch}, Node ABI ${process.versions.modules})`);
    loaded = bundle;
    return bundle;
  } catch (err) {
    failure = new Error(`the serialport package did not load on ${process.platform}-${process.arch}: ${errorMessage(err)}`);
    throw failure;
  }
}
