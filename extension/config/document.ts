import { findNodeAtLocation, Node, parseTree, ParseError, ParseErrorCode, printParseErrorCode, getNodeValue } from './jsonc';

/**
 * Reading bifrost.json as text: parse errors with their places, and where a JSON pointer from the
 * gateway (`/devices/1/tags/3/address`) sits in the text. Free of vscode so it can be tested alone.
 */

export interface TextSpan {
  offset: number;
  length: number;
}

export interface SpanMessage extends TextSpan {
  message: string;
}

export interface ParsedConfigText {
  /** The parsed value; undefined when the text is not JSON at all. */
  value: unknown;
  root: Node | undefined;
  /** Syntax errors; the gateway only ever sees text without them. */
  errors: SpanMessage[];
}

/** jsonc-parser recurses per level of nesting: thousands of levels overflow the stack. */
const TOO_DEEP = 'bifrost.json is nested too deeply to be read (thousands of levels of arrays or objects).';

export function parseConfigText(text: string): ParsedConfigText {
  const errors: ParseError[] = [];
  try {
    const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
    return {
      value: root ? getNodeValue(root) : undefined,
      root,
      errors: errors.map((e) => ({ offset: e.offset, length: Math.max(1, e.length), message: parseErrorMessage(e.error) })),
    };
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    return { value: undefined, root: undefined, errors: [{ offset: 0, length: 1, message: TOO_DEEP }] };
  }
}

function parseErrorMessage(code: ParseErrorCode): string {
  // ParseErrorCode is a const enum in the typings: compare the names instead.
  switch (printParseErrorCode(code)) {
    case 'InvalidSymbol':
      return 'Unexpected character.';
    case 'InvalidNumberFormat':
      return 'Not a valid number.';
    case 'PropertyNameExpected':
      return 'A property name in double quotes is expected here.';
    case 'ValueExpected':
      return 'A value is expected here.';
    case 'ColonExpected':
      return 'A colon (:) is expected after the property name.';
    case 'CommaExpected':
      return 'A comma is expected between entries.';
    case 'CloseBraceExpected':
      return 'A closing brace (}) is missing.';
    case 'CloseBracketExpected':
      return 'A closing bracket (]) is missing.';
    case 'EndOfFileExpected':
      return 'Unexpected text after the end of the document.';
    case 'UnexpectedEndOfString':
      return 'The string is not closed.';
    case 'UnexpectedEndOfComment':
      return 'The comment is not closed.';
    default:
      return `Invalid JSON (${printParseErrorCode(code)}).`;
  }
}

/** Splits a JSON pointer (RFC 6901) into its segments; array indexes stay strings here. */
export function pointerSegments(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return [];
  const body = pointer.startsWith('/') ? pointer.slice(1) : pointer;
  return body.split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * Where a pointer points in the text. A value is marked itself; an object or array is marked by
 * the name of the property that holds it (or its opening bracket), not the whole block. A pointer
 * to something missing (a required property) marks the closest thing that exists.
 */
export function locatePointer(root: Node | undefined, pointer: string): TextSpan {
  if (!root) return { offset: 0, length: 1 };
  const segments = pointerSegments(pointer);
  for (let n = segments.length; n >= 0; n--) {
    const node = findNodeAtLocation(root, toJsonPath(root, segments.slice(0, n)));
    if (node) return markNode(node);
  }
  return markNode(root);
}

/** Numeric segments index arrays; everything else names a property. */
function toJsonPath(root: Node, segments: string[]): (string | number)[] {
  const path: (string | number)[] = [];
  let node: Node | undefined = root;
  for (const seg of segments) {
    const key: string | number = node?.type === 'array' && /^\d+$/.test(seg) ? Number(seg) : seg;
    path.push(key);
    node = node ? findNodeAtLocation(node, [key]) : undefined;
  }
  return path;
}

function markNode(node: Node): TextSpan {
  if (node.type !== 'object' && node.type !== 'array') return { offset: node.offset, length: Math.max(1, node.length) };
  const parent = node.parent;
  if (parent?.type === 'property' && parent.children?.[0]) {
    const key = parent.children[0];
    return { offset: key.offset, length: key.length };
  }
  // An array element such as a device: its `id` (or `name`) says best which one it is.
  for (const name of ['id', 'name']) {
    const prop = node.type === 'object' ? findNodeAtLocation(node, [name]) : undefined;
    if (prop) return { offset: prop.offset, length: prop.length };
  }
  return { offset: node.offset, length: 1 };
}

/** Zero-based line and character of an offset, as editors count them. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }

  position(offset: number): { line: number; character: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: offset - this.starts[lo] };
  }
}
