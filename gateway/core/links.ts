/**
 * Connections shared by devices. A link owns one connection to one place (a TCP endpoint, later
 * a serial port) and its one-request-in-flight queue; devices are its clients. The pool hands
 * out one link per key and closes it when its last client lets go. A device that is replaced by
 * a reconfigured one keeps the link alive across the swap: the new device takes it before the
 * old one lets go, so the connection does not blink.
 */
export interface SharedLink {
  /** Closes the connection for good; called when the last client released it. */
  close(): void;
}

export interface LinkLease<L extends SharedLink> {
  readonly link: L;
  /** Idempotent. */
  release(): void;
}

export class LinkPool {
  private readonly links = new Map<string, { link: SharedLink; clients: number }>();

  /** The link at `key`, made by `create` when there is none. */
  acquire<L extends SharedLink>(key: string, create: () => L): LinkLease<L> {
    let entry = this.links.get(key);
    if (!entry) {
      entry = { link: create(), clients: 0 };
      this.links.set(key, entry);
    }
    entry.clients++;
    const held = entry;
    let released = false;
    return {
      link: held.link as L,
      release: () => {
        if (released) return;
        released = true;
        if (--held.clients > 0 || this.links.get(key) !== held) return;
        this.links.delete(key);
        held.link.close();
      },
    };
  }

  /** Links open now, for statistics and tests. */
  get size(): number {
    return this.links.size;
  }

  clientsOf(key: string): number {
    return this.links.get(key)?.clients ?? 0;
  }
}
