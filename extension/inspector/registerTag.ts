import type { RegisterTag } from '../config/tagEdits';
import { suggestTagName } from '../config/tagEdits';
import { isBitArea, LAST_ADDRESS, registersOf, type InspectorTagRequest } from '../../webview/inspectorMessages';

/**
 * A row of the register inspector as a tag of bifrost.json: which types fit where, the entry
 * written, and the name suggested. Free of vscode so it can be tested alone.
 */

/** The type a tag of the area has when bifrost.json names none. */
const DEFAULT_TYPE = { holding: 'uint16', input: 'uint16', coil: 'bool', discrete: 'bool' } as const;

/** What is wrong with making a tag of `req`, for people; undefined when it can be made. */
export function checkTagRequest(req: InspectorTagRequest): string | undefined {
  if (isBitArea(req.area)) {
    if (req.type !== 'bool') return `A ${req.area} holds one bit: its tag is a bool, not ${req.type}.`;
  } else if (req.type === 'bool') {
    return `A bool tag needs a bit of the register: write it as "${req.area}:${req.address}.0" (bit 0) in bifrost.json.`;
  }
  const words = registersOf(req.type);
  if (!Number.isInteger(req.address) || req.address < 0 || req.address + words - 1 > LAST_ADDRESS) {
    return `A ${req.type} at ${req.area} ${req.address} would run past the last address, ${LAST_ADDRESS}.`;
  }
  return undefined;
}

/**
 * The entry bifrost.json gets: `area` and the 0-based `address` as people write them, `type` only
 * where it is not the area's default, `byteOrder` only for a 32/64-bit type in an order other
 * than the default (ABCD).
 */
export function registerTagOf(name: string, req: InspectorTagRequest): RegisterTag {
  const problem = checkTagRequest(req);
  if (problem) throw new Error(problem);
  const tag: RegisterTag = { name, area: req.area, address: req.address };
  if (req.type !== DEFAULT_TYPE[req.area]) tag.type = req.type;
  if (registersOf(req.type) > 1 && req.byteOrder !== 'ABCD') tag.byteOrder = req.byteOrder;
  return tag;
}

/** `holding_100`, `input_6_float32`: where the value is, and its type unless it is the default; unique among `taken`. */
export function suggestRegisterTagName(req: InspectorTagRequest, taken: readonly string[]): string {
  const base = req.type === DEFAULT_TYPE[req.area] ? `${req.area}_${req.address}` : `${req.area}_${req.address}_${req.type}`;
  return suggestTagName(base, taken);
}
