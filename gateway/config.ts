/**
 * Validates a configuration document (bifrost.json or a `bifrost/config/load` request) entry by
 * entry: a broken device or tag is reported with a JSON pointer and left out, and everything
 * valid keeps running. The rules common to every protocol are here; each driver module brings
 * its own (core/configRules.ts), and the JSON Schema for editors is generated from the same rules.
 */
import type { ConfigProblem } from './protocol';
import { alternatives, checkFields, escapePointer, show, warnUnknownKeys, type FieldRule } from './core/configRules';
import { DEADBAND_RULE } from './core/deadband';
import type { CommonDeviceSettings, DeviceSettings, DeviceSource, DriverModule, ProblemSink } from './core/driver';
import type { DriverRegistry } from './core/registry';
import { validatePublish, type PublishEntry } from './mqtt/publishConfig';

export interface ValidatedConfig {
  devices: DeviceSettings[];
  /** Where the devices are published (bifrost.json's "publish"). */
  publish: PublishEntry[];
  problems: ConfigProblem[];
  /** False when the document is not a configuration at all: nothing in it should be applied. */
  usable: boolean;
}

export const DEVICE_ID = {
  regex: /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
  message: 'letters, digits, "_", "." or "-", up to 64 characters, starting with a letter or digit',
};

/** Fields every device has, whatever its protocol. `protocol` is checked against the registry. */
export const COMMON_DEVICE_RULES: readonly FieldRule[] = [
  {
    key: 'id',
    kind: 'string',
    required: true,
    pattern: DEVICE_ID,
    missing: `every device needs an "id": ${DEVICE_ID.message}`,
    description: 'A short, unique name for the device, used by commands, charts and subscriptions. Letters, digits, "_", "." or "-".',
  },
  { key: 'name', kind: 'string', description: 'The name shown to people. Default: the id.' },
  { key: 'description', kind: 'string', description: 'Notes about the device, for people.' },
  {
    key: 'timeoutMs',
    kind: 'integer',
    min: 10,
    max: 60_000,
    default: 1000,
    description: 'How long one request may take, in milliseconds, before it counts as unanswered. Default 1000.',
  },
  {
    key: 'pollIntervalMs',
    kind: 'integer',
    min: 10,
    max: 86_400_000,
    default: 1000,
    description: 'How often the device\'s tags are read for live values, in milliseconds (10 ms to 24 h). Default 1000.',
  },
  {
    key: 'allowWrites',
    kind: 'boolean',
    default: false,
    description: 'Allow writes to this device. Default false: every write is refused before anything is sent, whatever the tags say.',
  },
  { key: 'enabled', kind: 'boolean', default: true, description: 'False keeps the device listed but never connects to it. Default true.' },
];

/** Fields every tag has, whatever its protocol. */
export const COMMON_TAG_RULES: readonly FieldRule[] = [
  { key: 'name', kind: 'string', required: true, nonEmpty: true, description: 'The tag\'s name, unique within its device. Reads, writes, charts and subscriptions refer to it.' },
  { key: 'unit', kind: 'string', description: 'Engineering unit shown next to the value, e.g. "°C", "bar", "m³/h".' },
  {
    key: 'access',
    kind: 'enum',
    values: ['read', 'readwrite'],
    valueDescriptions: [
      'Read only: every write is refused (the default).',
      'Readable and writable, if the device also has "allowWrites": true and its protocol can write the value (a Modbus input register, for one, cannot be written).',
    ],
    default: 'read',
    description: 'Whether the tag may be written. Default "read". A write also needs "allowWrites": true on the device.',
  },
  { key: 'description', kind: 'string', description: 'Notes about the tag, for people.' },
  DEADBAND_RULE,
];

class Problems implements ProblemSink {
  readonly list: ConfigProblem[] = [];
  error(path: string, message: string): void {
    this.list.push({ path, message, severity: 'error' });
  }
  warn(path: string, message: string): void {
    this.list.push({ path, message, severity: 'warning' });
  }
  get errors(): number {
    let n = 0;
    for (const p of this.list) if (p.severity === 'error') n++;
    return n;
  }
}

