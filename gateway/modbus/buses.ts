/**
 * Where a Modbus device's requests go: the link it shares (by pool key), how that link is made,
 * and what a request costs on it. The device itself is the same for every transport.
 */
import type { SharedLink } from '../core/links';
import type { SerialBusStats } from '../protocol';
import type { Logger } from '../log';
import type { Priority } from './requestQueue';
import { ModbusRtuLink } from './rtuLink';
import { interFrameSilenceMs } from './rtuFrame';
import { serialOpener, tcpOpener } from './rtuStreams';
import { rtuCost, tcpCost, type TransportCost } from './planner';
import type { ModbusRtuSettings, ModbusTcpSettings } from './settings';
import { ModbusTcpLink, type Describe, type LinkClient, type LinkState, type ModbusRequester } from './tcpLink';
import { MODBUS_TCP } from './driver';
import { MODBUS_RTU } from './rtuDriver';

/** Over TCP, an RTU line silent for this many timeouts in a row is opened again (ModbusRtuLink). */
const SILENT_TIMEOUTS_TO_REOPEN = 3;

/** What a device needs of its link; ModbusTcpLink and ModbusRtuLink both are one. */
export interface ModbusLink extends SharedLink {
  readonly where: string;
  readonly state: LinkState;
  attach(client: LinkClient): void;
  detach(client: LinkClient): void;
  exec<T>(unitId: number, timeoutMs: number, priority: Priority, what: Describe, fn: (r: ModbusRequester) => Promise<T>): Promise<T>;
  /** A serial bus's counters (RTU links only). */
  readonly stats?: SerialBusStats;
}

export interface ModbusBus {
  /** Devices with one key share one link (LinkPool). */
  readonly key: string;
  /** Where the device is, for messages and device info. */
  readonly endpoint: string;
  readonly cost: TransportCost;
  /**
   * True on a bus: a request without answer leaves the link open for the other units, so the
   * device itself turns bad until its unit answers again. False on TCP, where the link drops.
   */
  readonly silenceIsTheUnits: boolean;
  open(connectTimeoutMs: number, log: Logger): ModbusLink;
}

export function tcpBus(deviceId: string, s: ModbusTcpSettings): ModbusBus {
  return {
    // A device of its own gets a connection of its own; sharing devices meet at host:port.
    key: `${MODBUS_TCP}:${s.host}:${s.port}${s.shareConnection ? '' : `#${deviceId}`}`,
    endpoint: `${s.host}:${s.port} unit ${s.unitId}`,
    cost: tcpCost(),
    silenceIsTheUnits: false,
    open: (connectTimeoutMs, log) => new ModbusTcpLink({ host: s.host, port: s.port, connectTimeoutMs }, log),
  };
}

/** The place of an RTU bus: devices on one port (or one serial server) share its link. */
export function rtuBusPlace(s: ModbusRtuSettings): string {
  return s.transport.kind === 'serial' ? s.transport.path : `${s.transport.host}:${s.transport.port}`;
}

export function rtuBus(s: ModbusRtuSettings): ModbusBus {
  const where = rtuBusPlace(s);
  const { line } = s;
  // The line settings are part of the key: a reconfigured port gets a link opened with the new ones.
  const settings = `${line.baudRate}-${line.dataBits}${line.parity[0]!.toUpperCase()}${line.stopBits}`;
  return {
    key: `${MODBUS_RTU}:${s.transport.kind}:${where}@${settings}`,
    endpoint: `${where} unit ${s.unitId}`,
    cost: rtuCost(line),
    silenceIsTheUnits: true,
    open: (connectTimeoutMs, log) => {
      const t = s.transport;
      const open = t.kind === 'serial' ? serialOpener({ path: t.path, ...line }) : tcpOpener({ host: t.host, port: t.port, connectTimeoutMs });
      const silenceMs = interFrameSilenceMs(line.baudRate, line.parity, line.stopBits);
      return new ModbusRtuLink({ where, open, silenceMs, ...(t.kind === 'tcp' ? { silentTimeoutsToReopen: SILENT_TIMEOUTS_TO_REOPEN, newConnectionAfterTimeout: true } : {}) }, log);
    },
  };
}
