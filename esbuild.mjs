// One build script for every bundle: the extension (Node, `vscode` external), the gateway and
// its command-line companions (Node), and the webview panels (browser).
//   node esbuild.mjs [--production] [--watch]
import * as esbuild from 'esbuild';
import { chmodSync, cpSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
};

// serialport and its native binding loader are a bundle of their own (dist/serial.js), loaded by
// gateway/serial/load.ts when a serial port is first used; no other bundle may take them in.
const serialExternals = ['serialport', '@serialport/*'];
// better-sqlite3 (the publishers' store-and-forward buffer) is a native module that is not built
// for VS Code's runtime: it stays outside every bundle, found in node_modules where installed.
const nativeExternals = [...serialExternals, 'better-sqlite3'];

// node-gyp-build looks for the binding in `prebuilds/<platform>-<arch>` of the folder it is given:
// bindings-cpp gives its package folder, the bundle gives its own (dist/, see copyStatic).
const serialBundleOnDemand = {
  name: 'serial-bundle-on-demand',
  setup(build) {
    build.onResolve({ filter: /^\.\/bundle$/ }, (args) =>
      args.importer.endsWith(path.join('gateway', 'serial', 'load.ts')) ? { path: './serial.js', external: true } : undefined,
    );
  },
};
const serialBindingsBesideBundle = {
  name: 'serial-bindings-beside-bundle',
  setup(build) {
    build.onLoad({ filter: /[\\/]gateway[\\/]serial[\\/]bindingsDir\.ts$/ }, () => ({ contents: 'exports.bindingsDir = __dirname;', loader: 'js' }));
    build.onLoad({ filter: /[\\/]@serialport[\\/]bindings-cpp[\\/]dist[\\/]serialport-bindings\.js$/ }, (args) => ({
      contents: "exports.binding = require('node-gyp-build')(__dirname);",
      loader: 'js',
      resolveDir: path.dirname(args.path),
    }));
  },
};
/** The platforms the VSIX carries serialport's binding for (Android and 32-bit Windows left out). */
const serialPrebuilds = ['linux-x64', 'linux-arm64', 'linux-arm', 'darwin-x64+arm64', 'win32-x64', 'win32-arm64'];

// The OPC UA driver's device and node-opcua are a bundle of their own (dist/opcua.js), loaded by
// gateway/opcua/load.ts at the first OPC UA device: a gateway without one never loads it.
const opcuaBundleOnDemand = {
  name: 'opcua-bundle-on-demand',
  setup(build) {
    build.onResolve({ filter: /^\.\/bundle$/ }, (args) =>
      args.importer.endsWith(path.join('gateway', 'opcua', 'load.ts')) ? { path: './opcua.js', external: true } : undefined,
    );
  },
};

const node = {
  ...common,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: nativeExternals,
};

// node-opcua checks class names at run time (`subscription.constructor.name ===
// "ClientSubscriptionImpl"` before it creates monitored items): bundles with node-opcua keep their
// names when minified. Only those: keeping names gives every closure a property of its own, which
// costs the gateway tens of MB at 10,000 devices.
const opcuaNode = { ...node, keepNames: true };

