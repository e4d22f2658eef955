/**
 * The Modbus part of the contract: the shapes a Modbus device's configuration, its tags and its
 * inline address objects take. Re-exported by gateway/protocol.ts, so clients keep importing one
 * module. Free of Node, DOM and vscode imports, like the rest of the contract.
 */
import type { DeviceConfigBase, TagConfigBase } from '../protocol';

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

/** An inline Modbus address, a tag reference object. `address` is 0-based (the PDU address). */
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

/** A tag of a Modbus device in bifrost.json. */
export interface ModbusTagConfig extends TagConfigBase, Omit<ModbusAddress, 'area' | 'address'> {
  /** Needed with a numeric address. */
  area?: ModbusArea;
  /** A 0-based number (with `area`), or one address string: `holding:100:float32:CDAB`, `40101`. */
  address: number | string;
}

/** A Modbus TCP device in bifrost.json (`"protocol": "modbus-tcp"`). */
export interface ModbusTcpDeviceConfig extends DeviceConfigBase {
  protocol: 'modbus-tcp';
  host: string;
  /** Default 502. */
  port?: number;
  /** Default 1. */
  unitId?: number;
  /**
   * Default false: the device has a TCP connection of its own. True: every device with this
   * host and port and `shareConnection` uses one connection, one request at a time (a TCP
   * gateway to a serial bus that accepts a single client, with one unit id per device).
   */
  shareConnection?: boolean;
  /** Largest gap (in registers or bits) a read may bridge. Default: planned by cost (see docs). */
  maxGap?: number;
  /** Upper bound per read request; default and maximum 125 registers. */
  maxRegistersPerRead?: number;
  /** Upper bound per read request; default and maximum 2000 bits. */
  maxBitsPerRead?: number;
  /** Use FC15/FC16 even for a single coil or register (for devices without FC5/FC6). */
  writeMultiple?: boolean;
  tags?: ModbusTagConfig[];
}

/** A Modbus RTU device in bifrost.json (`"protocol": "modbus-rtu"`): a unit on a serial bus. */
export interface ModbusRtuDeviceConfig extends DeviceConfigBase {
  protocol: 'modbus-rtu';
  /** Default "serial": a port of this computer; "tcp": a serial server passing RTU frames over TCP. */
  transport?: 'serial' | 'tcp';
  /** Needed unless transport is "tcp": `/dev/ttyUSB0`, `COM3`. */
  serialPath?: string;
  /** With transport "tcp": the serial server. */
  host?: string;
  port?: number;
  /** 1200-921600; default 19200. Devices on one port must agree on the line settings. */
  baudRate?: number;
  /** Default 8. */
  dataBits?: 7 | 8;
  /** Default "even". */
  parity?: 'none' | 'even' | 'odd';
  /** Default 1. */
  stopBits?: 1 | 2;
  /** 1-247; default 1. */
  unitId?: number;
  maxGap?: number;
  maxRegistersPerRead?: number;
  maxBitsPerRead?: number;
  writeMultiple?: boolean;
  tags?: ModbusTagConfig[];
}

// ---------------------------------------------------------------------------------------------
// The register inspector: raw ranges of a Modbus device (bifrost/modbus/readRange, .../probe)
// ---------------------------------------------------------------------------------------------

/** A range of one area of a Modbus device, 0-based like the PDU. */
export interface ModbusRangeParams {
  deviceId: string;
  area: ModbusArea;
  start: number;
  /** At most 4000 registers (holding, input) or 32000 bits (coil, discrete); start + count <= 65536. */
  count: number;
}

/** A part of a range that could not be read. */
export interface ModbusRangeError {
  start: number;
  count: number;
  message: string;
  /** The Modbus exception code the device answered, when it answered one. */
  exception?: number;
}

export interface ModbusReadRangeResult {
  area: ModbusArea;
  start: number;
  count: number;
  /** One per address: a register (0-65535) or a bit (0/1); null where reading it failed. */
  values: (number | null)[];
  /** Where values are null and why, in address order; adjacent failures alike are one entry. */
  errors: ModbusRangeError[];
  /** Read requests sent to the device. */
  requests: number;
  timestamp: number;
}

export interface ModbusProbeResult {
  /** Inclusive [first, last] ranges that answered with values, in address order. */
  present: [number, number][];
  /** Inclusive [first, last] ranges answered with exception 2 (illegal data address). */
  absent: [number, number][];
  /** Parts that failed otherwise (timeouts, other exceptions): unknown whether they exist. */
  failed: ModbusRangeError[];
  /** Read requests sent to the device. */
  requests: number;
}
