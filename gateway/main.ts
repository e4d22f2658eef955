/**
 * The gateway process (`bifrost-gateway`, or `node dist/gateway.js`): a headless service by
 * default, `--stdio` for a client's JSON-RPC on stdin/stdout, `--node-ipc` when the extension
 * starts it, and with `--listen` a WebSocket listener for many clients besides. Stdout carries
 * JSON-RPC and nothing else. The options are in service/args.ts (and ws/options.ts).
 */
import { log, logger, redirectConsoleToStderr, setLogFormat, setLogLevel } from './log';

// Before anything else loads: no library may print to stdout.
redirectConsoleToStderr();

import * as path from 'node:path';
import { GatewayCore } from './gatewayCore';
import { GatewaySession } from './server';
import { openTransport } from './transport';
import { watchParentProcess } from './parentWatch';
import { VERSION } from './version';
import { loadDriverFile } from './core/registry';
import { builtinDrivers } from './drivers';
import { errorMessage } from './errors';
import { parseGatewayArgs, USAGE, UsageError, type GatewayArgs } from './service/args';
import { ConfigFile } from './service/configFile';
import { DataDir, defaultDataDir } from './service/dataDir';
import { localConnectionPair } from './service/localConnection';
import { PollAll } from './service/pollAll';
import { Publishing } from './mqtt/publishing';
import { listenOptionsFrom, type ListenOptions } from './ws/options';
import { startListener, type Listener } from './ws/listener';
import { runTokenCommand } from './ws/tokenCli';

function main(): void {
  if (process.argv[2] === 'token') {
    process.exitCode = runTokenCommand(process.argv.slice(3), (s) => process.stdout.write(s), (s) => process.stderr.write(s));
    return;
  }
  let args: GatewayArgs;
  let listen: ListenOptions | null;
  try {
    args = parseGatewayArgs(process.argv.slice(2));
    listen = listenOptionsFrom(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`[error] ${err.message}\n`);
    process.exit(2);
  }
  if (args.help) {
    process.stderr.write(USAGE);
    process.exit(0);
  }
  setLogLevel(args.logLevel);
  setLogFormat(args.logFormat);
  const service = logger('service');

  const drivers = builtinDrivers();
  const files = [...args.drivers, ...(process.env.BIFROST_DRIVERS ?? '').split(path.delimiter).filter(Boolean)];
  for (const file of files) {
    try {
      const module = loadDriverFile(path.resolve(file));
      drivers.register(module);
      log.info(`plug-in driver "${module.protocol}" loaded from ${file}`);
    } catch (err) {
      log.error(`cannot load the driver ${file}: ${errorMessage(err)}`);
      process.exit(2);
    }
  }

  // The certificate store lives in the data dir unless --pki puts it elsewhere (the extension does).
  const dataDir = new DataDir(args.dataDir ?? defaultDataDir());
  let pkiFolder: string;
  try {
    if (args.mode === 'service') dataDir.ensure();
    pkiFolder = args.pki ?? dataDir.sub('pki');
  } catch (err) {
    log.error(`cannot use the data dir: ${errorMessage(err)}`);
    process.exit(2);
  }

  const mode = args.mode;
  let config: ConfigFile | null = null;
  let listener: Listener | null = null;
  let exiting = false;
  const exit = (code: number) => {
    if (exiting) return;
    exiting = true;
    config?.close();
    // Devices close their sockets first, so no device sees a half-open connection linger; a
    // device that will not let go does not keep the process alive.
    setTimeout(() => process.exit(code), 2000).unref();
    session.dispose();
    void listener?.close();
    void core.dispose().finally(() => process.exit(code));
  };
  const core = new GatewayCore({ drivers, pkiFolder });
  // A service has no client on stdio: its own poller is the client, inside the process.
  const local = mode === 'service' ? localConnectionPair() : null;
  const transport = mode === 'ipc' ? 'ipc' : 'stdio';
  const connection = local
    ? local.server
    : openTransport(transport, (reason, code) => {
        if (code === 0) log.info(`${reason}; exiting`);
        exit(code);
      }, core.clients.open(`@${transport}`));
  // Each publisher of bifrost.json's "publish" list is a client in a session of its own.
  core.publishTo(
    new Publishing(() => {
      const pair = localConnectionPair();
      const publisherSession = new GatewaySession(pair.server, core, { onExit: () => undefined });
      pair.server.listen();
      pair.client.listen();
      return {
        client: pair.client,
        close: () => {
          publisherSession.dispose();
          pair.client.dispose();
          pair.server.dispose();
        },
      };
    }, () => dataDir.sub('publish')),
  );
  // The stdio (or IPC) client's session: its shutdown stops the devices, its exit ends the process.
  const session = new GatewaySession(connection, core, {
    onExit: exit,
    onShutdown: () => core.dispose(),
    onClientProcessId: (pid) => watchParentProcess(pid, () => {
      log.warn(`client process ${pid} is gone; exiting`);
      exit(1);
    }),
  });
  if (!local) connection.onClose(() => exit(0));
  // Sessions on servers (OPC UA) are closed, not left to time out, when the gateway is told to stop.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      service.info(`${signal}; exiting`);
      exit(0);
    });
  }
  connection.listen();
  if (local) {
    local.client.listen();
    const poller = new PollAll(local.client, logger('poller'));
    void poller.sync();
    // Nothing else may be holding the event loop (no --config, no device): a service still runs.
    setInterval(() => undefined, 1 << 30);
    log.info(`bifrost gateway ${VERSION} (node ${process.version}, pid ${process.pid}) running as a service, data dir ${dataDir.root}`);
  } else {
    log.info(`bifrost gateway ${VERSION} (node ${process.version}, pid ${process.pid}) listening on ${mode}`);
  }
  if (listen) {
    const { host, port } = listen;
    startListener(core, listen).then(
      (l) => (exiting ? void l.close() : (listener = l)),
      (err: unknown) => {
        log.error(`cannot listen on ${host}:${port}: ${errorMessage(err)}`);
        process.exit(2);
      },
    );
  }

  if (args.clientProcessId !== undefined) {
    watchParentProcess(args.clientProcessId, () => exit(1));
  }
  if (args.config !== undefined) {
    const file = args.config;
    config = new ConfigFile(path.resolve(file), (doc) => core.loadConfig(doc, 'config'), logger('config'));
    // Watched from before the first read, so no save is missed. A file that cannot be used at
    // start is fatal, also one that is not a configuration at all (no "devices" array).
    config.watch();
    config.load().catch((err: unknown) => {
      log.error(`cannot load --config ${file}: ${errorMessage(err)}`);
      process.exit(2);
    });
  }
  process.on('SIGHUP', () => {
    if (config) void config.reload('signal');
    else service.info('SIGHUP: no --config file to reload');
  });
  if (args.demo) {
    core.startDemo().catch((err) => log.error(`demo plant failed to start: ${errorMessage(err)}`));
  }
  process.on('uncaughtException', (err) => log.error(`uncaught: ${err.stack ?? err.message}`));
  process.on('unhandledRejection', (err) => log.error(`unhandled rejection: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
}

main();
