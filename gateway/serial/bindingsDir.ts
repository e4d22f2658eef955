/**
 * Where node-gyp-build looks for serialport's native binding (a `prebuilds/<platform>-<arch>`
 * folder in it). From the sources: the @serialport/bindings-cpp package. The build replaces this
 * module in dist/serial.js with the bundle's own folder, where it copies the prebuilds.
 */
import * as path from 'node:path';

export const bindingsDir = path.dirname(require.resolve('@serialport/bindings-cpp/package.json'));
