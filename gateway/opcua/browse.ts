/**
 * Browsing an OPC UA server's address space: the hierarchical children of one node, a page at a
 * time. Server continuation points are followed (BrowseNext) up to the page's size; what is left
 * stays with the session under a continuation of our own, released when abandoned. Variables get
 * their DataType name and writability from one batched read, and every item its hasChildren from
 * one batched browse, both split by the server's operation limits: cheap for thousands of items.
 */
import {
  AttributeIds,
  BrowseDirection,
  DataType,
  NodeClass,
  NodeId,
  resolveNodeId,
  VariableIds,
  type BrowseDescriptionOptions,
  type BrowseResult as UaBrowseResult,
  type ClientSession,
  type ReferenceDescription,
} from 'node-opcua-client';
import { randomUUID } from 'node:crypto';
import type { BrowseItem, BrowseResult, NodeClass as ItemClass } from '../protocol';
import { ErrorCodes } from '../protocol';
import type { BrowseRequest, RequestContext } from '../core/driver';
import { BifrostError } from '../errors';
import { NODE_ID_FORMS } from './settings';

const OBJECTS_FOLDER = 'i=85';
/** FolderType (i=61). */
const FOLDER_TYPE = 61;
const HIERARCHICAL = 'i=33';
const CLASS_MASK = NodeClass.Object | NodeClass.Variable | NodeClass.Method;
const CURRENT_WRITE = 0x02;

/** What browsing needs of a server, read once per session. */
export interface ServerLimits {
  maxNodesPerBrowse: number;
  maxNodesPerRead: number;
  maxBrowseContinuationPoints: number;
}

interface Held {
  node: string;
  /** Items fetched beyond the last page. */
  items: BrowseItem[];
  /** The server's continuation point for the rest, if any. */
  serverPoint: Buffer | null;
}

/**
 * One per session: the continuations it holds and the DataType names it learnt. A new session
 * starts a new Browser; continuations of an old one are refused with a clear message.
 */
export class Browser {
  private readonly held = new Map<string, Held>();
  private readonly dataTypeNames = new Map<string, string>();

  constructor(
    private readonly session: ClientSession,
    private readonly limits: ServerLimits,
    private readonly deviceId: string,
    private readonly allowWrites: boolean,
  ) {}

  async browse(request: BrowseRequest, context: RequestContext): Promise<BrowseResult> {
    let held: Held;
    if (request.continuation !== undefined) {
      const found = this.held.get(request.continuation);
      if (!found) {
        throw new BifrostError(ErrorCodes.InvalidParams, `${this.deviceId}: this browse continuation is no longer valid (it was used already, released, or the device reconnected): browse the node again`);
      }
      this.held.delete(request.continuation);
      held = found;
    } else {
      const node = request.node ?? OBJECTS_FOLDER;
      const nodeId = this.parse(node);
      const [result] = await this.browseSized([this.describe(nodeId)], request.maxItems);
      if (!result) throw new BifrostError(ErrorCodes.ProtocolError, `${this.deviceId}: the server answered the browse of ${node} with nothing`);
      if (!result.statusCode.isGood()) throw this.statusError(node, result.statusCode.name);
      held = { node, items: await this.items(result.references ?? [], context), serverPoint: point(result.continuationPoint) };
    }
    // Follow the server's continuation points until the page is full.
    while (held.items.length < request.maxItems && held.serverPoint) {
      if (context.signal.aborted) {
        await this.release([held.serverPoint]);
        throw new BifrostError(ErrorCodes.RequestCancelled, 'the request was cancelled');
      }
      const [next] = await this.session.browseNext([held.serverPoint], false);
      if (!next || !next.statusCode.isGood()) {
        throw this.statusError(held.node, next?.statusCode.name ?? 'no answer to BrowseNext');
      }
      held.items.push(...(await this.items(next.references ?? [], context)));
      held.serverPoint = point(next.continuationPoint);
      context.progress(held.items.length);
    }
    const page = held.items.splice(0, request.maxItems);
    if (held.items.length === 0 && !held.serverPoint) return { items: page };
    const token = randomUUID();
    this.held.set(token, held);
    await this.releaseBeyondLimit();
    return { items: page, continuation: token };
  }

