/**
 * Discovery: what is on the network, at which unit ids. `bifrost/discover` is a long request that
 * streams what it finds as `bifrost/discovered` notifications while it runs, with
 * `bifrost/discoveryProgress`, and answers once everything was probed or the client cancelled it
 * (`$/cancelRequest`). Discovery only reads: it never writes to a device.
 */

export interface ModbusDiscoverParams {
  /** `"192.168.1.0/24"`, `"10.0.0.5"`, `"10.0.0.5-40"`, `"10.0.0.5-10.0.1.7"`, `"plc-3.local"`: 65,536 hosts at most. */
  targets: string[];
  /** TCP ports to try on each host (default `[502]`). */
  ports?: number[];
  /** Unit ids asked on each open port: default `[1, 255, 0]`; `"all"` sweeps 1-247. */
  unitIds?: number[] | 'all';
  /** How long a connect or an answer may take, ms (default 1000). */
  timeoutMs?: number;
  /** Connections being made at once (default 64). */
  concurrency?: number;
}

export interface OpcUaDiscoverParams {
  /**
   * Hosts in the forms of `ModbusDiscoverParams.targets`, each tried on every port of `ports`, and
   * endpoint URLs `opc.tcp://host:port[/path]`, tried as given.
   */
  targets: string[];
  /** TCP ports to try on each host (default `[4840]`, the discovery port); not for URLs. */
  ports?: number[];
  /** How long a connect or an answer may take, ms (default 2000). */
  timeoutMs?: number;
  /** Servers asked at once (default 8). */
  concurrency?: number;
}

export type SerialParityName = 'none' | 'even' | 'odd';

/**
 * Modbus RTU on serial ports: only the ports named are opened, one line setting at a time (8 data
 * bits, 1 stop bit), each port on its own while ports run side by side.
 */
export interface SerialDiscoverParams {
  /** `"/dev/ttyUSB0"`, `"COM3"`: discovery never opens a port that is not named here. */
  ports: string[];
  /** Default `[9600, 19200, 38400, 57600, 115200]`, tried in this order. */
  baudRates?: number[];
  /** Default `["even", "none"]` (even is the Modbus default), tried in this order for each baud rate. */
  parities?: SerialParityName[];
  /** Default 1-10; `"all"` asks 1-247. */
  unitIds?: number[] | 'all';
  /** How long a unit may take to answer, ms; default 100 ms plus the frames' time at each baud rate. */
  timeoutMs?: number;
  /** Once units answered at one setting, leave the port's other settings untried (default true). */
  stopAtFirst?: boolean;
}

export interface DiscoverParams {
  /** A client's id for this scan, echoed in its notifications; the gateway makes one if absent. */
  discoveryId?: string;
  modbus?: ModbusDiscoverParams;
  opcua?: OpcUaDiscoverParams;
  serial?: SerialDiscoverParams;
  /** Checks the parameters and answers how many hosts and probes the scan would make, without scanning. */
  dryRun?: boolean;
}

/** What a device says about itself (Modbus FC43 Read Device Identification, or FC17). */
export interface DeviceIdentity {
  vendorName: string;
  productCode: string;
  revision: string;
  vendorUrl?: string;
  productName?: string;
  modelName?: string;
}

/**
 * How sure a result is. `device-identification`: the device described itself; `exception-reply`:
 * it answered with a Modbus exception (a Modbus device, or a gateway without that unit);
 * `register-read`: it answered a one-register read.
 */
export type DiscoveryEvidence = 'device-identification' | 'exception-reply' | 'register-read';

export interface ModbusDiscoveredItem {
  protocol: 'modbus-tcp';
  host: string;
  port: number;
  unitId: number;
  identity?: DeviceIdentity;
  evidence: DiscoveryEvidence;
  /** The Modbus exception code of an `exception-reply`. */
  exception?: number;
  /** For people: e.g. that a gateway answered for this unit id without reaching it. */
  note?: string;
}

export type OpcUaApplicationType = 'Server' | 'Client' | 'ClientAndServer' | 'DiscoveryServer';
export type OpcUaUserTokenType = 'anonymous' | 'username' | 'certificate' | 'issuedToken';

/** One endpoint of a server, as its GetEndpoints answered. */
export interface OpcUaEndpointSummary {
  endpointUrl: string;
  securityMode: 'None' | 'Sign' | 'SignAndEncrypt';
  /** The policy's short name (`Basic256Sha256`), and its URI as the server sent it. */
  securityPolicy: string;
  securityPolicyUri: string;
  userTokenTypes: OpcUaUserTokenType[];
  /** The server's own ranking of its endpoints: higher is more secure. */
  securityLevel: number;
  /** SHA-1 of the server certificate's DER, lowercase hex: for a person to compare; discovery trusts nothing. */
  serverCertificateThumbprint?: string;
}

/**
 * An OPC UA server, found by FindServers (a Local Discovery Server lists the servers registered
 * with it) and described by GetEndpoints. `host` and `port` are those of `endpointUrl`, the
 * discovery URL that answered GetEndpoints.
 */
export interface OpcUaDiscoveredItem {
  protocol: 'opcua';
  host: string;
  port: number;
  endpointUrl: string;
  evidence: 'opcua-endpoints';
  applicationName: string;
  applicationUri: string;
  productUri: string;
  applicationType: OpcUaApplicationType;
  endpoints: OpcUaEndpointSummary[];
}

/** A unit on a serial bus, at the line setting it answered at. */
export interface DiscoveredRtuItem {
  protocol: 'modbus-rtu';
  serialPath: string;
  baudRate: number;
  parity: SerialParityName;
  dataBits: 8;
  stopBits: 1;
  unitId: number;
  identity?: DeviceIdentity;
  evidence: DiscoveryEvidence;
  exception?: number;
  note?: string;
}

export type DiscoveredItem = ModbusDiscoveredItem | OpcUaDiscoveredItem | DiscoveredRtuItem;

/** The items of one notification are of one protocol. */
export interface DiscoveredNotification {
  discoveryId: string;
  items: DiscoveredItem[];
}

/** `bifrost/discovered` of a scan with `serial`: units found on serial ports. */
export type DiscoveredRtuNotification = DiscoveredNotification;

/** Something a scan could not do, or noticed, about one target (a serial port). */
export interface DiscoveryMessage {
  target: string;
  message: string;
}

export interface DiscoveryProgressNotification {
  discoveryId: string;
  /** Host × port probes finished (Modbus and OPC UA; an OPC UA endpoint URL is one), of `total`. */
  done: number;
  total: number;
}

export interface DiscoverResult {
  discoveryId: string;
  /** Hosts in the scan (host names resolved; a host scanned for both protocols counts once), and host × port probes it makes. */
  hosts: number;
  probes: number;
  /** Results sent in `bifrost/discovered`. */
  found: number;
  /** Host × port probes finished (all of them unless cancelled). */
  probed: number;
  cancelled: boolean;
  durationMs: number;
  /** With `serial`: how long the scan takes at worst (every unit silent at every setting), ms. */
  estimatedMs?: number;
  /** Targets that could not be scanned (a serial port that does not exist or is in use), and why. */
  errors?: DiscoveryMessage[];
  /** What was noticed on the way, e.g. bytes at a line setting where no frame was valid. */
  notes?: DiscoveryMessage[];
}
