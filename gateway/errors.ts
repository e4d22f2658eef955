import { ResponseError } from 'vscode-jsonrpc';
import { ErrorCodes, type ErrorCode } from './protocol';

/** Marks BifrostErrors across bundles: a plug-in driver bundles a copy of this class of its own. */
const BRAND = Symbol.for('bifrost.error');

/**
 * An error a person can act on, with a stable code. Thrown anywhere in the gateway; the server
 * turns it into a JSON-RPC error unchanged.
 */
export class BifrostError extends Error {
  readonly [BRAND] = true;

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

/** A BifrostError from this bundle or from a plug-in's copy of the class. */
export function isBifrostError(err: unknown): err is BifrostError {
  return err instanceof BifrostError || (err instanceof Error && (err as { [BRAND]?: unknown })[BRAND] === true && typeof (err as { code?: unknown }).code === 'number');
}

export function toResponseError(err: unknown): ResponseError<void> {
  if (isBifrostError(err)) return new ResponseError(err.code, err.message, err.data) as ResponseError<void>;
  if (err instanceof ResponseError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ResponseError(ErrorCodes.InternalError, `internal error: ${message}`);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
