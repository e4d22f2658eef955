/**
 * The JSON Schema of bifrost.json, generated from the configuration rules: the common ones
 * (config.ts) and those of every registered driver module. The gateway validates with the same
 * rules, so the editor and the gateway cannot drift apart. `npm run schema` writes it to
 * schemas/bifrost.schema.json, which VS Code reads (the manifest's jsonValidation) and the VSIX
 * ships; a unit test fails when the committed file is not what the rules generate.
 *
 * One branch per protocol. `definitions.device` holds what every device has and dispatches on
 * `protocol`, one `if`/`then` per protocol, to `definitions["device:<protocol>"]`: the common
 * fields, the protocol's own, `additionalProperties: false`, and tags of
 * `definitions["tag:<protocol>"]`.
 *
 * Why `if`/`then` and not `oneOf` (tried both in VS Code's JSON language service): a `oneOf`'s
 * alternatives tie until `protocol` is set, so completion offers every protocol's fields at once
 * (Modbus `host` beside another protocol's own), and a misspelt protocol is told `Value must be
 * "modbus-tcp"`, the constant of whichever alternative it guessed. An `if`/`then` applies only the
 * branch whose protocol matches: before the choice completion offers the common fields and
 * `protocol`, after it that protocol's fields; a missing or unknown protocol gets the one message
 * of the enum ("Valid values: ..."); errors inside a device are the same in both forms. The price:
 * VS Code offers the snippets of `allOf`/`anyOf`/`oneOf` alternatives for a new value, not those
 * behind `then`, so every protocol's device snippets sit on `definitions.device`.
 */
import { COMMON_DEVICE_RULES, COMMON_TAG_RULES } from '../config';
import { MQTT_JSON_RULES, SPARKPLUG_RULES } from '../mqtt/publishConfig';
import type { FieldRule } from './configRules';
import type { DriverModule } from './driver';
import type { DriverRegistry } from './registry';

type JsonSchema = Record<string, unknown>;

/** Keys every device has besides its rules: the dispatch and the tag list. */
const STRUCTURAL_DEVICE_KEYS = ['protocol', 'tags'];

export function configSchema(registry: DriverRegistry): JsonSchema {
  const modules = registry.all;
  const definitions: JsonSchema = { device: dispatchingDevice(modules), publisher: publisherDefinition(), ...publisherBranches() };
  for (const m of modules) {
    definitions[`device:${m.protocol}`] = deviceBranch(m);
    definitions[`tag:${m.protocol}`] = tagDefinition(m);
  }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://bifrost.dev/schemas/bifrost.schema.json',
    title: 'Bifrost device configuration (bifrost.json)',
    description: 'The devices the Bifrost gateway connects to, and the tags it reads and writes on them.',
    type: 'object',
    properties: {
      $schema: { type: 'string', description: 'The JSON Schema of this file, for editors.' },
      devices: {
        type: 'array',
        description: 'The devices to connect to. Each runs on its own; a device with an error is left out and the others keep running.',
        items: { $ref: '#/definitions/device' },
        default: [],
      },
      publish: {
        type: 'array',
        description: 'Where the gateway publishes the devices: MQTT brokers, as Sparkplug B or plain JSON.',
        items: { $ref: '#/definitions/publisher' },
      },
    },
    required: ['devices'],
    additionalProperties: false,
    defaultSnippets: [{ label: 'Bifrost configuration', body: { devices: [] } }],
    definitions,
  };
}

/** The schema as schemas/bifrost.schema.json holds it. */
export function configSchemaText(registry: DriverRegistry): string {
  return `${JSON.stringify(configSchema(registry), null, 2)}\n`;
}

function dispatchingDevice(modules: readonly DriverModule[]): JsonSchema {
  const names = modules.map((m) => m.capabilities.displayName);
  return {
    type: 'object',
    description: 'One device (a PLC, drive, meter or gateway) the Bifrost gateway connects to.',
    required: [...requiredKeys(COMMON_DEVICE_RULES), 'protocol'],
    properties: {
      // Listed here too, so that completion and hovers work before the protocol is chosen.
      ...fieldSchemas(COMMON_DEVICE_RULES),
      protocol: {
        type: 'string',
        enum: modules.map((m) => m.protocol),
        enumDescriptions: names,
        description: `How to talk to the device. This gateway speaks ${listed(names)}.`,
      },
    },
    allOf: modules.map((m) => ({
      if: { properties: { protocol: { const: m.protocol } }, required: ['protocol'] },
      then: { $ref: `#/definitions/device:${m.protocol}` },
    })),
    defaultSnippets: modules.flatMap((m) => m.rules.snippets?.device ?? []),
  };
}

