/**
 * What the server is asked to do for one monitored item: how often to sample, how many samples
 * to keep, and which changes are news (deadband, trigger). Items that ask the same share one
 * CreateMonitoredItems request, so the parameters carry a signature to group them by.
 */
import { DataChangeFilter, DataChangeTrigger, DeadbandType, StatusCodes, type MonitoringParametersOptions, type StatusCode } from 'node-opcua-client';
import type { Deadband } from '../protocol';

export interface ItemParameters {
  samplingIntervalMs: number;
  queueSize: number;
  /** Null: the server's default (report changes of status or value). */
  filter: { trigger: DataChangeTrigger; deadbandType: DeadbandType; deadbandValue: number } | null;
}

/**
 * The parameters of a tag. `onChangeOnly` false asks for every sample (no deadband, a new
 * timestamp is news); `withoutDeadband` is the fallback for a server that refused the deadband.
 */
export function itemParameters(
  tag: { samplingIntervalMs: number; queueSize: number; deadband?: Deadband },
  publishingIntervalMs: number,
  onChangeOnly: boolean,
  withoutDeadband = false,
): ItemParameters {
  const samplingIntervalMs = Number.isFinite(tag.samplingIntervalMs) && tag.samplingIntervalMs >= 0 ? tag.samplingIntervalMs : publishingIntervalMs;
  const queueSize = Number.isInteger(tag.queueSize) && tag.queueSize > 0 ? tag.queueSize : 1;
  if (!onChangeOnly) {
    return { samplingIntervalMs, queueSize, filter: { trigger: DataChangeTrigger.StatusValueTimestamp, deadbandType: DeadbandType.None, deadbandValue: 0 } };
  }
  const deadband = withoutDeadband ? undefined : tag.deadband;
  if (!deadband || !(deadband.value > 0)) return { samplingIntervalMs, queueSize, filter: null };
  const deadbandType = deadband.type === 'percent' ? DeadbandType.Percent : DeadbandType.Absolute;
  return { samplingIntervalMs, queueSize, filter: { trigger: DataChangeTrigger.StatusValue, deadbandType, deadbandValue: deadband.value } };
}

export function parametersSignature(p: ItemParameters): string {
  const f = p.filter;
  return `${p.samplingIntervalMs}/${p.queueSize}/${f ? `${f.trigger}:${f.deadbandType}:${f.deadbandValue}` : '-'}`;
}

/** node-opcua's MonitoringParameters; the client handle is node-opcua's to assign. */
export function toMonitoringParameters(p: ItemParameters): MonitoringParametersOptions {
  return {
    samplingInterval: p.samplingIntervalMs,
    queueSize: p.queueSize,
    discardOldest: true,
    filter: p.filter ? new DataChangeFilter(p.filter) : null,
  };
}

export function hasDeadband(p: ItemParameters): boolean {
  return p.filter !== null && p.filter.deadbandType !== DeadbandType.None;
}

/**
 * What a server answers for a deadband it cannot apply: a percent deadband on a node without an
 * EURange, any deadband on a node that is not a number.
 */
export function isDeadbandRefusal(status: StatusCode): boolean {
  return (
    status.value === StatusCodes.BadFilterNotAllowed.value ||
    status.value === StatusCodes.BadMonitoredItemFilterUnsupported.value ||
    status.value === StatusCodes.BadDeadbandFilterInvalid.value
  );
}
