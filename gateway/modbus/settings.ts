import type { SerialParity } from './rtuFrame';
import type { PlanLimits } from './planner';
import type { ResolvedTag } from './tags';

/** What every Modbus device has after validation, whatever carries its requests. */
export interface ModbusCommonSettings {
  unitId: number;
  writeMultiple: boolean;
  limits: PlanLimits;
  tags: ResolvedTag[];
}

/** A Modbus TCP device's own settings after validation, every default filled in. */
export interface ModbusTcpSettings extends ModbusCommonSettings {
  host: string;
  port: number;
  shareConnection: boolean;
}

/** The line settings of a serial bus: every device on one port must agree on them. */
export interface SerialLineSettings {
  baudRate: number;
  dataBits: 7 | 8;
  parity: Extract<SerialParity, 'none' | 'even' | 'odd'>;
  stopBits: 1 | 2;
}

/** A Modbus RTU device's own settings after validation: a serial port, or a serial server over TCP. */
export interface ModbusRtuSettings extends ModbusCommonSettings {
  line: SerialLineSettings;
  transport: { kind: 'serial'; path: string } | { kind: 'tcp'; host: string; port: number };
}

export const MODBUS_DEFAULTS = {
  port: 502,
  unitId: 1,
  maxRegisters: 125,
  maxBits: 2000,
} as const;