function deviceBranch(m: DriverModule): JsonSchema {
  checkOwnKeys(m, 'device', m.rules.device, [...COMMON_DEVICE_RULES.map((r) => r.key), ...STRUCTURAL_DEVICE_KEYS]);
  const out: JsonSchema = {
    type: 'object',
    description: m.rules.deviceDescription,
    required: [...requiredKeys(COMMON_DEVICE_RULES), 'protocol', ...requiredKeys(m.rules.device)],
    additionalProperties: false,
    properties: {
      ...fieldSchemas(COMMON_DEVICE_RULES),
      protocol: { const: m.protocol },
      ...fieldSchemas(m.rules.device),
      tags: {
        type: 'array',
        items: { $ref: `#/definitions/tag:${m.protocol}` },
        default: [],
        description: 'The values to read (and write) on this device.',
      },
    },
  };
  if (m.rules.deviceSchema?.length) out['allOf'] = [...m.rules.deviceSchema];
  return out;
}

function tagDefinition(m: DriverModule): JsonSchema {
  checkOwnKeys(m, 'tag', m.rules.tag, COMMON_TAG_RULES.map((r) => r.key));
  const out: JsonSchema = {
    type: 'object',
    description: m.rules.tagDescription,
    required: [...requiredKeys(COMMON_TAG_RULES), ...requiredKeys(m.rules.tag)],
    additionalProperties: false,
    properties: { ...fieldSchemas(COMMON_TAG_RULES), ...fieldSchemas(m.rules.tag) },
  };
  if (m.rules.tagSchema?.length) out['allOf'] = [...m.rules.tagSchema];
  if (m.rules.snippets?.tag?.length) out['defaultSnippets'] = [...m.rules.snippets.tag];
  return out;
}

const PUBLISHER_KINDS = [
  { type: 'sparkplug', rules: SPARKPLUG_RULES, description: 'Publish every device to an MQTT broker as one Sparkplug B edge node.' },
  { type: 'mqtt-json', rules: MQTT_JSON_RULES, description: 'Publish every value change to an MQTT broker as plain JSON, on a topic per tag.' },
] as const;

function publisherDefinition(): JsonSchema {
  return {
    type: 'object',
    description: 'A broker to publish to.',
    required: ['type', 'broker'],
    properties: {
      type: {
        type: 'string',
        enum: PUBLISHER_KINDS.map((k) => k.type),
        enumDescriptions: PUBLISHER_KINDS.map((k) => k.description),
        description: 'What the gateway publishes to.',
      },
    },
    allOf: PUBLISHER_KINDS.map((k) => ({
      if: { properties: { type: { const: k.type } }, required: ['type'] },
      then: { $ref: `#/definitions/publisher:${k.type}` },
    })),
    defaultSnippets: [
      {
        label: 'Sparkplug B',
        description: 'publish every device to an MQTT broker as one Sparkplug edge node',
        body: { type: 'sparkplug', broker: '${1:mqtt://localhost:1883}', groupId: '${2:plant1}', edgeNodeId: '${3:line1-gateway}' },
      },
      {
        label: 'MQTT JSON',
        description: 'publish every value change as plain JSON, a topic per tag',
        body: { type: 'mqtt-json', broker: '${1:mqtt://localhost:1883}', topic: 'bifrost/{device}/{tag}' },
      },
    ],
  };
}

function publisherBranches(): JsonSchema {
  const out: JsonSchema = {};
  for (const k of PUBLISHER_KINDS) {
    out[`publisher:${k.type}`] = {
      type: 'object',
      description: k.description,
      required: requiredKeys(k.rules),
      additionalProperties: false,
      properties: fieldSchemas(k.rules),
    };
  }
  return out;
}

function fieldSchemas(rules: readonly FieldRule[]): JsonSchema {
  const out: JsonSchema = {};
  for (const r of rules) out[r.key] = fieldSchema(r);
  return out;
}

/** One field's schema: what checkFields checks, said in JSON Schema, with the editor's extras. */
export function fieldSchema(rule: FieldRule): JsonSchema {
  let s: JsonSchema;
  switch (rule.kind) {
    case 'integer':
      s = { type: 'integer', minimum: rule.min, maximum: rule.max };
      break;
    case 'number':
      s = { type: 'number' };
      if (rule.min !== undefined) s['minimum'] = rule.min;
      if (rule.max !== undefined) s['maximum'] = rule.max;
      // In allOf, so that its message is not also used for a wrong type.
      if (rule.nonZero) s['allOf'] = [{ not: { const: 0 }, errorMessage: 'Must not be 0.' }];
      break;
    case 'boolean':
      s = { type: 'boolean' };
      break;
    case 'string': {
      s = { type: 'string' };
      // Like the gateway's trim() check: spaces alone count as empty.
      const nonEmpty = { pattern: String.raw`\S`, patternErrorMessage: 'Must not be empty.' };
      if (rule.nonEmpty) s['minLength'] = 1;
      if (rule.pattern) {
        s['pattern'] = patternSource(rule.key, rule.pattern.regex);
        s['patternErrorMessage'] = sentence(rule.pattern.message);
        if (rule.nonEmpty) s['allOf'] = [nonEmpty];
      } else if (rule.nonEmpty) {
        Object.assign(s, nonEmpty);
      }
      break;
    }
    case 'enum':
      s = { type: 'string', enum: [...rule.values] };
      if (rule.valueDescriptions) s['enumDescriptions'] = [...rule.valueDescriptions];
      break;
    case 'custom':
      s = { ...rule.schema };
      break;
  }
  if (rule.default !== undefined) s['default'] = rule.default;
  s['description'] = rule.description;
  return { ...s, ...rule.editor };
}

