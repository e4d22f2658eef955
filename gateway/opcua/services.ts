/**
 * OPC UA services on an open session, as the driver uses them: what a variable is (its DataType,
 * rank, access, engineering information), readings from DataValues, writes encoded by the
 * variable's DataType, attributes, browse paths, methods and history. Functions of a
 * node-opcua ClientSession, so each is tested against a real server on its own.
 *
 * Loaded with the OPC UA bundle only (never from gateway/opcua/driver.ts).
 */
import type { ClientSession, DataValue, NodeId } from 'node-opcua-client';
import type {
  CallResult,
  HistoryReadResult,
  MethodDescribeResult,
  NodeAttributesResult,
  NodeResolveResult,
  TagReading,
  TagValue,
  ValueKind,
  WriteSpec,
} from '../protocol';

/** What the driver needs to know of a variable to show, convert and write its values. */
export interface VariableMeta {
  /** Canonical NodeId string (`ns=2;s=Tank.Level`). */
  nodeId: string;
  /** The DataType's browse name (`Double`, `Int64`, `MyStructure`). */
  dataType: string;
  /** The DataType's NodeId string. */
  dataTypeId: string;
  /** -1 scalar, 1 one-dimensional array, … (OPC UA ValueRank). */
  valueRank: number;
  valueKind: ValueKind;
  /** CurrentRead / CurrentWrite of UserAccessLevel. */
  readable: boolean;
  writable: boolean;
  historizing: boolean;
  description?: string;
  engineeringUnits?: string;
  euRange?: { low: number; high: number };
  /** Enumerations: value and name of each member. */
  enumValues?: { value: number; label: string }[];
}

const NOT_YET = 'the OPC UA value services are not built yet';

/**
 * Parses `ns=2;s=Tank.Level`, `i=85`, `nsu=<uri>;s=…` (namespace URIs resolved with the
 * session's namespace array). Throws BadTagRef with a message that shows the accepted forms.
 */
export function parseNodeId(text: string, session?: ClientSession): NodeId {
  void text;
  void session;
  throw new Error(NOT_YET);
}

/** One meta per node, in order; an Error for a node that does not exist or is not a variable. */
export async function describeVariables(session: ClientSession, nodeIds: readonly NodeId[]): Promise<(VariableMeta | Error)[]> {
  void session;
  void nodeIds;
  throw new Error(NOT_YET);
}

/** A reading under `tag` from a DataValue: value by DataType, status code → quality and name, both timestamps. */
export function toReading(tag: string, dataValue: DataValue, meta: VariableMeta | undefined, receivedAt: number): TagReading {
  void tag;
  void dataValue;
  void meta;
  void receivedAt;
  throw new Error(NOT_YET);
}

/** Reads the Value attribute of each node (split by the server's MaxNodesPerRead), one reading per item in order. */
export async function readValues(session: ClientSession, items: readonly { key: string; nodeId: NodeId; meta?: VariableMeta }[]): Promise<TagReading[]> {
  void session;
  void items;
  throw new Error(NOT_YET);
}

/** What a write to the variable may carry, for clients that check input before sending. */
export function writeSpecOf(meta: VariableMeta): WriteSpec {
  void meta;
  throw new Error(NOT_YET);
}

/**
 * Encodes `value` by the variable's DataType and ValueRank (BadValue before anything is sent when
 * it does not fit; never rounded), writes it and resolves with the value as written once the
 * server answered Good; a bad status rejects with its name (BadUserAccessDenied, BadNotWritable, …).
 */
export async function writeValue(session: ClientSession, meta: VariableMeta, value: TagValue): Promise<TagValue> {
  void session;
  void meta;
  void value;
  throw new Error(NOT_YET);
}

export async function readAttributes(session: ClientSession, nodeId: NodeId): Promise<NodeAttributesResult> {
  void session;
  void nodeId;
  throw new Error(NOT_YET);
}

/** A NodeId string or a browse path from the Objects folder (`/2:Plant/2:Tank/2:Level`, or plain names). */
export async function resolveNode(session: ClientSession, path: string): Promise<NodeResolveResult> {
  void session;
  void path;
  throw new Error(NOT_YET);
}

export async function describeMethod(session: ClientSession, methodId: NodeId): Promise<MethodDescribeResult> {
  void session;
  void methodId;
  throw new Error(NOT_YET);
}

/** Inputs encoded by the method's InputArguments (BadValue when one does not fit), outputs converted back. */
export async function callMethod(session: ClientSession, objectId: NodeId, methodId: NodeId, inputs: readonly TagValue[]): Promise<CallResult> {
  void session;
  void objectId;
  void methodId;
  void inputs;
  throw new Error(NOT_YET);
}

/** Raw history, oldest first, continuation points followed up to maxValues (then returned as `continuation`). */
export async function readHistory(
  session: ClientSession,
  request: { key: string; nodeId: NodeId; meta?: VariableMeta; start: Date; end: Date; maxValues: number; continuation?: string },
): Promise<HistoryReadResult> {
  void session;
  void request;
  throw new Error(NOT_YET);
}
