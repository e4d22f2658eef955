import type { GatewayCapabilities, ProtocolCapabilities, ProtocolId } from '../../gateway/protocol';

/**
 * What a gateway can do, from its answer to `initialize` (`capabilities.bifrost`). Read once per
 * gateway process; a gateway that answers without it (an older one) has no capabilities, and the
 * callers say so instead of guessing.
 */
export function capabilitiesOf(initializeResult: unknown): GatewayCapabilities | undefined {
  const bifrost = (initializeResult as { capabilities?: { bifrost?: unknown } } | undefined)?.capabilities?.bifrost;
  if (typeof bifrost !== 'object' || bifrost === null) return undefined;
  const { version, protocols } = bifrost as Partial<GatewayCapabilities>;
  if (typeof protocols !== 'object' || protocols === null || Array.isArray(protocols)) return undefined;
  return { version: typeof version === 'string' ? version : '', protocols };
}

export function protocolCapabilities(caps: GatewayCapabilities | undefined, protocol: ProtocolId): ProtocolCapabilities | undefined {
  const p = caps?.protocols[protocol];
  return typeof p === 'object' && p !== null ? p : undefined;
}

/** How people read a protocol's name: its displayName (`Modbus TCP`), else its id. */
export function protocolName(caps: GatewayCapabilities | undefined, protocol: ProtocolId): string {
  return protocolCapabilities(caps, protocol)?.displayName || protocol;
}
