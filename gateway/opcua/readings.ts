/**
 * DataValues → TagReadings: the value by its built-in type, the status code as quality and name,
 * both timestamps in milliseconds. A bad value carries no value: OPC UA says it must not be used.
 */
import { AttributeIds, type ClientSession, type DataValue, type NodeId } from 'node-opcua-client';
import type { TagReading } from '../protocol';
import { chunks, operationLimits } from './batches';
import type { VariableMeta } from './meta';
import { describeStatus, isPlainGood, qualityOf } from './statusCodes';
import { variantToTagValue } from './values';

/** A reading under `tag` from a DataValue: value by DataType, status code → quality and name, both timestamps. */
export function toReading(tag: string, dataValue: DataValue, meta: VariableMeta | undefined, receivedAt: number): TagReading {
  // The variant names its own built-in type; meta adds nothing to decoding (enumerations are
  // their Int32 value, their labels are in the tag's writeSpec and the meta's enumValues).
  void meta;
  const status = dataValue.statusCode;
  const quality = qualityOf(status);
  const value = quality === 'bad' ? null : variantToTagValue(dataValue.value);
  const source = millis(dataValue.sourceTimestamp);
  const server = millis(dataValue.serverTimestamp);
  // One literal with every field the reading has (servers send both timestamps almost always):
  // properties added later would each change the object's shape and allocate a second store.
  const reading: TagReading =
    source !== undefined && server !== undefined
      ? { tag, value, quality, timestamp: receivedAt, sourceTimestamp: source, serverTimestamp: server }
      : source !== undefined
        ? { tag, value, quality, timestamp: receivedAt, sourceTimestamp: source }
        : server !== undefined
          ? { tag, value, quality, timestamp: receivedAt, serverTimestamp: server }
          : { tag, value, quality, timestamp: receivedAt };
  if (!isPlainGood(status)) {
    reading.status = status.name;
    if (quality !== 'good') reading.error = describeStatus(status);
  }
  return reading;
}

/** A DataValue's timestamp in ms since the epoch; undefined when missing or OPC UA's null date. */
function millis(date: Date | null | undefined): number | undefined {
  const ms = date?.getTime();
  return ms !== undefined && !Number.isNaN(ms) && ms > 0 ? ms : undefined;
}

/** Reads the Value attribute of each node (split by the server's MaxNodesPerRead), one reading per item in order. */
export async function readValues(session: ClientSession, items: readonly { key: string; nodeId: NodeId; meta?: VariableMeta }[]): Promise<TagReading[]> {
  if (items.length === 0) return [];
  const { maxNodesPerRead } = await operationLimits(session);
  const out: TagReading[] = [];
  for (const chunk of chunks(items, maxNodesPerRead)) {
    const values = await session.read(
      chunk.map((item) => ({ nodeId: item.nodeId, attributeId: AttributeIds.Value })),
      0,
    );
    const receivedAt = Date.now();
    chunk.forEach((item, i) => out.push(toReading(item.key, values[i], item.meta, receivedAt)));
  }
  return out;
}
