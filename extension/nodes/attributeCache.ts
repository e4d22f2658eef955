import { ErrorCodes, type NodeAttributesResult } from '../../gateway/protocol';

/** Asks the gateway for every attribute of one node (`bifrost/nodes/attributes`). */
export type AttributesRequest = (deviceId: string, ref: string) => Promise<NodeAttributesResult>;

/**
 * What a row's tooltip shows of its node: the attributes, why they could not be read, or nothing
 * when the device's driver has no attributes to give (NotSupported: not a failure).
 */
export type AttributesOutcome = { readonly attributes: NodeAttributesResult } | { readonly error: string } | { readonly unsupported: true };

/**
 * The attributes of nodes the mouse rested on, read once per node (not per repaint), per
 * gateway and device. A device's entries go when it changes, all of them on Refresh; a failed
 * read is kept too (its message shows in the tooltip) until then. Free of vscode.
 */
export class AttributeCache {
  private readonly devices = new Map<string, Map<string, Promise<AttributesOutcome>>>();

  constructor(private readonly describe: (err: unknown) => string) {}

  get(gatewayId: string, deviceId: string, ref: string, request: AttributesRequest): Promise<AttributesOutcome> {
    const key = JSON.stringify([gatewayId, deviceId]);
    let nodes = this.devices.get(key);
    if (!nodes) this.devices.set(key, (nodes = new Map()));
    let outcome = nodes.get(ref);
    if (!outcome) {
      outcome = request(deviceId, ref).then(
        (attributes) => ({ attributes }),
        (err: unknown) => ((err as { code?: unknown } | null)?.code === ErrorCodes.NotSupported ? { unsupported: true } : { error: this.describe(err) }),
      );
      nodes.set(ref, outcome);
    }
    return outcome;
  }

  drop(gatewayId: string, deviceId: string): void {
    this.devices.delete(JSON.stringify([gatewayId, deviceId]));
  }

  dropAll(): void {
    this.devices.clear();
  }
}

/** One attribute's text, or undefined when the node has none (or reading it failed). */
export function attributeValue(result: NodeAttributesResult, name: string): string | undefined {
  const a = result.attributes.find((x) => x.name === name);
  return a && a.status === undefined ? a.value : undefined;
}
