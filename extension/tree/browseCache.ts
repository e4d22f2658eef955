import type { BrowseItem, BrowseParams, BrowseResult } from '../../gateway/protocol';

/** What listing a container gave: its children, why it failed, or that it was dropped meanwhile. */
export type BrowseOutcome = { readonly items: readonly BrowseItem[] } | { readonly error: string } | { readonly cancelled: true };

/** One `bifrost/browse` request; an aborted signal cancels it on the gateway. */
export type BrowseRequest = (params: BrowseParams, signal: AbortSignal) => Promise<BrowseResult>;

/** Items asked for per answer: large enough for a device's configured tags in one go. */
export const BROWSE_PAGE = 1000;
/** A container with more pages than this is cut off, with a remark, rather than browsed forever. */
const MAX_PAGES = 1000;

interface Entry {
  readonly controller: AbortController;
  readonly outcome: Promise<BrowseOutcome>;
  settled?: BrowseOutcome;
}

/**
 * Browse results per device, so that repainting or expanding again costs no request. A device's
 * results are dropped when it changes (its tags, or the device list) and on Refresh; a browse
 * still running then is cancelled. A failed browse is kept as its message (shown in the tree)
 * until the device changes or connects.
 *
 * Free of vscode, so that it can be tested alone.
 */
export class BrowseCache {
  private readonly devices = new Map<string, Map<string, Entry>>();

  constructor(private readonly describe: (err: unknown) => string) {}

  /** The children of `node` (the device's top level when undefined), every page of them. */
  children(gatewayId: string, deviceId: string, node: string | undefined, request: BrowseRequest): Promise<BrowseOutcome> {
    const key = deviceKey(gatewayId, deviceId);
    let entries = this.devices.get(key);
    if (!entries) this.devices.set(key, (entries = new Map()));
    const at = node ?? '';
    const known = entries.get(at);
    if (known) return known.outcome;
    const controller = new AbortController();
    const entry: Entry = {
      controller,
      outcome: this.load(deviceId, node, request, controller.signal).then((outcome) => {
        entry.settled = outcome;
        return outcome;
      }),
    };
    entries.set(at, entry);
    return entry.outcome;
  }

  /** Forgets a device's results; a browse on its way is cancelled. */
  drop(gatewayId: string, deviceId: string): void {
    const key = deviceKey(gatewayId, deviceId);
    const entries = this.devices.get(key);
    if (!entries) return;
    this.devices.delete(key);
    for (const e of entries.values()) e.controller.abort();
  }

  dropAll(): void {
    for (const entries of this.devices.values()) for (const e of entries.values()) e.controller.abort();
    this.devices.clear();
  }

  /** Forgets the failed browses of a device (to try again once it connects); true if there were any. */
  dropFailed(gatewayId: string, deviceId: string): boolean {
    const entries = this.devices.get(deviceKey(gatewayId, deviceId));
    if (!entries) return false;
    let dropped = false;
    for (const [at, e] of entries) {
      if (e.settled && 'error' in e.settled) {
        entries.delete(at);
        dropped = true;
      }
    }
    return dropped;
  }

  private async load(deviceId: string, node: string | undefined, request: BrowseRequest, signal: AbortSignal): Promise<BrowseOutcome> {
    const items: BrowseItem[] = [];
    let continuation: string | undefined;
    try {
      for (let page = 0; ; page++) {
        if (page === MAX_PAGES) return { error: `More than ${MAX_PAGES * BROWSE_PAGE} entries: the rest is not shown.` };
        const params: BrowseParams = { deviceId, maxItems: BROWSE_PAGE };
        if (node !== undefined) params.node = node;
        if (continuation !== undefined) params.continuation = continuation;
        const result = await request(params, signal);
        if (signal.aborted) return { cancelled: true };
        items.push(...result.items);
        if (result.continuation === undefined) break;
        if (result.continuation === continuation) return { error: 'The gateway sent the same continuation twice: the list would never end.' };
        continuation = result.continuation;
      }
    } catch (err) {
      if (signal.aborted) return { cancelled: true };
      return { error: this.describe(err) };
    }
    return { items };
  }
}

function deviceKey(gatewayId: string, deviceId: string): string {
  return JSON.stringify([gatewayId, deviceId]);
}
