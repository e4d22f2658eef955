import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { COMMON_DEVICE_RULES, COMMON_TAG_RULES, validateConfig } from '../../gateway/config';
import type { EditorSnippet, FieldRule } from '../../gateway/core/configRules';
import { configSchema, configSchemaText, editorSchemaText } from '../../gateway/core/configSchema';
import type { DriverModule } from '../../gateway/core/driver';
import { DriverRegistry } from '../../gateway/core/registry';
import { builtinDrivers } from '../../gateway/drivers';

const root = path.resolve(__dirname, '..', '..');
const committedText = readFileSync(path.join(root, 'schemas', 'bifrost.schema.json'), 'utf8');
const committed = JSON.parse(committedText) as Schema;
const example = JSON.parse(readFileSync(path.join(root, 'examples', 'bifrost.json'), 'utf8'));

type Schema = Record<string, unknown>;
type Doc = { devices: Record<string, unknown>[] };

// Editor-only keywords (descriptions for completion, custom messages) are not JSON Schema: ignore them.
function compile(schema: object): ValidateFunction {
  return new Ajv({ strict: false, allErrors: true }).compile(schema);
}

/** Where the schema finds errors, as `pointer message`. */
function errorsOf(validate: ValidateFunction, doc: unknown): string[] {
  return validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

function gatewayErrors(doc: unknown, registry: DriverRegistry): string[] {
  return validateConfig(doc, 'config', registry).problems.filter((p) => p.severity === 'error').map((p) => `${p.path} ${p.message}`);
}

const validateCommitted = compile(committed);
const builtin = builtinDrivers();

/** A snippet as the editor inserts it once the user accepts every placeholder ("x" where none is given). */
function filled(body: unknown): unknown {
  if (typeof body === 'string') {
    const raw = body.startsWith('^');
    const text = (raw ? body.slice(1) : body)
      .replace(/\$\{\d+:([^}]*)\}/g, '$1')
      .replace(/\$\{\d+\|([^,|]*)[^}]*\}/g, '$1')
      .replace(/\$\d+/g, 'x');
    return raw ? JSON.parse(text) : text;
  }
  if (Array.isArray(body)) return body.map(filled);
  if (typeof body === 'object' && body !== null) return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, filled(v)]));
  return body;
}

function firstSnippet(list: readonly EditorSnippet[] | undefined, what: string): Record<string, unknown> {
  assert.ok(list && list.length > 0, `no ${what} snippet`);
  return filled(list[0]!.body) as Record<string, unknown>;
}

/** A device of the module's protocol both sides accept, and a tag of it: its first snippets, filled in. */
function baseOf(m: DriverModule): { device: Record<string, unknown>; tag: Record<string, unknown> } {
  return { device: firstSnippet(m.rules.snippets?.device, `${m.protocol} device`), tag: firstSnippet(m.rules.snippets?.tag, `${m.protocol} tag`) };
}

/** Values each rule refuses, generated from the rule itself: out of range, wrong type, not in the enum. */
function badValues(rule: FieldRule): unknown[] {
  const wrongTypes = [null, [], { a: 1 }];
  switch (rule.kind) {
    case 'integer':
      return [rule.min - 1, rule.max + 1, rule.min + 0.5, String(rule.min), true, ...wrongTypes];
    case 'number':
      return [
        '1',
        true,
        ...wrongTypes,
        ...(rule.min !== undefined ? [rule.min - 1] : []),
        ...(rule.max !== undefined ? [rule.max + 1] : []),
        ...(rule.nonZero ? [0] : []),
      ];
    case 'boolean':
      return ['true', 1, 0, ...wrongTypes];
    case 'string': {
      const out: unknown[] = [5, true, ...wrongTypes];
      if (rule.nonEmpty) out.push('', '   ');
      if (rule.pattern) {
        const misfits = ['', ' ', 'has space', '-leading', 'x'.repeat(65), 'ü', 'a/b'].filter((c) => !rule.pattern!.regex.test(c));
        assert.ok(misfits.length > 0, `no sample misses the pattern of "${rule.key}"`);
        out.push(...misfits);
      }
      return out;
    }
    case 'enum': {
      const out: unknown[] = ['not-one-of-them', 1, true, ...wrongTypes];
      const upper = rule.values[0]!.toUpperCase();
      if (!rule.values.includes(upper)) out.push(upper);
      return out;
    }
    case 'custom':
      return [true, ...wrongTypes];
  }
}

