// Interim: the full version (exact ranges, scaled steps) comes with the codec's write rules.
import type { ValueKind, WriteSpec } from '../protocol';
import type { ResolvedAddress } from './address';

export function valueKindOf(a: ResolvedAddress): ValueKind {
  if (a.type === 'bool') return 'boolean';
  if (a.type === 'string') return 'string';
  if (a.type === 'float32' || a.type === 'float64' || a.scale !== 1 || a.offset !== 0) return 'number';
  return 'integer';
}

export function writeSpecOf(a: ResolvedAddress): WriteSpec {
  if (a.type === 'bool') return { kind: 'boolean' };
  if (a.type === 'string') return { kind: 'string', maxLength: (a.length ?? 0) * 2, ascii: true };
  return { kind: 'number' };
}
