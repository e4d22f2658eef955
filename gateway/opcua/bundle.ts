/**
 * The OPC UA bundle's entry (dist/opcua.js): the device and node-opcua, loaded by
 * gateway/opcua/load.ts at the first OPC UA device or certificate request. The loggers come
 * first, before node-opcua loads.
 */
export { routeOpcUaLogs } from './logging';
export { OpcUaDevice } from './device';
export { openCertificateManager } from '../pki/manager';
export { probeOpcUa } from './discoveryProbe';
