// The language client's errors are vscode-jsonrpc's own classes; importing them from there keeps this free of vscode.
import { ErrorCodes as RpcErrorCodes, ResponseError } from 'vscode-jsonrpc';
import { ErrorCodes } from '../../gateway/protocol';

/** Thrown by requests while no gateway is running: the message says what to do about it. */
export class GatewayDownError extends Error {
  constructor(reason: string, message = `The Bifrost gateway is not running (${reason}). Use "Bifrost: Restart Gateway" or look at "Bifrost: Show Log".`) {
    super(message);
    this.name = 'GatewayDownError';
  }
}

/** A remote gateway is not connected: the extension cannot restart it, only say why (it keeps trying by itself). */
export class RemoteGatewayDownError extends GatewayDownError {
  constructor(label: string, reason: string) {
    super(reason, `The gateway ${label} is not connected (${reason}).`);
    this.name = 'RemoteGatewayDownError';
  }
}

/**
 * The message to show a person. The gateway's errors already carry a human message: it is shown
 * as it is. Only the connection's own codes get a short explanation around them.
 */
export function userMessage(err: unknown): string {
  if (err instanceof ResponseError) {
    if (isConnectionError(err)) return 'The connection to the Bifrost gateway was lost before it answered. Try again once the gateway runs.';
    switch (err.code) {
      case ErrorCodes.MethodNotFound:
        return `The gateway does not know this request (${err.message}). Is the gateway older than the extension?`;
      case ErrorCodes.InternalError:
        return `The gateway failed: ${err.message}`;
      default:
        return err.message;
    }
  }
  if (err instanceof Error) return err.message;
  return String(err);
}

/** True when the error means "the gateway went away while we waited", not "the gateway said no". */
export function isConnectionError(err: unknown): boolean {
  if (err instanceof GatewayDownError) return true;
  if (err instanceof ResponseError) {
    return (
      err.code === RpcErrorCodes.PendingResponseRejected ||
      err.code === RpcErrorCodes.ConnectionInactive ||
      err.code === RpcErrorCodes.MessageWriteError
    );
  }
  return false;
}
