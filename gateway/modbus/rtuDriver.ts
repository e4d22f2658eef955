/**
 * The Modbus RTU driver module: devices on a serial bus (a local serial port, or a serial server
 * reached over TCP carrying RTU frames). Like the TCP driver it stays light: the device, the link
 * and serialport load when the first device is created.
 */
import type { ProtocolCapabilities } from '../protocol';
import { deviceFieldsOf, type ConfigRules, type EditorSnippet, type FieldRule } from '../core/configRules';
import type { DeviceSettings, DriverModule, ProblemSink, ValidationInput } from '../core/driver';
import { readWriteRules, TAG_RULES, TAG_SCHEMA, TAG_SNIPPETS, validateModbusCommon } from './sharedRules';
import type { ModbusRtuSettings, SerialLineSettings } from './settings';

export const MODBUS_RTU = 'modbus-rtu';

const DEVICE_RULES: readonly FieldRule[] = [
  {
    key: 'transport',
    kind: 'enum',
    values: ['serial', 'tcp'],
    valueDescriptions: ['A serial port of this computer ("serialPath").', 'A serial server on the network passing RTU frames over TCP ("host", "port").'],
    default: 'serial',
    description: 'How the bus is reached. Default "serial".',
  },
  {
    key: 'serialPath',
    kind: 'string',
    nonEmpty: true,
    trim: true,
    description: 'The serial port the bus is on: /dev/ttyUSB0 on Linux, COM3 on Windows. Needed unless "transport" is "tcp".',
    ask: { label: 'Serial port', placeholder: '/dev/ttyUSB0', suggest: 'serialPorts' },
  },
  { key: 'host', kind: 'string', nonEmpty: true, trim: true, description: 'With "transport": "tcp": host name or IP address of the serial server.' },
  { key: 'port', kind: 'integer', min: 1, max: 65535, description: 'With "transport": "tcp": TCP port of the serial server (often 4001 or 502).' },
  {
    key: 'baudRate',
    kind: 'integer',
    min: 1200,
    max: 921600,
    default: 19200,
    description:
      'Bits per second on the line. Default 19200, the default the Modbus serial line specification requires every device to support; many devices ship at 9600, so check the device. Every device on one port must use the same.',
    ask: { label: 'Baud rate' },
  },
  { key: 'dataBits', kind: 'integer', min: 7, max: 8, default: 8, description: 'Data bits per character: 8 (the default, what Modbus RTU uses) or 7.' },
  {
    key: 'parity',
    kind: 'enum',
    values: ['none', 'even', 'odd'],
    valueDescriptions: ['No parity bit (the specification then asks for 2 stop bits).', 'Even parity, the Modbus default.', 'Odd parity.'],
    default: 'even',
    description: 'Parity of each character. Default "even", the Modbus default.',
    ask: { label: 'Parity' },
  },
  { key: 'stopBits', kind: 'integer', min: 1, max: 2, default: 1, description: 'Stop bits per character: 1 (the default) or 2.' },
  {
    key: 'unitId',
    kind: 'integer',
    min: 1,
    max: 247,
    default: 1,
    description: 'Modbus unit id (slave address) of the device on the bus, 1-247. Default 1. (0 is the broadcast address, which nothing answers: it cannot be polled.)',
    ask: { label: 'Unit id (slave address)' },
  },
  ...readWriteRules('on a serial line every byte costs its line time, so a read bridges only small gaps; how small follows from the baud rate'),
];

/** What the rules cannot say field by field, for editors; validate() enforces the same. */
const DEVICE_SCHEMA: readonly Record<string, unknown>[] = [
  { if: { properties: { transport: { const: 'tcp' } }, required: ['transport'] }, then: { required: ['host', 'port'] }, else: { required: ['serialPath'] } },
];

const DEVICE_SNIPPETS: readonly EditorSnippet[] = [
  {
    label: 'Modbus RTU device',
    body: { id: '$1', name: '$2', protocol: MODBUS_RTU, serialPath: '${3:/dev/ttyUSB0}', baudRate: '^${4:19200}', parity: '${5|even,none,odd|}', unitId: '^${6:1}', tags: [] },
  },
  {
    label: 'Modbus RTU device behind a serial server (RTU over TCP)',
    body: { id: '$1', name: '$2', protocol: MODBUS_RTU, transport: 'tcp', host: '${3:192.168.0.20}', port: '^${4:4001}', unitId: '^${5:1}', tags: [] },
  },
];

