/**
 * The contract between the Bifrost gateway and its clients (the VS Code extension, the demo
 * terminal, benchmarks, tests). Every request and notification is declared here once, as a typed
 * constant, and imported by both sides. Documented for outside clients in docs/protocol.md.
 *
 * This module must stay free of Node, DOM and vscode imports: the extension bundles it too.
 */
import { NotificationType, ParameterStructures, RequestType, RequestType0 } from 'vscode-jsonrpc';

export const GATEWAY_NAME = 'bifrost-gateway';

/**
 * Requests take their parameters by name: a positional array would be spread into the handler's
 * arguments (an empty one hands it the cancellation token), so the connection refuses it (-32602).
 */
const BY_NAME = ParameterStructures.byName;

/**
 * Node options every launcher gives the gateway. A small young generation keeps the resident size
 * down under heavy polling of a few devices (at 100,000 values/s from 20 devices, about 35 MB less
 * than with 32 MB semi-spaces). No allocation-site pretenuring: after a burst (thousands of
 * devices connecting and reading at once) V8 would otherwise keep allocating the objects of
 * every request straight into the old generation, where only a major collection frees them
 * (at 10,000 devices about 50 MB of peak resident size). A gateway of thousands of devices
 * should run with `--max-semi-space-size=16` instead of 4: the objects of thousands of requests
 * in flight then die young rather than being promoted. So should one receiving tens of
 * thousands of OPC UA values a second: a publish response is decoded whole, and at 10,000 values
 * it does not fit 4 MB semi-spaces (the gateway's CPU falls from about 6.7 to 3.8 % of a core).
 */
export const GATEWAY_NODE_OPTIONS: readonly string[] = ['--max-semi-space-size=4', '--no-allocation-site-pretenuring'];

// ---------------------------------------------------------------------------------------------
// Protocols, tags and values
// ---------------------------------------------------------------------------------------------

export * from './protocol/modbus';
export * from './protocol/opcua';
export * from './protocol/discovery';
export * from './protocol/serialPorts';
import type { DiscoveredNotification, DiscoverParams, DiscoverResult, DiscoveryProgressNotification } from './protocol/discovery';
import type { ModbusProbeResult, ModbusRangeParams, ModbusReadRangeResult, ModbusRtuDeviceConfig, ModbusTcpDeviceConfig } from './protocol/modbus';
import type { CertificateInfo, OpcUaDeviceConfig } from './protocol/opcua';
import type { SerialPortsResult } from './protocol/serialPorts';

/**
 * A protocol's name as it appears in `"protocol"`: `modbus-tcp`, and those the gateway's drivers
 * register (`initialize` lists them). A string, because drivers are plug-ins.
 */
export type ProtocolId = string;
/** @deprecated the former name of ProtocolId. */
export type ProtocolKind = ProtocolId;

/**
 * A tag reference: a string the device's driver parses (the name of a configured tag, a Modbus
 * address such as `holding:100:float32:CDAB` or `40101`, an OPC UA node id such as
 * `ns=2;s=Tank.Level`), or an object of a shape the driver defines (for Modbus: ModbusAddress).
 */
export type TagRef = string | object;

/** One plain value. 64-bit integers outside ±2^53 travel as decimal strings, so no digit is lost. */
export type TagScalar = number | boolean | string | null;

/**
 * A tag value: a scalar, an array, or a structure (JSON). `null` when no value is known.
 * Which of them a tag holds is its TagInfo's `valueKind`.
 */
export type TagValue = TagScalar | TagValue[] | { [field: string]: TagValue };

/**
 * What kind of value a tag holds, protocol-neutral, for clients that show or chart it:
 * `integer` values are numbers, or decimal strings beyond ±2^53.
 */
export type ValueKind = 'boolean' | 'integer' | 'number' | 'string' | 'array' | 'structure' | 'unknown';

export type Quality = 'good' | 'uncertain' | 'bad';

export type TagAccess = 'read' | 'readwrite';

