/**
 * node-opcua's own loggers, sent to the gateway log (stderr). Imported before any other part of
 * node-opcua in the OPC UA bundle: by default they print with console.log, and stdout is the
 * JSON-RPC wire. Until the driver hands over the gateway's logger, lines go to stderr as they are.
 */
import { setDebugLogger, setErrorLogger, setTraceLogger, setWarningLogger } from 'node-opcua-debug';
import type { Logger } from '../log';

let target: Logger | null = null;

function format(args: unknown[]): string {
  return args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? a.message : safeJson(a))).join(' ');
}

function safeJson(a: unknown): string {
  try {
    return JSON.stringify(a) ?? String(a);
  } catch {
    return String(a);
  }
}

function sink(level: 'error' | 'warn' | 'debug' | 'trace') {
  return (_context: unknown, ...args: unknown[]) => {
    const line = `node-opcua: ${format(args)}`;
    if (target) target[level](line);
    else process.stderr.write(`[${level}] ${line}\n`);
  };
}

setErrorLogger(sink('error'));
setWarningLogger(sink('warn'));
setDebugLogger(sink('debug'));
setTraceLogger(sink('trace'));

export function routeOpcUaLogs(log: Logger): void {
  target = log;
}
