import type * as vscode from 'vscode';
import {
  SerialPorts,
  type DiscoverParams,
  type ModbusDiscoverParams,
  type OpcUaDiscoverParams,
  type SerialDiscoverParams,
  type SerialParityName,
  type SerialPortInfo,
} from '../../gateway/protocol';
import { localSubnets } from '../discovery/subnets';
import type { Services } from './services';
import { Cancelled } from './targets';

/** What one Discover Devices… asks the gateway to scan: one kind at a time. */
export type ScanRequest =
  | { kind: 'modbus'; title: string; params: Required<Pick<DiscoverParams, 'modbus'>> }
  | { kind: 'opcua'; title: string; params: Required<Pick<DiscoverParams, 'opcua'>> }
  | { kind: 'serial'; title: string; params: Required<Pick<DiscoverParams, 'serial'>> };

const OTHER_ADDRESSES = 'Other addresses…';
const OPCUA_SERVERS = 'OPC UA servers…';
const SERIAL_PORTS = 'Serial ports…';
const ANOTHER_PORT = 'Another port…';

/** Baud rates offered for a serial scan; the gateway's defaults come checked. */
const BAUD_RATES = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200];
const DEFAULT_BAUD_RATES = new Set([9600, 19200, 38400, 57600, 115200]);

/**
 * The questions of Discover Devices…: first what to scan (a network of this computer, other
 * addresses, OPC UA servers, or serial ports), then that kind's own questions. Every answer has a
 * default a person can take with Enter; the gateway checks the addresses and says what is wrong.
 */
export async function askWhatToScan(s: Services): Promise<ScanRequest> {
  const subnets = localSubnets();
  const what = await s.prompts.quickPick(
    [
      ...subnets.map((n) => ({
        label: n.cidr,
        description: `Modbus TCP · ${n.hosts.toLocaleString('en')} hosts`,
        detail: `this computer: ${n.via}`,
        scan: 'modbus' as const,
        targets: n.cidr,
      })),
      { label: OTHER_ADDRESSES, description: 'Modbus TCP: addresses, ranges, CIDR blocks or host names', scan: 'modbus' as const, targets: '' },
      { label: OPCUA_SERVERS, description: 'OPC UA: FindServers and GetEndpoints on hosts or opc.tcp:// URLs', scan: 'opcua' as const, targets: '' },
      { label: SERIAL_PORTS, description: "Modbus RTU: units on this computer's serial ports, at each baud rate and parity", scan: 'serial' as const, targets: '' },
    ],
    { title: 'Discover Devices: what to scan', placeHolder: 'A network of this computer, other addresses, OPC UA servers or serial ports', ignoreFocusOut: true },
  );
  if (!what) throw new Cancelled();
  if (what.scan === 'opcua') return { kind: 'opcua', title: 'Discovering OPC UA servers', params: { opcua: await askOpcUa(s) } };
  if (what.scan === 'serial') return { kind: 'serial', title: 'Scanning serial ports for Modbus RTU units', params: { serial: await askSerial(s) } };
  return { kind: 'modbus', title: 'Discovering Modbus TCP devices', params: { modbus: await askModbus(s, what.targets) } };
}

async function askModbus(s: Services, targets: string): Promise<ModbusDiscoverParams> {
  const steps = 4;
  const targetsText = await ask(s, 2, steps, {
    prompt: 'Addresses to scan for Modbus TCP, separated by commas or spaces',
    placeHolder: '192.168.1.0/24, 10.0.0.5-40, plc-3.local',
    value: targets,
    validateInput: (v) => (splitList(v).length === 0 ? 'Name at least one address, range, CIDR block or host name.' : undefined),
  });
  const ports = await askPorts(s, 3, steps, '502');
  const units = await s.prompts.quickPick(
    [
      { label: 'Unit ids 1, 255 and 0', description: 'the usual ones: quick', unitIds: undefined as ModbusDiscoverParams['unitIds'] },
      { label: 'Every unit id, 1-247', description: 'for gateways to serial buses: up to 247 questions per open port', unitIds: 'all' as const },
    ],
    { title: `Discover Devices (4/${steps}): unit ids`, placeHolder: 'Which unit ids to ask on each open port', ignoreFocusOut: true },
  );
  if (!units) throw new Cancelled();
  return { targets: splitList(targetsText), ports, ...(units.unitIds ? { unitIds: units.unitIds } : {}) };
}

