/**
 * The OPC UA part of the contract: a device's configuration and its tags. Re-exported by
 * gateway/protocol.ts, so clients keep importing one module. Free of Node, DOM and vscode
 * imports, like the rest of the contract.
 */
import type { DeviceConfigBase, TagConfigBase } from '../protocol';

export type OpcUaSecurityMode = 'None' | 'Sign' | 'SignAndEncrypt';

/**
 * Security policies by their short names. `Basic128Rsa15` and `Basic256` are deprecated by the
 * OPC Foundation: accepted for legacy servers, with a warning.
 */
export type OpcUaSecurityPolicy = 'None' | 'Basic256Sha256' | 'Aes128_Sha256_RsaOaep' | 'Aes256_Sha256_RsaPss' | 'Basic128Rsa15' | 'Basic256';

/**
 * Who the session logs in as. A password never sits in bifrost.json: a client that keeps it
 * elsewhere (VS Code's SecretStorage) passes it in `bifrost/config/load` as `password`, which
 * the gateway keeps in memory only and never logs; headless, `passwordEnv` names an environment
 * variable that holds it.
 */
export type OpcUaUser =
  | { type: 'anonymous' }
  | { type: 'username'; username: string; password?: string; passwordEnv?: string }
  | { type: 'certificate'; certificateFile: string; privateKeyFile: string };

export interface OpcUaTagConfig extends TagConfigBase {
  /** `ns=2;s=Tank.Level`, `i=2258`, `nsu=urn:example;s=Level`. */
  nodeId: string;
  /** How often the server samples the value; default the device's samplingIntervalMs. */
  samplingIntervalMs?: number;
  /** How many samples the server keeps between publishes; default 1 (the newest). */
  queueSize?: number;
}

export interface OpcUaDeviceConfig extends DeviceConfigBase {
  protocol: 'opcua';
  /** `opc.tcp://host:4840/path`. */
  endpointUrl: string;
  /** Default: the most secure mode and policy pair the server offers. */
  securityMode?: OpcUaSecurityMode;
  securityPolicy?: OpcUaSecurityPolicy;
  /** Default anonymous. */
  user?: OpcUaUser;
  /** Default 500 ms. */
  publishingIntervalMs?: number;
  /** Default 500 ms. */
  samplingIntervalMs?: number;
  tags?: OpcUaTagConfig[];
}

/** What a person needs to decide whether to trust a certificate (as UaExpert shows it). */
export interface CertificateInfo {
  /** SHA-1 of the DER, lowercase hex: the name OPC UA stores use. */
  thumbprint: string;
  /** SHA-256 of the DER, lowercase hex. */
  sha256: string;
  subject: string;
  issuer: string;
  /** ISO 8601. */
  validFrom: string;
  validTo: string;
  applicationUri?: string;
  /** DNS names and IP addresses from subjectAltName. */
  hosts?: string[];
  /** The certificate itself, PEM: to save it, or to give it to a server to trust. */
  pem: string;
}
