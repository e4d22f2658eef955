/**
 * The drivers built into this gateway. Each module is light: its protocol's libraries load only
 * when a device of that protocol is created.
 */
import { DriverRegistry } from './core/registry';
import { modbusTcpDriver } from './modbus/driver';
import { modbusRtuDriver } from './modbus/rtuDriver';
import { opcuaDriver } from './opcua/driver';

export function builtinDrivers(): DriverRegistry {
  const registry = new DriverRegistry();
  registry.register(modbusTcpDriver);
  registry.register(modbusRtuDriver);
  registry.register(opcuaDriver);
  return registry;
}
