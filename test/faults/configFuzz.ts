/**
 * Generated bifrost.json documents: a valid simulator device (`plant`) that must keep running,
 * next to mutated devices, tags and top-level entries (wrong types, duplicates, unknown fields,
 * 10,000 tags, deep nesting, huge numbers), written as JSON text so that duplicate keys and
 * numbers beyond a double can be in it. Seeded, like the JSON-RPC generator.
 */
import { seeded } from '../unit/seeded';

export type ConfigCategory = 'wrong-types' | 'duplicates' | 'unknown-fields' | 'many-tags' | 'deep-nesting' | 'huge-numbers' | 'not-a-config';

export interface FuzzConfig {
  /** `truncated`: a text cut short, which the file tests make from any document. */
  category: ConfigCategory | 'truncated';
  /** The document as JSON text. */
  text: string;
  /** False when the document is no configuration at all: it is refused and the devices stay as they were. */
  usable: boolean;
}

const WEIGHTS: [ConfigCategory, number][] = [
  ['wrong-types', 30],
  ['duplicates', 15],
  ['unknown-fields', 15],
  ['many-tags', 4],
  ['deep-nesting', 6],
  ['huge-numbers', 20],
  ['not-a-config', 10],
];

const DEVICE_KEYS = ['id', 'name', 'protocol', 'host', 'port', 'unitId', 'timeoutMs', 'pollIntervalMs', 'enabled', 'allowWrites', 'writeMultiple', 'tags', 'maxRegistersPerRequest', 'byteOrder'];
const TAG_KEYS = ['name', 'area', 'address', 'type', 'byteOrder', 'scale', 'offset', 'unit', 'access', 'deadband', 'length'];
const HUGE = ['1e308', '-1e308', '1e400', '-1e400', '9007199254740993', '123456789012345678901234567890', '-0', '0.5', '4294967296', '65536', '-1', '1e-400'];
const WRONG: unknown[] = [null, true, false, 0, -1, 1.5, '', ' ', 'text', [], [1, 'a'], {}, { a: 1 }, 'holding:0', '127.0.0.1', 'modbus-tcp', 'opcua', 'profinet'];

export class ConfigFuzz {
  private readonly rnd: () => number;
  private serial = 0;
  private readonly total = WEIGHTS.reduce((s, [, w]) => s + w, 0);

  constructor(
    readonly seed: number,
    /** The valid device every usable document keeps, as JSON. */
    private readonly plant: Record<string, unknown>,
  ) {
    this.rnd = seeded(seed);
  }

  next(): FuzzConfig {
    let r = this.rnd() * this.total;
    for (const [category, weight] of WEIGHTS) {
      r -= weight;
      if (r < 0) return this.make(category);
    }
    return this.make('wrong-types');
  }

