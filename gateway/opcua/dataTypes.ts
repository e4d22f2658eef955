/**
 * What a DataType is: its browse name, the built-in type its values travel as (a subtype such as
 * Duration is a Double, an enumeration an Int32, a structure an ExtensionObject) and, for
 * enumerations, its members. Worked out in batches (one Browse per level of the type tree) and
 * remembered per session: DataTypes do not change while a session lasts.
 */
import { AttributeIds, BrowseDirection, BrowsePath, DataType, ReferenceTypeIds, type ClientSession, type NodeId } from 'node-opcua-client';
import { browseAll, readAll, translateAll } from './batches';
import { formatNodeId, localNodeId } from './nodeIds';
import { int64ToTagValue } from './values';

export interface DataTypeInfo {
  id: string;
  name: string;
  /** The built-in type's name (`Double`, `Int32`, `ExtensionObject`, `Variant` for abstract ones). */
  builtInType: string;
  enumValues?: { value: number; label: string }[];
}

/** ns=0 ids of the abstract types below BaseDataType and what their values travel as. */
const ENUMERATION = 29;
const STRUCTURE = 22;
const ABSTRACT = new Set([24, 26, 27, 28]); // BaseDataType, Number, Integer, UInteger
const MAX_DEPTH = 16;

const cacheBySession = new WeakMap<ClientSession, Map<string, DataTypeInfo>>();

function cacheOf(session: ClientSession): Map<string, DataTypeInfo> {
  let cache = cacheBySession.get(session);
  if (!cache) cacheBySession.set(session, (cache = new Map()));
  return cache;
}

/** The built-in type a ns=0 DataType id stands for, if it is one of the roots. */
function rootBuiltIn(id: NodeId): { builtIn: string; isEnum: boolean } | undefined {
  if (id.namespace !== 0 || typeof id.value !== 'number') return undefined;
  const n = id.value;
  if (n === ENUMERATION) return { builtIn: 'Int32', isEnum: true };
  if (n === STRUCTURE) return { builtIn: 'ExtensionObject', isEnum: false };
  if (ABSTRACT.has(n)) return { builtIn: 'Variant', isEnum: false };
  if (n >= 1 && n <= 25) return { builtIn: DataType[n], isEnum: false };
  return undefined;
}

/** One info per id, in order. */
export async function describeDataTypes(session: ClientSession, ids: readonly NodeId[]): Promise<DataTypeInfo[]> {
  const cache = cacheOf(session);
  const missing = [...new Map(ids.map((id) => [formatNodeId(id), id])).entries()].filter(([key]) => !cache.has(key));
  if (missing.length > 0) {
    const keys = missing.map(([key]) => key);
    const nodes = missing.map(([, id]) => id);
    const [names, bases] = await Promise.all([readAll(session, nodes.map((nodeId) => ({ nodeId, attributeId: AttributeIds.BrowseName }))), baseTypesOf(session, nodes)]);
    const enums = nodes.filter((_, i) => bases[i].isEnum);
    const members = await enumMembersOf(session, enums);
    let e = 0;
    nodes.forEach((_, i) => {
      const name = names[i].statusCode.isGood() ? String((names[i].value.value as { name?: string })?.name ?? keys[i]) : keys[i];
      const info: DataTypeInfo = { id: keys[i], name, builtInType: bases[i].builtIn };
      if (bases[i].isEnum) info.enumValues = members[e++];
      cache.set(keys[i], info);
    });
  }
  return ids.map((id) => cache.get(formatNodeId(id))!);
}

/** Walks HasSubtype up from each type, level by level, to the first root it meets. */
async function baseTypesOf(session: ClientSession, ids: readonly NodeId[]): Promise<{ builtIn: string; isEnum: boolean }[]> {
  const out: ({ builtIn: string; isEnum: boolean } | undefined)[] = ids.map(rootBuiltIn);
  let current: (NodeId | undefined)[] = ids.map((id, i) => (out[i] ? undefined : id));
  for (let depth = 0; depth < MAX_DEPTH && current.some(Boolean); depth++) {
    const pending = current.map((id, i) => ({ id, i })).filter((x): x is { id: NodeId; i: number } => x.id !== undefined);
    const results = await browseAll(
      session,
      pending.map(({ id }) => ({
        nodeId: id,
        browseDirection: BrowseDirection.Inverse,
        referenceTypeId: `i=${ReferenceTypeIds.HasSubtype}`,
        includeSubtypes: false,
        nodeClassMask: 0,
        resultMask: 0x3f,
      })),
    );
    const next: (NodeId | undefined)[] = current.map(() => undefined);
    pending.forEach(({ i }, k) => {
      const ref = results[k].references?.[0]?.nodeId;
      const parent = ref ? localNodeId(ref) : undefined;
      if (!parent) {
        out[i] = { builtIn: 'Variant', isEnum: false };
        return;
      }
      const root = rootBuiltIn(parent);
      if (root) out[i] = root;
      else next[i] = parent;
    });
    current = next;
  }
  return out.map((x) => x ?? { builtIn: 'Variant', isEnum: false });
}

function propertyPath(startingNode: NodeId, name: string): BrowsePath {
  return new BrowsePath({
    startingNode,
    relativePath: { elements: [{ referenceTypeId: `i=${ReferenceTypeIds.HasProperty}`, isInverse: false, includeSubtypes: true, targetName: { namespaceIndex: 0, name } }] },
  });
}

/** The nodes of ns=0 properties (EngineeringUnits, InputArguments, …) of each node; undefined where there is none. */
export async function propertiesOf(session: ClientSession, nodes: readonly NodeId[], names: readonly string[]): Promise<(NodeId | undefined)[][]> {
  const paths = nodes.flatMap((node) => names.map((name) => propertyPath(node, name)));
  const results = await translateAll(session, paths);
  return nodes.map((_, i) =>
    names.map((_, j) => {
      const r = results[i * names.length + j];
      return r.statusCode.isGood() && r.targets && r.targets.length > 0 ? localNodeId(r.targets[0].targetId) : undefined;
    }),
  );
}

/** Members from EnumStrings (values 0, 1, …) or EnumValues (values as given). */
async function enumMembersOf(session: ClientSession, enums: readonly NodeId[]): Promise<{ value: number; label: string }[][]> {
  if (enums.length === 0) return [];
  const props = await propertiesOf(session, enums, ['EnumStrings', 'EnumValues']);
  const toRead = props.flatMap((p) => p.filter((x): x is NodeId => x !== undefined));
  const values = await readAll(session, toRead.map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value })));
  let k = 0;
  return props.map(([strings, valuesNode]) => {
    const stringsValue = strings ? values[k++] : undefined;
    const valuesValue = valuesNode ? values[k++] : undefined;
    if (stringsValue?.statusCode.isGood() && Array.isArray(stringsValue.value.value)) {
      return (stringsValue.value.value as { text: string | null }[]).map((t, value) => ({ value, label: t.text ?? String(value) }));
    }
    if (valuesValue?.statusCode.isGood() && Array.isArray(valuesValue.value.value)) {
      return (valuesValue.value.value as { value: number[] | number; displayName: { text: string | null } }[]).map((m) => {
        const value = Array.isArray(m.value) ? Number(int64ToTagValue(m.value, true)) : m.value;
        return { value, label: m.displayName?.text ?? String(value) };
      });
    }
    return [];
  });
}
