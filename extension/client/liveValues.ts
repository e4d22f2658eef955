import type * as vscode from 'vscode';
import type { TagReading, ValueKind } from '../../gateway/protocol';

/**
 * Where live values come from, for the tree and the Live Data panels. The gateway client
 * implements it: a subscription survives gateway restarts (it is made again on the new process)
 * until it is disposed.
 */
export interface LiveValueSource {
  subscribe(
    deviceId: string,
    tags: string[],
    intervalMs: number | undefined,
    onValues: (items: TagReading[]) => void,
  ): vscode.Disposable;
}

/** The value source of each gateway, by id; undefined names the local gateway. */
export type LiveValueSources = (gatewayId: string | undefined) => LiveValueSource;

/** A tag as the Live Data panel is asked to chart it. */
export interface ChartTag {
  /** Absent for the local gateway. */
  gatewayId?: string;
  deviceId: string;
  deviceName: string;
  tag: string;
  unit?: string;
  /** From the tag's TagInfo: how to chart it (a line, a boolean lane, the table only). */
  valueKind?: ValueKind;
  /** The type as the protocol names it, for the legend and the table. */
  dataType?: string;
}