/**
 * What a write to a tag may carry, as its driver decides it: clients check input against this
 * instead of knowing protocol rules. The gateway checks again on every write.
 * - `integer`: whole numbers from `min` to `max` (decimal strings: exact for 64-bit types).
 * - `number`: from `min` to `max`; with `step`, only `stepOrigin + k * step` for whole k (a
 *   scaled integer register stores whole raw steps).
 * - `string`: at most `maxLength` characters; `ascii` when only printable ASCII fits.
 * - `enum`: one of `values`.
 * - `json`: any TagValue the device accepts (arrays, structures).
 */
export type WriteSpec =
  | { kind: 'boolean' }
  | { kind: 'integer'; min: string; max: string }
  | { kind: 'number'; min?: number; max?: number; step?: number; stepOrigin?: number }
  | { kind: 'string'; maxLength?: number; ascii?: boolean }
  | { kind: 'enum'; values: { value: number | string; label: string }[] }
  | { kind: 'json' };

/** Fields every protocol's tag configuration has. */
export interface TagConfigBase {
  name: string;
  unit?: string;
  /** Default `read`: a tag is writable only when it says `readwrite` (and the device allows writes). */
  access?: TagAccess;
  description?: string;
  /** Report-by-exception threshold for subscriptions to this tag (numeric tags). */
  deadband?: Deadband;
}

/**
 * A change smaller than this is not reported by a subscription with `onChangeOnly` (the
 * default). `absolute`: in the tag's units. `percent`: of the magnitude of the last value
 * reported (0-100). A change of quality or error is always reported.
 */
export interface Deadband {
  type: 'absolute' | 'percent';
  value: number;
}

/** @deprecated the Modbus tag configuration; use ModbusTagConfig. */
export type TagConfig = import('./protocol/modbus').ModbusTagConfig;

// ---------------------------------------------------------------------------------------------
// Configuration (the same shape as bifrost.json)
// ---------------------------------------------------------------------------------------------

/** Fields every protocol's device configuration has. */
export interface DeviceConfigBase {
  id: string;
  name?: string;
  /** Free text for people; shown in tooltips. */
  description?: string;
  protocol: ProtocolId;
  /** Per request; default 1000 ms. */
  timeoutMs?: number;
  /** Default scan (or sampling) interval for this device's tags; default 1000 ms. */
  pollIntervalMs?: number;
  /** Default false: every write is refused. */
  allowWrites?: boolean;
  /** Disabled devices are listed but never connected. */
  enabled?: boolean;
  tags?: TagConfigBase[];
}

/**
 * A device in bifrost.json, discriminated on `protocol`. Each protocol adds its branch here as
 * it lands; a plug-in driver's devices are DeviceConfigBase with fields of its own.
 */
export type DeviceConfig = ModbusTcpDeviceConfig | ModbusRtuDeviceConfig | OpcUaDeviceConfig;

export interface BifrostConfig {
  $schema?: string;
  devices: (DeviceConfig | (DeviceConfigBase & Record<string, unknown>))[];
}

export interface ConfigProblem {
  /** JSON pointer into the loaded document, e.g. `/devices/1/tags/3/address`. */
  path: string;
  message: string;
  severity: 'error' | 'warning';
  /** The id of the device the problem is in, as written (when it is a string). */
  device?: string;
  /** The name of the tag the problem is in, as written (when it is a string). */
  tag?: string;
  /** Errors only: what was left out because of this problem, the whole device or one tag. */
  skipped?: 'device' | 'tag';
  /** With `skipped`: the JSON pointer of the entry left out, `/devices/1` or `/devices/1/tags/3`. */
  entry?: string;
}

export interface ConfigLoadResult {
  /** Ids of the devices that are running after the load. */
  devices: string[];
  /** Entries that were rejected (errors) or accepted with a remark (warnings). */
  problems: ConfigProblem[];
}

// ---------------------------------------------------------------------------------------------
// Capabilities: what `initialize` answers
// ---------------------------------------------------------------------------------------------