/** That the schema says what the rule says: kind, range, enum, pattern, default, description. */
function assertStated(rule: FieldRule, prop: Schema | undefined, where: string): void {
  const at = `${where} "${rule.key}"`;
  assert.ok(prop, `${at} is not in the schema`);
  assert.equal(prop['description'], rule.description, `${at}: description`);
  assert.deepEqual(prop['default'], rule.default ?? rule.editor?.['default'], `${at}: default`);
  switch (rule.kind) {
    case 'integer':
      assert.deepEqual([prop['type'], prop['minimum'], prop['maximum']], ['integer', rule.min, rule.max], `${at}: integer range`);
      break;
    case 'number':
      assert.deepEqual([prop['type'], prop['minimum'], prop['maximum']], ['number', rule.min, rule.max], `${at}: number range`);
      break;
    case 'boolean':
      assert.equal(prop['type'], 'boolean', `${at}: type`);
      break;
    case 'string':
      assert.equal(prop['type'], 'string', `${at}: type`);
      assert.equal(prop['pattern'], rule.pattern ? rule.pattern.regex.source : rule.nonEmpty ? String.raw`\S` : undefined, `${at}: pattern`);
      break;
    case 'enum':
      assert.equal(prop['type'], 'string', `${at}: type`);
      assert.deepEqual(prop['enum'], rule.values, `${at}: enum`);
      assert.deepEqual(prop['enumDescriptions'], rule.valueDescriptions, `${at}: enum descriptions`);
      break;
    case 'custom':
      for (const [k, v] of Object.entries(rule.schema)) assert.deepEqual(prop[k], v, `${at}: ${k}`);
      break;
  }
  for (const [k, v] of Object.entries(rule.editor ?? {})) assert.deepEqual(prop[k], v, `${at}: editor keyword ${k}`);
}

function definitions(schema: Schema): Record<string, Schema> {
  return schema['definitions'] as Record<string, Schema>;
}

/** Every rule of every module (and the common ones) appears, and nothing else does. */
function checkStatesEveryRule(schema: Schema, registry: DriverRegistry): void {
  const defs = definitions(schema);
  for (const m of registry.all) {
    const device = defs[`device:${m.protocol}`]!;
    const tag = defs[`tag:${m.protocol}`]!;
    assert.ok(device && tag, `no branch for ${m.protocol}`);
    for (const [def, rules, extra, what] of [
      [device, [...COMMON_DEVICE_RULES, ...m.rules.device], ['protocol', 'tags'], `${m.protocol} device`],
      [tag, [...COMMON_TAG_RULES, ...m.rules.tag], [], `${m.protocol} tag`],
    ] as const) {
      const props = def['properties'] as Record<string, Schema>;
      assert.deepEqual(Object.keys(props).sort(), [...rules.map((r) => r.key), ...extra].sort(), `${what}: the schema's fields are the rules' fields`);
      for (const rule of rules) assertStated(rule, props[rule.key], what);
      const required = rules.filter((r) => r.required).map((r) => r.key);
      assert.deepEqual((def['required'] as string[]).filter((k) => k !== 'protocol').sort(), required.sort(), `${what}: required fields`);
      assert.equal(def['additionalProperties'], false, `${what}: unknown fields are flagged`);
    }
    assert.deepEqual(device['allOf'], m.rules.deviceSchema, `${m.protocol} device: cross-field rules`);
    assert.deepEqual(tag['allOf'], m.rules.tagSchema, `${m.protocol} tag: cross-field rules`);
    assert.deepEqual(tag['defaultSnippets'], m.rules.snippets?.tag, `${m.protocol} tag: snippets`);
  }
}

