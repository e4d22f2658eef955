/**
 * The OPC UA driver module: configuration rules, capabilities and the factory. This file stays
 * light (no node-opcua): the device and the OPC UA stack live in a bundle of their own
 * (dist/opcua.js), loaded by create() at the first OPC UA device.
 */
import type { OpcUaSecurityMode, OpcUaSecurityPolicy, OpcUaUser, ProtocolCapabilities } from '../protocol';
import { alternatives, deviceFieldsOf, show, type ConfigRules, type EditorSnippet, type FieldRule } from '../core/configRules';
import type { DriverModule, ProblemSink, ValidationInput } from '../core/driver';
import { loadOpcUaBundle } from './load';
import {
  DEPRECATED_POLICIES,
  ENDPOINT_URL,
  NODE_ID_FORMS,
  NODE_ID_SHAPE,
  OPCUA_DEFAULTS,
  SECURITY_MODES,
  SECURITY_POLICIES,
  type OpcUaSettings,
  type OpcUaTag,
} from './settings';

export const OPCUA = 'opcua';

const USER_TYPES = ['anonymous', 'username', 'certificate'] as const;

const DEVICE_RULES: readonly FieldRule[] = [
  {
    key: 'endpointUrl',
    kind: 'string',
    required: true,
    trim: true,
    pattern: { regex: ENDPOINT_URL, message: 'write the server\'s endpoint as "opc.tcp://host:port" or "opc.tcp://host:port/path"' },
    missing: 'an OPC UA device needs an "endpointUrl" such as "opc.tcp://192.168.0.10:4840"',
    description: 'The server\'s endpoint URL: opc.tcp://host:port[/path]. Default port 4840.',
    ask: { label: 'Endpoint URL', placeholder: 'opc.tcp://192.168.0.10:4840' },
  },
  {
    key: 'securityMode',
    kind: 'enum',
    values: SECURITY_MODES,
    valueDescriptions: [
      'No security: messages are neither signed nor encrypted, and the server\'s certificate is not checked.',
      'Messages are signed, not encrypted.',
      'Messages are signed and encrypted (recommended).',
    ],
    description: 'Message security. Default: the most secure mode and policy the server offers. Give it together with "securityPolicy".',
    ask: { label: 'Security mode' },
  },
  {
    key: 'securityPolicy',
    kind: 'enum',
    values: SECURITY_POLICIES,
    valueDescriptions: [
      'No security (only with securityMode "None").',
      'Deprecated by the OPC Foundation (SHA-1, RSA PKCS#1 v1.5): only for old servers.',
      'Deprecated by the OPC Foundation (SHA-1): only for old servers.',
      'AES-128, SHA-256, RSA-OAEP.',
      'Basic256Sha256: AES-256, SHA-256 (the most widely supported secure policy).',
      'AES-256, SHA-256, RSA-PSS.',
    ],
    description: 'Security policy. Default: the most secure the server offers. Give it together with "securityMode".',
    ask: { label: 'Security policy' },
  },
  {
    key: 'user',
    kind: 'custom',
    description:
      'Who the session logs in as: {"type": "anonymous"} (the default), {"type": "username", "username": "operator", "passwordEnv": "PLC1_PASSWORD"} or {"type": "certificate", "certificateFile": "user.pem", "privateKeyFile": "user.key"}. A password is not kept in bifrost.json: name an environment variable with "passwordEnv", or let the client pass "password" when it loads the configuration.',
    schema: {
      type: 'object',
      required: ['type'],
      properties: {
        type: { type: 'string', enum: [...USER_TYPES] },
        username: { type: 'string', minLength: 1 },
        password: { type: 'string' },
        passwordEnv: { type: 'string', minLength: 1 },
        certificateFile: { type: 'string', minLength: 1 },
        privateKeyFile: { type: 'string', minLength: 1 },
      },
      additionalProperties: false,
      defaultSnippets: [
        { label: 'anonymous', body: { type: 'anonymous' } },
        { label: 'user name and password from the environment', body: { type: 'username', username: '$1', passwordEnv: '${2:PLC_PASSWORD}' } },
        { label: 'user certificate', body: { type: 'certificate', certificateFile: '$1', privateKeyFile: '$2' } },
      ],
    },
    check: (v) => checkUser(v),
  },
  {
    key: 'publishingIntervalMs',
    kind: 'integer',
    min: 10,
    max: 3_600_000,
    default: OPCUA_DEFAULTS.publishingIntervalMs,
    description: 'How often the server sends the changes of subscribed values, in milliseconds. Default 500.',
  },
  {
    key: 'samplingIntervalMs',
    kind: 'integer',
    min: 0,
    max: 3_600_000,
    default: OPCUA_DEFAULTS.samplingIntervalMs,
    description: 'How often the server samples a subscribed value, in milliseconds (0: as fast as it can). Default 500; a tag may set its own.',
  },
];