/** A field of a new device that a client asks a person for (Add Device), in order. */
export interface DeviceField {
  key: string;
  label: string;
  kind: 'string' | 'integer' | 'number' | 'boolean';
  required: boolean;
  default?: string | number | boolean;
  min?: number;
  max?: number;
  /** An example shown in an empty input box. */
  placeholder?: string;
  description?: string;
  /** The only values it takes (a string field): offered as a pick, `default` among them. */
  choices?: string[];
  /** For people, one per choice. */
  choiceDescriptions?: string[];
  /** Where a client finds answers to offer: `serialPorts`, the ports `bifrost/serialPorts` lists. */
  suggest?: 'serialPorts';
}

export interface ProtocolCapabilities {
  /** For people: `Modbus TCP`. */
  displayName: string;
  /** `flat`: bifrost/browse lists the configured tags; `tree`: it walks the device's address space. */
  browse: 'none' | 'flat' | 'tree';
  /** `polling`: the gateway scans; `native`: the device reports changes itself. */
  subscribe: 'polling' | 'native';
  write: boolean;
  methods: boolean;
  history: boolean;
  discovery: boolean;
  /** `bifrost/modbus/readRange` and `bifrost/modbus/probe` work on its devices (the register inspector). Absent: false. */
  inspect?: boolean;
  /** What a client asks for to add a device of this protocol. */
  deviceFields: DeviceField[];
}

export interface GatewayCapabilities {
  version: string;
  /** By protocol id, every protocol this gateway has a driver for. */
  protocols: Record<ProtocolId, ProtocolCapabilities>;
}

/** The answer to `initialize`. */
export interface InitializeResult {
  capabilities: { bifrost: GatewayCapabilities };
  serverInfo: { name: string; version: string };
}

// ---------------------------------------------------------------------------------------------
// Devices
// ---------------------------------------------------------------------------------------------

export type DeviceStatus = 'connecting' | 'connected' | 'disconnected' | 'error';

export interface DeviceStats {
  requests: number;
  errors: number;
  timeouts: number;
  reconnects: number;
  /**
   * Connection attempts that failed (refused, unreachable, unknown host, timed out): they are not
   * requests, so `requests` and `errors` do not count them. Absent from drivers that do not tell.
   */
  connectFailures?: number;
  /** Scans that could not start because the previous one had not finished within its interval. */
  skippedScans: number;
  /** Request round-trip latency over a recent window, in milliseconds; null before any sample. */
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
}

/**
 * Counters of a serial bus (Modbus RTU): the line's, shared by every device on the port (or
 * serial server), since the first of them opened it; kept across reopenings.
 */
export interface SerialBusStats {
  /** Frames sent to any unit, broadcasts included. */
  requests: number;
  /** Well-framed answers with a good CRC, exceptions included. */
  answers: number;
  timeouts: number;
  /** Answers whose CRC was wrong (noise, a wrong baud rate or parity). */
  crcErrors: number;
  /** Well-formed answers from another unit than the one asked (two units with one id). */
  wrongUnit: number;
  /** Answers that could not be one: another function code, an impossible length. */
  garbage: number;
  broadcasts: number;
  /** Bytes that arrived when no answer was awaited (late answers, noise). */
  lateBytes: number;
}

export interface TagInfo {
  /** The key readings of this tag are reported under: its configured name. */
  name: string;
  /** The tag's reference in its canonical form (`holding:100:float32:CDAB`, `ns=2;s=Level`). */
  address: string;
  /** The type as the protocol names it (`float32`, `Double`, …). */
  dataType: string;
  valueKind: ValueKind;
  unit?: string;
  description?: string;
  access: TagAccess;
  /** True when a write would be accepted: the tag and the device both allow it. */
  writable: boolean;
  /** When not writable: why, in words a person can act on. */
  notWritableReason?: string;
  /** When writable: what a write may carry. */
  writeSpec?: WriteSpec;
}

