/**
 * The Modbus TCP driver module: its configuration rules, its capabilities and its factory. This
 * file stays light (no Modbus library): the device and its connection load on first use.
 */
import type { ProtocolCapabilities } from '../protocol';
import { deviceFieldsOf, type ConfigRules, type EditorSnippet, type FieldRule } from '../core/configRules';
import type { DriverModule, ProblemSink, ValidationInput } from '../core/driver';
import { MODBUS_DEFAULTS, type ModbusTcpSettings } from './settings';
import { readWriteRules, TAG_RULES, TAG_SCHEMA, TAG_SNIPPETS, validateModbusCommon } from './sharedRules';

export const MODBUS_TCP = 'modbus-tcp';

const DEVICE_RULES: readonly FieldRule[] = [
  {
    key: 'host',
    kind: 'string',
    required: true,
    nonEmpty: true,
    trim: true,
    missing: 'a Modbus TCP device needs a "host" (name or IP address)',
    description: 'Host name or IP address of the device (or of the Modbus TCP gateway in front of it).',
    ask: { label: 'Host name or IP address', placeholder: '192.168.0.10' },
  },
  { key: 'port', kind: 'integer', min: 1, max: 65535, default: MODBUS_DEFAULTS.port, description: 'TCP port. Default 502.', ask: { label: 'TCP port' } },
  {
    key: 'unitId',
    kind: 'integer',
    min: 0,
    max: 255,
    default: MODBUS_DEFAULTS.unitId,
    description: 'Modbus unit id (slave id). Default 1. Behind a TCP-to-serial gateway, the address of the serial device.',
    ask: { label: 'Unit id (slave id)' },
  },
  {
    key: 'shareConnection',
    kind: 'boolean',
    default: false,
    description:
      'Share one TCP connection, one request at a time, with the other devices at the same host and port that also set it: for a TCP-to-serial gateway that accepts a single client, with one device per unit id. Default false: the device has a connection of its own.',
  },
  ...readWriteRules("on TCP a round trip costs far more than a few unused registers, so tags within one request's reach are read together"),
];

const DEVICE_SNIPPETS: readonly EditorSnippet[] = [
  {
    label: 'Modbus TCP device',
    body: { id: '$1', name: '$2', protocol: MODBUS_TCP, host: '${3:192.168.0.10}', port: '^${4:502}', unitId: '^${5:1}', tags: [] },
  },
];

export const MODBUS_TCP_RULES: ConfigRules = {
  deviceDescription: 'A Modbus TCP device (a PLC, drive, meter, or a TCP gateway to a serial bus).',
  tagDescription: 'A named value on the device: a coil, a discrete input, or one or more registers decoded as a type.',
  device: DEVICE_RULES,
  tag: TAG_RULES,
  tagSchema: TAG_SCHEMA,
  snippets: { device: DEVICE_SNIPPETS, tag: TAG_SNIPPETS },
};

const CAPABILITIES: ProtocolCapabilities = {
  displayName: 'Modbus TCP',
  browse: 'flat',
  subscribe: 'polling',
  write: true,
  methods: false,
  history: false,
  discovery: true,
  inspect: true,
  deviceFields: deviceFieldsOf(DEVICE_RULES),
};

export const modbusTcpDriver: DriverModule = {
  protocol: MODBUS_TCP,
  capabilities: CAPABILITIES,
  rules: MODBUS_TCP_RULES,
  validate: (input, problems) => validateModbusTcp(input, problems),
  async create(settings, host) {
    const [{ ModbusDevice }, { tcpBus }] = await Promise.all([import('./device'), import('./buses')]);
    const own = settings.driver as ModbusTcpSettings;
    return new ModbusDevice(settings, own, host, tcpBus(settings.id, own));
  },
};

export function validateModbusTcp(input: ValidationInput, p: ProblemSink): ModbusTcpSettings {
  const { values } = input;
  const { unitId, writeMultiple, limits, tags } = validateModbusCommon(input, p);
  return { host: values['host'] as string, port: values['port'] as number, unitId, shareConnection: values['shareConnection'] as boolean, writeMultiple, limits, tags };
}
