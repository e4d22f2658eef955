/**
 * An OPC UA device's settings after validation (gateway/opcua/driver.ts), every default filled
 * in. Plain JSON: the core compares settings as JSON to tell a changed device.
 */
import type { Deadband, OpcUaSecurityMode, OpcUaSecurityPolicy, OpcUaUser, TagAccess } from '../protocol';

export interface OpcUaTag {
  /** The configured name: readings are reported under it. */
  key: string;
  /** As written (shape-checked); parsed against the server's namespaces at connect. */
  nodeId: string;
  access: TagAccess;
  unit?: string;
  description?: string;
  deadband?: Deadband;
  samplingIntervalMs?: number;
  queueSize?: number;
}

export interface OpcUaSettings {
  endpointUrl: string;
  /** Both set, or both unset (then the most secure pair the server offers). */
  securityMode?: OpcUaSecurityMode;
  securityPolicy?: OpcUaSecurityPolicy;
  user: OpcUaUser;
  publishingIntervalMs: number;
  samplingIntervalMs: number;
  tags: OpcUaTag[];
}

export const OPCUA_DEFAULTS = {
  publishingIntervalMs: 500,
  samplingIntervalMs: 500,
} as const;

/** Ordered from least to most secure: the default picks the last one a server offers. */
export const SECURITY_POLICIES: readonly OpcUaSecurityPolicy[] = ['None', 'Basic128Rsa15', 'Basic256', 'Aes128_Sha256_RsaOaep', 'Basic256Sha256', 'Aes256_Sha256_RsaPss'];
export const DEPRECATED_POLICIES: readonly OpcUaSecurityPolicy[] = ['Basic128Rsa15', 'Basic256'];
export const SECURITY_MODES: readonly OpcUaSecurityMode[] = ['None', 'Sign', 'SignAndEncrypt'];

/** `opc.tcp://host[:port][/path]`: host a name, an IPv4 address or a bracketed IPv6 address. */
export const ENDPOINT_URL = /^opc\.tcp:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::(\d{1,5}))?(\/[^\s]*)?$/;

/** The shape of a NodeId string; the full parse (namespace URIs included) needs the server. */
export const NODE_ID_SHAPE = /^(?:ns=\d{1,5};|nsu=[^;]+;)?(?:i=\d{1,10}|s=.+|g=[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|b=[A-Za-z0-9+/=]+)$/;

export const NODE_ID_FORMS = 'a NodeId such as "ns=2;s=Tank.Level", "i=2258", "ns=3;i=1001", "ns=1;g=<guid>", "ns=1;b=<base64>" or "nsu=urn:example;s=Level"';
