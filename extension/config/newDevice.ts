import type { BifrostConfig, DeviceField, ProtocolId } from '../../gateway/protocol';

/**
 * A new device entry for bifrost.json from what Add Device asked: the protocol's own fields (as
 * the gateway lists them in its capabilities), checked as they are typed. Free of vscode so it
 * can be tested alone.
 */

export type DeviceEntry = BifrostConfig['devices'][number];

/** One answered field; `text` as typed. */
export interface FieldAnswer {
  field: DeviceField;
  text: string;
}

export function checkDeviceId(id: string, existing: readonly string[]): string | undefined {
  const v = id.trim();
  if (v === '') return 'Enter an id, e.g. "press-3" or "boiler_1".';
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(v)) {
    return 'Use letters, digits, "-", "_" or "." (starting with a letter or digit); the id names the device in commands and charts.';
  }
  if (existing.includes(v)) return `A device "${v}" exists already: choose another id.`;
  return undefined;
}

/** What is wrong with the typed text for a field, or undefined when it is fine. */
export function checkField(field: DeviceField, text: string): string | undefined {
  const v = text.trim();
  if (v === '') return field.required ? `Enter ${lower(field.label)}${field.placeholder ? `, e.g. ${field.placeholder}` : ''}.` : undefined;
  switch (field.kind) {
    case 'integer': {
      const range = rangeText(field);
      if (!/^[+-]?\d+$/.test(v)) return `Enter a whole number${range}.`;
      const n = Number(v);
      if ((field.min !== undefined && n < field.min) || (field.max !== undefined && n > field.max)) return `${v} is out of range: enter a whole number${range}.`;
      return undefined;
    }
    case 'number': {
      const range = rangeText(field);
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v)) return `Enter a number${range}.`;
      const n = Number(v);
      if ((field.min !== undefined && n < field.min) || (field.max !== undefined && n > field.max)) return `${v} is out of range: enter a number${range}.`;
      return undefined;
    }
    case 'boolean':
      return /^(true|false)$/i.test(v) ? undefined : 'Enter true or false.';
    case 'string':
      return undefined;
  }
}

/** The field's value as it goes into bifrost.json; undefined when an optional field was left empty. */
function fieldValue(field: DeviceField, text: string): string | number | boolean | undefined {
  const v = text.trim();
  if (v === '') return undefined;
  switch (field.kind) {
    case 'integer':
    case 'number':
      return Number(v);
    case 'boolean':
      return v.toLowerCase() === 'true';
    case 'string':
      return v;
  }
}

/** The entry for bifrost.json, with an empty tag list for the user to fill. */
export function newDevice(protocol: ProtocolId, id: string, name: string, answers: readonly FieldAnswer[]): DeviceEntry {
  const entry: Record<string, unknown> = { id: id.trim() };
  if (name.trim()) entry.name = name.trim();
  entry.protocol = protocol;
  for (const { field, text } of answers) {
    const value = fieldValue(field, text);
    if (value !== undefined) entry[field.key] = value;
  }
  entry.tags = [];
  return entry as DeviceEntry;
}

function rangeText(field: DeviceField): string {
  if (field.min !== undefined && field.max !== undefined) return ` from ${field.min} to ${field.max}`;
  if (field.min !== undefined) return ` of at least ${field.min}`;
  if (field.max !== undefined) return ` of at most ${field.max}`;
  return '';
}

function lower(label: string): string {
  return label.length > 1 && label[1] === label[1].toLowerCase() ? label[0].toLowerCase() + label.slice(1) : label;
}
