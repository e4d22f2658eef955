/**
 * The gateway's one logger. Lines go to stderr, never stdout: stdout belongs to the JSON-RPC
 * connection. Three formats:
 * - `plain`, `[level] message`: what the extension's log channel parses (it adds its own time);
 *   the default when a client started the gateway (--stdio, --node-ipc).
 * - `text`, `2026-01-31T12:00:00.000Z info  config: message`: the headless service's default.
 * - `json`, one object a line: `{"time":…,"level":…,"component":…,"message":…}`.
 */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'plain' | 'text' | 'json';

const ORDER: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };
export const LOG_FORMATS: readonly LogFormat[] = ['plain', 'text', 'json'];

let threshold = ORDER.info;
let format: LogFormat = 'plain';
let sink: (line: string) => void = (line) => process.stderr.write(line);

export function setLogLevel(level: LogLevel): void {
  threshold = ORDER[level];
}

export function isLogLevel(s: string): s is LogLevel {
  return s in ORDER;
}

export function setLogFormat(f: LogFormat): void {
  format = f;
}

export function isLogFormat(s: string): s is LogFormat {
  return (LOG_FORMATS as readonly string[]).includes(s);
}

/** For tests of the logger's users: collect lines instead of writing them. */
export function setLogSink(fn: (line: string) => void): void {
  sink = fn;
}

function emit(component: string, level: LogLevel, message: string): void {
  if (ORDER[level] < threshold) return;
  if (format === 'json') {
    sink(`${JSON.stringify({ time: new Date().toISOString(), level, component, message })}\n`);
    return;
  }
  // One line per entry: continuation lines keep the prefix so the reader never guesses.
  const prefix = format === 'plain' ? `[${level}] ` : `${new Date().toISOString()} ${level.padEnd(5)} ${component}: `;
  sink(`${prefix}${message.replace(/\n(?=.)/g, `\n${prefix}`)}\n`);
}

export interface Logger {
  trace(m: string): void;
  debug(m: string): void;
  info(m: string): void;
  warn(m: string): void;
  error(m: string): void;
  enabled(level: LogLevel): boolean;
}

/** A logger whose lines name `component` (in the text and json formats). */
export function logger(component: string): Logger {
  return {
    trace: (m: string) => emit(component, 'trace', m),
    debug: (m: string) => emit(component, 'debug', m),
    info: (m: string) => emit(component, 'info', m),
    warn: (m: string) => emit(component, 'warn', m),
    error: (m: string) => emit(component, 'error', m),
    enabled: (level: LogLevel) => ORDER[level] >= threshold,
  };
}

export const log: Logger = logger('gateway');

/**
 * Sends everything a library prints through console.* to stderr. Must run before any library
 * that logs is loaded: one stray byte on stdout breaks the JSON-RPC stream for good.
 */
export function redirectConsoleToStderr(): void {
  const write = (level: LogLevel) => (...args: unknown[]) => emit('console', level, args.map(formatArg).join(' '));
  console.log = write('info');
  console.info = write('info');
  console.warn = write('warn');
  console.error = write('error');
  console.debug = write('debug');
  console.trace = write('trace');
}

function formatArg(a: unknown): string {
  if (typeof a === 'string') return a;
  if (a instanceof Error) return a.stack ?? a.message;
  try {
    return JSON.stringify(a);
  } catch {
    return String(a);
  }
}
