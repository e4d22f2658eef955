/**
 * Raw history (ReadRawModifiedDetails), oldest first. The server's continuation points are
 * followed until maxValues; then the answer's own `continuation` says where to resume. It holds
 * a time and a count, not the server's continuation point: a server point lives only as long as
 * its session (and servers keep few), so ours is released at once and a later request, even on
 * a new session, reads on from the last value returned.
 */
import { HistoryReadRequest, ReadRawModifiedDetails, TimestampsToReturn, type ClientSession, type DataValue, type NodeId } from 'node-opcua-client';
import { BifrostError } from '../errors';
import { ErrorCodes, type HistoryReadResult, type TagReading } from '../protocol';
import type { VariableMeta } from './meta';
import { formatNodeId } from './nodeIds';
import { toReading } from './readings';
import { statusError } from './statusCodes';

/** Values asked for per HistoryRead (a server may answer fewer and a continuation point). */
export const DEFAULT_HISTORY_PAGE = 1000;

interface Resume {
  /** The node the continuation belongs to. */
  n: string;
  /** Time (ms) of the last value returned. */
  t: number;
  /** How many values at that millisecond were returned already. */
  k: number;
}

export interface HistoryRequest {
  key: string;
  nodeId: NodeId;
  meta?: VariableMeta;
  start: Date;
  end: Date;
  maxValues: number;
  continuation?: string;
  /** Values per HistoryRead request; default DEFAULT_HISTORY_PAGE. */
  pageSize?: number;
}

/** Raw history, oldest first, continuation points followed up to maxValues (then returned as `continuation`). */
export async function readHistory(session: ClientSession, request: HistoryRequest): Promise<HistoryReadResult> {
  const ref = formatNodeId(request.nodeId);
  const maxValues = Math.floor(request.maxValues);
  if (!(maxValues >= 1)) throw new BifrostError(ErrorCodes.InvalidParams, `maxValues must be at least 1, got ${request.maxValues}`);
  const resume = request.continuation !== undefined ? decodeResume(request.continuation, ref) : undefined;
  const ordered = request.start.getTime() <= request.end.getTime();
  let start = ordered ? request.start : request.end;
  const end = ordered ? request.end : request.start;
  if (resume && resume.t > start.getTime()) start = new Date(resume.t);
  if (start.getTime() > end.getTime()) return { items: [] };
  const pageSize = Math.max(1, Math.floor(request.pageSize ?? DEFAULT_HISTORY_PAGE));

  let skip = resume && resume.t >= start.getTime() ? resume.k : 0;
  const items: TagReading[] = [];
  let more = false;
  let point: Buffer | null = null;
  for (;;) {
    const ask = Math.min(pageSize, maxValues - items.length + skip);
    const { values, continuationPoint } = await readPage(session, request.nodeId, ref, start, end, ask, point);
    point = continuationPoint;
    const receivedAt = Date.now();
    for (const dv of values) {
      if (skip > 0 && timeOf(dv, receivedAt) === resume?.t) {
        skip--;
        continue;
      }
      skip = 0;
      if (items.length === maxValues) {
        more = true;
        break;
      }
      const reading = toReading(request.key, dv, request.meta, receivedAt);
      reading.timestamp = timeOf(dv, receivedAt);
      items.push(reading);
    }
    if (!point || more) break;
    if (items.length === maxValues) {
      more = true;
      break;
    }
  }
  if (point) await release(session, request.nodeId, point);
  if (!more || items.length === 0) return { items };
  const last = items[items.length - 1].timestamp;
  let trailing = 0;
  for (let i = items.length - 1; i >= 0 && items[i].timestamp === last; i--) trailing++;
  const carried = resume && resume.t === last && trailing === items.length ? resume.k : 0;
  return { items, continuation: encodeResume({ n: ref, t: last, k: trailing + carried }) };
}

/** The time of a historical value: its source timestamp, else its server timestamp. */
function timeOf(dv: DataValue, fallback: number): number {
  const t = dv.sourceTimestamp?.getTime() ?? dv.serverTimestamp?.getTime();
  return t !== undefined && !Number.isNaN(t) ? t : fallback;
}

async function readPage(
  session: ClientSession,
  nodeId: NodeId,
  ref: string,
  start: Date,
  end: Date,
  numValuesPerNode: number,
  continuationPoint: Buffer | null,
): Promise<{ values: DataValue[]; continuationPoint: Buffer | null }> {
  const response = await session.historyRead(
    new HistoryReadRequest({
      historyReadDetails: new ReadRawModifiedDetails({ isReadModified: false, startTime: start, endTime: end, numValuesPerNode, returnBounds: false }),
      timestampsToReturn: TimestampsToReturn.Both,
      releaseContinuationPoints: false,
      nodesToRead: [{ nodeId, continuationPoint: continuationPoint ?? undefined }],
    }),
  );
  const result = response.results?.[0];
  if (!result) throw new BifrostError(ErrorCodes.ProtocolError, `${ref}: the server answered the history read without a result`);
  if (result.statusCode.isBad()) throw statusError(`${ref}: cannot read history`, result.statusCode);
  const data = result.historyData as { dataValues?: DataValue[] | null } | null;
  const next = result.continuationPoint && result.continuationPoint.length > 0 ? result.continuationPoint : null;
  return { values: data?.dataValues ?? [], continuationPoint: next };
}

/** Frees a server continuation point we do not follow (servers keep only a few per session). */
async function release(session: ClientSession, nodeId: NodeId, continuationPoint: Buffer): Promise<void> {
  try {
    await session.historyRead(
      new HistoryReadRequest({
        historyReadDetails: new ReadRawModifiedDetails({ isReadModified: false, numValuesPerNode: 0 }),
        timestampsToReturn: TimestampsToReturn.Both,
        releaseContinuationPoints: true,
        nodesToRead: [{ nodeId, continuationPoint }],
      }),
    );
  } catch {
    // The session times the point out anyway; the answer already has its values.
  }
}

function encodeResume(resume: Resume): string {
  return Buffer.from(JSON.stringify(resume)).toString('base64url');
}

function decodeResume(text: string, ref: string): Resume {
  let resume: Partial<Resume> | undefined;
  try {
    resume = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<Resume>;
  } catch {
    resume = undefined;
  }
  if (!resume || typeof resume.n !== 'string' || typeof resume.t !== 'number' || typeof resume.k !== 'number') {
    throw new BifrostError(ErrorCodes.InvalidParams, `${ref}: the continuation ${JSON.stringify(text)} is not one a history read answered`);
  }
  if (resume.n !== ref) throw new BifrostError(ErrorCodes.InvalidParams, `${ref}: the continuation belongs to ${resume.n}, not to this node`);
  return resume as Resume;
}