/** For each rule and each value it refuses: the schema refuses it at the field, and so does the gateway. */
function describeRefusals(modules: readonly DriverModule[], registry: DriverRegistry, validate: () => ValidateFunction): void {
  for (const m of modules) {
    const { device, tag } = baseOf(m);
    const cases: [FieldRule, string, (v: unknown) => Doc, string][] = [
      ...[...COMMON_DEVICE_RULES, ...m.rules.device].map(
        (r) => [r, 'device', (v: unknown) => ({ devices: [{ ...device, [r.key]: v }] }), `/devices/0/${r.key}`] as [FieldRule, string, (v: unknown) => Doc, string],
      ),
      ...[...COMMON_TAG_RULES, ...m.rules.tag].map(
        (r) => [r, 'tag', (v: unknown) => ({ devices: [{ ...device, tags: [{ ...tag, [r.key]: v }] }] }), `/devices/0/tags/0/${r.key}`] as [FieldRule, string, (v: unknown) => Doc, string],
      ),
    ];
    for (const [rule, what, docWith, pointer] of cases) {
      it(`${m.protocol} ${what} "${rule.key}" (${rule.kind}): what the gateway refuses, the schema refuses at the field`, () => {
        for (const v of badValues(rule)) {
          const doc = docWith(v);
          const schema = errorsOf(validate(), doc);
          const gateway = gatewayErrors(doc, registry);
          assert.ok(schema.some((e) => e.startsWith(`${pointer} `)), `the schema does not refuse ${JSON.stringify(v)} at ${pointer}: ${JSON.stringify(schema)}`);
          assert.ok(gateway.some((e) => e.startsWith(`${pointer} `)), `the gateway does not refuse ${JSON.stringify(v)} at ${pointer}: ${JSON.stringify(gateway)}`);
        }
      });
    }
  }
}

function withTag(tag: Record<string, unknown>) {
  return { devices: [{ id: 'd', protocol: 'modbus-tcp', host: 'h', tags: [{ name: 't', ...tag }] }] };
}

