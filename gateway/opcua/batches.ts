/**
 * Service calls split by the server's OperationLimits: a server refuses a whole request with
 * BadTooManyOperations when it carries more nodes than it takes at once. The limits are read once
 * per session; a limit of 0 (or none said) means 1000 per request.
 */
import {
  AttributeIds,
  BrowseDirection,
  VariableIds,
  type BrowseDescriptionLike,
  type BrowsePath,
  type BrowsePathResult,
  type BrowseResult,
  type ClientSession,
  type DataValue,
  type ReadValueIdOptions,
} from 'node-opcua-client';

export const DEFAULT_OPERATION_LIMIT = 1000;

export interface OperationLimits {
  maxNodesPerRead: number;
  maxNodesPerBrowse: number;
  maxNodesPerTranslate: number;
  maxNodesPerHistoryReadData: number;
  maxNodesPerMethodCall: number;
}

const limitsBySession = new WeakMap<ClientSession, Promise<OperationLimits>>();

export function operationLimits(session: ClientSession): Promise<OperationLimits> {
  let limits = limitsBySession.get(session);
  if (!limits) {
    limits = readLimits(session);
    limitsBySession.set(session, limits);
    // A failed read is not remembered: the next call asks again.
    limits.catch(() => limitsBySession.delete(session));
  }
  return limits;
}

async function readLimits(session: ClientSession): Promise<OperationLimits> {
  const ids = [
    VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead,
    VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerBrowse,
    VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerTranslateBrowsePathsToNodeIds,
    VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerHistoryReadData,
    VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerMethodCall,
  ];
  const values = await session.read(ids.map((id) => ({ nodeId: `i=${id}`, attributeId: AttributeIds.Value })));
  const limit = (dv: DataValue): number => {
    const v = dv.statusCode.isGood() ? dv.value?.value : undefined;
    return typeof v === 'number' && v > 0 ? v : DEFAULT_OPERATION_LIMIT;
  };
  const [read, browse, translate, history, call] = values.map(limit);
  return { maxNodesPerRead: read, maxNodesPerBrowse: browse, maxNodesPerTranslate: translate, maxNodesPerHistoryReadData: history, maxNodesPerMethodCall: call };
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** One DataValue per item, in order, in as many Read requests as the server's limit needs. */
export async function readAll(session: ClientSession, items: readonly ReadValueIdOptions[]): Promise<DataValue[]> {
  if (items.length === 0) return [];
  const { maxNodesPerRead } = await operationLimits(session);
  const out: DataValue[] = [];
  for (const chunk of chunks(items, maxNodesPerRead)) out.push(...(await session.read(chunk)));
  return out;
}

export async function translateAll(session: ClientSession, paths: readonly BrowsePath[]): Promise<BrowsePathResult[]> {
  if (paths.length === 0) return [];
  const { maxNodesPerTranslate } = await operationLimits(session);
  const out: BrowsePathResult[] = [];
  for (const chunk of chunks(paths, maxNodesPerTranslate)) out.push(...(await session.translateBrowsePath(chunk)));
  return out;
}

/** Browses each node (references of the first page only: callers ask for few). */
export async function browseAll(session: ClientSession, nodes: readonly BrowseDescriptionLike[]): Promise<BrowseResult[]> {
  if (nodes.length === 0) return [];
  const { maxNodesPerBrowse } = await operationLimits(session);
  const out: BrowseResult[] = [];
  for (const chunk of chunks(nodes, maxNodesPerBrowse)) out.push(...(await session.browse(chunk as BrowseDescriptionLike[])));
  return out;
}

export { BrowseDirection };
