/**
 * Validates a configuration document (bifrost.json or a `bifrost/config/load` request) entry by
 * entry: a broken device or tag is reported with a JSON pointer and left out, and everything
 * valid keeps running. The JSON Schema in schemas/ describes the same rules for editors.
 */
import type { ConfigProblem, ModbusAddress, TagAccess } from './protocol';
import { AddressError, resolveAddress, type ResolvedAddress } from './modbus/address';
import { MODBUS_DEFAULTS, type ModbusDeviceSettings } from './modbus/settings';
import type { ResolvedTag } from './modbus/tags';

export interface ValidatedConfig {
  devices: ModbusDeviceSettings[];
  problems: ConfigProblem[];
  /** False when the document is not a configuration at all: nothing in it should be applied. */
  usable: boolean;
}

const DEVICE_KEYS = new Set([
  'id', 'name', 'protocol', 'host', 'port', 'unitId', 'timeoutMs', 'pollIntervalMs', 'allowWrites', 'maxGap',
  'maxRegistersPerRead', 'maxBitsPerRead', 'writeMultiple', 'enabled', 'tags', 'description',
]);
const TAG_KEYS = new Set(['name', 'area', 'address', 'type', 'byteOrder', 'length', 'bit', 'scale', 'offset', 'unit', 'access', 'description']);
const ADDRESS_KEYS = ['area', 'type', 'byteOrder', 'length', 'bit'] as const;
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

class Problems {
  readonly list: ConfigProblem[] = [];
  error(path: string, message: string): void {
    this.list.push({ path, message, severity: 'error' });
  }
  warn(path: string, message: string): void {
    this.list.push({ path, message, severity: 'warning' });
  }
}

export function validateConfig(doc: unknown, source: 'config' | 'demo' = 'config'): ValidatedConfig {
  const p = new Problems();
  const devices: ModbusDeviceSettings[] = [];
  if (!isObject(doc)) {
    p.error('', 'the configuration must be a JSON object with a "devices" array');
    return { devices, problems: p.list, usable: false };
  }
  for (const key of Object.keys(doc)) {
    if (key !== 'devices' && key !== '$schema') p.warn(`/${escape(key)}`, `unknown setting "${key}" is ignored`);
  }
  const list = doc['devices'];
  if (!Array.isArray(list)) {
    p.error(list === undefined ? '' : '/devices', list === undefined ? 'the configuration needs a "devices" array (it may be empty)' : '"devices" must be an array');
    return { devices, problems: p.list, usable: false };
  }
  const seen = new Set<string>();
  list.forEach((entry, i) => {
    const path = `/devices/${i}`;
    const device = validateDevice(entry, path, p, source);
    if (!device) return;
    if (seen.has(device.id)) {
      p.error(`${path}/id`, `device id "${device.id}" is used twice; this device is not started`);
      return;
    }
    seen.add(device.id);
    devices.push(device);
  });
  return { devices, problems: p.list, usable: true };
}

function validateDevice(entry: unknown, path: string, p: Problems, source: 'config' | 'demo'): ModbusDeviceSettings | null {
  if (!isObject(entry)) {
    p.error(path, 'a device must be an object');
    return null;
  }
  const before = p.list.filter((x) => x.severity === 'error').length;
  for (const key of Object.keys(entry)) if (!DEVICE_KEYS.has(key)) p.warn(`${path}/${escape(key)}`, `unknown device setting "${key}" is ignored`);

  const id = entry['id'];
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
    p.error(`${path}/id`, 'every device needs an "id": letters, digits, "_", "." or "-", up to 64 characters, starting with a letter or digit');
  }
  const protocol = entry['protocol'];
  if (protocol === 'modbus-rtu' || protocol === 'opcua') {
    p.error(`${path}/protocol`, `protocol "${protocol}" is not supported by this gateway version yet; only "modbus-tcp" is`);
  } else if (protocol !== 'modbus-tcp') {
    p.error(`${path}/protocol`, `"protocol" must be "modbus-tcp" (got ${show(protocol)})`);
  }
  const host = entry['host'];
  if (typeof host !== 'string' || host.trim() === '') p.error(`${path}/host`, 'a Modbus TCP device needs a "host" (name or IP address)');

  const num = (key: string, min: number, max: number, fallback: number): number => {
    const v = entry[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      p.error(`${path}/${key}`, `"${key}" must be a whole number from ${min} to ${max} (got ${show(v)})`);
      return fallback;
    }
    return v;
  };
  const bool = (key: string, fallback: boolean): boolean => {
    const v = entry[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') {
      p.error(`${path}/${key}`, `"${key}" must be true or false (got ${show(v)})`);
      return fallback;
    }
    return v;
  };
  const port = num('port', 1, 65535, MODBUS_DEFAULTS.port);
  const unitId = num('unitId', 0, 255, MODBUS_DEFAULTS.unitId);
  const timeoutMs = num('timeoutMs', 10, 60_000, MODBUS_DEFAULTS.timeoutMs);
  const pollIntervalMs = num('pollIntervalMs', 10, 86_400_000, MODBUS_DEFAULTS.pollIntervalMs);
  const maxGap = entry['maxGap'] === undefined ? undefined : num('maxGap', 0, 124, 0);
  const maxRegisters = num('maxRegistersPerRead', 1, 125, MODBUS_DEFAULTS.maxRegisters);
  const maxBits = num('maxBitsPerRead', 1, 2000, MODBUS_DEFAULTS.maxBits);
  const allowWrites = bool('allowWrites', false);
  const writeMultiple = bool('writeMultiple', false);
  const enabled = bool('enabled', true);
  const name = entry['name'];
  if (name !== undefined && typeof name !== 'string') p.error(`${path}/name`, '"name" must be a string');

  const errorsNow = p.list.filter((x) => x.severity === 'error').length;
  if (errorsNow > before) return null;

  const tags = validateTags(entry['tags'], `${path}/tags`, p, maxRegisters, maxBits);
  return {
    id: id as string,
    name: typeof name === 'string' && name.trim() !== '' ? name : (id as string),
    protocol: 'modbus-tcp',
    source,
    host: (host as string).trim(),
    port,
    unitId,
    timeoutMs,
    pollIntervalMs,
    allowWrites,
    writeMultiple,
    enabled,
    limits: {
      maxRegisters,
      maxBits,
      maxRegisterGap: maxGap ?? MODBUS_DEFAULTS.maxRegisterGap,
      maxBitGap: maxGap ?? MODBUS_DEFAULTS.maxBitGap,
    },
    tags,
  };
}

