/**
 * What the register inspector (inspect.ts) may do with a Modbus device: raw reads through the
 * device's own queue, and its limits and hole memory. Nothing else of the device is exposed, so
 * the inspector can neither bypass the queue nor reach into polling.
 */
import type { ModbusArea } from '../protocol';
import type { HoleMemory, ReadData } from './holes';
import type { PlanLimits, TransportCost } from './planner';

export interface RegisterAccess {
  readonly deviceId: string;
  /** The device's request sizes and gaps, as configured. */
  readonly limits: PlanLimits;
  /** What one request costs on the device's transport; planned reads minimise it. */
  readonly cost: TransportCost;
  /** What reads taught about the device's holes: reads plan around it and teach it more. */
  readonly holes: HoleMemory;
  /** Why no request can be sent now (disabled, not connected), or undefined when one can. */
  unavailable(): string | undefined;
  /**
   * One read request through the device's queue, at the priority of a person's request, so it
   * never collides with polling. A Modbus exception rejects with a numeric `modbusCode`.
   */
  read(area: ModbusArea, start: number, count: number): Promise<ReadData>;
  /** The hole memory changed: the device's scan groups plan again around it. */
  holesChanged(): void;
}

/** A device that lends its registers to the inspector. */
export interface RegisterInspectable {
  registerAccess(): RegisterAccess;
}

/** The register access of a device that has one (Modbus TCP and RTU devices), else undefined. */
export function registerAccessOf(driver: object): RegisterAccess | undefined {
  const fn = (driver as Partial<RegisterInspectable>).registerAccess;
  return typeof fn === 'function' ? fn.call(driver) : undefined;
}
