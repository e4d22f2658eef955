import { HistoryRead, NodeAttributes } from '../../gateway/protocol';
import type { TagReading } from '../../gateway/protocol';
import { protocolCapabilities } from '../client/capabilities';
import type { Gateway } from '../client/gateway';

/** A tag of a device on a gateway (undefined: the local one). */
export interface HistoryTag {
  readonly gatewayId?: string | undefined;
  readonly deviceId: string;
  readonly tag: string;
}

/** Where a Live Data panel backfills a new series from: the server's history of the tag. */
export interface HistorySource {
  /**
   * The tag's raw history from `start` to `end` (ms since the epoch), oldest first, at most
   * `maxValues` (the newest); undefined when the tag's node keeps none. Throws when reading fails.
   */
  backfill(at: HistoryTag, start: number, end: number, maxValues: number): Promise<TagReading[] | undefined>;
}

/** Answers per request; the gateway may send fewer. */
const PAGE = 2000;
/** A server that keeps sending continuations is not followed for ever. */
const MAX_PAGES = 100;

/**
 * History from the tag's gateway: only for protocols that have it (`history` in the
 * capabilities) and nodes whose `Historizing` attribute is true; `bifrost/history/read` followed
 * through its continuations.
 */
export class GatewayHistory implements HistorySource {
  /** `gatewayOf(undefined)` is the local gateway; undefined when the gateway is not there (now). */
  constructor(private readonly gatewayOf: (gatewayId: string | undefined) => Gateway | undefined) {}

  async backfill({ gatewayId, deviceId, tag }: HistoryTag, start: number, end: number, maxValues: number): Promise<TagReading[] | undefined> {
    const gateway = this.gatewayOf(gatewayId);
    const device = gateway?.devices.device(deviceId);
    if (!gateway || !device || !protocolCapabilities(gateway.capabilities, device.protocol)?.history) return undefined;
    const { attributes } = await gateway.ctx.request(NodeAttributes, { deviceId, node: tag });
    if (attributes.find((a) => a.name === 'Historizing')?.value !== 'true') return undefined;
    return readAll((continuation) =>
      gateway.ctx.request(HistoryRead, { deviceId, tag, start, end, maxValues: Math.min(PAGE, maxValues), ...(continuation !== undefined ? { continuation } : {}) }),
      maxValues,
    );
  }
}

/** Every page of a history read; the newest `maxValues` are kept. Free of vscode, for tests. */
export async function readAll(page: (continuation: string | undefined) => Promise<{ items: TagReading[]; continuation?: string }>, maxValues: number): Promise<TagReading[]> {
  let items: TagReading[] = [];
  let continuation: string | undefined;
  for (let n = 0; n < MAX_PAGES; n++) {
    const result = await page(continuation);
    items = items.concat(result.items);
    if (items.length > maxValues) items = items.slice(items.length - maxValues);
    if (result.continuation === undefined) return items;
    if (result.continuation === continuation) throw new Error('the gateway sent the same history continuation twice');
    continuation = result.continuation;
  }
  throw new Error(`the history did not end after ${MAX_PAGES} pages`);
}
