import type { PlanLimits } from './planner';
import type { ResolvedTag } from './tags';

/** A Modbus TCP device's own settings after validation, every default filled in. */
export interface ModbusTcpSettings {
  host: string;
  port: number;
  unitId: number;
  shareConnection: boolean;
  writeMultiple: boolean;
  limits: PlanLimits;
  tags: ResolvedTag[];
}

export const MODBUS_DEFAULTS = {
  port: 502,
  unitId: 1,
  maxRegisters: 125,
  maxBits: 2000,
} as const;
