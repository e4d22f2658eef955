/**
 * The gateway process: `node dist/gateway.js --stdio [--config FILE] [--demo] [--log-level L]`,
 * or `--node-ipc` when the extension starts it. Stdout carries JSON-RPC and nothing else.
 */
import { isLogLevel, log, redirectConsoleToStderr, setLogLevel } from './log';

// Before anything else loads: no library may print to stdout.
redirectConsoleToStderr();

import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { GatewayCore } from './gatewayCore';
import { GatewaySession } from './server';
import { openTransport } from './transport';
import { watchParentProcess } from './parentWatch';
import { VERSION } from './version';
import { parseConfigText } from './configText';
import { loadDriverFile } from './core/registry';
import { builtinDrivers } from './drivers';
import { listenOptionsFrom, UsageError, type ListenOptions } from './ws/options';
import { startListener, type Listener } from './ws/listener';
import { runTokenCommand } from './ws/tokenCli';

function main(): void {
  if (process.argv[2] === 'token') {
    process.exitCode = runTokenCommand(process.argv.slice(3), (s) => process.stdout.write(s), (s) => process.stderr.write(s));
    return;
  }
  let listen: ListenOptions | null;
  try {
    listen = listenOptionsFrom(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`[error] ${err.message}\n`);
    process.exit(2);
  }
  const { values } = parseArgs({
    options: {
      stdio: { type: 'boolean' },
      'node-ipc': { type: 'boolean' },
      config: { type: 'string' },
      demo: { type: 'boolean' },
      'log-level': { type: 'string' },
      clientProcessId: { type: 'string' },
      driver: { type: 'string', multiple: true },
      pki: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: false,
  });
  if (values.help) {
    process.stderr.write(
      'usage: node gateway.js (--stdio | --node-ipc) [--config FILE] [--demo] [--log-level trace|debug|info|warn|error] [--driver FILE]... [--pki DIR]\n' +
        'Speaks JSON-RPC (see docs/protocol.md) on stdin/stdout or over Node IPC.\n' +
        '--driver FILE loads a plug-in driver module (also BIFROST_DRIVERS, a list of files separated by the path delimiter).\n' +
        '--pki DIR is the certificate store (the gateway\'s own certificate, trusted and rejected server certificates);\n' +
        '  default $XDG_CONFIG_HOME/bifrost/pki, or ~/.config/bifrost/pki.\n' +
        '--listen HOST:PORT --tokens FILE [--tls-cert FILE --tls-key FILE] [--allow-origin ORIGIN]... also serves\n' +
        '  WebSocket clients at ws://HOST:PORT/rpc (wss with TLS); tokens: node gateway.js token add|list|remove.\n',
    );
    process.exit(0);
  }
  const level = typeof values['log-level'] === 'string' ? values['log-level'] : 'info';
  if (!isLogLevel(level)) {
    process.stderr.write(`[error] unknown --log-level "${level}"; use trace, debug, info, warn or error\n`);
    process.exit(2);
  }
  setLogLevel(level);

  const drivers = builtinDrivers();
  const files = [...((values.driver as string[] | undefined) ?? []), ...(process.env.BIFROST_DRIVERS ?? '').split(path.delimiter).filter(Boolean)];
  for (const file of files) {
    try {
      const module = loadDriverFile(path.resolve(file));
      drivers.register(module);
      log.info(`plug-in driver "${module.protocol}" loaded from ${file}`);
    } catch (err) {
      process.stderr.write(`[error] cannot load the driver ${file}: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(2);
    }
  }

  const mode = values['node-ipc'] ? 'ipc' : 'stdio';
  let exiting = false;
  let listener: Listener | null = null;
  const exit = (code: number) => {
    if (exiting) return;
    exiting = true;
    // Devices close their sockets first, so no device sees a half-open connection linger; a
    // device that will not let go does not keep the process alive.
    setTimeout(() => process.exit(code), 2000).unref();
    session.dispose();
    void listener?.close();
    void core.dispose().finally(() => process.exit(code));
  };
  const connection = openTransport(mode, (reason) => {
    log.info(`${reason}; exiting`);
    exit(0);
  });
  const core = new GatewayCore({ drivers, pkiFolder: typeof values.pki === 'string' ? path.resolve(values.pki) : undefined });
  // The stdio (or IPC) client's session: its shutdown stops the devices, its exit ends the process.
  const session = new GatewaySession(connection, core, {
    onExit: exit,
    onShutdown: () => core.dispose(),
    onClientProcessId: (pid) => watchParentProcess(pid, () => {
      log.warn(`client process ${pid} is gone; exiting`);
      exit(1);
    }),
  });
  connection.onClose(() => exit(0));
  // Sessions on servers (OPC UA) are closed, not left to time out, when the gateway is told to stop.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      log.info(`${signal}; exiting`);
      exit(0);
    });
  }
  connection.listen();
  log.info(`bifrost gateway ${VERSION} (node ${process.version}, pid ${process.pid}) listening on ${mode}`);
  if (listen) {
    startListener(core, listen).then(
      (l) => (exiting ? void l.close() : (listener = l)),
      (err: unknown) => {
        log.error(`cannot listen on ${listen.host}:${listen.port}: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(2);
      },
    );
  }

  if (typeof values.clientProcessId === 'string' && /^\d+$/.test(values.clientProcessId)) {
    watchParentProcess(Number(values.clientProcessId), () => exit(1));
  }
  if (typeof values.config === 'string') {
    const file = values.config;
    let doc: unknown;
    try {
      doc = parseConfigText(readFileSync(file, 'utf8'));
    } catch (err) {
      log.error(`cannot load --config ${file}: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(2);
    }
    // A file that is not a configuration at all (no "devices" array) is as fatal as one that does not parse.
    core.loadConfig(doc, 'config').catch((err: unknown) => {
      log.error(`cannot load --config ${file}: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(2);
    });
  }
  if (values.demo) {
    core.startDemo().catch((err) => log.error(`demo plant failed to start: ${err instanceof Error ? err.message : String(err)}`));
  }
  process.on('uncaughtException', (err) => log.error(`uncaught: ${err.stack ?? err.message}`));
  process.on('unhandledRejection', (err) => log.error(`unhandled rejection: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
}

main();