function requiredKeys(rules: readonly FieldRule[]): string[] {
  return rules.filter((r) => r.required).map((r) => r.key);
}

/** A module's field may not redefine a common one: the gateway would check both, the schema one. */
function checkOwnKeys(m: DriverModule, what: string, own: readonly FieldRule[], taken: readonly string[]): void {
  for (const r of own) {
    if (taken.includes(r.key)) throw new Error(`driver "${m.protocol}": ${what} field "${r.key}" is already a field of every ${what}`);
  }
}

/** JSON Schema patterns have no flags (editors and ajv read them as Unicode regular expressions). */
function patternSource(key: string, regex: RegExp): string {
  if (regex.flags.replace('u', '') !== '') throw new Error(`the pattern of "${key}" has flags (${regex.flags}) that JSON Schema cannot say`);
  return regex.source;
}

function sentence(message: string): string {
  const s = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

function listed(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? 'no protocol') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/**
 * Keywords that make an editor report problems. In the editor's schema they are left out: the
 * gateway is the one judge of bifrost.json (its problems are the file's diagnostics, errors where
 * it skips an entry, warnings where it ignores a key), and a schema that validated too would put
 * a second entry with other words and another severity beside each of them in the Problems panel.
 */
const VALIDATION_KEYWORDS = new Set([
  'type',
  'required',
  'additionalProperties',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'patternErrorMessage',
  'errorMessage',
  'const',
  'not',
  'enum',
  'enumDescriptions',
]);

/**
 * The schema VS Code gets (schemas/bifrost.editor.schema.json, the manifest's jsonValidation):
 * the full schema for completion, hovers and snippets, without its checks. Enum values become
 * snippets with their descriptions, so completion still offers them; booleans offer true and
 * false. `if` conditions stay as they are: they choose which branch completes (a protocol's
 * fields) and never report anything themselves. The full, validating schema stays for other
 * editors and tools (schemas/bifrost.schema.json).
 */
export function editorSchema(schema: JsonSchema): JsonSchema {
  return withoutChecks(schema) as JsonSchema;
}

export function editorSchemaText(registry: DriverRegistry): string {
  return `${JSON.stringify(editorSchema(configSchema(registry)), null, 2)}\n`;
}

function withoutChecks(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutChecks);
  if (typeof node !== 'object' || node === null) return node;
  const s = node as JsonSchema;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(s)) {
    if (VALIDATION_KEYWORDS.has(key)) continue;
    if (key === 'if' || key === 'defaultSnippets' || key === 'default') out[key] = value;
    else if (key === 'properties' || key === 'definitions') out[key] = mapValues(value as JsonSchema, withoutChecks);
    else if (key === 'allOf' || key === 'anyOf' || key === 'oneOf') {
      const kept = (value as unknown[]).map(withoutChecks).filter((b) => !isEmptyBranch(b));
      if (kept.length > 0) out[key] = kept;
    } else if (key === 'then' || key === 'else' || key === 'items') {
      const kept = withoutChecks(value);
      if (!isEmptyBranch(kept)) out[key] = kept;
    } else out[key] = value;
  }
  // An `if` whose branch said only what is wrong has nothing left to apply.
  if ('if' in out && !('then' in out) && !('else' in out)) delete out['if'];
  const offered = offeredValues(s);
  if (offered.length > 0) out['defaultSnippets'] = [...((out['defaultSnippets'] as unknown[] | undefined) ?? []), ...offered];
  return out;
}

/** What completion offers for a value once the enum is gone: each value, with its description. */
function offeredValues(s: JsonSchema): { label: string; description?: string; body: unknown }[] {
  if (Array.isArray(s['enum'])) {
    const descriptions = (s['enumDescriptions'] as string[] | undefined) ?? [];
    return (s['enum'] as unknown[]).map((v, i) => ({ label: String(v), ...(descriptions[i] ? { description: descriptions[i] } : {}), body: v }));
  }
  if (s['type'] === 'boolean') return [true, false].map((v) => ({ label: String(v), body: v }));
  return [];
}

/** Nothing to apply: no keys, or only properties that say nothing. */
function isEmptyBranch(b: unknown): boolean {
  if (typeof b !== 'object' || b === null || Array.isArray(b)) return false;
  return Object.entries(b).every(([k, v]) => k === 'properties' && Object.values(v as JsonSchema).every(isEmptyBranch));
}

function mapValues(o: JsonSchema, f: (v: unknown) => unknown): JsonSchema {
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(o)) out[k] = f(v);
  return out;
}
