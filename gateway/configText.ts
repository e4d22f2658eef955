// jsonc-parser's ES module build: its default build loads parts through a `require` that a
// bundler cannot follow.
import { parse, printParseErrorCode, stripComments, type ParseError } from 'jsonc-parser/lib/esm/main';

/**
 * Parses a bifrost.json text the way the editor does: comments and trailing commas are allowed.
 * Throws with the line and column of the first syntax error.
 *
 * A text without trailing commas (comments are blanked out by the scanner first) is read by
 * JSON.parse, which takes any depth of nesting; jsonc-parser, for the rest, recurses and overflows
 * the stack near 10,000 levels, which is then said in words.
 */
export function parseConfigText(text: string): unknown {
  try {
    return JSON.parse(stripComments(text, ' '));
  } catch {
    // Trailing commas, or a syntax error: jsonc-parser says which and where.
  }
  const errors: ParseError[] = [];
  let doc: unknown;
  try {
    doc = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  } catch (err) {
    if (err instanceof RangeError) throw new Error('the document is nested too deeply to be read (thousands of levels of arrays or objects)');
    throw err;
  }
  if (errors.length > 0) {
    const e = errors[0]!;
    const before = text.slice(0, e.offset);
    const line = before.split('\n').length;
    const column = e.offset - before.lastIndexOf('\n');
    throw new Error(`${printParseErrorCode(e.error)} at line ${line}, column ${column}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`);
  }
  return doc;
}
