/**
 * The machine's serial ports: serialport's list (udev on Linux, the registry on Windows, IOKit on
 * macOS), or on Linux, when serialport does not load or lists nothing (no udev in a container,
 * say), the serial device names in /dev. Nothing here opens a port.
 */
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import * as path from 'node:path';
import type { SerialPortInfo, SerialPortsResult } from '../protocol/serialPorts';
import { errorMessage } from '../errors';
import { loadSerial } from './load';

export interface PortRoots {
  /** Where /dev is; tests give a folder of their own. */
  dev: string;
  /** Where /sys is. */
  sys: string;
}

const SYSTEM: PortRoots = { dev: '/dev', sys: '/sys' };
const DEV_PATTERNS = [/^ttyS\d+$/, /^ttyUSB\d+$/, /^ttyACM\d+$/];

export async function listSerialPorts(roots: PortRoots = SYSTEM, platform: NodeJS.Platform = process.platform): Promise<SerialPortsResult> {
  let listed: SerialPortInfo[] = [];
  let why: string;
  try {
    const raw = await loadSerial().SerialPort.list();
    listed = raw.map((p) => withoutEmpty({ path: p.path, manufacturer: p.manufacturer, serialNumber: p.serialNumber, vendorId: p.vendorId, productId: p.productId, pnpId: p.pnpId, source: 'serialport' as const }));
    if (platform === 'linux') listed = listed.filter((p) => !/^\/dev\/ttyS\d+$/.test(p.path) || realUart(roots, path.basename(p.path)));
    if (listed.length > 0 || platform !== 'linux') return { ports: listed };
    why = 'the system listed no serial ports';
  } catch (err) {
    if (platform !== 'linux') return { ports: [], note: `the system's list of serial ports failed: ${errorMessage(err)}` };
    why = `the system's list of serial ports failed (${errorMessage(err)})`;
  }
  return { ports: devSerialPorts(roots), note: `${why}: these are the serial devices found in ${roots.dev}` };
}

/**
 * /dev/ttyS*, /dev/ttyUSB*, /dev/ttyACM* and the links of /dev/serial/by-id (each saying which
 * port it points to), sorted by name with numbers in order.
 */
export function devSerialPorts(roots: PortRoots): SerialPortInfo[] {
  const names = readdir(roots.dev).filter((n) => DEV_PATTERNS.some((re) => re.test(n)) && (!n.startsWith('ttyS') || realUart(roots, n)));
  const ports: SerialPortInfo[] = names.sort(byNumber).map((n) => ({ path: path.join(roots.dev, n), source: 'dev' }));
  const byId = path.join(roots.dev, 'serial', 'by-id');
  for (const n of readdir(byId).sort(byNumber)) {
    const link = path.join(byId, n);
    let target: string;
    try {
      target = realpathSync(link);
    } catch {
      continue; // a dangling link: the device is gone
    }
    ports.push({ path: link, pnpId: n, target, source: 'dev' });
  }
  return ports;
}

/**
 * Whether /dev/ttySN is a UART rather than one of the placeholders the 8250 driver makes for
 * every possible port (32 on most kernels; opening one fails or reads nothing). The kernel tells
 * them apart by the port's `type`: 0 is PORT_UNKNOWN, no UART found. A driver link alone is not
 * enough: recent kernels bind every placeholder to the serial core's "port" driver. Without a
 * `type` file, the driver link is what there is.
 */
function realUart(roots: PortRoots, name: string): boolean {
  const dir = path.join(roots.sys, 'class', 'tty', name);
  try {
    return readFileSync(path.join(dir, 'type'), 'utf8').trim() !== '0';
  } catch {
    return existsSync(path.join(dir, 'device', 'driver'));
  }
}

function readdir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function byNumber(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

function withoutEmpty(p: SerialPortInfo): SerialPortInfo {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) if (v !== undefined && v !== '') out[k] = v;
  return out as unknown as SerialPortInfo;
}
