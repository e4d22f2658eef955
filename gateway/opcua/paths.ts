/**
 * A node by its id or by its browse path from the Objects folder, as a browse item, with the
 * refs of its ancestors (from just below Objects down) for a tree to reveal it.
 */
import {
  AttributeIds,
  BrowseDirection,
  BrowsePath,
  NodeClass as UaNodeClass,
  ObjectIds,
  ObjectTypeIds,
  ReferenceTypeIds,
  StatusCodes,
  type ClientSession,
  type NodeId,
} from 'node-opcua-client';
import { BifrostError } from '../errors';
import { ErrorCodes, type BrowseItem, type NodeClass, type NodeResolveResult } from '../protocol';
import { browseAll, readAll, translateAll } from './batches';
import { describeDataTypes } from './dataTypes';
import { formatNodeId, localNodeId, parseNodeId } from './nodeIds';
import { describeStatus } from './statusCodes';
import { qualifiedNameText } from './values';

const OBJECTS = `i=${ObjectIds.ObjectsFolder}`;
const ROOT = `i=${ObjectIds.RootFolder}`;
const FOLDER_TYPE = `i=${ObjectTypeIds.FolderType}`;
const HIERARCHICAL = `i=${ReferenceTypeIds.HierarchicalReferences}`;
const MAX_DEPTH = 64;

/** A NodeId string or a browse path from the Objects folder (`/2:Plant/2:Tank/2:Level`, or plain names). */
export async function resolveNode(session: ClientSession, path: string): Promise<NodeResolveResult> {
  const text = path.trim();
  if (!text.startsWith('/')) {
    const nodeId = parseNodeId(text, session);
    const item = await browseItemOf(session, nodeId);
    return { item, ancestors: await ancestorsOf(session, nodeId) };
  }
  const segments = text.split('/').filter((s) => s !== '');
  if (segments.length === 0) throw new BifrostError(ErrorCodes.BadTagRef, `"${path}": the path names no node below Objects`);
  let current = parseNodeId(OBJECTS);
  const chain: NodeId[] = [];
  for (let i = 0; i < segments.length; i++) {
    current = await step(session, current, segments[i], '/' + segments.slice(0, i + 1).join('/'));
    chain.push(current);
  }
  const item = await browseItemOf(session, current);
  return { item, ancestors: chain.slice(0, -1).map(formatNodeId) };
}

/** One level down: `2:Tank` through TranslateBrowsePathsToNodeIds, a plain `Tank` by browse name in any namespace. */
async function step(session: ClientSession, from: NodeId, segment: string, soFar: string): Promise<NodeId> {
  const qualified = /^(\d+):(.+)$/.exec(segment);
  if (qualified) {
    const [result] = await translateAll(session, [
      new BrowsePath({
        startingNode: from,
        relativePath: {
          elements: [{ referenceTypeId: HIERARCHICAL, isInverse: false, includeSubtypes: true, targetName: { namespaceIndex: Number(qualified[1]), name: qualified[2] } }],
        },
      }),
    ]);
    if (!result.statusCode.isGood() || !result.targets?.length) {
      const why = result.statusCode.equals(StatusCodes.BadNoMatch) ? 'no such child' : describeStatus(result.statusCode);
      throw new BifrostError(ErrorCodes.BadTagRef, `no node has the path "${soFar}" (${why})`);
    }
    return localNodeId(result.targets[0].targetId);
  }
  const [children] = await browseAll(session, [
    { nodeId: from, browseDirection: BrowseDirection.Forward, referenceTypeId: HIERARCHICAL, includeSubtypes: true, nodeClassMask: 0, resultMask: 0x3f },
  ]);
  const matches = (children.references ?? []).filter((r) => r.browseName.name === segment);
  if (matches.length === 0) throw new BifrostError(ErrorCodes.BadTagRef, `no node has the path "${soFar}"`);
  const distinct = new Map(matches.map((r) => [r.nodeId.toString(), r]));
  if (distinct.size > 1) {
    const names = [...distinct.values()].map((r) => qualifiedNameText(r.browseName)).join(', ');
    throw new BifrostError(ErrorCodes.BadTagRef, `"${soFar}" names more than one node (${names}); write the namespace, e.g. "${qualifiedNameText(matches[0].browseName)}"`);
  }
  return localNodeId(matches[0].nodeId);
}

/** Up the inverse hierarchical references to Objects (or Root); refs below it, top first. */
async function ancestorsOf(session: ClientSession, nodeId: NodeId): Promise<string[]> {
  const chain: string[] = [];
  let current = nodeId;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const [parents] = await browseAll(session, [
      { nodeId: current, browseDirection: BrowseDirection.Inverse, referenceTypeId: HIERARCHICAL, includeSubtypes: true, nodeClassMask: 0, resultMask: 0x3f },
    ]);
    const parent = parents.references?.[0]?.nodeId;
    if (!parent) break;
    const id = localNodeId(parent);
    const text = formatNodeId(id);
    if (text === OBJECTS || text === ROOT || chain.includes(text)) break;
    chain.unshift(text);
    current = id;
  }
  return chain;
}

/** The node as bifrost/browse lists it: ref, names, class, DataType, children, writability. */
export async function browseItemOf(session: ClientSession, nodeId: NodeId): Promise<BrowseItem> {
  const ref = formatNodeId(nodeId);
  const [nodeClass, browseName, displayName, dataType, userAccessLevel] = await readAll(
    session,
    [AttributeIds.NodeClass, AttributeIds.BrowseName, AttributeIds.DisplayName, AttributeIds.DataType, AttributeIds.UserAccessLevel].map((attributeId) => ({ nodeId, attributeId })),
  );
  if (!nodeClass.statusCode.isGood()) throw new BifrostError(ErrorCodes.BadTagRef, `${ref}: ${describeStatus(nodeClass.statusCode)}`);
  const [children, typeDefinition] = await browseAll(session, [
    { nodeId, browseDirection: BrowseDirection.Forward, referenceTypeId: HIERARCHICAL, includeSubtypes: true, nodeClassMask: 0, resultMask: 0x3f },
    { nodeId, browseDirection: BrowseDirection.Forward, referenceTypeId: `i=${ReferenceTypeIds.HasTypeDefinition}`, includeSubtypes: false, nodeClassMask: 0, resultMask: 0x3f },
  ]);
  const uaClass = nodeClass.value.value as UaNodeClass;
  const isFolder = typeDefinition.references?.some((r) => formatNodeId(localNodeId(r.nodeId)) === FOLDER_TYPE) ?? false;
  const item: BrowseItem = {
    ref,
    name: browseName.statusCode.isGood() ? String((browseName.value.value as { name: string }).name) : ref,
    nodeClass: classOf(uaClass, isFolder),
    hasChildren: (children.references?.length ?? 0) > 0,
  };
  const display = displayName.statusCode.isGood() ? (displayName.value.value as { text?: string | null }).text : undefined;
  if (display && display !== item.name) item.displayName = display;
  if (uaClass === UaNodeClass.Variable) {
    if (dataType.statusCode.isGood() && dataType.value.value) item.dataType = (await describeDataTypes(session, [dataType.value.value as NodeId]))[0].name;
    item.writable = userAccessLevel.statusCode.isGood() && (Number(userAccessLevel.value.value) & 0x02) !== 0;
  }
  return item;
}

function classOf(uaClass: UaNodeClass, isFolder: boolean): NodeClass {
  if (uaClass === UaNodeClass.Variable) return 'variable';
  if (uaClass === UaNodeClass.Method) return 'method';
  return isFolder ? 'folder' : 'object';
}
