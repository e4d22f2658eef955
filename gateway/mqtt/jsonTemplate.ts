/**
 * The topic and payload templates of an `mqtt-json` publisher. A template names fields in braces:
 * `bifrost/{device}/{tag}`. In a payload template (any JSON value), a string that is one field
 * alone becomes that field's JSON value (`"{value}"` → `21.5`, not `"21.5"`); a string with text
 * around its fields becomes text. Templates are compiled once, when the file is loaded, so that an
 * unknown field or a character a topic cannot carry is a configuration error naming it.
 */
import type { Quality, TagValue } from '../protocol';

/** What one published value can say about itself. */
export interface ValueFields {
  device: string;
  deviceName: string;
  tag: string;
  value: TagValue | null;
  quality: Quality;
  /** Milliseconds since the Unix epoch. */
  timestamp: number;
  /** The same instant as ISO 8601 text. */
  time: string;
  unit: string | null;
  error: string | null;
}

export const PAYLOAD_FIELDS: readonly (keyof ValueFields)[] = ['device', 'deviceName', 'tag', 'value', 'quality', 'timestamp', 'time', 'unit', 'error'];
/** A topic names a tag, not one of its values: a topic per value would be a new topic at every change. */
export const TOPIC_FIELDS: readonly (keyof ValueFields)[] = ['device', 'tag'];

export const DEFAULT_TOPIC = 'bifrost/{device}/{tag}';
export const DEFAULT_PAYLOAD = { value: '{value}', quality: '{quality}', timestamp: '{timestamp}' };

type Piece = string | { field: keyof ValueFields };

/** Text with fields, compiled. */
export class TextTemplate {
  private constructor(private readonly pieces: readonly Piece[]) {}

  /** The compiled template, or what is wrong with it (naming the field). */
  static compile(text: string, allowed: readonly (keyof ValueFields)[]): TextTemplate | { error: string } {
    const pieces: Piece[] = [];
    const re = /\{([^{}]*)\}|[{}]/g;
    let last = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      if (m.index > last) pieces.push(text.slice(last, m.index));
      last = re.lastIndex;
      if (m[1] === undefined) return { error: `${JSON.stringify(text)} has a "${m[0]}" that opens or closes no field (fields are written {name})` };
      const name = m[1] as keyof ValueFields;
      if (!allowed.includes(name)) {
        const known = PAYLOAD_FIELDS.includes(name);
        return { error: `${JSON.stringify(text)}: ${known ? `{${name}} cannot be used here` : `there is no field {${m[1]}}`} (the fields here are ${allowed.map((f) => `{${f}}`).join(', ')})` };
      }
      pieces.push({ field: name });
    }
    if (last < text.length) pieces.push(text.slice(last));
    return new TextTemplate(pieces);
  }

  /** The field, when the template is that field and nothing else. */
  get lone(): keyof ValueFields | undefined {
    const [only, ...rest] = this.pieces;
    return rest.length === 0 && typeof only === 'object' ? only.field : undefined;
  }

  get fields(): (keyof ValueFields)[] {
    return this.pieces.flatMap((p) => (typeof p === 'object' ? [p.field] : []));
  }

  render(values: Partial<ValueFields>): string {
    return this.pieces.map((p) => (typeof p === 'string' ? p : asText(values[p.field]))).join('');
  }
}

function asText(v: ValueFields[keyof ValueFields] | undefined): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Checks a topic template (and the topic it makes) against what MQTT lets a publisher use. */
export function topicProblem(topic: string): string | undefined {
  if (topic === '') return 'a topic cannot be empty';
  if (/[+#]/.test(topic)) return `${JSON.stringify(topic)} has "+" or "#": those are wildcards, for subscribing, not topic characters`;
  if (topic.includes('\u0000')) return `${JSON.stringify(topic)} has a NUL character`;
  if (topic.startsWith('$')) return `${JSON.stringify(topic)} starts with "$": brokers keep those topics for themselves ($SYS)`;
  if (Buffer.byteLength(topic) > 65_535) return 'a topic is at most 65535 bytes';
  return undefined;
}

export function compileTopic(text: string, allowed: readonly (keyof ValueFields)[] = TOPIC_FIELDS): TextTemplate | { error: string } {
  const problem = topicProblem(text);
  if (problem) return { error: problem };
  return TextTemplate.compile(text, allowed);
}

type Compiled = { text: TextTemplate } | { list: Compiled[] } | { object: [string, Compiled][] } | { constant: unknown };

/** A payload template: a JSON value whose strings may name fields. */
export class PayloadTemplate {
  private constructor(private readonly root: Compiled) {}

  static compile(template: unknown): PayloadTemplate | { error: string } {
    const problems: string[] = [];
    const walk = (v: unknown, at: string): Compiled => {
      if (typeof v === 'string') {
        const t = TextTemplate.compile(v, PAYLOAD_FIELDS);
        if ('error' in t) {
          problems.push(`${at}: ${t.error}`);
          return { constant: v };
        }
        return t.fields.length > 0 ? { text: t } : { constant: v };
      }
      if (Array.isArray(v)) return { list: v.map((x, i) => walk(x, `${at}/${i}`)) };
      if (typeof v === 'object' && v !== null) return { object: Object.entries(v).map(([k, x]) => [k, walk(x, `${at}/${k}`)]) };
      return { constant: v };
    };
    const root = walk(template, 'payload');
    if (problems.length > 0) return { error: problems[0]! };
    return new PayloadTemplate(root);
  }

  render(values: ValueFields): string {
    return JSON.stringify(build(this.root, values));
  }
}

function build(c: Compiled, values: ValueFields): unknown {
  if ('constant' in c) return c.constant;
  if ('text' in c) {
    const lone = c.text.lone;
    return lone ? values[lone] : c.text.render(values);
  }
  if ('list' in c) return c.list.map((x) => build(x, values));
  return Object.fromEntries(c.object.map(([k, x]) => [k, build(x, values)]));
}
