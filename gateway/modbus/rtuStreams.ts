/**
 * The byte streams an RTU link runs on: a local serial port, or a TCP connection to a serial
 * server (RTU frames over TCP). Each opener resolves an open stream or rejects with an error that
 * names the port and the cause. `serialport` (a native binding) is loaded only when a serial port
 * is opened, so a gateway without RTU devices never loads it (gateway/serial/load.ts).
 */
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { errorMessage } from '../errors';
import { loadSerial } from '../serial/load';
import type { SerialParity } from './rtuFrame';

/** Opens the stream a link runs on; called again on every reconnect. */
export type OpenStream = () => Promise<Duplex>;

export interface SerialLineOptions {
  path: string;
  baudRate: number;
  parity?: SerialParity;
  dataBits?: 7 | 8;
  stopBits?: 1 | 2;
}

export function serialOpener(o: SerialLineOptions): OpenStream {
  return async () => {
    let SerialPort: typeof import('serialport').SerialPort;
    try {
      ({ SerialPort } = loadSerial());
    } catch (err) {
      // The extension carries serialport's binding for Linux (x64, arm64, arm), macOS and Windows (x64, arm64).
      throw new Error(`cannot open serial port ${o.path}: this gateway has no serial port support here (${errorMessage(err)}); reach the bus through a serial server with "transport": "tcp"`);
    }
    return new Promise<Duplex>((resolve, reject) => {
      let port: InstanceType<typeof SerialPort> | null = null;
      const failed = (err: unknown) => reject(new Error(describeSerialError(o.path, err)));
      try {
        port = new SerialPort({ path: o.path, baudRate: o.baudRate, parity: o.parity ?? 'even', dataBits: o.dataBits ?? 8, stopBits: o.stopBits ?? 1, lock: true }, (err) => {
          if (err) failed(err);
          else resolve(closingOnDestroy(port!));
        });
      } catch (err) {
        failed(err);
      }
    });
  };
}

/**
 * serialport's stream does not close its port when destroyed: the descriptor (and the lock) would
 * stay, the port could not be opened again, and a hung-up line would keep its poller spinning.
 */
function closingOnDestroy(port: Duplex & { isOpen: boolean; close(cb: (err: Error | null) => void): void }): Duplex {
  port._destroy = (error, callback) => {
    if (!port.isOpen) return callback(error);
    port.close(() => callback(error));
  };
  return port;
}

function describeSerialError(path: string, err: unknown): string {
  const text = errorMessage(err);
  if (/ENOENT|No such file/i.test(text)) return `serial port ${path} does not exist (${text})`;
  if (/EACCES|Permission denied/i.test(text)) return `no permission to open serial port ${path} (${text}); is the user in the port's group (dialout)?`;
  if (/EBUSY|lock|Resource temporarily unavailable/i.test(text)) return `serial port ${path} is in use by another process (${text})`;
  return `cannot open serial port ${path}: ${text}`;
}

export interface TcpLineOptions {
  host: string;
  port: number;
  connectTimeoutMs: number;
}

export function tcpOpener(o: TcpLineOptions): OpenStream {
  return () =>
    new Promise<Duplex>((resolve, reject) => {
      const where = `${o.host}:${o.port}`;
      const socket = net.createConnection({ host: o.host, port: o.port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`cannot connect to serial server ${where}: no answer within ${o.connectTimeoutMs} ms`));
      }, o.connectTimeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        socket.destroy();
        const why = err.code === 'ECONNREFUSED' ? 'connection refused (nothing listens there?)' : errorMessage(err);
        reject(new Error(`cannot connect to serial server ${where}: ${why}`));
      });
    });
}
