/**
 * The gateway's one logger. Lines go to stderr as `[level] message`: stdout belongs to the
 * JSON-RPC connection, and the extension parses the level prefix to keep real levels in its
 * log channel.
 */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };

let threshold = ORDER.info;
let sink: (line: string) => void = (line) => process.stderr.write(line);

export function setLogLevel(level: LogLevel): void {
  threshold = ORDER[level];
}

export function isLogLevel(s: string): s is LogLevel {
  return s in ORDER;
}

/** For tests of the logger's users: collect lines instead of writing them. */
export function setLogSink(fn: (line: string) => void): void {
  sink = fn;
}

function emit(level: LogLevel, message: string): void {
  if (ORDER[level] < threshold) return;
  // One line per entry: continuation lines keep the level so the reader never guesses.
  const text = message.replace(/\n(?=.)/g, `\n[${level}] `);
  sink(`[${level}] ${text}\n`);
}

export interface Logger {
  trace(m: string): void;
  debug(m: string): void;
  info(m: string): void;
  warn(m: string): void;
  error(m: string): void;
  enabled(level: LogLevel): boolean;
}

export const log: Logger = {
  trace: (m: string) => emit('trace', m),
  debug: (m: string) => emit('debug', m),
  info: (m: string) => emit('info', m),
  warn: (m: string) => emit('warn', m),
  error: (m: string) => emit('error', m),
  enabled: (level: LogLevel) => ORDER[level] >= threshold,
};

/**
 * Sends everything a library prints through console.* to stderr. Must run before any library
 * that logs is loaded: one stray byte on stdout breaks the JSON-RPC stream for good.
 */
export function redirectConsoleToStderr(): void {
  const write = (level: LogLevel) => (...args: unknown[]) => emit(level, args.map(formatArg).join(' '));
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