export interface DeviceInfo {
  id: string;
  name: string;
  protocol: ProtocolId;
  /** Where the device is, for people: `127.0.0.1:502 unit 1`. */
  endpoint: string;
  status: DeviceStatus;
  lastError: string | null;
  allowWrites: boolean;
  pollIntervalMs: number;
  /** `config` for bifrost.json devices, `demo` for the built-in demo plant. */
  source: 'config' | 'demo';
  enabled: boolean;
  stats: DeviceStats;
  /** Devices on a serial bus (Modbus RTU): the bus's counters, shared with the other units on it. */
  bus?: SerialBusStats;
  /** The configured tags. */
  tags: TagInfo[];
}

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

export interface TagReading {
  /** The tag's key: its configured name, or the canonical form of an inline ref. */
  tag: string;
  value: TagValue;
  quality: Quality;
  /** Milliseconds since the Unix epoch when the gateway got the value (or noticed the failure). */
  timestamp: number;
  /** When the device says the value was taken, where the protocol tells (OPC UA). */
  sourceTimestamp?: number;
  /** When the device's server stamped the value, where the protocol tells (OPC UA). */
  serverTimestamp?: number;
  /** The protocol's own name of the status when it is not plain good: `BadNodeIdUnknown`, `Modbus exception 2`. */
  status?: string;
  /** Why the quality is not good. */
  error?: string;
}

// ---------------------------------------------------------------------------------------------
// Browsing
// ---------------------------------------------------------------------------------------------

export type NodeClass = 'folder' | 'object' | 'variable' | 'method';

export interface BrowseItem {
  /** The reference to browse it further, or to read, write and subscribe it (variables). */
  ref: string;
  name: string;
  displayName?: string;
  nodeClass: NodeClass;
  dataType?: string;
  hasChildren: boolean;
  writable?: boolean;
  /** For variables the driver can describe as tags (always for configured tags). */
  tag?: TagInfo;
}

// ---------------------------------------------------------------------------------------------
// Requests and notifications
// ---------------------------------------------------------------------------------------------

/** LSP-style progress for long requests that were given a `progressToken`: `$/progress`. */
export interface ProgressParams {
  token: string | number;
  value: { done: number; total?: number; message?: string };
}
export const Progress = new NotificationType<ProgressParams>('$/progress');

export interface PingResult {
  version: string;
  uptimeMs: number;
}
export const Ping = new RequestType0<PingResult, void>('bifrost/ping');

export const ConfigLoad = new RequestType<BifrostConfig, ConfigLoadResult, void>('bifrost/config/load', BY_NAME);

export interface DeviceListResult {
  devices: DeviceInfo[];
}
export const DevicesList = new RequestType0<DeviceListResult, void>('bifrost/devices/list');

export interface TagsReadParams {
  deviceId: string;
  tags: TagRef[];
}
export interface TagsReadResult {
  /** One reading per requested tag, in request order. */
  results: TagReading[];
}
export const TagsRead = new RequestType<TagsReadParams, TagsReadResult, void>('bifrost/tags/read', BY_NAME);

export interface TagsWriteParams {
  deviceId: string;
  tag: TagRef;
  value: TagValue;
}
export interface TagsWriteResult {
  tag: string;
  /** The value as written (after type conversion), confirmed by the device. */
  value: TagValue;
  timestamp: number;
}
export const TagsWrite = new RequestType<TagsWriteParams, TagsWriteResult, void>('bifrost/tags/write', BY_NAME);

export interface SubscribeResult {
  subscriptionId: string;
  /** The key each requested tag is reported under, in request order. */
  tags: string[];
  intervalMs: number;
}
export const Subscribe = new RequestType<SubscribeParams, SubscribeResult, void>('bifrost/subscribe', BY_NAME);

