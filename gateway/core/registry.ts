import type { ProtocolCapabilities } from '../protocol';
import type { DriverModule } from './driver';

/**
 * The protocols this gateway speaks, by `protocol` name. Built-in drivers register at start-up
 * (gateway/drivers.ts); plug-in drivers are modules named on the command line.
 */
export class DriverRegistry {
  private readonly modules = new Map<string, DriverModule>();

  register(module: DriverModule): void {
    checkModule(module);
    if (this.modules.has(module.protocol)) throw new Error(`a driver for protocol "${module.protocol}" is already registered`);
    this.modules.set(module.protocol, module);
  }

  get(protocol: string): DriverModule | undefined {
    return this.modules.get(protocol);
  }

  get protocols(): string[] {
    return [...this.modules.keys()];
  }

  get all(): DriverModule[] {
    return [...this.modules.values()];
  }

  capabilities(): Record<string, ProtocolCapabilities> {
    const out: Record<string, ProtocolCapabilities> = {};
    for (const [protocol, m] of this.modules) out[protocol] = m.capabilities;
    return out;
  }
}

const PROTOCOL_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/** A plug-in is code someone else wrote: say clearly what is missing instead of failing later. */
function checkModule(m: unknown): asserts m is DriverModule {
  const o = m as Partial<DriverModule> | null;
  const problems: string[] = [];
  if (typeof o?.protocol !== 'string' || !PROTOCOL_NAME.test(o.protocol)) problems.push('"protocol" must be a lowercase name such as "modbus-tcp"');
  if (typeof o?.create !== 'function') problems.push('"create" must be a function');
  if (typeof o?.validate !== 'function') problems.push('"validate" must be a function');
  if (typeof o?.capabilities !== 'object' || o.capabilities === null) problems.push('"capabilities" is missing');
  if (typeof o?.rules !== 'object' || o.rules === null || !Array.isArray(o.rules.device) || !Array.isArray(o.rules.tag)) problems.push('"rules" needs "device" and "tag" arrays');
  if (problems.length > 0) throw new Error(`not a driver module: ${problems.join('; ')}`);
}

/** Loads a plug-in driver from a file that exports `driver` (or a default export). */
export function loadDriverFile(file: string): DriverModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a module named at run time
  const exported = require(file) as { driver?: unknown; default?: unknown };
  const m = exported.driver ?? exported.default ?? exported;
  checkModule(m);
  return m;
}