describe('bifrost.json schema: generated from the configuration rules', () => {
  it('is the committed schemas/bifrost.schema.json, byte for byte', () => {
    const generated = configSchemaText(builtin);
    if (generated === committedText) return;
    const a = committedText.split('\n');
    const b = generated.split('\n');
    let line = 0;
    while (line < a.length && a[line] === b[line]) line++;
    assert.fail(
      `schemas/bifrost.schema.json is not what the configuration rules generate (first difference at line ${line + 1}: ` +
        `${JSON.stringify(a[line])} should be ${JSON.stringify(b[line])}). Run \`npm run schema\` and commit the file.`,
    );
  });

  it('dispatches on "protocol" to one branch per registered protocol', () => {
    const device = definitions(committed)['device']!;
    const protocol = (device['properties'] as Record<string, Schema>)['protocol']!;
    assert.deepEqual(protocol['enum'], builtin.protocols);
    assert.deepEqual(protocol['enumDescriptions'], builtin.all.map((m) => m.capabilities.displayName));
    assert.deepEqual(
      device['allOf'],
      builtin.protocols.map((p) => ({ if: { properties: { protocol: { const: p } }, required: ['protocol'] }, then: { $ref: `#/definitions/device:${p}` } })),
    );
    assert.deepEqual(device['defaultSnippets'], builtin.all.flatMap((m) => m.rules.snippets?.device ?? []));
  });

  it('states every rule of the common fields and of every driver module: kind, range, enum, default, description', () => {
    checkStatesEveryRule(committed, builtin);
  });

  it('offers snippets that, filled in, give devices and tags both the schema and the gateway accept', () => {
    for (const m of builtin.all) {
      const tags = m.rules.snippets?.tag ?? [];
      for (const s of m.rules.snippets?.device ?? []) {
        const doc = { devices: [filled(s.body)] };
        assert.deepEqual([errorsOf(validateCommitted, doc), gatewayErrors(doc, builtin)], [[], []], `device snippet "${s.label}"`);
      }
      for (const s of tags) {
        const doc = { devices: [{ ...baseOf(m).device, tags: [filled(s.body)] }] };
        assert.deepEqual([errorsOf(validateCommitted, doc), gatewayErrors(doc, builtin)], [[], []], `tag snippet "${s.label}"`);
      }
    }
  });

  it('accepts every field the gateway takes', () => {
    const doc = withTag({ area: 'holding', address: 0, deadband: { type: 'percent', value: 2 } });
    Object.assign(doc.devices[0]!, { shareConnection: true, maxGap: 0, writeMultiple: true, enabled: false, description: 'x' });
    assert.deepEqual(errorsOf(validateCommitted, doc), []);
    assert.deepEqual(gatewayErrors(doc, builtin), []);
  });

  describe('refuses, field by field, what the gateway refuses', () => {
    describeRefusals(builtin.all, builtin, () => validateCommitted);
  });

  it('takes a "publish" list of Sparkplug brokers, and refuses what the gateway refuses in it', () => {
    const good = { type: 'sparkplug', broker: 'mqtt://broker:1883', groupId: 'plant1', edgeNodeId: 'line2-gw', username: 'gw', passwordEnv: 'BROKER_PASSWORD', keepaliveS: 15, deadband: { type: 'percent', value: 1 } };
    assert.deepEqual(errorsOf(validateCommitted, { devices: [], publish: [good] }), []);
    assert.deepEqual(gatewayErrors({ devices: [], publish: [good] }, builtin), []);
    const bad: [string, Record<string, unknown>][] = [
      ['a password in the file', { ...good, password: 'x' }],
      ['no broker', { type: 'sparkplug', groupId: 'g', edgeNodeId: 'e' }],
      ['a broker that is not an MQTT URL', { ...good, broker: 'http://broker' }],
      ['an edge node id with a "/"', { ...good, edgeNodeId: 'a/b' }],
      ['an unknown type', { ...good, type: 'kafka' }],
      ['a deadband of another shape', { ...good, deadband: { type: 'relative', value: 1 } }],
      ['a percent deadband over 100', { ...good, deadband: { type: 'percent', value: 150 } }],
      ['a keep alive of 0 (MQTT: no keep alive, a dead connection never noticed)', { ...good, keepaliveS: 0 }],
      ['a keep alive that is not whole seconds', { ...good, keepaliveS: 2.5 }],
    ];
    for (const [what, entry] of bad) {
      const doc = { devices: [], publish: [entry] };
      assert.ok(errorsOf(validateCommitted, doc).length > 0, `the schema takes ${what}`);
      assert.ok(gatewayErrors(doc, builtin).some((e) => e.startsWith('/publish/0')), `the gateway takes ${what}`);
    }
  });
  it('takes mqtt-json publishers, and refuses what the gateway refuses in them', () => {
    const good = { type: 'mqtt-json', broker: 'mqtt://broker:1883', topic: 'plant/{device}/{tag}', payload: { v: '{value}', at: '{time}', label: '{deviceName} {tag} ({unit})' }, qos: 0, retain: true };
    assert.deepEqual(errorsOf(validateCommitted, { devices: [], publish: [good] }), []);
    assert.deepEqual(gatewayErrors({ devices: [], publish: [good] }, builtin), []);
    const bad: [string, Record<string, unknown>][] = [
      ['a password in the file', { ...good, password: 'x' }],
      ['a topic with a wildcard', { ...good, topic: 'plant/+/{tag}' }],
      ['a topic with a field it cannot have', { ...good, topic: 'plant/{device}/{value}' }],
      ['a topic with an unknown field', { ...good, topic: 'plant/{device}/{name}' }],
      ['a topic with a lone brace', { ...good, topic: 'plant/{device/{tag}' }],
      ['a $SYS topic', { ...good, topic: '$SYS/{device}' }],
      ['a QoS of 3', { ...good, qos: 3 }],
    ];
    for (const [what, entry] of bad) {
      const doc = { devices: [], publish: [entry] };
      assert.ok(errorsOf(validateCommitted, doc).length > 0, `the schema takes ${what}`);
      assert.ok(gatewayErrors(doc, builtin).some((e) => e.startsWith('/publish/0')), `the gateway takes ${what}`);
    }
  });
});