export interface SubscribeParams {
  deviceId: string;
  tags: TagRef[];
  /** Scan interval; default the device's pollIntervalMs. Minimum 10 ms. */
  intervalMs?: number;
  /** Default true: after the first complete batch, an item is sent only when its value, quality or error changes. */
  onChangeOnly?: boolean;
  /** With onChangeOnly: changes smaller than this are not sent; overrides each tag's own deadband. */
  deadband?: Deadband;
  /** With onChangeOnly: the deadband of the tags that have none of their own (`deadband` wins over both). */
  defaultDeadband?: Deadband;
}
export interface UnsubscribeParams {
  subscriptionId: string;
}
export const Unsubscribe = new RequestType<UnsubscribeParams, void, void>('bifrost/unsubscribe', BY_NAME);

export interface ValuesNotification {
  subscriptionId: string;
  items: TagReading[];
}
export const Values = new NotificationType<ValuesNotification>('bifrost/values');

export interface DeviceStatusNotification {
  id: string;
  status: DeviceStatus;
  lastError: string | null;
  timestamp: number;
}
export const DeviceStatusChanged = new NotificationType<DeviceStatusNotification>('bifrost/deviceStatus');

/** The device list changed (config loaded, demo started or stopped, a device's tags described by its server): clients re-list. */
export const DevicesChanged = new NotificationType<Record<string, never>>('bifrost/devicesChanged');

export interface BrowseParams {
  deviceId: string;
  /** The ref of the node to list the children of; omitted: the device's top level. */
  node?: string;
  /** From a previous answer, to get the next page. */
  continuation?: string;
  /** Items per answer; the driver may send fewer. Default 1000. */
  maxItems?: number;
  /** When given, `$/progress` notifications with this token report progress. */
  progressToken?: string | number;
}
export interface BrowseResult {
  items: BrowseItem[];
  /** More items follow: pass it back as `continuation`. */
  continuation?: string;
}
/** Takes `$/cancelRequest`: a cancelled browse answers RequestCancelled (-32800). */
export const Browse = new RequestType<BrowseParams, BrowseResult, void>('bifrost/browse', BY_NAME);

/**
 * `bifrost/discover`: scans the hosts × ports × unit ids named (docs/protocol.md, Discovery);
 * results stream as `bifrost/discovered`, progress as `bifrost/discoveryProgress`. A cancelled
 * scan closes what it opened and answers with `cancelled: true` and what it had found.
 */
export const Discover = new RequestType<DiscoverParams, DiscoverResult, void>('bifrost/discover', BY_NAME);
export const Discovered = new NotificationType<DiscoveredNotification>('bifrost/discovered');
export const DiscoveryProgress = new NotificationType<DiscoveryProgressNotification>('bifrost/discoveryProgress');

/**
 * `bifrost/modbus/readRange`: the raw registers (or bits) of a range of a Modbus device, for the
 * register inspector; read in the requests the device's planner chooses, through its queue.
 */
export const ModbusReadRange = new RequestType<ModbusRangeParams, ModbusReadRangeResult, void>('bifrost/modbus/readRange', BY_NAME);
/** `bifrost/modbus/probe`: which addresses of a range exist, found by bisection of refused reads. */
export const ModbusProbe = new RequestType<ModbusRangeParams, ModbusProbeResult, void>('bifrost/modbus/probe', BY_NAME);
/** `bifrost/serialPorts`: the serial ports of the gateway's machine (docs/protocol.md); opens none. */
export const SerialPorts = new RequestType0<SerialPortsResult, void>('bifrost/serialPorts');

// ---------------------------------------------------------------------------------------------
// Certificates (OPC UA and whatever else signs): the gateway's own, and those of servers
// ---------------------------------------------------------------------------------------------

/**
 * A device's server showed a certificate the gateway does not trust (yet): the device waits, in
 * `error`, until a person trusts it (`bifrost/certificates/trust`, and it connects at once) or
 * rejects it. Sent once per device and certificate, and again after a config load.
 */
export interface CertificateUntrustedNotification {
  deviceId: string;
  certificate: CertificateInfo;
  /** Why the certificate is not trusted: `unknown`, `rejected`, `expired`, `not yet valid`, `hostname mismatch`, …, in words. */
  reason: string;
}
export const CertificateUntrusted = new NotificationType<CertificateUntrustedNotification>('bifrost/certificateUntrusted');