export function validateConfig(doc: unknown, source: DeviceSource, registry: DriverRegistry): ValidatedConfig {
  const p = new Problems();
  const devices: DeviceSettings[] = [];
  if (!isObject(doc)) {
    p.error('', 'the configuration must be a JSON object with a "devices" array');
    return { devices, publish: [], problems: p.list, usable: false };
  }
  for (const key of Object.keys(doc)) {
    if (key !== 'devices' && key !== 'publish' && key !== '$schema') p.warn(`/${escapePointer(key)}`, `unknown setting "${key}" is ignored`);
  }
  const list = doc['devices'];
  if (!Array.isArray(list)) {
    p.error(list === undefined ? '' : '/devices', list === undefined ? 'the configuration needs a "devices" array (it may be empty)' : '"devices" must be an array');
    return { devices, publish: [], problems: p.list, usable: false };
  }
  const publish = validatePublish(doc['publish'], p);
  const seen = new Set<string>();
  list.forEach((entry, i) => {
    const path = `/devices/${i}`;
    const first = p.list.length;
    let device = validateDevice(entry, path, p, source, registry);
    if (device && seen.has(device.id)) {
      p.error(`${path}/id`, `device id "${device.id}" is used twice; this device is not started`);
      device = null;
    }
    const checkAmong = device ? registry.get(device.protocol)?.checkAmong : undefined;
    if (device && checkAmong) {
      const protocol = device.protocol;
      if (!checkAmong(device, devices.filter((d) => d.protocol === protocol), path, p)) device = null;
    }
    nameEntries(p.list.slice(first), entry, path, device === null);
    if (!device) return;
    seen.add(device.id);
    devices.push(device);
  });
  return { devices, publish, problems: inDocumentOrder(p.list), usable: true };
}

/**
 * Says which device and tag each problem of one device entry is in, and what its errors left
 * out: the whole device, or the tag the error points into (whichever rule reported it, common
 * or the driver's). Clients name the entry from this instead of parsing pointers.
 */
function nameEntries(problems: ConfigProblem[], entry: unknown, at: string, deviceSkipped: boolean): void {
  const fields = isObject(entry) ? entry : {};
  const tags = Array.isArray(fields['tags']) ? (fields['tags'] as unknown[]) : [];
  for (const problem of problems) {
    if (typeof fields['id'] === 'string') problem.device = fields['id'];
    const tagIndex = new RegExp(`^${at}/tags/(\\d+)(?:/|$)`).exec(problem.path)?.[1];
    const tag = tagIndex === undefined ? undefined : tags[Number(tagIndex)];
    if (isObject(tag) && typeof tag['name'] === 'string') problem.tag = tag['name'];
    if (problem.severity !== 'error') continue;
    if (deviceSkipped) Object.assign(problem, { skipped: 'device', entry: at });
    else if (tagIndex !== undefined) Object.assign(problem, { skipped: 'tag', entry: `${at}/tags/${tagIndex}` });
  }
}

/** Problems in the order of the places they point at, as a reader meets them (stable otherwise). */
function inDocumentOrder(list: ConfigProblem[]): ConfigProblem[] {
  const parts = (path: string) => path.split('/').slice(1);
  return list
    .map((problem, i) => ({ problem, i, at: parts(problem.path) }))
    .sort((a, b) => {
      for (let k = 0; k < Math.min(a.at.length, b.at.length); k++) {
        const x = a.at[k]!;
        const y = b.at[k]!;
        if (x === y) continue;
        const nx = /^\d+$/.test(x) ? Number(x) : NaN;
        const ny = /^\d+$/.test(y) ? Number(y) : NaN;
        // Array positions compare as numbers; keys keep the order they were reported in.
        if (!Number.isNaN(nx) && !Number.isNaN(ny)) return nx - ny;
        break;
      }
      return a.i - b.i;
    })
    .map((e) => e.problem);
}

