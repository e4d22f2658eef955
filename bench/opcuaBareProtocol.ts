/** The messages between the bench and its bare node-opcua client process (over the fork's IPC channel). */

export type BareCommand =
  /** Creates one subscription and monitored items on `nodeIds`; answers `subscribed` once every item had a value. */
  | { type: 'subscribe'; nodeIds: string[]; publishingIntervalMs: number; samplingIntervalMs: number; queueSize: number }
  /** Starts (on) or ends (off: answers `counted`) a window in which values are counted. */
  | { type: 'count'; on: boolean }
  | { type: 'browse'; node: string; maxItems: number; withChildren: boolean }
  | { type: 'stop' };

export type BareReport =
  | { type: 'ready' }
  | { type: 'subscribed'; firstValuesMs: number; items: number }
  /** `lost`: generations skipped by some item; `silent`: items without a value in the window. */
  | { type: 'counted'; values: number; lost: number; bad: number; silent: number }
  | { type: 'browsed'; ms: number; items: number; variables: number; withDataType: number }
  | { type: 'error'; message: string };
