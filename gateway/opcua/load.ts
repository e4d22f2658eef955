/**
 * Loads the OPC UA bundle (dist/opcua.js beside the gateway bundle; the sources under tsx) on
 * first use: a gateway without OPC UA devices never loads node-opcua. The build maps `./bundle`
 * from this file to `./opcua.js` (esbuild.mjs).
 */
import type { Logger } from '../log';

type OpcUaBundle = typeof import('./bundle');

let loaded: OpcUaBundle | null = null;

export function loadOpcUaBundle(log: Logger): OpcUaBundle {
  if (loaded) return loaded;
  const t0 = performance.now();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a bundle of its own, loaded on first use
  const bundle = require('./bundle') as OpcUaBundle;
  bundle.routeOpcUaLogs(log);
  log.debug(`OPC UA driver loaded in ${Math.round(performance.now() - t0)} ms`);
  loaded = bundle;
  return bundle;
}

/** Whether the OPC UA bundle has been loaded in this process (for the start-up check). */
export function opcUaBundleLoaded(): boolean {
  return loaded !== null;
}
