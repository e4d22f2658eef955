import {
  createMessageConnection,
  IPCMessageReader,
  IPCMessageWriter,
  type Message,
  type MessageConnection,
  type MessageReader,
  type MessageWriter,
} from 'vscode-jsonrpc/node';
import type { ClientMeter } from './core/traffic';
import { ErrorCodes } from './protocol';
import { StdioMessageReader } from './stdioReader';
import { StdioMessageWriter } from './stdioWriter';
import { log } from './log';

/**
 * Opens the JSON-RPC connection. Over stdio, bodies that are not JSON or not JSON-RPC are answered
 * with the standard errors (-32700, -32600) instead of being dropped without a word, and the
 * connection stays up; a broken header (StdioMessageReader) ends the process with code 1.
 * `meter` counts the messages each way (answers to bad bodies included).
 */
export function openTransport(mode: 'stdio' | 'ipc', onClientGone: (reason: string, exitCode: number) => void, meter: ClientMeter): MessageConnection {
  const logger = {
    error: (m: string) => log.error(m),
    warn: (m: string) => log.warn(m),
    info: (m: string) => log.debug(m),
    log: (m: string) => log.debug(m),
  };
  if (mode === 'ipc') {
    process.on('disconnect', () => onClientGone('the IPC channel closed', 0));
    return createMessageConnection(meteredReader(new IPCMessageReader(process), meter), meteredWriter(new IPCMessageWriter(process), meter), logger);
  }
  let writer: MessageWriter | undefined = undefined;
  const decode = (body: Buffer): Message => {
    const text = new TextDecoder('utf-8').decode(body);
    // Counted here, once per body, valid or not: the connection never sees the bad ones.
    meter.received();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      reply(writer, null, ErrorCodes.ParseError, `parse error: the message body is not valid JSON (${(err as Error).message})`);
      throw new Error(`dropped a message that is not valid JSON: ${text.slice(0, 200)}`);
    }
    const problem = invalidRequest(parsed);
    if (problem) {
      const id = (parsed as { id?: unknown })?.id;
      reply(writer, typeof id === 'number' || typeof id === 'string' ? id : null, ErrorCodes.InvalidRequest, `invalid request: ${problem}`);
      throw new Error(`dropped an invalid JSON-RPC message: ${problem}`);
    }
    return parsed as Message;
  };
  const reader = new StdioMessageReader(process.stdin, decode, (reason) => {
    // Where the next frame starts is lost: every later byte would be misread. The client is told
    // why (it may be reading), then the process ends so that it can start a gateway afresh.
    const message = `the stdin framing is broken: ${reason}; no later message can be found in the stream, so the gateway exits`;
    log.error(message);
    reply(writer, null, ErrorCodes.ParseError, message);
    onClientGone(message, 1);
  });
  const stdioWriter = new StdioMessageWriter(process.stdout);
  writer = meteredWriter(stdioWriter, meter);
  // Whatever waits for the end of the turn still leaves when the process exits (pipe writes are synchronous).
  process.on('exit', () => stdioWriter.flush(true));
  process.stdin.on('end', () => onClientGone('stdin closed', 0));
  return createMessageConnection(reader, writer, logger);
}

/** Counts every message the connection reads. */
function meteredReader(inner: MessageReader, meter: ClientMeter): MessageReader {
  return {
    onError: inner.onError,
    onClose: inner.onClose,
    onPartialMessage: inner.onPartialMessage,
    listen: (callback) =>
      inner.listen((msg) => {
        meter.received();
        callback(msg);
      }),
    dispose: () => inner.dispose(),
  };
}

/** Counts every message written. */
function meteredWriter(inner: MessageWriter, meter: ClientMeter): MessageWriter {
  return {
    onError: inner.onError,
    onClose: inner.onClose,
    write: (msg) => {
      meter.sent();
      return inner.write(msg);
    },
    end: () => inner.end(),
    dispose: () => inner.dispose(),
  };
}

/** Why a parsed message is not JSON-RPC 2.0, or null when it is. */
export function invalidRequest(m: unknown): string | null {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) {
    return Array.isArray(m) ? 'batches are not supported; send one message at a time' : 'a message must be a JSON object';
  }
  const msg = m as Record<string, unknown>;
  if (msg['jsonrpc'] !== '2.0') return '"jsonrpc" must be "2.0"';
  const isResponse = 'result' in msg || 'error' in msg;
  if (!isResponse && typeof msg['method'] !== 'string') return '"method" must be a string';
  // JSON-RPC allows a request id of null but discourages it: its answer could not be told from
  // the answer to a message that cannot be read. Either way such a request is answered, here.
  if (!isResponse && 'id' in msg && typeof msg['id'] !== 'string' && typeof msg['id'] !== 'number') return '"id" must be a string or a number';
  if ('params' in msg && msg['params'] !== null && typeof msg['params'] !== 'object') return '"params" must be an object or an array';
  return null;
}

function reply(writer: MessageWriter | undefined, id: number | string | null, code: number, message: string): void {
  writer?.write({ jsonrpc: '2.0', id, error: { code, message } } as unknown as Message).catch(() => undefined);
}
