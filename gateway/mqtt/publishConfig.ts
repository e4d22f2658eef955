/**
 * The `"publish"` list of bifrost.json: where the gateway publishes its devices. Two kinds:
 * `sparkplug` (an MQTT broker speaking Sparkplug B) and `mqtt-json` (plain JSON, a topic per tag).
 * Written once as rules: the gateway checks with them and the JSON Schema is generated from them.
 * A password is never in the file: it is named by `passwordEnv`, the environment variable that
 * holds it.
 */
import { checkFields, escapePointer, show, warnUnknownKeys, type FieldRule } from '../core/configRules';
import type { ProblemSink } from '../core/driver';
import { DEADBAND_RULE } from '../core/deadband';
import type { Deadband } from '../protocol';
import { TLS_RULE, type TlsSettings } from './brokerTls';
import { compileTopic, DEFAULT_PAYLOAD, DEFAULT_TOPIC, PayloadTemplate, PAYLOAD_FIELDS, TOPIC_FIELDS } from './jsonTemplate';

export const DEFAULT_BUFFER_BYTES = 100 * 1024 * 1024;
const MIN_BUFFER_BYTES = 64 * 1024;
const MAX_BUFFER_BYTES = 1024 ** 4;

function checkStoreAndForward(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return '"storeAndForward" is an object, e.g. {"maxBytes": 104857600}';
  for (const [key, value] of Object.entries(v)) {
    if (key !== 'maxBytes') return `"storeAndForward" has no setting "${key}" (it has "maxBytes")`;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < MIN_BUFFER_BYTES || value > MAX_BUFFER_BYTES) {
      return `"storeAndForward.maxBytes" must be a whole number of bytes from ${MIN_BUFFER_BYTES} to ${MAX_BUFFER_BYTES} (got ${show(value)})`;
    }
  }
  return undefined;
}

/** A tag's own deadband wins; this one is for the numeric tags that have none. */
const PUBLISHER_DEADBAND_RULE = {
  ...DEADBAND_RULE,
  description:
    'Report by exception for every numeric tag without a deadband of its own: a change within it is not published. {"type": "absolute", "value": 0.5} in the tag\'s units, or {"type": "percent", "value": 2} of the last published value. A change of quality is always published.',
} as FieldRule;