export const MODBUS_RTU_RULES: ConfigRules = {
  deviceDescription: 'A Modbus RTU device on a serial bus (RS-485/RS-232), on a serial port of this computer or behind a serial server.',
  tagDescription: 'A named value on the device: a coil, a discrete input, or one or more registers decoded as a type.',
  device: DEVICE_RULES,
  tag: TAG_RULES,
  deviceSchema: DEVICE_SCHEMA,
  tagSchema: TAG_SCHEMA,
  snippets: { device: DEVICE_SNIPPETS, tag: TAG_SNIPPETS },
};

const CAPABILITIES: ProtocolCapabilities = {
  displayName: 'Modbus RTU',
  browse: 'flat',
  subscribe: 'polling',
  write: true,
  methods: false,
  history: false,
  discovery: true,
  inspect: true,
  deviceFields: deviceFieldsOf(DEVICE_RULES),
};

export const modbusRtuDriver: DriverModule = {
  protocol: MODBUS_RTU,
  capabilities: CAPABILITIES,
  rules: MODBUS_RTU_RULES,
  validate: (input, problems) => validateModbusRtu(input, problems),
  checkAmong: (device, earlier, at, problems) => checkSameLine(device, earlier, at, problems),
  async create(settings, host) {
    const [{ ModbusDevice }, { rtuBus }] = await Promise.all([import('./device'), import('./buses')]);
    const own = settings.driver as ModbusRtuSettings;
    return new ModbusDevice(settings, own, host, rtuBus(own));
  },
};

export function validateModbusRtu(input: ValidationInput, p: ProblemSink): ModbusRtuSettings | null {
  const { values, at } = input;
  let transport: ModbusRtuSettings['transport'] | null = null;
  if (values['transport'] === 'tcp') {
    const host = values['host'] as string | undefined;
    const port = values['port'] as number | undefined;
    if (host === undefined) p.error(`${at}/host`, 'a Modbus RTU device with "transport": "tcp" needs a "host": the serial server\'s name or IP address');
    if (port === undefined) p.error(`${at}/port`, 'a Modbus RTU device with "transport": "tcp" needs a "port": the serial server\'s TCP port (often 4001 or 502)');
    if (host !== undefined && port !== undefined) transport = { kind: 'tcp', host, port };
  } else {
    const path = values['serialPath'] as string | undefined;
    if (path === undefined) p.error(`${at}/serialPath`, 'a Modbus RTU device needs a "serialPath" (e.g. "/dev/ttyUSB0" or "COM3"), or "transport": "tcp" with "host" and "port" for a serial server');
    else transport = { kind: 'serial', path };
  }
  const common = validateModbusCommon(input, p);
  if (!transport) return null;
  const line: SerialLineSettings = {
    baudRate: values['baudRate'] as number,
    dataBits: values['dataBits'] as SerialLineSettings['dataBits'],
    parity: values['parity'] as SerialLineSettings['parity'],
    stopBits: values['stopBits'] as SerialLineSettings['stopBits'],
  };
  return { ...common, line, transport };
}

const LINE_FIELDS = ['baudRate', 'dataBits', 'parity', 'stopBits'] as const;

function placeOf(s: ModbusRtuSettings): string {
  return s.transport.kind === 'serial' ? `serial port ${s.transport.path}` : `serial server ${s.transport.host}:${s.transport.port}`;
}

/** Devices on one port share one line: the first one there sets its settings, a later one that disagrees is not started. */
function checkSameLine(device: DeviceSettings, earlier: readonly DeviceSettings[], at: string, p: ProblemSink): boolean {
  const own = device.driver as ModbusRtuSettings;
  const place = placeOf(own);
  const first = earlier.find((d) => placeOf(d.driver as ModbusRtuSettings) === place);
  if (!first) return true;
  const theirs = (first.driver as ModbusRtuSettings).line;
  const differ = LINE_FIELDS.filter((k) => own.line[k] !== theirs[k]);
  if (differ.length === 0) return true;
  const key = differ[0]!;
  const said = differ.map((k) => `${k} ${JSON.stringify(own.line[k])} where "${first.id}" has ${JSON.stringify(theirs[k])}`).join(', ');
  p.error(`${at}/${key}`, `this device is on ${place} like device "${first.id}" but with other line settings (${said}): the devices on one port share its line and must use the same settings; this device is not started`);
  return false;
}
