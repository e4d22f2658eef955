/**
 * `opc.tcp://host:port/path` URLs: what a discovery target or a server's discovery URL names.
 * Pure string work, shared by the scan (which checks targets) and the OPC UA bundle's probe.
 */

/** The port a URL without one means, and the discovery port a host is tried on by default. */
export const OPCUA_DEFAULT_PORT = 4840;

export interface OpcTcpUrl {
  /** Without brackets for IPv6. */
  host: string;
  port: number;
  /** `/UA/Server`, or '' when the URL has none. */
  path: string;
}

const URL_FORM = /^opc\.tcp:\/\/(\[[0-9A-Fa-f:.%\w]+\]|[^:/[\]\s]+)(?::(\d{1,5}))?(\/\S*)?$/i;

/** Whether a target string is meant as a URL (so that a bad one is reported as a bad URL). */
export function looksLikeUrl(text: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
}

/** The parts of an opc.tcp URL, or why it is not one. */
export function parseOpcTcpUrl(text: string): OpcTcpUrl | string {
  if (!/^opc\.tcp:\/\//i.test(text)) return 'an OPC UA endpoint URL starts with opc.tcp://';
  const m = URL_FORM.exec(text);
  if (!m) return 'expected opc.tcp://host:port[/path] (host a name, an IPv4 address or an [IPv6] address)';
  const port = m[2] === undefined ? OPCUA_DEFAULT_PORT : Number(m[2]);
  if (port < 1 || port > 65_535) return `the port ${m[2]} is not from 1 to 65535`;
  const host = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!;
  return { host, port, path: m[3] ?? '' };
}

export function formatOpcTcpUrl(u: OpcTcpUrl): string {
  const host = u.host.includes(':') ? `[${u.host}]` : u.host;
  return `opc.tcp://${host}:${u.port}${u.path}`;
}

/**
 * Hosts a server names when it does not know how it is reached from outside (it listens on every
 * interface, or was configured for this machine only).
 */
export function isUnspecificHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === '0.0.0.0' || h === '::' || h === '::1' || h === 'localhost' || h.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(h);
}