  /** Releases every continuation point this browser still holds (the session stays). */
  async releaseAll(): Promise<void> {
    const points = [...this.held.values()].map((h) => h.serverPoint).filter((p): p is Buffer => p !== null);
    this.held.clear();
    await this.release(points);
  }

  /** The server keeps only so many continuation points per session: the oldest are let go. */
  private async releaseBeyondLimit(): Promise<void> {
    const keep = Math.max(1, Math.min(this.limits.maxBrowseContinuationPoints, 10));
    const dropped: Buffer[] = [];
    for (const [token, h] of this.held) {
      if (this.held.size <= keep) break;
      this.held.delete(token);
      if (h.serverPoint) dropped.push(h.serverPoint);
    }
    await this.release(dropped);
  }

  private async release(points: Buffer[]): Promise<void> {
    if (points.length === 0) return;
    try {
      await this.session.browseNext(points, true);
    } catch {
      // A session that is gone has released them already.
    }
  }

  private parse(node: string): NodeId {
    try {
      return resolveNodeId(node);
    } catch {
      throw new BifrostError(ErrorCodes.BadTagRef, `${this.deviceId}: "${node}" is not a node id: write ${NODE_ID_FORMS}`);
    }
  }

  private describe(nodeId: NodeId): BrowseDescriptionOptions {
    return { nodeId, browseDirection: BrowseDirection.Forward, referenceTypeId: HIERARCHICAL, includeSubtypes: true, nodeClassMask: CLASS_MASK, resultMask: 0x3f };
  }

  /**
   * A Browse whose requestedMaxReferencesPerNode is `max` (a field of the whole request, which
   * node-opcua takes from the session when the request is built, synchronously).
   */
  private browseSized(nodes: BrowseDescriptionOptions[], max: number): Promise<UaBrowseResult[]> {
    const before = this.session.requestedMaxReferencesPerNode;
    this.session.requestedMaxReferencesPerNode = max;
    try {
      return this.session.browse(nodes);
    } finally {
      this.session.requestedMaxReferencesPerNode = before;
    }
  }

  private statusError(node: string, status: string): BifrostError {
    const why = status === 'BadNodeIdUnknown' ? ' (the node does not exist on the server)' : status === 'BadNodeIdInvalid' ? ' (not a valid node id)' : '';
    return new BifrostError(ErrorCodes.DeviceException, `${this.deviceId}: ${node}: ${status}${why}`);
  }

  /** Items of references: DataType and access of variables read in one batch, children in another. */
  private async items(refs: ReferenceDescription[], context: RequestContext): Promise<BrowseItem[]> {
    const items: BrowseItem[] = refs.map((r) => this.item(r));
    const variables: number[] = [];
    for (let i = 0; i < refs.length; i++) if (refs[i]!.nodeClass === NodeClass.Variable) variables.push(i);
    // DataType and UserAccessLevel of every variable, split by MaxNodesPerRead.
    const reads = variables.flatMap((i) => [
      { nodeId: refs[i]!.nodeId, attributeId: AttributeIds.DataType },
      { nodeId: refs[i]!.nodeId, attributeId: AttributeIds.UserAccessLevel },
    ]);
    const values = await this.inChunks(reads, this.limits.maxNodesPerRead, (chunk) => this.session.read(chunk), context);
    const typeIds = new Set<string>();
    variables.forEach((i, k) => {
      const dt = values[2 * k];
      const access = values[2 * k + 1];
      if (dt?.statusCode.isGood() && dt.value.value instanceof NodeId) typeIds.add(dt.value.value.toString());
      const level = access?.statusCode.isGood() ? Number(access.value.value) : 0;
      items[i]!.writable = this.allowWrites && (level & CURRENT_WRITE) !== 0;
    });
    const names = await this.typeNames([...typeIds], context);
    variables.forEach((i, k) => {
      const dt = values[2 * k];
      if (dt?.statusCode.isGood() && dt.value.value instanceof NodeId) items[i]!.dataType = names.get(dt.value.value.toString()) ?? dt.value.value.toString();
    });
    // hasChildren: one reference asked for each, split by MaxNodesPerBrowse; points released.
    const probes = refs.map((r) => this.describe(r.nodeId as unknown as NodeId));
    const children = await this.inChunks(probes, this.limits.maxNodesPerBrowse, (chunk) => this.browseSized(chunk, 1), context);
    const points: Buffer[] = [];
    children.forEach((c, i) => {
      items[i]!.hasChildren = Boolean(c?.statusCode.isGood() && (c.references?.length ?? 0) > 0);
      const p = point(c?.continuationPoint);
      if (p) points.push(p);
    });
    await this.release(points);
    return items;
  }

