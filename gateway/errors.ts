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

/** Containers nested deeper than this are not walked: the text is cut long before. */
const PREVIEW_DEPTH = 64;

/**
 * A value as an error message shows it: its JSON, cut to `max` characters (`...` at the end).
 * Only what can be shown is walked, so a client's 10,000-level nesting or 50 MB string costs no
 * more than a short one (JSON.stringify of the whole would overflow the stack, or copy it all).
 */
export function preview(v: unknown, max = 60): string {
  if (v === undefined) return 'nothing';
  const s = previewText(v, max + 1, 0);
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}

function previewText(v: unknown, budget: number, depth: number): string {
  if (typeof v === 'string') return JSON.stringify(v.length > budget ? v.slice(0, budget) : v);
  if (typeof v !== 'object' || v === null) return JSON.stringify(v) ?? String(v);
  if (depth >= PREVIEW_DEPTH) return Array.isArray(v) ? '[...' : '{...';
  const array = Array.isArray(v);
  let out = array ? '[' : '{';
  let first = true;
  for (const key of array ? v.keys() : Object.keys(v)) {
    const item = (v as Record<string | number, unknown>)[key];
    // As JSON.stringify: undefined, functions and symbols are null in arrays and left out of objects.
    const plain = item === undefined || typeof item === 'function' || typeof item === 'symbol';
    if (plain && !array) continue;
    if (!first) out += ',';
    first = false;
    if (!array) out += `${JSON.stringify(key)}:`;
    out += plain ? 'null' : previewText(item, budget - out.length, depth + 1);
    if (out.length > budget) return out;
  }
  return out + (array ? ']' : '}');
}
