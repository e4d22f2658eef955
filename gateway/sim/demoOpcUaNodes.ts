/**
 * The demo plant's OPC UA address space by name: node ids, the demo login and the device config
 * the gateway loads for it. Free of node-opcua, so the gateway can use it without loading the
 * server bundle.
 */
import type { OpcUaDeviceConfig } from '../protocol';

export const DEMO_OPCUA_ID = 'demo-opcua';
/** The server's application URI, also the URI of its namespace (index 1). */
export const DEMO_OPCUA_APPLICATION_URI = 'urn:bifrost:demo-plant';

/** The demo's one login besides anonymous. Demo only: it is printed in the README. */
export const DEMO_OPCUA_USER = { username: 'operator', password: 'bifrost-demo' } as const;

const id = (path: string) => `ns=1;s=${path}`;

export const DEMO_OPCUA_NODES = {
  plant: id('Plant'),
  tank: id('Plant.Tank'),
  boiler: id('Plant.Boiler'),
  types: id('Types'),
  tankLevel: id('Plant.Tank.Level'),
  tankInletFlow: id('Plant.Tank.InletFlow'),
  tankOutletFlow: id('Plant.Tank.OutletFlow'),
  tankNetFlow: id('Plant.Tank.NetFlow'),
  tankPumpRunning: id('Plant.Tank.PumpRunning'),
  tankPumpStarts: id('Plant.Tank.PumpStarts'),
  tankInletTotal: id('Plant.Tank.InletTotal'),
  tankHighLevelAlarm: id('Plant.Tank.HighLevelAlarm'),
  tankLowLevelAlarm: id('Plant.Tank.LowLevelAlarm'),
  tankDoorClosed: id('Plant.Tank.DoorClosed'),
  tankPumpMode: id('Plant.Tank.PumpMode'),
  boilerTemperature: id('Plant.Boiler.Temperature'),
  boilerPressure: id('Plant.Boiler.Pressure'),
  boilerFlueTemperature: id('Plant.Boiler.FlueTemperature'),
  boilerSetpoint: id('Plant.Boiler.Setpoint'),
  boilerHighLimit: id('Plant.Boiler.HighLimit'),
  boilerBurnerOn: id('Plant.Boiler.BurnerOn'),
  boilerBurnerEnable: id('Plant.Boiler.BurnerEnable'),
  boilerEnergyTotal: id('Plant.Boiler.EnergyTotal'),
  boilerBurnerRuntime: id('Plant.Boiler.BurnerRuntime'),
  boilerOvertempAlarm: id('Plant.Boiler.OvertempAlarm'),
  boilerPurging: id('Plant.Boiler.Purging'),
  boilerPurgeRemaining: id('Plant.Boiler.PurgeRemaining'),
  boilerLastPurgeReason: id('Plant.Boiler.LastPurgeReason'),
  boilerStartPurge: id('Plant.Boiler.StartPurge'),
} as const;

/** The built-in types of the Types folder, in the order of their DataType ids (1-19). */
export const DEMO_OPCUA_BUILTIN_TYPES = [
  'Boolean',
  'SByte',
  'Byte',
  'Int16',
  'UInt16',
  'Int32',
  'UInt32',
  'Int64',
  'UInt64',
  'Float',
  'Double',
  'String',
  'DateTime',
  'Guid',
  'ByteString',
  'NodeId',
  'StatusCode',
  'QualifiedName',
  'LocalizedText',
] as const;
export type DemoBuiltinType = (typeof DEMO_OPCUA_BUILTIN_TYPES)[number];

/** Types.<Type> and Types.<Type>Array are writable; Types.ReadOnly.<Type> is not. */
export function demoTypeNode(type: DemoBuiltinType, kind: 'scalar' | 'array' | 'readOnly'): string {
  return id(kind === 'scalar' ? `Types.${type}` : kind === 'array' ? `Types.${type}Array` : `Types.ReadOnly.${type}`);
}

/**
 * The OPC UA device of the demo plant, as the gateway loads it: the most secure endpoint with
 * the demo login, a handful of tags (analog values, a writable setpoint, an array, an enumeration).
 * The gateway must trust the server's certificate (DemoOpcUaServer.certificatePem) first.
 */
export function opcuaDemoDevice(endpointUrl: string): OpcUaDeviceConfig {
  return {
    id: DEMO_OPCUA_ID,
    name: 'Demo Plant OPC UA Server',
    description: 'The demo plant as an OPC UA server: the same tank and boiler as the Modbus devices',
    protocol: 'opcua',
    endpointUrl,
    securityMode: 'SignAndEncrypt',
    securityPolicy: 'Basic256Sha256',
    user: { type: 'username', username: DEMO_OPCUA_USER.username, password: DEMO_OPCUA_USER.password },
    allowWrites: true,
    publishingIntervalMs: 500,
    samplingIntervalMs: 250,
    tags: [
      { name: 'tank_level', nodeId: DEMO_OPCUA_NODES.tankLevel, unit: '%', description: 'Tank level (historized)' },
      { name: 'pump_mode', nodeId: DEMO_OPCUA_NODES.tankPumpMode, access: 'readwrite', description: 'Fill pump mode: Off, Manual or Auto (level hysteresis)' },
      { name: 'boiler_temperature', nodeId: DEMO_OPCUA_NODES.boilerTemperature, unit: '°C', description: 'Boiler water temperature' },
      { name: 'boiler_setpoint', nodeId: DEMO_OPCUA_NODES.boilerSetpoint, unit: '°C', access: 'readwrite', description: 'Water temperature setpoint (5-105 °C), the same as demo-boiler/setpoint' },
      { name: 'double_array', nodeId: demoTypeNode('Double', 'array'), access: 'readwrite', description: 'An array of Double' },
    ],
  };
}