  private item(r: ReferenceDescription): BrowseItem {
    const ns = r.browseName.namespaceIndex;
    const name = ns === 0 ? (r.browseName.name ?? '') : `${ns}:${r.browseName.name ?? ''}`;
    const nodeClass: ItemClass =
      r.nodeClass === NodeClass.Variable ? 'variable' : r.nodeClass === NodeClass.Method ? 'method' : isFolderType(r) ? 'folder' : 'object';
    const item: BrowseItem = { ref: r.nodeId.toString(), name, nodeClass, hasChildren: false };
    const display = r.displayName?.text;
    if (display) item.displayName = display;
    return item;
  }

  private async typeNames(ids: string[], context: RequestContext): Promise<Map<string, string>> {
    const unknown: string[] = [];
    for (const id of ids) {
      if (this.dataTypeNames.has(id)) continue;
      const builtin = /^i=(\d+)$/.exec(id);
      const name = builtin ? (DataType as unknown as Record<number, string | undefined>)[Number(builtin[1])] : undefined;
      if (name && Number(builtin![1]) <= 25) this.dataTypeNames.set(id, name);
      else unknown.push(id);
    }
    if (unknown.length > 0) {
      const values = await this.inChunks(
        unknown.map((id) => ({ nodeId: id, attributeId: AttributeIds.BrowseName })),
        this.limits.maxNodesPerRead,
        (chunk) => this.session.read(chunk),
        context,
      );
      unknown.forEach((id, i) => {
        const v = values[i];
        const qn = v?.statusCode.isGood() ? (v.value.value as { name?: string } | null) : null;
        this.dataTypeNames.set(id, qn?.name ?? id);
      });
    }
    const out = new Map<string, string>();
    for (const id of ids) out.set(id, this.dataTypeNames.get(id) ?? id);
    return out;
  }

  private async inChunks<I, O>(input: I[], size: number, run: (chunk: I[]) => Promise<O[]>, context: RequestContext): Promise<O[]> {
    const out: O[] = [];
    const n = Math.max(1, size);
    for (let i = 0; i < input.length; i += n) {
      if (context.signal.aborted) throw new BifrostError(ErrorCodes.RequestCancelled, 'the request was cancelled');
      out.push(...(await run(input.slice(i, i + n))));
    }
    return out;
  }
}

/** The server's limits (0 or unreadable: a modest default). */
export async function readServerLimits(session: ClientSession): Promise<ServerLimits> {
  const ids = [
    VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerBrowse,
    VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead,
    VariableIds.Server_ServerCapabilities_MaxBrowseContinuationPoints,
  ];
  const values = await session.read(ids.map((id) => ({ nodeId: `i=${id}`, attributeId: AttributeIds.Value })));
  const limit = (i: number, fallback: number) => {
    const v = values[i];
    const n = v?.statusCode.isGood() ? Number(v.value.value) : 0;
    return Number.isFinite(n) && n > 0 ? n : fallback;
  };
  return { maxNodesPerBrowse: limit(0, 500), maxNodesPerRead: limit(1, 1000), maxBrowseContinuationPoints: limit(2, 5) };
}

function isFolderType(r: ReferenceDescription): boolean {
  const t = r.typeDefinition;
  return Boolean(t) && t.namespace === 0 && t.value === FOLDER_TYPE;
}

function point(p: Buffer | null | undefined): Buffer | null {
  return p && p.length > 0 ? p : null;
}