const TAG_RULES: readonly FieldRule[] = [
  {
    key: 'nodeId',
    kind: 'string',
    required: true,
    trim: true,
    pattern: { regex: NODE_ID_SHAPE, message: `write ${NODE_ID_FORMS}` },
    missing: `every OPC UA tag needs a "nodeId": ${NODE_ID_FORMS}`,
    description: 'The variable\'s NodeId: "ns=2;s=Tank.Level", "i=2258", "ns=3;i=1001", or with the namespace URI "nsu=urn:example;s=Level".',
  },
  { key: 'samplingIntervalMs', kind: 'integer', min: 0, max: 3_600_000, description: 'How often the server samples this value, in milliseconds. Default: the device\'s samplingIntervalMs.' },
  { key: 'queueSize', kind: 'integer', min: 1, max: 10_000, description: 'How many samples the server keeps between two publishes. Default 1 (the newest only).' },
];

const DEVICE_SCHEMA: readonly Record<string, unknown>[] = [
  {
    if: { properties: { securityMode: { const: 'None' } }, required: ['securityMode'] },
    then: { properties: { securityPolicy: { const: 'None', errorMessage: 'securityMode "None" goes with securityPolicy "None" only.' } } },
  },
  {
    if: { properties: { securityMode: { enum: ['Sign', 'SignAndEncrypt'] } }, required: ['securityMode'] },
    then: { required: ['securityPolicy'], properties: { securityPolicy: { not: { const: 'None' }, errorMessage: 'Sign and SignAndEncrypt need a security policy such as "Basic256Sha256".' } } },
  },
  {
    if: { properties: { securityPolicy: { not: { const: 'None' } } }, required: ['securityPolicy'] },
    then: { required: ['securityMode'] },
  },
];

const DEVICE_SNIPPETS: readonly EditorSnippet[] = [
  {
    label: 'OPC UA server',
    body: { id: '$1', name: '$2', protocol: OPCUA, endpointUrl: 'opc.tcp://${3:192.168.0.10}:${4:4840}', tags: [] },
  },
  {
    label: 'OPC UA server, signed and encrypted, with a user name',
    body: {
      id: '$1',
      name: '$2',
      protocol: OPCUA,
      endpointUrl: 'opc.tcp://${3:192.168.0.10}:${4:4840}',
      securityMode: 'SignAndEncrypt',
      securityPolicy: 'Basic256Sha256',
      user: { type: 'username', username: '$5', passwordEnv: '${6:PLC_PASSWORD}' },
      tags: [],
    },
  },
];

const TAG_SNIPPETS: readonly EditorSnippet[] = [
  { label: 'OPC UA variable', body: { name: '$1', nodeId: 'ns=${2:2};s=${3:Tank.Level}', unit: '$4' } },
];

export const OPCUA_RULES: ConfigRules = {
  deviceDescription: 'An OPC UA server (a PLC, an edge gateway, a SCADA server) reached over opc.tcp.',
  tagDescription: 'A named variable of the server, by its NodeId.',
  device: DEVICE_RULES,
  tag: TAG_RULES,
  deviceSchema: DEVICE_SCHEMA,
  snippets: { device: DEVICE_SNIPPETS, tag: TAG_SNIPPETS },
};

const CAPABILITIES: ProtocolCapabilities = {
  displayName: 'OPC UA',
  browse: 'tree',
  subscribe: 'native',
  write: true,
  methods: true,
  history: true,
  discovery: true,
  deviceFields: deviceFieldsOf(DEVICE_RULES),
};

export const opcuaDriver: DriverModule = {
  protocol: OPCUA,
  capabilities: CAPABILITIES,
  rules: OPCUA_RULES,
  validate: (input, problems) => validateOpcUa(input, problems),
  create(settings, host) {
    const { OpcUaDevice } = loadOpcUaBundle(host.log);
    return Promise.resolve(new OpcUaDevice(settings, settings.driver as OpcUaSettings, host));
  },
};