const targets = [
  {
    ...node,
    entryPoints: { extension: 'extension/main.ts' },
    external: [...nativeExternals, 'vscode'],
    outdir: 'dist',
  },
  {
    ...node,
    // `bifrost-gateway` (package.json "bin"): runs as a command of its own too.
    entryPoints: { gateway: 'gateway/main.ts' },
    banner: { js: '#!/usr/bin/env node' },
    outdir: 'dist',
    external: [...nativeExternals, 'proper-lockfile'],
    plugins: [opcuaBundleOnDemand, serialBundleOnDemand],
  },
  {
    ...node,
    entryPoints: {
      simulator: 'gateway/sim/cli.ts',
      demo: 'tools/demo.ts',
      bench: 'bench/main.ts',
      soak: 'bench/soak.ts',
    },
    outdir: 'dist',
    // ws's optional native speed-ups: it runs without them (its pure-JS paths), and a native
    // module cannot be bundled; left out, ws's try-require finds nothing and moves on.
    external: [...nativeExternals, 'proper-lockfile', 'bufferutil', 'utf-8-validate'],
    plugins: [opcuaBundleOnDemand, serialBundleOnDemand],
  },
  {
    // serialport with its binding loader, loaded at the first serial port used or listed.
    ...node,
    entryPoints: { serial: 'gateway/serial/bundle.ts' },
    outdir: 'dist',
    external: [],
    plugins: [serialBindingsBesideBundle],
  },
  {
    // The OPC UA driver with node-opcua's client, loaded at the first OPC UA device.
    // node-opcua's store locks with its own mutex; the proper-lockfile provider it can also use
    // is optional and not installed.
    ...opcuaNode,
    entryPoints: { opcua: 'gateway/opcua/bundle.ts' },
    outdir: 'dist',
    external: [...nativeExternals, 'proper-lockfile'],
    plugins: [opcuaBundleOnDemand, serialBundleOnDemand],
  },
  {
    // The demo plant's OPC UA server (node-opcua, several MB): a worker thread that the demo plant
    // starts, bundled on its own so that nothing loads it unless the demo runs. It finds the
    // standard nodeset in dist/nodesets (copyStatic). `proper-lockfile` is an optional lock provider
    // of node-opcua's PKI mutex, imported only when chosen; the default one needs nothing.
    ...opcuaNode,
    // The OPC UA benchmark's server and bare client (npm run bench --only opcua) share it.
    entryPoints: { 'opcua-server': 'gateway/sim/opcuaWorker.ts', 'opcua-bench-server': 'bench/opcuaServer.ts', 'opcua-bench-client': 'bench/opcuaBareClient.ts' },
    external: [...nativeExternals, 'proper-lockfile'],
    outdir: 'dist',
  },
  {
    // The extension-host test suites, loaded by VS Code's test runner or by the extension itself
    // (see extension/main.ts). mocha comes from node_modules, `vscode` from the extension host.
    ...node,
    entryPoints: { 'extension-host': 'test/extension-host/index.ts' },
    external: [...nativeExternals, 'vscode', 'mocha'],
    outdir: 'dist/test',
    sourcemap: 'linked',
  },
  {
    // A plug-in driver for the integration tests (a tiny in-memory protocol), loaded with
    // `--driver`: bundled on its own, as a driver written outside this repository would be.
    ...node,
    entryPoints: { 'memory-driver': 'test/fixtures/memoryDriver.ts' },
    outdir: 'dist/test',
  },
  {
    ...common,
    platform: 'browser',
    target: 'es2022',
    format: 'esm',
    entryPoints: { livedata: 'webview/livedata/main.ts', inspector: 'webview/inspector/main.ts' },
    outdir: 'dist/webview',
    loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file' },
  },
];

function copyStatic() {
  mkdirSync('dist/webview', { recursive: true });
  cpSync('node_modules/@vscode/codicons/dist/codicon.css', 'dist/webview/codicon.css');
  cpSync('node_modules/@vscode/codicons/dist/codicon.ttf', 'dist/webview/codicon.ttf');
  // Only the standard nodeset, as node-opcua's compact image (188 KB instead of the package's 17 MB).
  mkdirSync('dist/nodesets', { recursive: true });
  cpSync('node_modules/node-opcua-nodesets/nodesets/Opc.Ua.NodeSet2.ndjson.gz', 'dist/nodesets/Opc.Ua.NodeSet2.ndjson.gz');
  // serialport's prebuilt bindings, where dist/serial.js has node-gyp-build look for them.
  for (const platform of serialPrebuilds) {
    cpSync(`node_modules/@serialport/bindings-cpp/prebuilds/${platform}`, `dist/prebuilds/${platform}`, { recursive: true });
  }
}

if (watch) {
  copyStatic();
  for (const t of targets) await (await esbuild.context(t)).watch();
  console.error('esbuild: watching');
} else {
  await Promise.all(targets.map((t) => esbuild.build(t)));
  copyStatic();
  chmodSync('dist/gateway.js', 0o755);
}
