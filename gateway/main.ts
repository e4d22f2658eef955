/**
 * The gateway process: `node dist/gateway.js --stdio [--config FILE] [--demo] [--log-level L]`,
 * or `--node-ipc` when the extension starts it. Stdout carries JSON-RPC and nothing else.
 */
import { isLogLevel, log, redirectConsoleToStderr, setLogLevel } from './log';

// Before anything else loads: no library may print to stdout.
redirectConsoleToStderr();

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { GatewayServer } from './server';
import { openTransport } from './transport';
import { watchParentProcess } from './parentWatch';
import { VERSION } from './version';
import { parseConfigText } from './configText';

function main(): void {
  const { values } = parseArgs({
    options: {
      stdio: { type: 'boolean' },
      'node-ipc': { type: 'boolean' },
      config: { type: 'string' },
      demo: { type: 'boolean' },
      'log-level': { type: 'string' },
      clientProcessId: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: false,
  });
  if (values.help) {
    process.stderr.write(
      'usage: node gateway.js (--stdio | --node-ipc) [--config FILE] [--demo] [--log-level trace|debug|info|warn|error]\n' +
        'Speaks JSON-RPC (see docs/protocol.md) on stdin/stdout or over Node IPC.\n',
    );
    process.exit(0);
  }
  const level = typeof values['log-level'] === 'string' ? values['log-level'] : 'info';
  if (!isLogLevel(level)) {
    process.stderr.write(`[error] unknown --log-level "${level}"; use trace, debug, info, warn or error\n`);
    process.exit(2);
  }
  setLogLevel(level);

  const mode = values['node-ipc'] ? 'ipc' : 'stdio';
  let exiting = false;
  const exit = (code: number) => {
    if (exiting) return;
    exiting = true;
    // Devices close their sockets first, so no device sees a half-open connection linger; a
    // device that will not let go does not keep the process alive.
    setTimeout(() => process.exit(code), 2000).unref();
    void server.dispose().finally(() => process.exit(code));
  };
  const connection = openTransport(mode, (reason) => {
    log.info(`${reason}; exiting`);
    exit(0);
  });
  const server = new GatewayServer(connection, {
    onExit: exit,
    onClientProcessId: (pid) => watchParentProcess(pid, () => {
      log.warn(`client process ${pid} is gone; exiting`);
      exit(1);
    }),
  });
  connection.onClose(() => exit(0));
  connection.listen();
  log.info(`bifrost gateway ${VERSION} (node ${process.version}, pid ${process.pid}) listening on ${mode}`);

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
    void server.loadConfig(doc, 'config');
  }
  if (values.demo) {
    server.startDemo().catch((err) => log.error(`demo plant failed to start: ${err instanceof Error ? err.message : String(err)}`));
  }
  process.on('uncaughtException', (err) => log.error(`uncaught: ${err.stack ?? err.message}`));
  process.on('unhandledRejection', (err) => log.error(`unhandled rejection: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
}

main();