describe('bifrost.json schema: the cases the gateway refuses', () => {
  it('accepts the example, and so does the gateway', () => {
    assert.deepEqual(errorsOf(validateCommitted, example), []);
    assert.deepEqual(validateConfig(example, 'config', builtinDrivers()).problems, []);
  });

  it('accepts both address forms', () => {
    assert.deepEqual(errorsOf(validateCommitted, withTag({ area: 'holding', address: 100, type: 'float32', byteOrder: 'CDAB' })), []);
    assert.deepEqual(errorsOf(validateCommitted, withTag({ address: 'holding:100:float32:CDAB' })), []);
    assert.deepEqual(errorsOf(validateCommitted, withTag({ address: '40101*0.1+5' })), []);
    assert.deepEqual(errorsOf(validateCommitted, withTag({ address: 'holding:7.3' })), []);
  });

  // Each of these is refused by the gateway too: the schema tells the user before saving.
  const refused: [string, Record<string, unknown>][] = [
    ['a numeric address without an area', { address: 5 }],
    ['an address string with separate fields', { address: 'holding:5', type: 'int16' }],
    ['a coil that is not bool', { area: 'coil', address: 0, type: 'uint16' }],
    ['a bool register without a bit', { area: 'holding', address: 0, type: 'bool' }],
    ['a string without a length', { area: 'holding', address: 0, type: 'string' }],
    ['a scaled bool', { area: 'holding', address: 0, bit: 1, scale: 2 }],
    ['a byte order on a 16-bit type', { area: 'holding', address: 0, type: 'int16', byteOrder: 'CDAB' }],
    ['an address beyond 65535', { area: 'holding', address: 65536 }],
    ['a zero scale', { area: 'holding', address: 0, scale: 0 }],
    ['an unknown access', { area: 'holding', address: 0, access: 'write' }],
    ['a garbled address string', { address: 'holding 5' }],
    ['a deadband percent above 100', { area: 'holding', address: 0, deadband: { type: 'percent', value: 101 } }],
  ];
  for (const [what, tag] of refused) {
    it(`refuses ${what}, as the gateway does`, () => {
      assert.notDeepEqual(errorsOf(validateCommitted, withTag(tag)), [], 'the schema accepted it');
      assert.ok(validateConfig(withTag(tag), 'config', builtinDrivers()).problems.some((p) => p.severity === 'error'), 'the gateway accepted it');
    });
  }

  it('refuses bad device settings', () => {
    const base = { id: 'd', protocol: 'modbus-tcp', host: 'h' };
    assert.notDeepEqual(errorsOf(validateCommitted, { devices: [{ ...base, id: 'has space' }] }), []);
    assert.notDeepEqual(errorsOf(validateCommitted, { devices: [{ ...base, port: 0 }] }), []);
    assert.notDeepEqual(errorsOf(validateCommitted, { devices: [{ ...base, unitId: 256 }] }), []);
    assert.notDeepEqual(errorsOf(validateCommitted, { devices: [{ ...base, maxRegistersPerRead: 126 }] }), []);
    assert.notDeepEqual(errorsOf(validateCommitted, { devices: [{ id: 'd', protocol: 'modbus-tcp' }] }), []);
  });

  it('refuses a device without a protocol, or with one this gateway does not speak, with one message at "protocol"', () => {
    for (const device of [{ id: 'd', host: 'h' }, { id: 'd', protocol: 'profinet', host: 'h' }]) {
      const schema = errorsOf(validateCommitted, { devices: [device] });
      assert.equal(schema.length, 1, JSON.stringify(schema));
      assert.ok(gatewayErrors({ devices: [device] }, builtin).some((e) => e.startsWith('/devices/0/protocol ')));
    }
  });
});