export interface CertificatesListResult {
  /** The gateway's application instance certificate (created on first use). */
  own: CertificateInfo;
  trusted: CertificateInfo[];
  rejected: CertificateInfo[];
}
export const CertificatesList = new RequestType0<CertificatesListResult, void>('bifrost/certificates/list');

export interface CertificateParams {
  /** SHA-1 thumbprint, hex (case and colons ignored). */
  thumbprint: string;
}
/** Trusts a certificate the gateway has seen (it is in `rejected`); devices waiting for it connect. */
export const CertificatesTrust = new RequestType<CertificateParams, void, void>('bifrost/certificates/trust', BY_NAME);
/** Moves a certificate to `rejected`: devices whose server shows it stay refused. */
export const CertificatesReject = new RequestType<CertificateParams, void, void>('bifrost/certificates/reject', BY_NAME);
/** Forgets a trusted or rejected certificate: the next connection asks again. */
export const CertificatesRemove = new RequestType<CertificateParams, void, void>('bifrost/certificates/remove', BY_NAME);

// ---------------------------------------------------------------------------------------------
// Nodes of devices with an address space (OPC UA): attributes, paths, methods, history
// ---------------------------------------------------------------------------------------------

export interface NodeAttributesParams {
  deviceId: string;
  /** A node ref (as browse gives it) or a configured tag name. */
  node: string;
}
export interface NodeAttribute {
  /** The attribute's name: `NodeId`, `BrowseName`, `DataType`, `AccessLevel`, `Value`, … */
  name: string;
  /** For people: `Double (i=11)`, `CurrentRead, CurrentWrite`, `2026-12-01T10:00:00.000Z`. */
  value: string;
  /** When reading it failed: the status name (`BadAttributeIdInvalid` is left out, not listed). */
  status?: string;
}
export interface NodeAttributesResult {
  ref: string;
  attributes: NodeAttribute[];
  /** Engineering information of variables, where the server has it. */
  engineeringUnits?: string;
  euRange?: { low: number; high: number };
}
/** Every attribute of a node, read once (UaExpert's Attributes pane). */
export const NodeAttributes = new RequestType<NodeAttributesParams, NodeAttributesResult, void>('bifrost/nodes/attributes', BY_NAME);

export interface NodeResolveParams {
  deviceId: string;
  /**
   * A node id (`ns=2;s=Tank.Level`, `i=85`, `nsu=…;s=…`) or a browse path from the Objects
   * folder: `/Plant/Tank/Level`, browse names with `ns:` prefixes where needed (`/2:Plant/2:Tank`).
   */
  path: string;
}
export interface NodeResolveResult {
  item: BrowseItem;
  /** The refs from the device's top level down to the node, for a tree to reveal it. */
  ancestors: string[];
}
export const NodeResolve = new RequestType<NodeResolveParams, NodeResolveResult, void>('bifrost/nodes/resolve', BY_NAME);

export interface MethodArgument {
  name: string;
  /** The DataType's name: `Double`, `String`, `Int32`, … */
  dataType: string;
  valueKind: ValueKind;
  /** -1 scalar, 1 one-dimensional array. */
  valueRank: number;
  description?: string;
}
export interface MethodDescribeParams {
  deviceId: string;
  methodId: string;
}
export interface MethodDescribeResult {
  /** The object the method is called on (its parent), for `bifrost/call`. */
  objectId: string;
  methodId: string;
  name: string;
  description?: string;
  inputs: MethodArgument[];
  outputs: MethodArgument[];
  executable: boolean;
}
export const MethodDescribe = new RequestType<MethodDescribeParams, MethodDescribeResult, void>('bifrost/methods/describe', BY_NAME);

