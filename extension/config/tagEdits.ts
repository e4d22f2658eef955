import { findNodeAtLocation, modify, type Edit, type Node } from './jsonc';
import { parseConfigText } from './document';
import { detectFormatting, insertIntoList } from './edits';

/**
 * Adding a tag to a device of bifrost.json (Pin to bifrost.json, the register inspector's Add as
 * Tag) as text edits that keep the user's comments and layout, and the tag's name: suggested,
 * checked as it is typed. Free of vscode so it can be tested alone.
 */

/** A pinned tag as it goes into bifrost.json. */
export interface PinnedTag {
  name: string;
  nodeId: string;
  unit?: string;
}

/** Names people can type in commands and charts: the same characters as device ids. */
const TAG_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** What is wrong with a typed tag name, or undefined when it can be used. */
export function checkTagName(name: string, taken: readonly string[]): string | undefined {
  const v = name.trim();
  if (v === '') return 'Enter a name for the tag, e.g. "tank_level".';
  if (!TAG_NAME.test(v)) return 'Use letters, digits, "_", "." or "-" (starting with a letter or digit): the name is what commands and charts call the tag.';
  if (taken.includes(v)) return `The device has a tag "${v}" already: choose another name.`;
  return undefined;
}

/**
 * A valid name from a browse name (`2:Level`, `Flow Rate (m³/h)`), unique among `taken`:
 * the namespace prefix dropped, other characters as `_`, a number added when the name is taken.
 */
export function suggestTagName(browseName: string, taken: readonly string[]): string {
  const withoutNamespace = browseName.replace(/^\d+:/, '');
  let base = withoutNamespace
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9_.-]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^[_.-]+|[_.-]+$/g, '');
  if (base === '') base = 'tag';
  if (!TAG_NAME.test(base)) base = `tag_${base}`;
  if (!taken.includes(base)) return base;
  for (let n = 2; ; n++) if (!taken.includes(`${base}_${n}`)) return `${base}_${n}`;
}

/** The device's entry in the file's `devices` list; a readable error when it is not there. */
function deviceEntry(root: Node | undefined, deviceId: string): Node {
  const list = root && findNodeAtLocation(root, ['devices']);
  if (!list || list.type !== 'array') throw new Error('bifrost.json has no "devices" list.');
  const entry = list.children?.find((c) => c.type === 'object' && findNodeAtLocation(c, ['id'])?.value === deviceId);
  if (!entry) throw new Error(`bifrost.json has no device "${deviceId}" (was it removed or renamed since the gateway loaded the file?).`);
  return entry;
}

/** Names and node ids of the device's tags in the file as it is now. */
export function tagsInFile(text: string, deviceId: string): { name?: string; nodeId?: string }[] {
  const parsed = parseConfigText(text);
  if (parsed.errors.length > 0 || !parsed.root) return [];
  let entry: Node;
  try {
    entry = deviceEntry(parsed.root, deviceId);
  } catch {
    return [];
  }
  const tags = findNodeAtLocation(entry, ['tags']);
  return (tags?.type === 'array' ? (tags.children ?? []) : []).map((t) => {
    const name = findNodeAtLocation(t, ['name'])?.value as unknown;
    const nodeId = findNodeAtLocation(t, ['nodeId'])?.value as unknown;
    return { ...(typeof name === 'string' ? { name } : {}), ...(typeof nodeId === 'string' ? { nodeId } : {}) };
  });
}

/** A Modbus tag as it goes into bifrost.json, in the form people write: `area` and the 0-based `address`. */
export interface RegisterTag {
  name: string;
  area: 'holding' | 'input' | 'coil' | 'discrete';
  address: number;
  /** Left out where it is the area's default (uint16, bool). */
  type?: string;
  /** Only for 32- and 64-bit types in an order other than the default, ABCD. */
  byteOrder?: string;
}

/** Edits that append `tag` to the device's `tags` (creating the list when there is none), its keys in this order. */
export function appendTagEdits(text: string, deviceId: string, tag: PinnedTag | RegisterTag): Edit[] {
  const parsed = parseConfigText(text);
  if (parsed.errors.length > 0) throw new Error('bifrost.json has syntax errors (see the Problems view): fix them before adding a tag.');
  const entry = deviceEntry(parsed.root, deviceId);
  const formatting = detectFormatting(text);
  const value = 'nodeId' in tag ? { name: tag.name, nodeId: tag.nodeId, ...(tag.unit ? { unit: tag.unit } : {}) } : tag;
  const tags = findNodeAtLocation(entry, ['tags']);
  if (!tags) {
    const index = entry.parent?.children?.indexOf(entry) ?? -1;
    return modify(text, ['devices', index, 'tags'], [value], { formattingOptions: formatting });
  }
  if (tags.type !== 'array') throw new Error(`"tags" of device "${deviceId}" in bifrost.json is not a list: fix it before adding a tag.`);
  return insertIntoList(text, tags, value, formatting);
}
