import type { Gateway } from './gateway';

/**
 * The gateways the extension talks to: the local one it starts itself, first. Remote gateways
 * join this list in a later version; the tree shows a gateway level only when there are several.
 */
export class Gateways {
  constructor(readonly local: Gateway) {}

  get all(): readonly Gateway[] {
    return [this.local];
  }

  get(id: string): Gateway | undefined {
    return this.all.find((g) => g.id === id);
  }
}