function validateTags(list: unknown, path: string, p: Problems, maxRegisters: number, maxBits: number): ResolvedTag[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    p.error(path, '"tags" must be an array');
    return [];
  }
  const tags: ResolvedTag[] = [];
  const names = new Set<string>();
  list.forEach((entry, i) => {
    const at = `${path}/${i}`;
    if (!isObject(entry)) {
      p.error(at, 'a tag must be an object');
      return;
    }
    for (const key of Object.keys(entry)) if (!TAG_KEYS.has(key)) p.warn(`${at}/${escape(key)}`, `unknown tag setting "${key}" is ignored`);
    const name = entry['name'];
    if (typeof name !== 'string' || name.trim() === '') {
      p.error(`${at}/name`, 'every tag needs a "name"');
      return;
    }
    if (names.has(name)) {
      p.error(`${at}/name`, `tag name "${name}" is used twice in this device; this one is left out`);
      return;
    }
    const access = entry['access'] ?? 'read';
    if (access !== 'read' && access !== 'readwrite') {
      p.error(`${at}/access`, `"access" must be "read" or "readwrite" (got ${show(access)})`);
      return;
    }
    for (const key of ['unit', 'description'] as const) {
      if (entry[key] !== undefined && typeof entry[key] !== 'string') {
        p.error(`${at}/${key}`, `"${key}" must be a string`);
        return;
      }
    }
    const address = resolveTagAddress(entry, at, p);
    if (!address) return;
    const isBits = address.area === 'coil' || address.area === 'discrete';
    const limit = isBits ? maxBits : maxRegisters;
    if (address.count > limit) {
      p.error(`${at}`, `tag "${name}" spans ${address.count} ${isBits ? 'bits' : 'registers'}, more than this device reads at once (${limit})`);
      return;
    }
    names.add(name);
    tags.push({
      key: name,
      address,
      unit: entry['unit'] as string | undefined,
      description: entry['description'] as string | undefined,
      access: access as TagAccess,
      configured: true,
    });
  });
  return tags;
}

/** A tag's address is either the fields of ModbusAddress or one address string in `address`. */
function resolveTagAddress(entry: Record<string, unknown>, at: string, p: Problems): ResolvedAddress | null {
  const raw = entry['address'];
  try {
    if (typeof raw === 'string') {
      const extra = ADDRESS_KEYS.filter((k) => entry[k] !== undefined);
      if (extra.length > 0) {
        p.error(`${at}/${extra[0]}`, `"${extra[0]}" cannot be combined with an address string; put everything in "address" (e.g. "holding:100:float32:CDAB") or use a number there`);
        return null;
      }
      const base = resolveAddress(raw);
      if (entry['scale'] === undefined && entry['offset'] === undefined) return base;
      if (base.scale !== 1 || base.offset !== 0) {
        const key = entry['scale'] !== undefined ? 'scale' : 'offset';
        p.error(`${at}/${key}`, `the address string already sets the scale and offset ("${raw}"); give them in one place only`);
        return null;
      }
      return resolveAddress({ ...addressFields(base), scale: entry['scale'] as number, offset: entry['offset'] as number });
    }
    if (raw === undefined) {
      p.error(`${at}/address`, 'every tag needs an "address": a register/bit number with "area", or a string such as "holding:100:float32" or "40101"');
      return null;
    }
    if (entry['area'] === undefined) {
      p.error(`${at}/area`, 'a numeric "address" needs an "area": "coil", "discrete", "input" or "holding"');
      return null;
    }
    const obj: Record<string, unknown> = { address: raw };
    for (const k of [...ADDRESS_KEYS, 'scale', 'offset'] as const) if (entry[k] !== undefined) obj[k] = entry[k];
    return resolveAddress(obj as unknown as ModbusAddress);
  } catch (err) {
    if (err instanceof AddressError) {
      p.error(`${at}/address`, err.message);
      return null;
    }
    throw err;
  }
}

function addressFields(a: ResolvedAddress): ModbusAddress {
  const out: ModbusAddress = { area: a.area, address: a.address, type: a.type, byteOrder: a.byteOrder };
  if (a.length !== undefined) out.length = a.length;
  if (a.bit !== undefined) out.bit = a.bit;
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  return v === undefined ? 'nothing' : JSON.stringify(v);
}

/** JSON pointer escaping (RFC 6901). */
function escape(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The raw entry a device was built from, to tell changed devices from unchanged on reload. */
export function sameDevice(a: ModbusDeviceSettings, b: ModbusDeviceSettings): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

