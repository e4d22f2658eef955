/**
 * NodeId text, strictly: node-opcua's own coercion takes any unknown text as a string id in
 * namespace 0, which would turn a typo into BadNodeIdUnknown far from where it was made.
 */
import { NodeId, type ClientSession } from 'node-opcua-client';
import { BifrostError } from '../errors';
import { ErrorCodes } from '../protocol';

const FORMS = '`ns=2;s=Tank.Level`, `i=85`, `ns=1;g=72962B91-FA75-4AE6-8D28-B404DC7DAF63`, `ns=1;b=AAEC` (base64) or `nsu=urn:example;s=Level`';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const UINT16_MAX = 65535;
const UINT32_MAX = 4294967295;

function refuse(text: string, why: string): BifrostError {
  return new BifrostError(ErrorCodes.BadTagRef, `${JSON.stringify(text)} is not an OPC UA node id (${why}); use ${FORMS}`);
}

/**
 * Parses `ns=2;s=Tank.Level`, `i=85`, `ns=1;g=…`, `ns=1;b=…` and `nsu=<uri>;…`. A namespace URI is
 * looked up in the session's namespace array, which the session must have read
 * (`session.readNamespaceArray()`) after connecting.
 */
export function parseNodeId(text: string, session?: ClientSession): NodeId {
  if (typeof text !== 'string') throw refuse(String(text), 'not text');
  const trimmed = text.trim();
  let rest = trimmed;
  let namespace = 0;
  const nsu = /^nsu=([^;]*);/.exec(rest);
  const ns = /^ns=([^;]*);/.exec(rest);
  if (nsu) {
    const uri = nsu[1];
    if (uri === '') throw refuse(text, 'the namespace URI is empty');
    namespace = namespaceIndexOf(uri, text, session);
    rest = rest.slice(nsu[0].length);
  } else if (ns) {
    if (!/^\d+$/.test(ns[1]) || Number(ns[1]) > UINT16_MAX) throw refuse(text, `the namespace index "${ns[1]}" is not a number from 0 to ${UINT16_MAX}`);
    namespace = Number(ns[1]);
    rest = rest.slice(ns[0].length);
  }
  const kind = rest.slice(0, 2);
  const id = rest.slice(2);
  switch (kind) {
    case 'i=':
      if (!/^\d+$/.test(id) || Number(id) > UINT32_MAX) throw refuse(text, `a numeric identifier is a whole number from 0 to ${UINT32_MAX}`);
      return new NodeId(NodeId.NodeIdType.NUMERIC, Number(id), namespace);
    case 's=':
      if (id === '') throw refuse(text, 'the string identifier is empty');
      return new NodeId(NodeId.NodeIdType.STRING, id, namespace);
    case 'g=':
      if (!GUID.test(id)) throw refuse(text, 'a GUID identifier has the form 72962B91-FA75-4AE6-8D28-B404DC7DAF63');
      return new NodeId(NodeId.NodeIdType.GUID, id.toUpperCase(), namespace);
    case 'b=':
      if (id === '' || !BASE64.test(id)) throw refuse(text, 'an opaque identifier is base64');
      return new NodeId(NodeId.NodeIdType.BYTESTRING, Buffer.from(id, 'base64'), namespace);
    default:
      throw refuse(text, 'expected i=, s=, g= or b= after the namespace');
  }
}

function namespaceIndexOf(uri: string, text: string, session: ClientSession | undefined): number {
  let index: number;
  try {
    if (!session) throw new Error('no session');
    // Throws until the session has read its namespace array.
    index = session.getNamespaceIndex(uri);
  } catch {
    throw refuse(text, 'a namespace URI is looked up on the connected server, and there is none yet');
  }
  if (index < 0) throw new BifrostError(ErrorCodes.BadTagRef, `${JSON.stringify(text)}: the server has no namespace ${JSON.stringify(uri)}`);
  return index;
}

/** The canonical text of a NodeId: `ns=2;s=Tank.Level`, `i=85` (namespace 0 left out). */
export function formatNodeId(nodeId: NodeId): string {
  const text = nodeId.toString();
  return text.startsWith('ns=0;') ? text.slice(5) : text;
}

/** A local NodeId from an ExpandedNodeId the server returned (references, translated paths). */
export function localNodeId(expanded: NodeId): NodeId {
  return new NodeId(expanded.identifierType, expanded.value, expanded.namespace);
}