/** Ids that a Sparkplug topic carries: no "+", "#" or "/". */
const SPARKPLUG_ID = { regex: /^[^+#/]+$/, message: 'a Sparkplug id cannot hold "+", "#" or "/" (MQTT topic characters)' };

const BROKER_RULE: FieldRule = {
  key: 'broker',
  kind: 'string',
  required: true,
  trim: true,
  pattern: { regex: /^(mqtt|mqtts|ws|wss):\/\/[^\s/]+/, message: 'a broker is a URL such as mqtt://broker:1883 or mqtts://broker:8883' },
  description: 'The MQTT broker: mqtt://host:1883, or mqtts://host:8883 for TLS.',
};

/** How every publisher reaches and logs in to its broker. */
const LOGIN_RULES: readonly FieldRule[] = [
  {
    key: 'keepaliveS',
    kind: 'integer',
    min: 1,
    max: 65535,
    description:
      "MQTT keep alive, in seconds: when nothing came from the broker for this long the gateway pings it, and one and a half times this without an answer ends the connection (a cut cable, a hung broker or a half-open connection); values wait in the buffer meanwhile. Default 30.",
  },
  { key: 'username', kind: 'string', nonEmpty: true, description: 'The user name to log in to the broker with.' },
  {
    key: 'passwordEnv',
    kind: 'string',
    nonEmpty: true,
    pattern: { regex: /^[A-Za-z_][A-Za-z0-9_]*$/, message: 'an environment variable name: letters, digits and "_"' },
    description: 'The environment variable holding the password (never the password itself: bifrost.json is no place for secrets).',
  },
];

const STORE_AND_FORWARD_RULE: FieldRule = {
  key: 'storeAndForward',
  kind: 'custom',
  schema: {
    type: 'object',
    description: 'Keep values on disk (in the data dir) while the broker or the primary host is away, and send them afterwards, in order, with their timestamps (Sparkplug: marked historical).',
    properties: {
      maxBytes: { type: 'integer', minimum: MIN_BUFFER_BYTES, maximum: MAX_BUFFER_BYTES, default: DEFAULT_BUFFER_BYTES, description: 'How much the buffer holds; when full, the oldest values are dropped (and counted).' },
    },
    additionalProperties: false,
  },
  check: checkStoreAndForward,
  description: 'Store and forward: values kept on disk while the broker is away.',
};

export const SPARKPLUG_RULES: readonly FieldRule[] = [
  {
    key: 'type',
    kind: 'enum',
    values: ['sparkplug'],
    valueDescriptions: ['Sparkplug B 3.0 over MQTT 3.1.1: the gateway is one edge node, each device a Sparkplug device named by its id.'],
    required: true,
    description: 'What the gateway publishes to.',
  },
  BROKER_RULE,
  { key: 'groupId', kind: 'string', required: true, nonEmpty: true, pattern: SPARKPLUG_ID, description: 'The Sparkplug group id (e.g. the plant or the area).' },
  { key: 'edgeNodeId', kind: 'string', required: true, nonEmpty: true, pattern: SPARKPLUG_ID, description: "This gateway's Sparkplug edge node id." },
  { key: 'clientId', kind: 'string', nonEmpty: true, description: 'The MQTT client id. Default bifrost-<groupId>-<edgeNodeId>.' },
  ...LOGIN_RULES,
  {
    key: 'primaryHostId',
    kind: 'string',
    nonEmpty: true,
    pattern: SPARKPLUG_ID,
    description:
      "The Sparkplug host application this edge node waits for: it publishes its births only while the host's STATE says online, and keeps values in its store-and-forward buffer (if any) while the host is away.",
  },
  {
    key: 'commands',
    kind: 'boolean',
    default: false,
    description:
      'Writes from Sparkplug DCMD messages (metric by name or alias, in the datatype of its DBIRTH), through the same rules as every write: only tags with "access": "readwrite" on devices with "allowWrites". The new value goes out as DDATA once the device confirmed it. Default false: DCMD is ignored.',
  },
  STORE_AND_FORWARD_RULE,
  TLS_RULE,
  PUBLISHER_DEADBAND_RULE,
];

function checkTemplateText(key: string, allowed: readonly string[]) {
  return (v: unknown): string | undefined => {
    if (typeof v !== 'string') return `"${key}" must be a topic such as "bifrost/{device}/{tag}" (got ${show(v)})`;
    // {topic} stands for the value topic's template, filled in by validatePublish.
    const t = compileTopic(v.replaceAll('{topic}', 'x'), allowed as typeof TOPIC_FIELDS);
    return 'error' in t ? `"${key}": ${t.error}` : undefined;
  };
}

function checkPayloadTemplate(v: unknown): string | undefined {
  const t = PayloadTemplate.compile(v);
  return 'error' in t ? `"payload": ${t.error}` : undefined;
}

const FIELD_LIST = PAYLOAD_FIELDS.map((f) => `{${f}}`).join(', ');

export const MQTT_JSON_RULES: readonly FieldRule[] = [
  {
    key: 'type',
    kind: 'enum',
    values: ['mqtt-json'],
    valueDescriptions: ['Plain JSON over MQTT 3.1.1: one message per value change, on a topic per tag.'],
    required: true,
    description: 'What the gateway publishes to.',
  },
  BROKER_RULE,
  {
    key: 'topic',
    kind: 'custom',
    schema: {
      type: 'string',
      minLength: 1,
      // What compileTopic checks, for the editor: the fields {device} and {tag}, no wildcards, no "$" first.
      pattern: String.raw`^(?!\$)(?:[^{}+#\u0000]|\{(?:device|tag)\})+$`,
      patternErrorMessage: 'A topic with {device} and {tag}: no "+", "#" or other braces, not starting with "$".',
      default: DEFAULT_TOPIC,
    },
    check: checkTemplateText('topic', TOPIC_FIELDS),
    description: `The topic of each value, with {device} (the device id) and {tag} (the tag name). Default ${DEFAULT_TOPIC}. No "+" or "#", not starting with "$".`,
  },
  {
    key: 'payload',
    kind: 'custom',
    schema: { default: DEFAULT_PAYLOAD },
    check: checkPayloadTemplate,
    description: `The message of each value: any JSON, in which a string that is one field alone ("{value}") becomes that field's JSON value, and a string with text around its fields becomes text. Fields: ${FIELD_LIST}. Default ${JSON.stringify(DEFAULT_PAYLOAD)}.`,
  },
  {
    key: 'commandTopic',
    kind: 'custom',
    schema: { type: 'string', minLength: 1, examples: ['{topic}/set'] },
    check: checkTemplateText('commandTopic', TOPIC_FIELDS),
    description:
      'Writes from MQTT: a message {"value": ..., "id"?: ...} on this topic writes the tag, through the same rules as every other client (the tag "readwrite", the device "allowWrites"). {topic} is the value topic; {device} and {tag} must be in it. No writes without it.',
  },
  {
    key: 'replyTopic',
    kind: 'custom',
    schema: { type: 'string', minLength: 1, default: '{topic}/result' },
    check: checkTemplateText('replyTopic', TOPIC_FIELDS),
    description: 'Where the outcome of each write goes: {"ok": true, "value", "timestamp"} once the device confirmed it, or {"ok": false, "error", "code"}. Default {topic}/result.',
  },
  { key: 'qos', kind: 'integer', min: 0, max: 2, default: 1, description: 'The MQTT QoS of each value (and of each reply to a command). Default 1: at least once.' },
  { key: 'retain', kind: 'boolean', default: false, description: "Retained values: a subscriber that comes later gets each tag's last value at once." },
  { key: 'clientId', kind: 'string', nonEmpty: true, description: 'The MQTT client id. Default bifrost-json-<a random suffix> (new at each start).' },
  ...LOGIN_RULES,
  STORE_AND_FORWARD_RULE,
  TLS_RULE,
  PUBLISHER_DEADBAND_RULE,
];

export interface SparkplugSettings {
  type: 'sparkplug';
  broker: string;
  groupId: string;
  edgeNodeId: string;
  clientId?: string;
  keepaliveS?: number;
  username?: string;
  passwordEnv?: string;
  primaryHostId?: string;
  commands?: boolean;
  storeAndForward?: { maxBytes?: number };
  deadband?: Deadband;
  tls?: TlsSettings;
}

export interface MqttJsonSettings {
  type: 'mqtt-json';
  broker: string;
  topic: string;
  payload: unknown;
  qos: 0 | 1 | 2;
  retain: boolean;
  /** With {topic} filled in. */
  commandTopic?: string;
  replyTopic?: string;
  clientId?: string;
  keepaliveS?: number;
  username?: string;
  passwordEnv?: string;
  storeAndForward?: { maxBytes?: number };
  deadband?: Deadband;
  tls?: TlsSettings;
}

export type PublisherSettings = SparkplugSettings | MqttJsonSettings;

const RULES: Record<PublisherSettings['type'], readonly FieldRule[]> = { sparkplug: SPARKPLUG_RULES, 'mqtt-json': MQTT_JSON_RULES };
const KNOWN = Object.fromEntries(Object.entries(RULES).map(([type, rules]) => [type, new Set([...rules.map((r) => r.key), 'password'])]));

/** A usable entry of `"publish"`, with its index in the list (for problems found later). */
export interface PublishEntry {
  index: number;
  settings: PublisherSettings;
}

/** The usable entries of `"publish"`; what is wrong with the others goes to `problems`. */
export function validatePublish(list: unknown, problems: ProblemSink): PublishEntry[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    problems.error('/publish', '"publish" must be an array of publishers, e.g. [{"type": "sparkplug", "broker": "mqtt://broker:1883", "groupId": "plant1", "edgeNodeId": "line2-gw"}]');
    return [];
  }
  const out: PublishEntry[] = [];
  const nodes = new Set<string>();
  list.forEach((entry, i) => {
    const at = `/publish/${i}`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      problems.error(at, 'a publisher is an object with "type", "broker", "groupId" and "edgeNodeId"');
      return;
    }
    const e = entry as Record<string, unknown>;
    if ('password' in e) {
      problems.error(`${at}/password`, 'a password does not belong in bifrost.json: put it in an environment variable and name that with "passwordEnv"');
      return;
    }
    const type = e['type'];
    if (type !== 'sparkplug' && type !== 'mqtt-json') {
      problems.error(`${at}/type`, `"type" must be "sparkplug" or "mqtt-json" (got ${show(type)})`);
      return;
    }
    warnUnknownKeys(e, KNOWN[type]!, at, 'publisher setting', problems);
    const { values, ok } = checkFields(e, RULES[type], at, problems);
    if (!ok) return;
    const s = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as unknown as PublisherSettings;
    if (s.tls && !/^(mqtts|wss):/.test(s.broker)) {
      problems.error(`${at}/tls`, `"tls" needs a broker URL starting with mqtts:// or wss:// (got ${s.broker})`);
      return;
    }
    if (s.tls?.rejectUnauthorized === false) {
      problems.warn(`${at}/tls/rejectUnauthorized`, "the broker's certificate is not checked: anyone on the way can pose as the broker (for a test broker only)");
    }
    if (s.type === 'mqtt-json') {
      s.topic ??= DEFAULT_TOPIC;
      s.payload ??= DEFAULT_PAYLOAD;
      if (s.commandTopic !== undefined) {
        const command = s.commandTopic.replaceAll('{topic}', s.topic);
        const reply = (s.replyTopic ?? '{topic}/result').replaceAll('{topic}', s.topic);
        const problem = !command.includes('{device}') || !command.includes('{tag}') ? `"commandTopic" ${command} needs {device} and {tag}: each tag has a command topic of its own`
          : command === s.topic || command === reply ? `"commandTopic" ${command} must differ from "topic" and "replyTopic"` : undefined;
        if (problem) {
          problems.error(`${at}/commandTopic`, problem);
          return;
        }
        s.commandTopic = command;
        s.replyTopic = reply;
      } else if (s.replyTopic !== undefined) {
        problems.warn(`${at}/replyTopic`, '"replyTopic" is for the outcome of writes, and without "commandTopic" there are none: ignored');
      }
      const where = `${s.broker} ${s.topic}`;
      if (nodes.has(where)) {
        problems.error(`${at}/topic`, `${s.broker} already gets the values on ${s.topic} from another publisher`);
        return;
      }
      nodes.add(where);
      out.push({ index: i, settings: s });
      return;
    }
    const node = `${s.broker} ${s.groupId}/${s.edgeNodeId}`;
    if (nodes.has(node)) {
      problems.error(`${at}/${escapePointer('edgeNodeId')}`, `edge node ${s.groupId}/${s.edgeNodeId} is published to ${s.broker} twice`);
      return;
    }
    nodes.add(node);
    out.push({ index: i, settings: s });
  });
  return out;
}