/** A made-up protocol with one device field and one tag field, to see the generator handle a second one. */
const loopDriver: DriverModule = {
  protocol: 'loop',
  capabilities: {
    displayName: 'Loop (test protocol)',
    browse: 'flat',
    subscribe: 'polling',
    write: false,
    methods: false,
    history: false,
    discovery: false,
    deviceFields: [],
  },
  rules: {
    deviceDescription: 'A device of the loop test protocol.',
    tagDescription: 'A slot of a loop device.',
    device: [{ key: 'channel', kind: 'integer', min: 1, max: 8, default: 1, description: 'The loop channel.' }],
    tag: [{ key: 'slot', kind: 'integer', min: 0, max: 99, required: true, description: 'The slot the value is in.' }],
    snippets: {
      device: [{ label: 'Loop device', body: { id: '$1', protocol: 'loop', channel: '^${2:1}', tags: [] } }],
      tag: [{ label: 'Slot', body: { name: '$1', slot: '^${2:0}' } }],
    },
  },
  validate: ({ values, tags }) => ({ channel: values['channel'], slots: tags.map((t) => t.values['slot']) }),
  create: () => Promise.reject(new Error('the loop protocol only exists to test the schema generator; it makes no devices')),
};

describe('bifrost.json schema: a second protocol', () => {
  const registry = builtinDrivers();
  registry.register(loopDriver);
  const schema = configSchema(registry);
  const validate = compile(schema);
  const modbus = { id: 'm', protocol: 'modbus-tcp', host: 'h' };
  const loop = { id: 'l', protocol: 'loop', channel: 2, tags: [{ name: 's', slot: 3 }] };

  it('gets a branch of its own, with its own tag definition, beside the built-in protocols', () => {
    const defs = definitions(schema);
    assert.deepEqual(Object.keys(defs).sort(), ['device', 'device:loop', 'device:modbus-rtu', 'device:modbus-tcp', 'device:opcua', 'publisher', 'publisher:mqtt-json', 'publisher:sparkplug', 'tag:loop', 'tag:modbus-rtu', 'tag:modbus-tcp', 'tag:opcua']);
    const protocol = (defs['device']!['properties'] as Record<string, Schema>)['protocol']!;
    assert.deepEqual([protocol['enum'], protocol['enumDescriptions']], [['modbus-tcp', 'modbus-rtu', 'opcua', 'loop'], ['Modbus TCP', 'Modbus RTU', 'OPC UA', 'Loop (test protocol)']]);
    assert.deepEqual(
      (defs['device']!['defaultSnippets'] as EditorSnippet[]).map((s) => s.label),
      ['Modbus TCP device', 'Modbus RTU device', 'Modbus RTU device behind a serial server (RTU over TCP)', 'OPC UA server', 'OPC UA server, signed and encrypted, with a user name', 'Loop device'],
    );
    checkStatesEveryRule(schema, registry);
  });

  it('accepts a device of each protocol, as the gateway does', () => {
    const doc = { devices: [modbus, loop] };
    assert.deepEqual(errorsOf(validate, doc), []);
    assert.deepEqual(gatewayErrors(doc, registry), []);
  });

  it("refuses a device of one protocol with a field of the other (the gateway warns and ignores it)", () => {
    for (const [device, foreign] of [
      [{ ...loop, host: 'h' }, 'host'],
      [{ ...modbus, channel: 2 }, 'channel'],
      [{ ...loop, tags: [{ name: 's', slot: 3, area: 'holding' }] }, 'area'],
      [{ ...modbus, tags: [{ name: 't', area: 'holding', address: 0, slot: 3 }] }, 'slot'],
    ] as const) {
      const doc = { devices: [device] };
      const errors = validate(doc) ? [] : (validate.errors ?? []);
      assert.ok(
        errors.some((e) => e.keyword === 'additionalProperties' && (e.params as { additionalProperty?: string }).additionalProperty === foreign),
        `the schema accepted "${foreign}" on a ${device.protocol} device: ${JSON.stringify(errors)}`,
      );
      const problems = validateConfig(doc, 'config', registry).problems;
      assert.ok(problems.some((p) => p.severity === 'warning' && p.path.endsWith(`/${foreign}`)), JSON.stringify(problems));
    }
  });

  it('refuses a loop tag without its own required field, as the gateway does', () => {
    const doc = { devices: [{ ...loop, tags: [{ name: 's' }] }] };
    assert.notDeepEqual(errorsOf(validate, doc), []);
    assert.ok(gatewayErrors(doc, registry).some((e) => e.startsWith('/devices/0/tags/0/slot ')));
  });

  describe('refuses, field by field, what the gateway refuses', () => {
    describeRefusals([loopDriver], registry, () => validate);
  });
});

