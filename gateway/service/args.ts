/**
 * The gateway's command line. Strict: an unknown option or a stray argument is a UsageError
 * (exit code 2), never ignored, so a service does not run with a setting its operator mistyped.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { isLogFormat, isLogLevel, LOG_FORMATS, type LogFormat, type LogLevel } from '../log';

/** How the gateway is reached: a client's JSON-RPC on stdio or IPC, or none (a headless service). */
export type GatewayMode = 'stdio' | 'ipc' | 'service';

export interface GatewayArgs {
  mode: GatewayMode;
  config?: string;
  demo: boolean;
  logLevel: LogLevel;
  logFormat: LogFormat;
  drivers: string[];
  pki?: string;
  dataDir?: string;
  clientProcessId?: number;
  help: boolean;
}

export class UsageError extends Error {}

export const USAGE = `usage: bifrost-gateway [--stdio | --node-ipc] [--config FILE] [--demo] [--log-level LEVEL] [--log-format FORMAT]
                       [--driver FILE]... [--data-dir DIR] [--pki DIR]
                       [--listen HOST:PORT --tokens FILE [--tls-cert FILE --tls-key FILE] [--allow-origin ORIGIN]...]
       bifrost-gateway token (add NAME --read-only|--read-write|--metrics | list | remove NAME) --tokens FILE
Without --stdio or --node-ipc it runs as a headless service: no JSON-RPC on stdin, it runs until
SIGTERM or SIGINT, and reloads --config FILE when the file changes or on SIGHUP.
  --stdio             JSON-RPC (see docs/protocol.md) on stdin/stdout; exits when stdin closes
  --node-ipc          JSON-RPC over the IPC channel of the parent that forked it (the VS Code extension)
  --config FILE       the devices to run (bifrost.json); watched for changes
  --demo              start the built-in demo plant
  --log-level LEVEL   trace, debug, info (default), warn or error
  --log-format FORMAT text (time, level, component, message; the service's default), json (one object a
                      line) or plain ("[level] message"; the default with --stdio and --node-ipc)
  --driver FILE       load a plug-in driver module (also BIFROST_DRIVERS, files separated by the path delimiter)
  --data-dir DIR      the gateway's state (created with mode 0700); default $XDG_DATA_HOME/bifrost or
                      ~/.local/share/bifrost (Linux), ~/Library/Application Support/bifrost (macOS),
                      %LOCALAPPDATA%\\bifrost (Windows)
  --pki DIR           the certificate store; default DATA_DIR/pki
  --clientProcessId PID  exit (code 1) when process PID is gone
  --listen HOST:PORT  also serve WebSocket clients at ws://HOST:PORT/rpc (wss with TLS), each with a token
                      from --tokens FILE; beyond loopback only with --tls-cert FILE --tls-key FILE;
                      --allow-origin ORIGIN lets that web origin's pages connect
  token add|list|remove  manage the tokens file (a new token is printed once, only its hash is kept)
`;

export function parseGatewayArgs(argv: string[]): GatewayArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        stdio: { type: 'boolean' },
        'node-ipc': { type: 'boolean' },
        config: { type: 'string' },
        demo: { type: 'boolean' },
        'log-level': { type: 'string' },
        'log-format': { type: 'string' },
        clientProcessId: { type: 'string' },
        driver: { type: 'string', multiple: true },
        pki: { type: 'string' },
        'data-dir': { type: 'string' },
        // The WebSocket listener's, read by ws/options.ts.
        listen: { type: 'string' },
        tokens: { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'allow-origin': { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError(usageProblem(err));
  }
  if (values.stdio && values['node-ipc']) throw new UsageError('--stdio and --node-ipc exclude each other');
  const logLevel = values['log-level'] ?? 'info';
  if (!isLogLevel(logLevel)) throw new UsageError(`unknown --log-level "${logLevel}"; use trace, debug, info, warn or error`);
  const mode: GatewayMode = values.stdio ? 'stdio' : values['node-ipc'] ? 'ipc' : 'service';
  const logFormat = values['log-format'] ?? (mode === 'service' ? 'text' : 'plain');
  if (!isLogFormat(logFormat)) throw new UsageError(`unknown --log-format "${logFormat}"; use ${LOG_FORMATS.join(', ')}`);
  let clientProcessId: number | undefined;
  if (values.clientProcessId !== undefined) {
    if (!/^\d+$/.test(values.clientProcessId)) throw new UsageError(`--clientProcessId needs a process id, got "${values.clientProcessId}"`);
    clientProcessId = Number(values.clientProcessId);
  }
  const resolved = (p: string | undefined) => (p === undefined ? undefined : path.resolve(p));
  return {
    mode,
    config: values.config,
    demo: values.demo === true,
    logLevel,
    logFormat,
    drivers: values.driver ?? [],
    pki: resolved(values.pki),
    dataDir: resolved(values['data-dir']),
    clientProcessId,
    help: values.help === true,
  };
}

/** node:util's messages, in the words of this command line. */
function usageProblem(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const quoted = /'([^']+)'/.exec(e.message ?? '')?.[1];
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quoted ?? ''}; --help lists the options`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument "${quoted ?? ''}": the gateway takes options only`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const option = quoted?.split(' ')[0] ?? 'an option';
      if (/does not take an argument/.test(e.message ?? '')) return `${option} takes no value`;
      if (/ambiguous/.test(e.message ?? '')) return `${option} needs a value (one that starts with "-" is written ${option}=-VALUE)`;
      return `${option} needs a value`;
    }
    default:
      return e.message ?? String(err);
  }
}