function validateDevice(entry: unknown, at: string, p: Problems, source: DeviceSource, registry: DriverRegistry): DeviceSettings | null {
  if (!isObject(entry)) {
    p.error(at, 'a device must be an object');
    return null;
  }
  const before = p.errors;
  const protocol = entry['protocol'];
  const module = typeof protocol === 'string' ? registry.get(protocol) : undefined;
  if (!module) {
    const known = alternatives(registry.protocols);
    if (protocol === undefined) p.error(`${at}/protocol`, `every device needs a "protocol": ${known}`);
    else p.error(`${at}/protocol`, `protocol ${show(protocol)} is not supported by this gateway; it speaks ${known}`);
  }
  const common = checkFields(entry, COMMON_DEVICE_RULES, at, p).values;
  if (!module) return null;
  const own = checkFields(entry, module.rules.device, at, p).values;
  warnUnknownKeys(entry, knownKeys(module).device, at, 'device setting', p);
  if (p.errors > before) return null;

  const settings: CommonDeviceSettings = {
    id: common['id'] as string,
    name: typeof common['name'] === 'string' && common['name'].trim() !== '' ? common['name'] : (common['id'] as string),
    protocol: module.protocol,
    source,
    timeoutMs: common['timeoutMs'] as number,
    pollIntervalMs: common['pollIntervalMs'] as number,
    allowWrites: common['allowWrites'] as boolean,
    enabled: common['enabled'] as boolean,
  };
  if (typeof common['description'] === 'string') settings.description = common['description'];
  const tags = checkTags(entry['tags'], `${at}/tags`, p, module.rules.tag, knownKeys(module).tag);
  const driver = module.validate({ common: settings, values: own, tags, at }, p);
  if (driver === null) return null;
  return { ...settings, driver };
}

function checkTags(list: unknown, at: string, p: Problems, own: readonly FieldRule[], known: ReadonlySet<string>): { at: string; values: Record<string, unknown> }[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    p.error(at, '"tags" must be an array');
    return [];
  }
  const names = new Set<string>();
  const out: { at: string; values: Record<string, unknown> }[] = [];
  list.forEach((entry, i) => {
    const tagAt = `${at}/${i}`;
    if (!isObject(entry)) {
      p.error(tagAt, 'a tag must be an object');
      return;
    }
    warnUnknownKeys(entry, known, tagAt, 'tag setting', p);
    const name = entry['name'];
    if (typeof name !== 'string' || name.trim() === '') {
      p.error(`${tagAt}/name`, 'every tag needs a "name"');
      return;
    }
    if (names.has(name)) {
      p.error(`${tagAt}/name`, `tag name "${name}" is used twice in this device; this one is left out`);
      return;
    }
    const common = checkFields(entry, COMMON_TAG_RULES, tagAt, p);
    const ownValues = checkFields(entry, own, tagAt, p);
    if (!common.ok || !ownValues.ok) return;
    names.add(name);
    out.push({ at: tagAt, values: { ...ownValues.values, ...common.values } });
  });
  return out;
}

/** The keys a device entry and a tag of a protocol may have; worked out once per module, not per device. */
const keysByModule = new WeakMap<DriverModule, { device: ReadonlySet<string>; tag: ReadonlySet<string> }>();
function knownKeys(module: DriverModule): { device: ReadonlySet<string>; tag: ReadonlySet<string> } {
  let keys = keysByModule.get(module);
  if (!keys) {
    keys = {
      device: new Set(['protocol', 'tags', ...COMMON_DEVICE_RULES.map((r) => r.key), ...module.rules.device.map((r) => r.key)]),
      tag: new Set([...COMMON_TAG_RULES.map((r) => r.key), ...module.rules.tag.map((r) => r.key)]),
    };
    keysByModule.set(module, keys);
  }
  return keys;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether a reloaded device is unchanged and may keep running untouched. */
export function sameDevice(a: DeviceSettings, b: DeviceSettings): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
