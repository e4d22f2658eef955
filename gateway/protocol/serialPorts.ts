/**
 * `bifrost/serialPorts`: the serial ports of the gateway's machine, for a person to pick from
 * (e.g. to name in a serial `bifrost/discover`). Listing only looks: it opens no port.
 */

export interface SerialPortInfo {
  /** What to give as `serialPath`: `/dev/ttyUSB0`, `/dev/serial/by-id/usb-FTDI_…`, `COM3`. */
  path: string;
  manufacturer?: string;
  serialNumber?: string;
  /** USB vendor and product ids, hexadecimal as the system gives them (`0403`, `6001`). */
  vendorId?: string;
  productId?: string;
  /** The system's name for the device (on Linux its /dev/serial/by-id name). */
  pnpId?: string;
  /** For a link (/dev/serial/by-id/…): the port it points to. */
  target?: string;
  /** `serialport`: the system's list of ports; `dev`: found among /dev's serial device names. */
  source: 'serialport' | 'dev';
}

export interface SerialPortsResult {
  ports: SerialPortInfo[];
  /** Why the system's list was not used, when the ports come from /dev. */
  note?: string;
}