  make(category: ConfigCategory): FuzzConfig {
    const others: string[] = [];
    /** Devices that must come after the plant (a second "plant": the first of an id wins). */
    const after: string[] = [];
    let top: string[] = [];
    switch (category) {
      case 'wrong-types':
        for (let i = 1 + this.int(3); i > 0; i--) others.push(this.deviceWith((d) => this.replaceField(d)));
        break;
      case 'duplicates': {
        const kind = this.int(4);
        if (kind === 0) after.push(JSON.stringify({ ...this.plant, host: '127.0.0.2' })); // a second "plant"
        else if (kind === 1) others.push(this.deviceWith((d) => (d['tags'] = [this.tag(0), this.tag(0), this.tag(1)])));
        else if (kind === 2) others.push(this.deviceWith(() => undefined).replace(/^\{/, '{"id":"first","port":1,')); // duplicate keys
        else top = ['"devices":[]']; // a second "devices" key, read last by JSON.parse, set before the real one
        break;
      }
      case 'unknown-fields':
        top = [`"${this.word()}":${JSON.stringify(this.any(2))}`];
        others.push(this.deviceWith((d) => {
          d[this.word()] = this.any(2);
          (d['tags'] as Record<string, unknown>[])[0]![this.word()] = this.any(1);
        }));
        break;
      case 'many-tags':
        others.push(this.deviceWith((d) => {
          d['enabled'] = false;
          d['tags'] = Array.from({ length: 10_000 }, (_, i) => (this.bool(0.1) ? { name: `t${i}`, address: this.pick(['holding:99999', 'bogus', 70000]) } : this.tag(i)));
        }));
        break;
      case 'deep-nesting': {
        const depth = this.pick([1000, 10_000]);
        const [open, close] = this.bool() ? ['[', ']'] : ['{"x":', '}'];
        const nested = `${open.repeat(depth)}1${close.repeat(depth)}`;
        const field = this.pick(['tags', 'port', 'host', 'extra', 'unitId']);
        others.push(this.deviceWith(() => undefined).replace(/\}$/, `,"${field}":${nested}}`));
        if (this.bool(0.3)) top = [`"deep":${nested}`];
        break;
      }
      case 'huge-numbers':
        for (let i = 1 + this.int(2); i > 0; i--) {
          const raw = this.pick(HUGE);
          if (this.bool()) others.push(this.deviceWith(() => undefined).replace(/\}$/, `,"${this.pick(['port', 'unitId', 'timeoutMs', 'pollIntervalMs', 'maxRegistersPerRequest'])}":${raw}}`));
          else others.push(this.deviceWith((d) => (d['tags'] = [{ name: 'n', area: 'holding', address: 'RAW', scale: 'RAW2' }])).replace('"RAW"', raw).replace('"RAW2"', this.pick(HUGE)));
        }
        break;
      case 'not-a-config': {
        const text = this.pick(['null', '[]', '42', '"bifrost"', '{}', '{"devices":null}', '{"devices":{}}', '{"devices":"plant"}', '{"devices":7}']);
        return { category, text, usable: false };
      }
    }
    // The real "devices" comes last, so that a duplicated key before it does not replace it.
    const devices = [...this.shuffle([JSON.stringify(this.plant), ...others]), ...after];
    return { category, text: `{${[...top, `"devices":[${devices.join(',')}]`].join(',')}}`, usable: true };
  }

  /** A Modbus TCP device of its own id (never "plant"), changed by `edit`, as JSON text. */
  private deviceWith(edit: (d: Record<string, unknown>) => void): string {
    const n = ++this.serial;
    const d: Record<string, unknown> = { id: `mutant-${n}`, protocol: 'modbus-tcp', host: '127.0.0.1', port: 1, unitId: 1, enabled: false, tags: [this.tag(0), this.tag(1)] };
    edit(d);
    return JSON.stringify(d);
  }

  private replaceField(d: Record<string, unknown>): void {
    if (this.bool(0.3)) {
      const tag = (d['tags'] as Record<string, unknown>[])[0]!;
      tag[this.pick(TAG_KEYS)] = this.pick(WRONG);
      return;
    }
    const key = this.pick(DEVICE_KEYS);
    // A wrong id is fine, but never "plant": that device must stay the valid one.
    d[key] = this.pick(WRONG.filter((v) => v !== 'plant'));
  }

  private tag(i: number): Record<string, unknown> {
    return { name: `tag${i}`, area: 'holding', address: i % 65536 };
  }

  private any(depth: number): unknown {
    if (depth <= 0 || this.bool(0.5)) return this.pick(WRONG);
    return this.bool() ? [this.any(depth - 1), this.any(depth - 1)] : { [this.word()]: this.any(depth - 1) };
  }

  private word(): string {
    const letters = 'abcdefghijklmnopqrstuvwxyz_$';
    return Array.from({ length: 1 + this.int(10) }, () => letters[this.int(letters.length)]).join('');
  }

  private shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }

  private int(n: number): number {
    return Math.floor(this.rnd() * n);
  }

  private bool(p = 0.5): boolean {
    return this.rnd() < p;
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}
