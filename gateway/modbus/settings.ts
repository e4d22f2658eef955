import type { ProtocolKind } from '../protocol';
import type { PlanLimits } from './planner';
import type { ResolvedTag } from './tags';

/** A Modbus device's configuration after validation, every default filled in. */
export interface ModbusDeviceSettings {
  id: string;
  name: string;
  protocol: ProtocolKind;
  source: 'config' | 'demo';
  host: string;
  port: number;
  unitId: number;
  timeoutMs: number;
  pollIntervalMs: number;
  allowWrites: boolean;
  writeMultiple: boolean;
  enabled: boolean;
  limits: PlanLimits;
  tags: ResolvedTag[];
}

export const MODBUS_DEFAULTS = {
  port: 502,
  unitId: 1,
  timeoutMs: 1000,
  pollIntervalMs: 1000,
  maxRegisterGap: 8,
  maxBitGap: 32,
  maxRegisters: 125,
  maxBits: 2000,
} as const;
