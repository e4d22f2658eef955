import { ResponseError } from 'vscode-jsonrpc';
import { ErrorCodes, type ErrorCode } from './protocol';

/**
 * An error a person can act on, with a stable code. Thrown anywhere in the gateway; the server
 * turns it into a JSON-RPC error unchanged.
 */
export class BifrostError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Structured detail for clients, e.g. the problems of a refused configuration. */
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'BifrostError';
  }

  toResponseError(): ResponseError<void> {
    // The contract's request types declare no error data; BadConfig's problems travel anyway.
    return new ResponseError(this.code, this.message, this.data) as ResponseError<void>;
  }
}

export function toResponseError(err: unknown): ResponseError<void> {
  if (err instanceof BifrostError) return err.toResponseError();
  if (err instanceof ResponseError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ResponseError(ErrorCodes.InternalError, `internal error: ${message}`);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
