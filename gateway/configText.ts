// jsonc-parser's ES module build: its default build loads parts through a `require` that a
// bundler cannot follow.
import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser/lib/esm/main';

/**
 * Parses a bifrost.json text the way the editor does: comments and trailing commas are allowed.
 * Throws with the line and column of the first syntax error.
 */
export function parseConfigText(text: string): unknown {
  const errors: ParseError[] = [];
  const doc = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) {
    const e = errors[0]!;
    const before = text.slice(0, e.offset);
    const line = before.split('\n').length;
    const column = e.offset - before.lastIndexOf('\n');
    throw new Error(`${printParseErrorCode(e.error)} at line ${line}, column ${column}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`);
  }
  return doc;
}