export interface CallParams {
  deviceId: string;
  objectId: string;
  methodId: string;
  /** In the order of the method's InputArguments; encoded by their DataType (refused when a value does not fit). */
  inputs: TagValue[];
}
export interface CallResult {
  /** `Good`, or the status name the server answered. */
  status: string;
  outputs: TagValue[];
}
/** Calls a method. Refused unless the device has `allowWrites`: a method changes the process. */
export const Call = new RequestType<CallParams, CallResult, void>('bifrost/call', BY_NAME);

export interface HistoryReadParams {
  deviceId: string;
  tag: TagRef;
  /** Milliseconds since the Unix epoch, or ISO 8601. */
  start: number | string;
  end: number | string;
  /** At most this many values in the answer (default 10,000); `continuation` then says more follow. */
  maxValues?: number;
  continuation?: string;
}
export interface HistoryReadResult {
  /** Raw values, oldest first; `tag` is the key of the requested tag. */
  items: TagReading[];
  continuation?: string;
}
export const HistoryRead = new RequestType<HistoryReadParams, HistoryReadResult, void>('bifrost/history/read', BY_NAME);

export interface DemoStartResult {
  /** The demo devices, as loaded; they run beside the configured ones. */
  devices: DeviceConfig[];
}
export const DemoStart = new RequestType0<DemoStartResult, void>('bifrost/demo/start');
export const DemoStop = new RequestType0<void, void>('bifrost/demo/stop');
export interface DemoMuteParams {
  /** A unit of the demo's serial bus: `demo-drive` or `demo-meter`. */
  deviceId: string;
  muted: boolean;
}
export interface DemoMuteResult {
  deviceId: string;
  muted: boolean;
}
/** Mutes a unit of the demo's serial bus (it hears requests and never answers), or unmutes it. */
export const DemoMute = new RequestType<DemoMuteParams, DemoMuteResult, void>('bifrost/demo/mute', BY_NAME);

// ---------------------------------------------------------------------------------------------
// WebSocket clients (`--listen`): the first request of a connection that sent no
// `Authorization: Bearer` header on its upgrade. The transport answers it; stdio has no tokens.
// ---------------------------------------------------------------------------------------------

export interface AuthenticateParams {
  /** A token made with `token add` (base64url, 43 characters). */
  token: string;
}
export interface AuthenticateResult {
  /** The token's name in the tokens file. */
  name: string;
  /** A read-only token gets WriteRefused on every method that changes something. */
  access: 'read-only' | 'read-write';
}
export const Authenticate = new RequestType<AuthenticateParams, AuthenticateResult, void>('bifrost/authenticate', BY_NAME);

// ---------------------------------------------------------------------------------------------
// Errors: JSON-RPC errors carry one of these codes and a message a person understands.
// ---------------------------------------------------------------------------------------------

export const ErrorCodes = {
  /** Standard JSON-RPC codes, produced by the connection itself. */
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** The client cancelled the request with `$/cancelRequest`. */
  RequestCancelled: -32800,
  /** Bifrost codes. */
  UnknownDevice: 1001,
  BadTagRef: 1002,
  BadValue: 1003,
  WriteRefused: 1004,
  DeviceUnavailable: 1005,
  DeviceException: 1006,
  Timeout: 1007,
  ProtocolError: 1008,
  UnknownSubscription: 1009,
  DeviceBusy: 1010,
  /** The only error that carries `data`: a `BadConfigData`. */
  BadConfig: 1011,
  /** The device's protocol has no such thing (methods, history, attributes of a Modbus device). */
  NotSupported: 1012,
  /** The device's server certificate is not trusted (yet): see `bifrost/certificateUntrusted`. */
  CertificateUntrusted: 1013,
  /** Over a WebSocket: the client has not authenticated (yet), or its token is not valid. */
  Unauthorized: 1014,
  /** Over a WebSocket: a per-client limit (request rate, subscriptions) was reached; the request was not served. */
  LimitExceeded: 1015,
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** The `data` of a BadConfig error: why the document was refused, as in a load's `problems`. */
export interface BadConfigData {
  problems: ConfigProblem[];
}
