/**
 * Configuration rules as data. A field's kind, range, default and description are written once,
 * here or in a driver module; the gateway checks documents with them (checkFields), the JSON
 * Schema the editor uses is generated from them (configSchema.ts), and Add Device asks for the
 * fields marked `ask`. What data cannot say (an address grammar, fields that depend on each
 * other) a driver checks in its `validate`, and states for editors in `deviceSchema`/`tagSchema`.
 */
import type { DeviceField } from '../protocol';
import { preview } from '../errors';
import type { ProblemSink } from './driver';

interface RuleBase {
  key: string;
  description: string;
  required?: boolean;
  /** The message when a required field is missing; default: `"key" is needed`. */
  missing?: string;
  /** Asked for by Add Device, in rule order; `suggest`: where a client finds answers to offer. */
  ask?: { label: string; placeholder?: string; suggest?: DeviceField['suggest'] };
  /** Editor-only JSON Schema keywords (snippets, enum descriptions), merged into the generated schema. */
  editor?: Record<string, unknown>;
}

export type FieldRule =
  | (RuleBase & { kind: 'integer'; min: number; max: number; default?: number })
  | (RuleBase & { kind: 'number'; min?: number; max?: number; nonZero?: boolean; default?: number })
  | (RuleBase & { kind: 'boolean'; default?: boolean })
  | (RuleBase & { kind: 'string'; nonEmpty?: boolean; pattern?: { regex: RegExp; message: string }; default?: string; trim?: boolean })
  | (RuleBase & { kind: 'enum'; values: readonly string[]; valueDescriptions?: readonly string[]; default?: string })
  /** Anything else: the JSON Schema says what editors check, `check` what the gateway checks. */
  | (RuleBase & { kind: 'custom'; schema: Record<string, unknown>; check(value: unknown): string | undefined; default?: undefined });

/**
 * A snippet editors offer when a new entry is typed (VS Code's `defaultSnippets`): `body` is the
 * entry, its strings may hold placeholders (`$1`, `${2:default}`, `${3|a,b|}`), and a string
 * starting with `^` is inserted as a bare JSON value (`"^${4:502}"` gives a number).
 */
export interface EditorSnippet {
  label: string;
  description?: string;
  body: unknown;
}

export interface ConfigRules {
  /** What a device entry of this protocol is, for people (the schema's description). */
  deviceDescription: string;
  tagDescription: string;
  /** Device fields beyond the common ones. */
  device: readonly FieldRule[];
  /** Tag fields beyond the common ones. */
  tag: readonly FieldRule[];
  /** Cross-field rules for editors (JSON Schema `allOf` entries); the driver's validate enforces them. */
  deviceSchema?: readonly Record<string, unknown>[];
  tagSchema?: readonly Record<string, unknown>[];
  /** What editors offer for a new device or tag of this protocol. */
  snippets?: { device?: readonly EditorSnippet[]; tag?: readonly EditorSnippet[] };
}

/**
 * Checks the fields of one entry against rules. Reports each wrong field at its JSON pointer and
 * returns the values with defaults filled in (a wrong field gets its default too, so the caller
 * can still look at the rest), and whether any error was reported.
 */
export function checkFields(
  entry: Record<string, unknown>,
  rules: readonly FieldRule[],
  at: string,
  problems: ProblemSink,
): { values: Record<string, unknown>; ok: boolean } {
  const values: Record<string, unknown> = {};
  let ok = true;
  for (const rule of rules) {
    const v = entry[rule.key];
    const path = `${at}/${escapePointer(rule.key)}`;
    if (v === undefined) {
      if (rule.required) {
        problems.error(path, requiredMessage(rule));
        ok = false;
      }
      values[rule.key] = rule.default;
      continue;
    }
    const message = wrongValue(rule, v);
    if (message) {
      problems.error(path, message);
      ok = false;
      values[rule.key] = rule.default;
      continue;
    }
    values[rule.key] = rule.kind === 'string' && rule.trim ? (v as string).trim() : v;
  }
  return { values, ok };
}

/** Warns about keys no rule knows; they are ignored. */
export function warnUnknownKeys(entry: Record<string, unknown>, known: ReadonlySet<string>, at: string, what: string, problems: ProblemSink): void {
  for (const key of Object.keys(entry)) {
    if (!known.has(key)) problems.warn(`${at}/${escapePointer(key)}`, `unknown ${what} "${key}" is ignored`);
  }
}

function requiredMessage(rule: FieldRule): string {
  return rule.missing ?? `"${rule.key}" is needed`;
}

function wrongValue(rule: FieldRule, v: unknown): string | undefined {
  switch (rule.kind) {
    case 'integer':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < rule.min || v > rule.max) {
        return `"${rule.key}" must be a whole number from ${rule.min} to ${rule.max} (got ${show(v)})`;
      }
      return undefined;
    case 'number': {
      const range = rule.min !== undefined && rule.max !== undefined ? ` from ${rule.min} to ${rule.max}` : '';
      if (typeof v !== 'number' || !Number.isFinite(v)) return `"${rule.key}" must be a number${range} (got ${show(v)})`;
      if ((rule.min !== undefined && v < rule.min) || (rule.max !== undefined && v > rule.max)) return `"${rule.key}" must be a number${range} (got ${show(v)})`;
      if (rule.nonZero && v === 0) return `"${rule.key}" must not be 0`;
      return undefined;
    }
    case 'boolean':
      return typeof v === 'boolean' ? undefined : `"${rule.key}" must be true or false (got ${show(v)})`;
    case 'string':
      if (typeof v !== 'string') return `"${rule.key}" must be a string (got ${show(v)})`;
      if (rule.nonEmpty && v.trim() === '') return `"${rule.key}" must not be empty`;
      if (rule.pattern && !rule.pattern.regex.test(v)) return `"${rule.key}": ${rule.pattern.message} (got ${show(v)})`;
      return undefined;
    case 'enum':
      return typeof v === 'string' && rule.values.includes(v) ? undefined : `"${rule.key}" must be ${alternatives(rule.values)} (got ${show(v)})`;
    case 'custom':
      return rule.check(v);
  }
}

/** The fields Add Device asks for, from the rules marked `ask`. */
export function deviceFieldsOf(rules: readonly FieldRule[]): DeviceField[] {
  const out: DeviceField[] = [];
  for (const r of rules) {
    if (!r.ask) continue;
    const kind = r.kind === 'integer' || r.kind === 'number' || r.kind === 'boolean' ? r.kind : 'string';
    const field: DeviceField = { key: r.key, label: r.ask.label, kind, required: Boolean(r.required), description: r.description };
    if (r.default !== undefined && (typeof r.default === 'string' || typeof r.default === 'number' || typeof r.default === 'boolean')) field.default = r.default;
    if (r.kind === 'integer' || r.kind === 'number') {
      field.min = r.min;
      field.max = r.max;
    }
    if (r.kind === 'enum') {
      field.choices = [...r.values];
      if (r.valueDescriptions) field.choiceDescriptions = [...r.valueDescriptions];
    }
    if (r.ask.placeholder !== undefined) field.placeholder = r.ask.placeholder;
    if (r.ask.suggest !== undefined) field.suggest = r.ask.suggest;
    out.push(field);
  }
  return out;
}

export function alternatives(values: readonly string[]): string {
  const quoted = values.map((v) => `"${v}"`);
  return quoted.length <= 1 ? (quoted[0] ?? 'nothing') : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
}

export function show(v: unknown): string {
  return preview(v);
}

/** JSON pointer escaping (RFC 6901). */
export function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
