/**
 * OPC UA status codes for people and for the contract: quality from the severity bits, the
 * status name, a short explanation of the codes people meet, and the error code a bad status
 * becomes.
 */
import type { StatusCode } from 'node-opcua-client';
import { BifrostError } from '../errors';
import { ErrorCodes, type ErrorCode, type Quality } from '../protocol';

/** The severity in the top two bits: 00 good, 01 uncertain, 10 and 11 bad. */
export function qualityOf(status: StatusCode): Quality {
  const severity = status.value >>> 30;
  return severity === 0 ? 'good' : severity === 1 ? 'uncertain' : 'bad';
}

/** Plain Good (no info bits) needs no status in a reading. */
export function isPlainGood(status: StatusCode): boolean {
  return status.value === 0;
}

const EXPLANATIONS: Record<string, string> = {
  BadNodeIdUnknown: 'the node does not exist on the server',
  BadNodeIdInvalid: 'the server does not take this node id',
  BadAttributeIdInvalid: 'the node does not have this attribute',
  BadNotReadable: 'the server does not let anyone read it',
  BadNotWritable: 'the variable is read-only on the server',
  BadUserAccessDenied: 'the server does not let this user do that',
  BadTypeMismatch: 'the server expects another data type',
  BadOutOfRange: 'the server refused the value as out of range',
  BadIndexRangeInvalid: 'the server refused the index range',
  BadWriteNotSupported: 'the server does not support this kind of write',
  BadWaitingForInitialData: 'the server has no value yet',
  BadNoCommunication: 'the server cannot reach the device behind the value',
  BadNotConnected: 'the server is not connected to the source of the value',
  BadDeviceFailure: 'the device behind the value failed',
  BadSensorFailure: 'the sensor behind the value failed',
  BadOutOfService: 'the source of the value is out of service',
  BadConfigurationError: 'the server reports a configuration error for the value',
  BadTooManyOperations: 'the request had more items than the server takes at once',
  BadMethodInvalid: 'the node is not a method of that object',
  BadNotExecutable: 'the method cannot be called now',
  BadUserNotExecutable: 'the server does not let this user call the method',
  BadArgumentsMissing: 'the method needs more input arguments',
  BadTooManyArguments: 'the method takes fewer input arguments',
  BadInvalidArgument: 'the method refused an input argument',
  BadHistoryOperationUnsupported: 'the server keeps no history of this node',
  BadHistoryOperationInvalid: 'the server refused the history request',
  BadContinuationPointInvalid: 'the continuation is no longer valid on the server',
  BadNoContinuationPoints: 'the server has no room for another continuation',
  BadTimestampsToReturnInvalid: 'the server refused the timestamps asked for',
  BadSessionClosed: 'the session was closed',
  BadSessionIdInvalid: 'the session is no longer valid on the server',
  BadTimeout: 'the server did not answer in time',
  UncertainInitialValue: 'the value is an initial value, not yet from its source',
  UncertainLastUsableValue: 'the source stopped updating; this is its last usable value',
  UncertainSensorNotAccurate: 'the sensor is not accurate',
  UncertainEngineeringUnitsExceeded: 'the value is outside the range of its engineering units',
  UncertainSubNormal: 'the value is made from fewer sources than it should be',
};

/** `BadNodeIdUnknown (the node does not exist on the server)`. */
export function describeStatus(status: StatusCode): string {
  const name = status.name;
  const base = name.split('#')[0];
  const why = EXPLANATIONS[base] ?? (status.description ? lowerFirst(status.description.replace(/\.$/, '')) : undefined);
  return why ? `${name} (${why})` : name;
}

function lowerFirst(text: string): string {
  return text.length > 1 && /[A-Z][a-z]/.test(text.slice(0, 2)) ? text[0].toLowerCase() + text.slice(1) : text;
}

const STATUS_ERROR_CODES: Record<string, ErrorCode> = {
  BadNodeIdUnknown: ErrorCodes.BadTagRef,
  BadNodeIdInvalid: ErrorCodes.BadTagRef,
  BadAttributeIdInvalid: ErrorCodes.BadTagRef,
  BadNotWritable: ErrorCodes.WriteRefused,
  BadUserAccessDenied: ErrorCodes.WriteRefused,
  BadNotReadable: ErrorCodes.WriteRefused,
  BadNotExecutable: ErrorCodes.WriteRefused,
  BadUserNotExecutable: ErrorCodes.WriteRefused,
  BadWriteNotSupported: ErrorCodes.WriteRefused,
  BadTypeMismatch: ErrorCodes.BadValue,
  BadOutOfRange: ErrorCodes.BadValue,
  BadIndexRangeInvalid: ErrorCodes.BadValue,
  BadInvalidArgument: ErrorCodes.BadValue,
  BadArgumentsMissing: ErrorCodes.BadValue,
  BadTooManyArguments: ErrorCodes.BadValue,
  BadHistoryOperationUnsupported: ErrorCodes.NotSupported,
  BadTimeout: ErrorCodes.Timeout,
};

/** The error a bad status becomes: `<subject>: <status> (<why>)`, with a code by what went wrong. */
export function statusError(subject: string, status: StatusCode): BifrostError {
  const code = STATUS_ERROR_CODES[status.name.split('#')[0]] ?? ErrorCodes.DeviceException;
  return new BifrostError(code, `${subject}: ${describeStatus(status)}`);
}
