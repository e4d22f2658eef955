/**
 * What a protocol driver is, as the core sees it. A driver module (one per protocol) brings its
 * configuration rules, its capabilities and a factory; the devices it makes answer the requests
 * below. The device manager, the server and the config loader know only these interfaces: none
 * of them names a protocol.
 */
import type {
  BrowseResult,
  CallResult,
  HistoryReadParams,
  HistoryReadResult,
  MethodDescribeResult,
  NodeAttributesResult,
  NodeResolveResult,
  ConfigProblem,
  Deadband,
  DeviceInfo,
  DeviceStatus,
  ProtocolCapabilities,
  TagReading,
  TagRef,
  TagsWriteResult,
  TagValue,
} from '../protocol';
import type { ConfigRules } from './configRules';
import type { LinkPool } from './links';
import type { DeviceStatsCollector } from './stats';
import type { Logger } from '../log';

export type DeviceSource = 'config' | 'demo';

/** The settings every device has, after validation, every default filled in. */
export interface CommonDeviceSettings {
  id: string;
  name: string;
  description?: string;
  protocol: string;
  source: DeviceSource;
  timeoutMs: number;
  pollIntervalMs: number;
  allowWrites: boolean;
  enabled: boolean;
}

/** The settings of one device: the common ones and whatever its driver validated. */
export interface DeviceSettings extends CommonDeviceSettings {
  /** The driver's own validated settings (tags included); compared to tell a changed device. */
  readonly driver: unknown;
}

/** Collects configuration problems with JSON pointers. */
export interface ProblemSink {
  error(path: string, message: string): void;
  warn(path: string, message: string): void;
}

export interface DriverModule {
  readonly protocol: string;
  readonly capabilities: ProtocolCapabilities;
  /**
   * The protocol's configuration rules as data: its device fields beyond the common ones and its
   * tag fields. The gateway validates with them, the JSON Schema is generated from them, and
   * Add Device asks for the fields they mark.
   */
  readonly rules: ConfigRules;
  /**
   * Checks what the rules cannot express (cross-field constraints, address grammar) and builds
   * the driver's settings. `values` holds the rule-checked device fields (defaults filled in),
   * `tags` the rule-checked tags. Returns null when the device cannot run (an error was reported).
   */
  validate(input: ValidationInput, problems: ProblemSink): unknown | null;
  /**
   * Optional: checks a valid device against the devices of this protocol accepted before it in
   * the configuration, for what must agree across devices (the line settings of one serial
   * port). Reports at `at` (the device's pointer); false: the device is not started.
   */
  checkAmong?(device: DeviceSettings, earlier: readonly DeviceSettings[], at: string, problems: ProblemSink): boolean;
  /** Makes a device. Loads the protocol's libraries on first use, so unused protocols cost nothing. */
  create(settings: DeviceSettings, host: DriverHost): Promise<DeviceDriver>;
}

export interface ValidationInput {
  common: CommonDeviceSettings;
  /** The device's own fields after the rules: every key of rules.device, defaults filled in. */
  values: Record<string, unknown>;
  /** The tags that passed the rules, each with its JSON pointer; broken ones are already reported. */
  tags: { at: string; values: Record<string, unknown> }[];
  /** JSON pointer of the device entry. */
  at: string;
}

/** What the core lends a device. */
export interface DriverHost {
  /** Reports the device's status; the first `connected` comes only once the device answered. */
  onStatus(status: DeviceStatus, lastError: string | null): void;
  /** What info() tells of the device's tags changed (its server described them): clients list again. */
  onInfoChanged(): void;
  /** Connections shared between devices at one place (a TCP gateway, a serial port). */
  readonly links: LinkPool;
  readonly log: Logger;
  /** The gateway's certificate store, for drivers whose peers show certificates. */
  readonly pki: PkiHost;
  /**
   * The device's counters, lent by the core: count requests, errors and timeouts here and time
   * each answered request with `recordLatency`; info().stats is its snapshot(). /metrics reads
   * the same object, so a driver counts and times in one place only.
   */
  readonly stats: DeviceStatsCollector;
}

/** What a driver sees of the gateway's certificate store (gateway/pki). */
export interface PkiHost {
  /** The store's folder: `own/`, `trusted/`, `rejected/` as OPC UA lays them out. */
  readonly folder: string;
  /**
   * The device met a server certificate that is not trusted (DER). The store keeps it among the
   * rejected ones and clients get `bifrost/certificateUntrusted` (once per device and certificate).
   */
  untrusted(der: Uint8Array, reason: string): void;
  /** Called whenever a person trusts a certificate; returns the unsubscribe function. */
  onTrusted(listener: (thumbprint: string) => void): () => void;
}

export interface SubscribeOptions {
  intervalMs: number;
  onChangeOnly: boolean;
  /** Overrides the tags' own deadbands. */
  deadband?: Deadband;
  /** For the tags without a deadband of their own. */
  defaultDeadband?: Deadband;
}

export type ValueSink = (items: TagReading[]) => void;

export interface DriverSubscription {
  /** The key each ref is reported under, in order. */
  readonly keys: string[];
  close(): void;
}

/** What long requests get: cancellation and a way to report progress. */
export interface RequestContext {
  readonly signal: AbortSignal;
  progress(done: number, total?: number, message?: string): void;
}

export interface BrowseRequest {
  node?: string;
  continuation?: string;
  maxItems: number;
}

/** One running device of some protocol. */
export interface DeviceDriver {
  readonly id: string;
  info(): DeviceInfo;
  /** Begins connecting (and reconnecting) in the background. */
  start(): void;
  /** Closes connections and timers; pending requests fail with a clear error. */
  stop(): Promise<void>;
  /** One reading per ref, in order. Bad refs throw (BadTagRef) before anything is sent. */
  read(refs: readonly TagRef[]): Promise<TagReading[]>;
  /** Resolves only after the device confirmed the write. */
  write(ref: TagRef, value: TagValue): Promise<TagsWriteResult>;
  /** Bad refs throw before anything is sent. */
  subscribe(refs: readonly TagRef[], options: SubscribeOptions, sink: ValueSink): DriverSubscription;
  browse(request: BrowseRequest, context: RequestContext): Promise<BrowseResult>;
  // What only some protocols have: a driver without one answers NotSupported (the server says so).
  /** Every attribute of a node. */
  attributes?(node: string): Promise<NodeAttributesResult>;
  /** A node id or a browse path from the top level, to the node and its ancestors. */
  resolveNode?(path: string): Promise<NodeResolveResult>;
  describeMethod?(methodId: string): Promise<MethodDescribeResult>;
  /** Resolves after the device answered; refused before sending unless writes are allowed. */
  call?(objectId: string, methodId: string, inputs: readonly TagValue[]): Promise<CallResult>;
  readHistory?(request: Omit<HistoryReadParams, 'deviceId'>, context: RequestContext): Promise<HistoryReadResult>;
}

export type { ConfigProblem };
