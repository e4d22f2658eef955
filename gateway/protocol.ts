/**
 * The contract between the Bifrost gateway and its clients (the VS Code extension, the demo
 * terminal, benchmarks, tests). Every request and notification is declared here once, as a typed
 * constant, and imported by both sides. Documented for outside clients in docs/protocol.md.
 *
 * This module must stay free of Node, DOM and vscode imports: the extension bundles it too.
 */
import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';

export const GATEWAY_NAME = 'bifrost-gateway';

/**
 * Node options every launcher gives the gateway. A small young generation keeps the resident size
 * down under heavy polling (measured: about 20 MB less at 100,000 values/s, same CPU).
 */
export const GATEWAY_NODE_OPTIONS: readonly string[] = ['--max-semi-space-size=4'];

// ---------------------------------------------------------------------------------------------
// Addresses, tags and values
// ---------------------------------------------------------------------------------------------

export type ProtocolKind = 'modbus-tcp' | 'modbus-rtu' | 'opcua';

export type ModbusArea = 'coil' | 'discrete' | 'input' | 'holding';

/** Data types a Modbus address can be decoded as. `bool` on a register area needs `bit`. */
export type ModbusDataType =
  | 'bool'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'float32'
  | 'int64'
  | 'uint64'
  | 'float64'
  | 'string';

/**
 * Byte order of multi-register values, named after the four bytes of a 32-bit value as they
 * appear on the wire (A = most significant). For 64-bit types the same names mean the same swaps
 * across four registers: ABCD = ABCDEFGH (big-endian), CDAB = GHEFCDAB (word order reversed),
 * BADC = BADCFEHG (bytes swapped in each register), DCBA = HGFEDCBA (little-endian).
 */
export type ByteOrder = 'ABCD' | 'BADC' | 'CDAB' | 'DCBA';

/** An inline Modbus address. `address` is 0-based (the PDU address). */
export interface ModbusAddress {
  area: ModbusArea;
  address: number;
  /** Defaults to `bool` for coil/discrete and `uint16` for input/holding. */
  type?: ModbusDataType;
  /** For 32/64-bit types; default ABCD. */
  byteOrder?: ByteOrder;
  /** Registers occupied by a `string` (2 characters each). */
  length?: number;
  /** Bit 0-15 inside a register (type `bool` on input/holding). */
  bit?: number;
  /** Engineering value = raw * scale + offset (numeric types only). */
  scale?: number;
  offset?: number;
}

/**
 * A tag reference: the name of a configured tag, an address string (`holding:100:float32:CDAB`,
 * `40101`, `40101:int32:CDAB`, `holding:7.3`), or an inline address object.
 */
export type TagRef = string | ModbusAddress;

/**
 * A tag value. 64-bit integers outside ±2^53 travel as decimal strings so that no digit is lost;
 * strings are `string` tags; everything else is a number or a boolean. `null` when no value is known.
 */
export type TagValue = number | boolean | string | null;

export type Quality = 'good' | 'uncertain' | 'bad';

export type TagAccess = 'read' | 'readwrite';

export interface TagConfig extends Omit<ModbusAddress, 'area' | 'address'> {
  name: string;
  /** Needed with a numeric address. */
  area?: ModbusArea;
  /** A 0-based number (with `area`), or one address string: `holding:100:float32:CDAB`, `40101`. */
  address: number | string;
  unit?: string;
  /** Default `read`: a tag is writable only when it says `readwrite` (and the device allows writes). */
  access?: TagAccess;
  description?: string;
}

// ---------------------------------------------------------------------------------------------
// Configuration (the same shape as bifrost.json)
// ---------------------------------------------------------------------------------------------

export interface DeviceConfig {
  id: string;
  name?: string;
  /** Free text for people; shown in tooltips. */
  description?: string;
  protocol: ProtocolKind;
  host?: string;
  /** Default 502. */
  port?: number;
  /** Default 1. */
  unitId?: number;
  /** Per request; default 1000 ms. */
  timeoutMs?: number;
  /** Default scan interval for this device's tags; default 1000 ms. */
  pollIntervalMs?: number;
  /** Default false: every write is refused. */
  allowWrites?: boolean;
  /** Largest gap (in registers or bits) bridged when coalescing reads; default 8 registers / 32 bits. */
  maxGap?: number;
  /** Upper bound per read request; default and maximum 125 registers. */
  maxRegistersPerRead?: number;
  /** Upper bound per read request; default and maximum 2000 bits. */
  maxBitsPerRead?: number;
  /** Use FC15/FC16 even for a single coil or register (for devices without FC5/FC6). */
  writeMultiple?: boolean;
  /** Disabled devices are listed but never connected. */
  enabled?: boolean;
  tags?: TagConfig[];
}

