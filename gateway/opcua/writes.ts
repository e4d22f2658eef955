/**
 * Writes to a variable's Value: encoded by its DataType and ValueRank (refused before sending when
 * the value does not fit), reported only once the server answered Good.
 */
import { AttributeIds, type ClientSession } from 'node-opcua-client';
import type { TagValue, WriteSpec } from '../protocol';
import { encodeForTarget, writeSpecOfTarget, type EncodeTarget } from './encode';
import type { VariableMeta } from './meta';
import { parseNodeId } from './nodeIds';
import { statusError } from './statusCodes';

function targetOf(meta: VariableMeta): EncodeTarget {
  return {
    subject: meta.nodeId,
    dataType: meta.dataType,
    dataTypeId: meta.dataTypeId,
    builtInType: meta.builtInType,
    valueRank: meta.valueRank,
    arrayDimensions: meta.arrayDimensions,
    enumValues: meta.enumValues,
  };
}

/** What a write to the variable may carry, for clients that check input before sending. */
export function writeSpecOf(meta: VariableMeta): WriteSpec {
  return writeSpecOfTarget(targetOf(meta));
}

/**
 * Encodes `value` by the variable's DataType and ValueRank (BadValue before anything is sent when
 * it does not fit; never rounded but to the nearest float32 for a Float), writes it and resolves
 * with the value as written once the server answered Good; a bad status rejects with its name.
 * Access is the server's to decide: a variable the meta says is read-only is still sent, and the
 * server's BadNotWritable / BadUserAccessDenied comes back (the device refuses earlier by config).
 */
export async function writeValue(session: ClientSession, meta: VariableMeta, value: TagValue): Promise<TagValue> {
  const { variant, written } = await encodeForTarget(targetOf(meta), value, session);
  const status = await session.write({ nodeId: parseNodeId(meta.nodeId, session), attributeId: AttributeIds.Value, value: { value: variant } });
  if (!status.isGood()) throw statusError(`cannot write ${JSON.stringify(value)} to ${meta.nodeId}`, status);
  return written;
}