export function validateOpcUa({ values, tags, at }: ValidationInput, p: ProblemSink): OpcUaSettings | null {
  const endpointUrl = values['endpointUrl'] as string | undefined;
  if (endpointUrl === undefined) return null;
  const port = ENDPOINT_URL.exec(endpointUrl)?.[2];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
    p.error(`${at}/endpointUrl`, `the port of "endpointUrl" must be from 1 to 65535 (got ${port})`);
    return null;
  }
  const mode = values['securityMode'] as OpcUaSecurityMode | undefined;
  const policy = values['securityPolicy'] as OpcUaSecurityPolicy | undefined;
  const securityProblem = checkSecurity(mode, policy);
  if (securityProblem) {
    p.error(`${at}/${securityProblem.key}`, securityProblem.message);
    return null;
  }
  if (policy && DEPRECATED_POLICIES.includes(policy)) {
    p.warn(`${at}/securityPolicy`, `security policy "${policy}" is deprecated by the OPC Foundation (weak hashing); use "Basic256Sha256" or newer where the server offers it`);
  }
  const user = (values['user'] as OpcUaUser | undefined) ?? { type: 'anonymous' };
  const out: OpcUaSettings = {
    endpointUrl,
    user,
    publishingIntervalMs: values['publishingIntervalMs'] as number,
    samplingIntervalMs: values['samplingIntervalMs'] as number,
    tags: [],
  };
  // None alone means None/None; otherwise both are given (checked above).
  if (mode || policy) {
    out.securityMode = mode ?? 'None';
    out.securityPolicy = policy ?? 'None';
  }
  for (const { values: t } of tags) {
    const tag: OpcUaTag = { key: t['name'] as string, nodeId: t['nodeId'] as string, access: t['access'] as OpcUaTag['access'] };
    if (typeof t['unit'] === 'string') tag.unit = t['unit'];
    if (typeof t['description'] === 'string') tag.description = t['description'];
    if (t['deadband'] !== undefined) tag.deadband = t['deadband'] as OpcUaTag['deadband'];
    if (typeof t['samplingIntervalMs'] === 'number') tag.samplingIntervalMs = t['samplingIntervalMs'];
    if (typeof t['queueSize'] === 'number') tag.queueSize = t['queueSize'];
    out.tags.push(tag);
  }
  return out;
}

function checkSecurity(mode: OpcUaSecurityMode | undefined, policy: OpcUaSecurityPolicy | undefined): { key: string; message: string } | null {
  if (mode === 'None' && policy !== undefined && policy !== 'None') {
    return { key: 'securityPolicy', message: `securityMode "None" cannot use securityPolicy "${policy}": choose securityMode "Sign" or "SignAndEncrypt" for it, or securityPolicy "None"` };
  }
  if ((mode === 'Sign' || mode === 'SignAndEncrypt') && policy === undefined) {
    return { key: 'securityMode', message: `securityMode "${mode}" needs a "securityPolicy" too, e.g. "Basic256Sha256"` };
  }
  if ((mode === 'Sign' || mode === 'SignAndEncrypt') && policy === 'None') {
    return { key: 'securityPolicy', message: `securityMode "${mode}" needs a security policy that signs, e.g. "Basic256Sha256", not "None"` };
  }
  if (mode === undefined && policy !== undefined && policy !== 'None') {
    return { key: 'securityPolicy', message: `securityPolicy "${policy}" needs a "securityMode" too: "Sign" or "SignAndEncrypt"` };
  }
  return null;
}

function checkUser(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return `"user" must be an object such as {"type": "anonymous"} (got ${show(v)})`;
  const u = v as Record<string, unknown>;
  if (!USER_TYPES.includes(u['type'] as (typeof USER_TYPES)[number])) return `"user" needs "type": ${alternatives(USER_TYPES)} (got ${show(u['type'])})`;
  const allowed: Record<(typeof USER_TYPES)[number], string[]> = {
    anonymous: ['type'],
    username: ['type', 'username', 'password', 'passwordEnv'],
    certificate: ['type', 'certificateFile', 'privateKeyFile'],
  };
  const type = u['type'] as (typeof USER_TYPES)[number];
  for (const key of Object.keys(u)) if (!allowed[type].includes(key)) return `"user" of type "${type}" takes only ${alternatives(allowed[type])} (not "${key}")`;
  const nonEmpty = (key: string) => typeof u[key] === 'string' && (u[key] as string).trim() !== '';
  if (type === 'username') {
    if (!nonEmpty('username')) return '"user" of type "username" needs a non-empty "username"';
    if (u['password'] !== undefined && typeof u['password'] !== 'string') return '"user"."password" must be a string';
    if (u['password'] !== undefined && u['passwordEnv'] !== undefined) return '"user" takes "password" or "passwordEnv", not both';
    if (u['password'] === undefined && !nonEmpty('passwordEnv')) return '"user" of type "username" needs "passwordEnv" (the name of an environment variable holding the password) or a "password" passed by the client';
  }
  if (type === 'certificate') {
    for (const key of ['certificateFile', 'privateKeyFile']) if (!nonEmpty(key)) return `"user" of type "certificate" needs "${key}" (a PEM file)`;
  }
  return undefined;
}
