import type { DeviceInfo, DeviceStatus, TagReading, TagRef, TagsWriteResult } from '../protocol';

/**
 * What every protocol driver offers the server. Modbus implements subscriptions by polling;
 * OPC UA will map them onto server-side monitored items. The server never looks inside.
 */
export interface DeviceDriver {
  readonly id: string;
  info(): DeviceInfo;
  /** Begins connecting (and reconnecting) in the background. */
  start(): void;
  /** Closes connections and timers; pending requests fail with a clear error. */
  stop(): Promise<void>;
  /** One reading per ref, in order. Bad refs throw before anything is sent. */
  read(refs: readonly TagRef[]): Promise<TagReading[]>;
  /** Resolves only after the device confirmed the write. */
  write(ref: TagRef, value: number | boolean | string): Promise<TagsWriteResult>;
  /** Bad refs throw before anything is sent. */
  subscribe(refs: readonly TagRef[], options: SubscribeOptions, sink: ValueSink): DriverSubscription;
}

export interface SubscribeOptions {
  intervalMs: number;
  onChangeOnly: boolean;
}

export type ValueSink = (items: TagReading[]) => void;

export interface DriverSubscription {
  /** The key each ref is reported under, in order. */
  readonly keys: string[];
  readonly intervalMs: number;
  close(): void;
}

export interface DriverEvents {
  onStatus(id: string, status: DeviceStatus, lastError: string | null): void;
}