async function askOpcUa(s: Services): Promise<OpcUaDiscoverParams> {
  const steps = 3;
  const targetsText = await ask(s, 2, steps, {
    prompt: 'Hosts or endpoint URLs to ask for OPC UA servers, separated by commas or spaces (a Local Discovery Server lists the servers registered with it)',
    placeHolder: 'localhost, 192.168.1.0/24, opc.tcp://plc-3:4840',
    value: 'localhost',
    validateInput: (v) => (splitList(v).length === 0 ? 'Name at least one host, range, CIDR block or opc.tcp:// URL.' : undefined),
  });
  const targets = splitList(targetsText);
  // Ports apply to hosts only: URLs name their own.
  const ports = targets.every((t) => /^opc\.tcp:\/\//i.test(t)) ? undefined : await askPorts(s, 3, steps, '4840');
  return { targets, ...(ports ? { ports } : {}) };
}

async function askSerial(s: Services): Promise<SerialDiscoverParams> {
  const steps = 5;
  const listed = await s.gateways.local.ctx.request(SerialPorts);
  let ports: string[] = [];
  if (listed.ports.length > 0) {
    const picked = await s.prompts.quickPickMany(
      [
        ...listed.ports.map((p) => ({ label: p.path, description: portDescription(p), detail: p.target ? `→ ${p.target}` : undefined, path: p.path })),
        { label: ANOTHER_PORT, description: 'type a path or a name (COM3)', path: '' },
      ],
      {
        title: `Discover Devices (2/${steps}): serial ports`,
        placeHolder: 'The ports to scan: discovery opens only these, one line setting at a time',
        ignoreFocusOut: true,
      },
    );
    if (!picked || picked.length === 0) throw new Cancelled();
    ports = picked.filter((p) => p.path).map((p) => p.path);
    if (picked.some((p) => !p.path)) ports.push(...(await askPortPaths(s, steps, undefined)));
  } else {
    ports = await askPortPaths(s, steps, `No serial ports found${listed.note ? ` (${listed.note})` : ''}.`);
  }
  const baudRates = await s.prompts.quickPickMany(
    BAUD_RATES.map((b) => ({ label: String(b), description: b === 19200 ? 'the Modbus default' : undefined, picked: DEFAULT_BAUD_RATES.has(b), baudRate: b })),
    { title: `Discover Devices (3/${steps}): baud rates`, placeHolder: 'Tried in turn from the slowest; a port stops at the first setting where units answer', ignoreFocusOut: true },
  );
  if (!baudRates || baudRates.length === 0) throw new Cancelled();
  const parities = await s.prompts.quickPickMany(
    (['even', 'none', 'odd'] as SerialParityName[]).map((p) => ({
      label: p,
      description: p === 'even' ? 'the Modbus default' : p === 'none' ? 'usually with 2 stop bits, often with 1' : undefined,
      picked: p !== 'odd',
      parity: p,
    })),
    { title: `Discover Devices (4/${steps}): parities`, placeHolder: 'Tried at each baud rate (8 data bits, 1 stop bit)', ignoreFocusOut: true },
  );
  if (!parities || parities.length === 0) throw new Cancelled();
  const units = await s.prompts.quickPick(
    [
      { label: 'Unit ids 1-10', description: 'where most buses have their units: quick', unitIds: undefined as SerialDiscoverParams['unitIds'] },
      { label: 'Every unit id, 1-247', description: 'slow: a silent unit id costs a timeout at every setting', unitIds: 'all' as const },
    ],
    { title: `Discover Devices (5/${steps}): unit ids`, placeHolder: 'Which unit ids to ask at each line setting', ignoreFocusOut: true },
  );
  if (!units) throw new Cancelled();
  return {
    ports,
    baudRates: baudRates.map((b) => b.baudRate).sort((a, b) => a - b),
    parities: parities.map((p) => p.parity),
    ...(units.unitIds ? { unitIds: units.unitIds } : {}),
  };
}

function portDescription(p: SerialPortInfo): string | undefined {
  const parts = [p.manufacturer, p.serialNumber ? `serial ${p.serialNumber}` : undefined, p.vendorId && p.productId ? `USB ${p.vendorId}:${p.productId}` : undefined];
  return parts.filter(Boolean).join(' · ') || undefined;
}

async function askPortPaths(s: Services, steps: number, why: string | undefined): Promise<string[]> {
  const text = await ask(s, 2, steps, {
    prompt: [why, 'Serial ports to scan, separated by commas or spaces'].filter(Boolean).join(' '),
    placeHolder: '/dev/ttyUSB0, /dev/serial/by-id/usb-FTDI…, COM3',
    validateInput: (v) => (splitList(v).length === 0 ? 'Name at least one serial port.' : undefined),
  });
  return splitList(text);
}

async function askPorts(s: Services, step: number, steps: number, value: string): Promise<number[]> {
  const text = await ask(s, step, steps, {
    prompt: 'TCP ports to try on each host, separated by commas',
    value,
    validateInput: (v) => (parsePorts(v) ? undefined : `Ports are whole numbers from 1 to 65535, e.g. "${value}" or "${value}, 5020".`),
  });
  return parsePorts(text)!;
}

async function ask(s: Services, step: number, steps: number, options: vscode.InputBoxOptions): Promise<string> {
  const v = await s.prompts.inputBox({ ...options, title: `Discover Devices (${step}/${steps})`, ignoreFocusOut: true });
  if (v === undefined) throw new Cancelled();
  return v;
}

function splitList(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

function parsePorts(text: string): number[] | undefined {
  const parts = splitList(text);
  if (parts.length === 0) return undefined;
  const ports = parts.map(Number);
  return ports.every((p) => Number.isInteger(p) && p >= 1 && p <= 65535) ? ports : undefined;
}
