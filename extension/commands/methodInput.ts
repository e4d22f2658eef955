import type { MethodArgument, TagValue, WriteSpec } from '../../gateway/protocol';
import { formatValue } from '../format';
import { describeExpected, parseWriteValue, type ParsedWrite } from './writeInput';

/**
 * What a method's input argument may be, from its DataType and ValueRank, so that the Call
 * Method… boxes check input as it is typed, with the same rules and words as Write…. The gateway
 * encodes (and refuses) by the argument's DataType again on the call. Free of vscode.
 */

const INTEGER_RANGES: Record<string, [string, string]> = {
  SByte: ['-128', '127'],
  Byte: ['0', '255'],
  Int16: ['-32768', '32767'],
  UInt16: ['0', '65535'],
  Int32: ['-2147483648', '2147483647'],
  UInt32: ['0', '4294967295'],
  Int64: ['-9223372036854775808', '9223372036854775807'],
  UInt64: ['0', '18446744073709551615'],
};
const FLOAT_MAX = 3.4028234663852886e38;

export function argumentSpec(arg: MethodArgument): WriteSpec {
  // Arrays and anything structured are typed as JSON: `[1, 2, 3]`.
  if (arg.valueRank >= 0 || arg.valueKind === 'array' || arg.valueKind === 'structure') return { kind: 'json' };
  const range = INTEGER_RANGES[arg.dataType];
  if (range) return { kind: 'integer', min: range[0], max: range[1] };
  switch (arg.dataType) {
    case 'Float':
      return { kind: 'number', min: -FLOAT_MAX, max: FLOAT_MAX };
    case 'Double':
      return { kind: 'number' };
    case 'Boolean':
      return { kind: 'boolean' };
  }
  switch (arg.valueKind) {
    case 'boolean':
      return { kind: 'boolean' };
    case 'integer':
      return { kind: 'integer', min: INTEGER_RANGES.Int64[0], max: INTEGER_RANGES.UInt64[1] };
    case 'number':
      return { kind: 'number' };
    case 'string':
      return { kind: 'string' };
    default:
      return { kind: 'json' };
  }
}

/** The box's prompt: `durationS (UInt32): Purge duration in seconds (1-600). Enter a whole number from 0 to 4294967295.` */
export function argumentPrompt(arg: MethodArgument): string {
  const rank = arg.valueRank >= 0 ? ' array' : '';
  const description = arg.description ? `: ${arg.description}` : '';
  return `${arg.name} (${arg.dataType}${rank})${description}. Enter ${describeExpected(argumentSpec(arg))}.`;
}

export function parseArgument(text: string, arg: MethodArgument): ParsedWrite {
  return parseWriteValue(text, argumentSpec(arg));
}

/** Every input as `name = value`, for the confirmation. */
export function argumentsText(args: readonly MethodArgument[], values: readonly TagValue[]): string[] {
  return args.map((a, i) => `${a.name} (${a.dataType}) = ${formatValue(values[i] ?? null, undefined, a.valueKind)}`);
}

/** The outputs by name, in the method's order; outputs the server sent beyond the described ones are numbered. */
export function outputsText(args: readonly MethodArgument[], outputs: readonly TagValue[]): string[] {
  return outputs.map((v, i) => `${args[i]?.name ?? `output ${i + 1}`} = ${formatValue(v, undefined, args[i]?.valueKind)}`);
}
