import * as os from 'node:os';

export interface LocalSubnet {
  /** `192.168.1.0/24` */
  cidr: string;
  /** The interface and this computer's address on it: `eth0, 192.168.1.17`. */
  via: string;
  hosts: number;
}

/** The IPv4 networks this computer is on (not loopback), as CIDR blocks, each once. */
export function localSubnets(interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces()): LocalSubnet[] {
  const out = new Map<string, LocalSubnet>();
  for (const [name, addresses] of Object.entries(interfaces)) {
    for (const a of addresses ?? []) {
      if (a.family !== 'IPv4' || a.internal || !a.cidr) continue;
      const prefix = Number(a.cidr.split('/')[1]);
      if (!Number.isInteger(prefix) || prefix < 1 || prefix > 32) continue;
      const network = (toNumber(a.address) & mask(prefix)) >>> 0;
      const cidr = `${toText(network)}/${prefix}`;
      if (!out.has(cidr)) out.set(cidr, { cidr, via: `${name}, ${a.address}`, hosts: prefix >= 31 ? 2 ** (32 - prefix) : 2 ** (32 - prefix) - 2 });
    }
  }
  return [...out.values()];
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

function toNumber(address: string): number {
  return address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function toText(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}
