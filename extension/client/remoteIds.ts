const PREFIX = 'remote:';

/** Tree ids of remote gateways: by URL, apart from the local one's. */
export function remoteGatewayId(url: string): string {
  return PREFIX + url;
}

/** The URL of a remote gateway's tree id, or undefined for the local gateway's. */
export function remoteUrlOf(gatewayId: string): string | undefined {
  return isRemoteGatewayId(gatewayId) ? gatewayId.slice(PREFIX.length) : undefined;
}

export function isRemoteGatewayId(gatewayId: string): boolean {
  return gatewayId.startsWith(PREFIX);
}