export interface BifrostConfig {
  $schema?: string;
  devices: DeviceConfig[];
}

export interface ConfigProblem {
  /** JSON pointer into the loaded document, e.g. `/devices/1/tags/3/address`. */
  path: string;
  message: string;
  severity: 'error' | 'warning';
}

export interface ConfigLoadResult {
  /** Ids of the devices that are running after the load. */
  devices: string[];
  /** Entries that were rejected (errors) or accepted with a remark (warnings). */
  problems: ConfigProblem[];
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
  /** Scans that could not start because the previous one had not finished within its interval. */
  skippedScans: number;
  /** Request round-trip latency over a recent window, in milliseconds; null before any sample. */
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
}

export interface TagInfo {
  name: string;
  /** Canonical address string, e.g. `holding:100:float32:CDAB`. */
  address: string;
  type: ModbusDataType;
  unit?: string;
  description?: string;
  access: TagAccess;
  /** True when a write would be accepted: the tag and the device both allow it. */
  writable: boolean;
}

export interface DeviceInfo {
  id: string;
  name: string;
  protocol: ProtocolKind;
  /** Where the device is, for people: `127.0.0.1:502 unit 1`. */
  endpoint: string;
  status: DeviceStatus;
  lastError: string | null;
  allowWrites: boolean;
  pollIntervalMs: number;
  /** `config` for bifrost.json devices, `demo` for the built-in demo plant. */
  source: 'config' | 'demo';
  stats: DeviceStats;
  tags: TagInfo[];
}

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

export interface TagReading {
  /** The tag's key: its configured name, or the canonical address string of an inline ref. */
  tag: string;
  value: TagValue;
  quality: Quality;
  /** Milliseconds since the Unix epoch when the value was read (or the failure noticed). */
  timestamp: number;
  /** Why the quality is not good. */
  error?: string;
}

// ---------------------------------------------------------------------------------------------
// Requests and notifications
// ---------------------------------------------------------------------------------------------

export interface PingResult {
  version: string;
  uptimeMs: number;
}
export const Ping = new RequestType0<PingResult, void>('bifrost/ping');

export const ConfigLoad = new RequestType<BifrostConfig, ConfigLoadResult, void>('bifrost/config/load');

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
export const TagsRead = new RequestType<TagsReadParams, TagsReadResult, void>('bifrost/tags/read');

export interface TagsWriteParams {
  deviceId: string;
  tag: TagRef;
  value: number | boolean | string;
}
export interface TagsWriteResult {
  tag: string;
  /** The value as written (after type conversion), confirmed by the device. */
  value: TagValue;
  timestamp: number;
}
export const TagsWrite = new RequestType<TagsWriteParams, TagsWriteResult, void>('bifrost/tags/write');

export interface SubscribeParams {
  deviceId: string;
  tags: TagRef[];
  /** Scan interval; default the device's pollIntervalMs. Minimum 10 ms. */
  intervalMs?: number;
  /** Default true: after the first complete batch, an item is sent only when its value, quality or error changes. */
  onChangeOnly?: boolean;
}
export interface SubscribeResult {
  subscriptionId: string;
  /** The key each requested tag is reported under, in request order. */
  tags: string[];
  intervalMs: number;
}
export const Subscribe = new RequestType<SubscribeParams, SubscribeResult, void>('bifrost/subscribe');

export interface UnsubscribeParams {
  subscriptionId: string;
}
export const Unsubscribe = new RequestType<UnsubscribeParams, void, void>('bifrost/unsubscribe');

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

/** The device list changed (config loaded, demo started or stopped): clients re-list. */
export const DevicesChanged = new NotificationType<Record<string, never>>('bifrost/devicesChanged');

export interface DemoStartResult {
  /** The demo devices, as loaded; they run beside the configured ones. */
  devices: DeviceConfig[];
}
export const DemoStart = new RequestType0<DemoStartResult, void>('bifrost/demo/start');
export const DemoStop = new RequestType0<void, void>('bifrost/demo/stop');

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
  BadConfig: 1011,
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];
