import type { Readable } from 'node:stream';
import * as vscode from 'vscode';
import { LineSplitter, LogLevel, parseLogLine } from './logLines';
import { Redactor, redactingChannel } from './redact';

/**
 * The one log of the extension: a `LogOutputChannel` named Bifrost that holds both the
 * extension's own messages and the gateway's stderr lines at their real levels. Every line is
 * redacted first: no password the extension sends shows in it.
 */
export class Log implements vscode.Disposable {
  readonly channel: vscode.LogOutputChannel;
  /** The same channel for the language client, which writes its own lines (and message traces). */
  readonly clientChannel: vscode.LogOutputChannel;
  readonly redactor = new Redactor();

  constructor() {
    this.channel = vscode.window.createOutputChannel('Bifrost', { log: true });
    this.clientChannel = redactingChannel(this.channel, this.redactor);
  }

  trace(message: string): void {
    this.channel.trace(this.redactor.redact(message));
  }
  debug(message: string): void {
    this.channel.debug(this.redactor.redact(message));
  }
  info(message: string): void {
    this.channel.info(this.redactor.redact(message));
  }
  warn(message: string): void {
    this.channel.warn(this.redactor.redact(message));
  }
  error(message: string, err?: unknown): void {
    this.channel.error(this.redactor.redact(err === undefined ? message : `${message}: ${describeError(err)}`));
  }

  show(): void {
    this.channel.show(true);
  }

  /** Forwards a stream of gateway log text, line by line, at each line's own level. */
  pipeGatewayStream(stream: Readable): void {
    const splitter = new LineSplitter();
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => splitter.push(chunk).forEach((l) => this.gatewayLine(l)));
    stream.on('end', () => splitter.flush().forEach((l) => this.gatewayLine(l)));
  }

  private gatewayLine(line: string): void {
    const { level, message } = parseLogLine(line);
    write(this.channel, level, this.redactor.redact(`gateway: ${message}`));
  }

  dispose(): void {
    this.channel.dispose();
  }
}

function write(channel: vscode.LogOutputChannel, level: LogLevel, message: string): void {
  switch (level) {
    case 'trace':
      return channel.trace(message);
    case 'debug':
      return channel.debug(message);
    case 'info':
      return channel.info(message);
    case 'warn':
      return channel.warn(message);
    case 'error':
      return channel.error(message);
  }
}

function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
