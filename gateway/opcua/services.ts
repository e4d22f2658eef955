/**
 * OPC UA services on an open session, as the driver uses them: what a variable is (its DataType,
 * rank, access, engineering information), readings from DataValues, writes encoded by the
 * variable's DataType, attributes, browse paths, methods and history. Functions of a
 * node-opcua ClientSession, so each is tested against a real server on its own. Messages name
 * the node, not the device: the device puts its id in front (`plc1: ns=2;s=Tank.Level: …`).
 *
 * Loaded with the OPC UA bundle only (never from gateway/opcua/driver.ts).
 */
export { parseNodeId, formatNodeId } from './nodeIds';
export { describeVariables, type VariableMeta } from './meta';
export { toReading, readValues } from './readings';
export { writeSpecOf, writeValue } from './writes';
export { readAttributes } from './attributes';
export { resolveNode } from './paths';
export { describeMethod, callMethod } from './methods';
export { readHistory } from './history';
