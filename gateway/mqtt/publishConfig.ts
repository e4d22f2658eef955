/**
 * The `"publish"` list of bifrost.json: where the gateway publishes its devices. One kind so far,
 * `sparkplug` (an MQTT broker speaking Sparkplug B). Written once as rules: the gateway checks
 * with them and the JSON Schema is generated from them. A password is never in the file: it is
 * named by `passwordEnv`, the environment variable that holds it.
 */
import { checkFields, escapePointer, warnUnknownKeys, type FieldRule } from '../core/configRules';
import type { ProblemSink } from '../core/driver';
import { DEADBAND_RULE } from '../core/deadband';
import type { Deadband } from '../protocol';
import { TLS_RULE, type TlsSettings } from './brokerTls';

export const DEFAULT_BUFFER_BYTES = 100 * 1024 * 1024;
const MIN_BUFFER_BYTES = 64 * 1024;
const MAX_BUFFER_BYTES = 1024 ** 4;

function checkStoreAndForward(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return '"storeAndForward" is an object, e.g. {"maxBytes": 104857600}';
  for (const [key, value] of Object.entries(v)) {
    if (key !== 'maxBytes') return `"storeAndForward" has no setting "${key}" (it has "maxBytes")`;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < MIN_BUFFER_BYTES || value > MAX_BUFFER_BYTES) {
      return `"storeAndForward.maxBytes" must be a whole number of bytes from ${MIN_BUFFER_BYTES} to ${MAX_BUFFER_BYTES} (got ${JSON.stringify(value)})`;
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

export const SPARKPLUG_RULES: readonly FieldRule[] = [
  {
    key: 'type',
    kind: 'enum',
    values: ['sparkplug'],
    valueDescriptions: ['Sparkplug B 3.0 over MQTT 3.1.1: the gateway is one edge node, each device a Sparkplug device named by its id.'],
    required: true,
    description: 'What the gateway publishes to.',
  },
  {
    key: 'broker',
    kind: 'string',
    required: true,
    trim: true,
    pattern: { regex: /^(mqtt|mqtts|ws|wss):\/\/[^\s/]+/, message: 'a broker is a URL such as mqtt://broker:1883 or mqtts://broker:8883' },
    description: 'The MQTT broker: mqtt://host:1883, or mqtts://host:8883 for TLS.',
  },
  { key: 'groupId', kind: 'string', required: true, nonEmpty: true, pattern: SPARKPLUG_ID, description: 'The Sparkplug group id (e.g. the plant or the area).' },
  { key: 'edgeNodeId', kind: 'string', required: true, nonEmpty: true, pattern: SPARKPLUG_ID, description: "This gateway's Sparkplug edge node id." },
  { key: 'clientId', kind: 'string', nonEmpty: true, description: 'The MQTT client id. Default bifrost-<groupId>-<edgeNodeId>.' },
  { key: 'username', kind: 'string', nonEmpty: true, description: 'The user name to log in to the broker with.' },
  {
    key: 'passwordEnv',
    kind: 'string',
    nonEmpty: true,
    pattern: { regex: /^[A-Za-z_][A-Za-z0-9_]*$/, message: 'an environment variable name: letters, digits and "_"' },
    description: 'The environment variable holding the password (never the password itself: bifrost.json is no place for secrets).',
  },
  {
    key: 'primaryHostId',
    kind: 'string',
    nonEmpty: true,
    pattern: SPARKPLUG_ID,
    description:
      "The Sparkplug host application this edge node waits for: it publishes its births only while the host's STATE says online, and keeps values in its store-and-forward buffer (if any) while the host is away.",
  },
  {
    key: 'storeAndForward',
    kind: 'custom',
    schema: {
      type: 'object',
      description: 'Keep values on disk (in the data dir) while the broker or the primary host is away, and send them afterwards, in order, with their timestamps, marked historical.',
      properties: {
        maxBytes: { type: 'integer', minimum: MIN_BUFFER_BYTES, maximum: MAX_BUFFER_BYTES, default: DEFAULT_BUFFER_BYTES, description: 'How much the buffer holds; when full, the oldest values are dropped (and counted).' },
      },
      additionalProperties: false,
    },
    check: checkStoreAndForward,
    description: 'Store and forward: values kept on disk while the broker is away.',
  },
  TLS_RULE,
  PUBLISHER_DEADBAND_RULE,
];

export interface SparkplugSettings {
  type: 'sparkplug';
  broker: string;
  groupId: string;
  edgeNodeId: string;
  clientId?: string;
  username?: string;
  passwordEnv?: string;
  primaryHostId?: string;
  storeAndForward?: { maxBytes?: number };
  deadband?: Deadband;
  tls?: TlsSettings;
}

export type PublisherSettings = SparkplugSettings;

const KNOWN = new Set([...SPARKPLUG_RULES.map((r) => r.key), 'password']);

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
    warnUnknownKeys(e, KNOWN, at, 'publisher setting', problems);
    const { values, ok } = checkFields(e, SPARKPLUG_RULES, at, problems);
    if (!ok) return;
    const s = values as unknown as SparkplugSettings;
    if (s.tls && !/^(mqtts|wss):/.test(s.broker)) {
      problems.error(`${at}/tls`, `"tls" needs a broker URL starting with mqtts:// or wss:// (got ${s.broker})`);
      return;
    }
    if (s.tls?.rejectUnauthorized === false) {
      problems.warn(`${at}/tls/rejectUnauthorized`, "the broker's certificate is not checked: anyone on the way can pose as the broker (for a test broker only)");
    }
    const node = `${s.broker} ${s.groupId}/${s.edgeNodeId}`;
    if (nodes.has(node)) {
      problems.error(`${at}/${escapePointer('edgeNodeId')}`, `edge node ${s.groupId}/${s.edgeNodeId} is published to ${s.broker} twice`);
      return;
    }
    nodes.add(node);
    out.push({ index: i, settings: Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) as unknown as SparkplugSettings });
  });
  return out;
}
