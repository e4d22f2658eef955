/**
 * The gateway logs to stderr as lines `[level] message`. These helpers cut the byte stream into
 * lines and read the level back, so the log channel shows the gateway's own levels instead of
 * marking every stderr line as an error.
 */

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];

export interface LogLine {
  level: LogLevel;
  message: string;
}

const PREFIX = /^\[(trace|debug|info|warn|warning|error)\]\s?/i;

/** Reads the level prefix of one line; a line without one is `info` (e.g. a library's own output). */
export function parseLogLine(line: string): LogLine {
  const m = PREFIX.exec(line);
  if (!m) return { level: 'info', message: line };
  const tag = m[1].toLowerCase();
  const level: LogLevel = tag === 'warning' ? 'warn' : (tag as LogLevel);
  return { level, message: line.slice(m[0].length) };
}

/** Collects chunks of text and hands out whole lines; the last, unfinished line waits for more. */
export class LineSplitter {
  private rest = '';

  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const lines = text.split(/\r?\n/);
    this.rest = lines.pop() ?? '';
    return lines.filter((l) => l.length > 0);
  }

  /** The stream ended: whatever is left is a line of its own. */
  flush(): string[] {
    const last = this.rest;
    this.rest = '';
    return last.length > 0 ? [last] : [];
  }
}