describe('bifrost.json schema for VS Code: completion and hovers, the gateway the one judge', () => {
  const editorText = readFileSync(path.join(root, 'schemas', 'bifrost.editor.schema.json'), 'utf8');
  const editor = JSON.parse(editorText) as Schema;
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { contributes: { jsonValidation: { url: string }[] } };

  /** Every keyword of a schema with the path it is at, except inside `if` (a condition reports nothing) and below `properties` (names). */
  function keywords(node: unknown, at = '#'): string[] {
    if (Array.isArray(node)) return node.flatMap((n, i) => keywords(n, `${at}/${i}`));
    if (typeof node !== 'object' || node === null) return [];
    return Object.entries(node).flatMap(([k, v]) => {
      if (k === 'if' || k === 'defaultSnippets' || k === 'default') return [`${at}/${k}`];
      if (k === 'properties' || k === 'definitions') return Object.entries(v as Schema).flatMap(([name, sub]) => keywords(sub, `${at}/${k}/${name}`));
      return [`${at}/${k}`, ...keywords(v, `${at}/${k}`)];
    });
  }

  it('is the committed schemas/bifrost.editor.schema.json, and the one VS Code is given', () => {
    assert.equal(editorText, editorSchemaText(builtin), 'run `npm run schema` and commit the file');
    assert.deepEqual(manifest.contributes.jsonValidation.map((v) => v.url), ['./schemas/bifrost.editor.schema.json']);
  });

  it('holds no keyword that makes an editor report a problem: each mistake is told once, by the gateway', () => {
    const checks = keywords(editor).filter((k) => /\/(type|required|additionalProperties|minimum|maximum|minLength|maxLength|pattern|const|not|enum|errorMessage|patternErrorMessage)$/.test(k));
    assert.deepEqual(checks, []);
    // What the gateway refuses, the editor's schema lets through without a word ...
    const broken = withTag({ address: 'holding:abc', area: 'sideways', access: 'write' });
    (broken.devices[0] as Record<string, unknown>)['port'] = 70000;
    delete (broken.devices[0] as Record<string, unknown>)['host'];
    assert.deepEqual(errorsOf(compile(editor), broken), []);
    // ... and the gateway says what is wrong, at each place.
    assert.deepEqual(gatewayErrors(broken, builtin).map((e) => e.split(' ')[0]), ['/devices/0/host', '/devices/0/port']);
  });

  it('still offers every field with its description, each enum value with its own, and the snippets', () => {
    const tag = definitions(editor)['tag:modbus-tcp']!;
    const props = tag['properties'] as Record<string, Schema>;
    assert.deepEqual(Object.keys(props), Object.keys(definitions(committed)['tag:modbus-tcp']!['properties'] as Schema));
    for (const [name, p] of Object.entries(props)) assert.equal(typeof p['description'], 'string', `${name} has no description`);
    const area = props['area']!['defaultSnippets'] as { label: string; description?: string; body: unknown }[];
    assert.deepEqual(area.map((a) => a.body), ['coil', 'discrete', 'input', 'holding']);
    assert.match(area[3]!.description ?? '', /Holding registers/);
    assert.ok((tag['defaultSnippets'] as unknown[]).length > 0, 'the tag snippets are gone');
    const enabled = (definitions(editor)['device']!['properties'] as Record<string, Schema>)['enabled']!;
    assert.deepEqual((enabled['defaultSnippets'] as { body: unknown }[]).map((s) => s.body), [true, false]);
  });
});
