/**
 * What a Modbus tag's value is and what a write to it may carry, in the contract's
 * protocol-neutral terms (ValueKind, WriteSpec). Derived from the codec's own write rules, so a
 * client that checks input against the spec accepts exactly what encodeValue accepts.
 */
import type { ValueKind, WriteSpec } from '../protocol';
import type { ResolvedAddress } from './address';
import { writeRulesOf } from './codec';

/** `integer` for unscaled integer types (64-bit ones beyond ±2^53 arrive as decimal strings). */
export function valueKindOf(a: ResolvedAddress): ValueKind {
  switch (writeRulesOf(a).kind) {
    case 'boolean':
      return 'boolean';
    case 'string':
      return 'string';
    case 'integer':
      return 'integer';
    case 'stepped':
    case 'real':
      return 'number';
  }
}

/**
 * The writeSpec of a tag at this address (whether the tag may be written at all is the device's
 * and the configuration's business: see `isWritableArea` and the tag's access).
 * - bool: `{kind: 'boolean'}` (true/false; 1/0 are taken too).
 * - unscaled integers: `{kind: 'integer', min, max}` with exact decimal strings.
 * - scaled integers: `{kind: 'number', min, max, step, stepOrigin}`: only stepOrigin + k * step.
 * - float32/float64: `{kind: 'number', min, max}` in engineering units.
 * - string: `{kind: 'string', maxLength, ascii: true}` (printable ASCII, 2 characters a register).
 */
export function writeSpecOf(a: ResolvedAddress): WriteSpec {
  const rules = writeRulesOf(a);
  switch (rules.kind) {
    case 'boolean':
      return { kind: 'boolean' };
    case 'string':
      return { kind: 'string', maxLength: rules.maxLength, ascii: true };
    case 'integer':
      return { kind: 'integer', min: rules.min.toString(), max: rules.max.toString() };
    case 'stepped':
      return { kind: 'number', min: rules.min, max: rules.max, step: rules.step, stepOrigin: rules.origin };
    case 'real':
      return { kind: 'number', min: rules.min, max: rules.max };
  }
}
