/**
 * The OPC UA subscriptions of one device: one server-side subscription per publishing interval,
 * monitored items created in chunks no larger than the server's MaxMonitoredItemsPerCall,
 * deadbands, revised intervals, a watchdog for subscriptions that stop publishing, and the same
 * items again after a reconnect (transferred or recreated). Readings go to the core's sinks.
 *
 * Loaded with the OPC UA bundle only (never from gateway/opcua/driver.ts).
 */
import type { ClientSession, NodeId } from 'node-opcua-client';
import type { DriverSubscription, ValueSink } from '../core/driver';
import type { Logger } from '../log';
import type { Deadband } from '../protocol';
import type { VariableMeta } from './services';

/** One item of a bifrost subscription: a node, under the key the client knows it by. */
export interface MonitoredTag {
  key: string;
  nodeId: NodeId;
  meta?: VariableMeta;
  samplingIntervalMs: number;
  queueSize: number;
  deadband?: Deadband;
}

export interface SubscriptionOptions {
  /** The bifrost subscription's interval: the OPC UA publishing interval asked for. */
  publishingIntervalMs: number;
  /** False: every sample is reported, even unchanged ones (no deadband, DataChangeTrigger StatusValueTimestamp). */
  onChangeOnly: boolean;
}

export interface DeviceSubscriptionsOptions {
  deviceId: string;
  log: Logger;
  /** Used when the server's OperationLimits say nothing. */
  defaultMaxMonitoredItemsPerCall: number;
}

const NOT_YET = 'OPC UA subscriptions are not built yet';

export class DeviceSubscriptions {
  constructor(readonly options: DeviceSubscriptionsOptions) {}

  /** A session is open (first connect or after a reconnect): (re)create everything on it. */
  attach(session: ClientSession): Promise<void> {
    void session;
    throw new Error(NOT_YET);
  }

  /** The session is gone: every item reports `bad` with the reason until the next attach. */
  detach(reason: string): void {
    void reason;
    throw new Error(NOT_YET);
  }

  /** The revised publishing interval is known once attached; `keys` are the tags' keys in order. */
  subscribe(tags: readonly MonitoredTag[], options: SubscriptionOptions, sink: ValueSink): DriverSubscription & { readonly revisedIntervalMs: number | null } {
    void tags;
    void options;
    void sink;
    throw new Error(NOT_YET);
  }

  /** Deletes the server-side subscriptions (device stop). */
  close(): Promise<void> {
    throw new Error(NOT_YET);
  }
}
