/**
 * The report-by-exception threshold as a configuration rule: one shape for a tag's `deadband`, a
 * subscription's and a publisher's, checked here and described to editors from here.
 */
import { show, type FieldRule } from './configRules';

export const DEADBAND_RULE: FieldRule = {
  key: 'deadband',
  kind: 'custom',
  description: 'Report-by-exception threshold for live values: a change within it is not reported. {"type": "absolute", "value": 0.5} in the tag\'s units, or {"type": "percent", "value": 2} of the last reported value.',
  schema: {
    type: 'object',
    required: ['type', 'value'],
    additionalProperties: false,
    properties: {
      type: { type: 'string', enum: ['absolute', 'percent'], enumDescriptions: ['In the tag\'s units.', 'In percent of the last reported value (0 to 100).'] },
      value: { type: 'number', minimum: 0 },
    },
    if: { properties: { type: { const: 'percent' } }, required: ['type'] },
    then: { properties: { value: { maximum: 100 } } },
    defaultSnippets: [
      { label: 'absolute deadband', body: { type: 'absolute', value: '^${1:0.5}' } },
      { label: 'percent deadband', body: { type: 'percent', value: '^${1:2}' } },
    ],
  },
  check: (v) => checkDeadband(v),
};

export function checkDeadband(v: unknown): string | undefined {
  const d = v as { type?: unknown; value?: unknown } | null;
  if (typeof d !== 'object' || d === null || Array.isArray(d)) return `"deadband" must be an object such as {"type": "absolute", "value": 0.5} (got ${show(v)})`;
  if (d.type !== 'absolute' && d.type !== 'percent') return `"deadband" needs "type": "absolute" or "percent" (got ${show(d.type)})`;
  if (typeof d.value !== 'number' || !Number.isFinite(d.value) || d.value < 0) return `"deadband" needs a "value" of 0 or more (got ${show(d.value)})`;
  if (d.type === 'percent' && d.value > 100) return `a percent "deadband" must be from 0 to 100 (got ${d.value})`;
  for (const key of Object.keys(d)) if (key !== 'type' && key !== 'value') return `"deadband" takes only "type" and "value" (not "${key}")`;
  return undefined;
}
