/**
 * CreateMonitoredItems and DeleteMonitoredItems in calls no larger than the server takes.
 * node-opcua's `monitorItems` sends whatever it is given in one request, so the split is ours:
 * the size starts at the server's MaxMonitoredItemsPerCall and halves whenever a server answers
 * BadTooManyOperations all the same (it remembers the smaller size for the device's next calls).
 */
import {
  AttributeIds,
  StatusCodes,
  TimestampsToReturn,
  VariableIds,
  type ClientMonitoredItemGroup,
  type ClientSession,
  type ClientSessionRawSubscriptionService,
  type ClientSubscription,
  type DataValue,
  type MonitoringParametersOptions,
  type NodeId,
  type StatusCode,
} from 'node-opcua-client';
import type { Logger } from '../log';
import { errorMessage } from '../errors';

/** The current call size of one device, shared by all its subscriptions. */
export interface CallLimit {
  perCall: number;
}

/** Server/ServerCapabilities/OperationLimits/MaxMonitoredItemsPerCall, or `fallback` when it says nothing (0, absent, unreadable). */
export async function readMaxMonitoredItemsPerCall(session: ClientSession, fallback: number): Promise<number> {
  try {
    const dv = await session.read({ nodeId: VariableIds.Server_ServerCapabilities_OperationLimits_MaxMonitoredItemsPerCall, attributeId: AttributeIds.Value });
    const n: unknown = dv.statusCode.isGood() ? dv.value?.value : undefined;
    return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : fallback;
  } catch {
    return fallback;
  }
}

export function isTooManyOperations(err: unknown): boolean {
  const status = (err as { response?: { responseHeader?: { serviceResult?: StatusCode } } } | null)?.response?.responseHeader?.serviceResult;
  if (status) return status.value === StatusCodes.BadTooManyOperations.value;
  return /BadTooManyOperations/.test(errorMessage(err));
}

/** What became of each node of a createItems call, in order. */
export type ItemOutcome = { group: ClientMonitoredItemGroup; index: number; status: StatusCode } | { error: string };

/**
 * Creates one monitored item per node on `subscription`, all with `parameters`, in chunks of at
 * most `limit.perCall`. `onValue(i, dataValue)` gets the values of node i from the first
 * notification on. A chunk the server refuses as a whole (other than for its size) gives each of
 * its nodes an `error`; one node the server refuses gives that node its bad status.
 */
export async function createItems(
  subscription: ClientSubscription,
  nodeIds: readonly NodeId[],
  parameters: MonitoringParametersOptions,
  limit: CallLimit,
  onValue: (i: number, dataValue: DataValue) => void,
  context: { what: string; log: Logger; stillWanted(): boolean },
): Promise<ItemOutcome[]> {
  const outcomes: ItemOutcome[] = [];
  let start = 0;
  while (start < nodeIds.length) {
    if (!context.stillWanted()) {
      for (; start < nodeIds.length; start++) outcomes.push({ error: 'cancelled' });
      break;
    }
    const size = Math.min(limit.perCall, nodeIds.length - start);
    const offset = start;
    try {
      const group = await monitorOnce(subscription, nodeIds.slice(offset, offset + size), parameters, (i, dv) => onValue(offset + i, dv));
      group.monitoredItems.forEach((item, index) => outcomes.push({ group, index, status: item.statusCode }));
      start += size;
    } catch (err) {
      if (isTooManyOperations(err) && size > 1) {
        limit.perCall = Math.max(1, Math.floor(size / 2));
        context.log.warn(`${context.what}: the server refused ${size} monitored items in one call (BadTooManyOperations): sending ${limit.perCall} per call`);
        continue;
      }
      for (let i = 0; i < size; i++) outcomes.push({ error: errorMessage(err) });
      start += size;
    }
  }
  return outcomes;
}

/** One CreateMonitoredItems request; the value listener is in place before any notification can arrive. */
function monitorOnce(
  subscription: ClientSubscription,
  nodeIds: NodeId[],
  parameters: MonitoringParametersOptions,
  onValue: (i: number, dataValue: DataValue) => void,
): Promise<ClientMonitoredItemGroup> {
  const before = new Set(Object.keys(subscription.monitoredItems));
  return new Promise((resolve, reject) => {
    const items = nodeIds.map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value }));
    subscription.monitorItems(items, parameters, TimestampsToReturn.Both, (err, group) => {
      if (err || !group) {
        forgetItemsAddedSince(subscription, before);
        reject(err ?? new Error('no monitored items created'));
        return;
      }
      group.on('changed', (_item, dataValue: DataValue, index: number) => onValue(index, dataValue));
      resolve(group);
    });
  });
}

/**
 * node-opcua registers a group's items on the subscription before it sends the request and
 * leaves them there when the whole request fails: they would be recreated by its own repair
 * path later. Only valid while calls on this subscription are sequential (they are: the device
 * serialises them).
 */
function forgetItemsAddedSince(subscription: ClientSubscription, before: ReadonlySet<string>): void {
  const map = subscription.monitoredItems as Record<string, unknown>;
  for (const handle of Object.keys(map)) if (!before.has(handle)) delete map[handle];
}

/**
 * Deletes the groups' items: forgotten on the client side at once (no value of theirs is
 * delivered any more), then deleted on the server in calls no larger than `limit`.
 */
export async function deleteGroups(session: ClientSession, subscription: ClientSubscription, groups: readonly ClientMonitoredItemGroup[], limit: CallLimit): Promise<void> {
  const map = subscription.monitoredItems as Record<string, unknown>;
  const ids: number[] = [];
  for (const group of groups) {
    group.removeAllListeners('changed');
    for (const item of group.monitoredItems) {
      delete map[String(item.monitoringParameters.clientHandle)];
      if (item.statusCode.isGood() && item.monitoredItemId !== undefined) ids.push(item.monitoredItemId);
    }
  }
  await deleteIds(session, subscription.subscriptionId, ids, limit);
}

async function deleteIds(session: ClientSession, subscriptionId: number, ids: readonly number[], limit: CallLimit): Promise<void> {
  let start = 0;
  while (start < ids.length) {
    const size = Math.min(limit.perCall, ids.length - start);
    try {
      await (session as ClientSession & ClientSessionRawSubscriptionService).deleteMonitoredItems({ subscriptionId, monitoredItemIds: ids.slice(start, start + size) });
      start += size;
    } catch (err) {
      if (!isTooManyOperations(err) || size === 1) throw err;
      limit.perCall = Math.max(1, Math.floor(size / 2));
    }
  }
}
