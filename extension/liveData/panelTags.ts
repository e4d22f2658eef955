import type { ValueKind } from '../../gateway/protocol';
import { LIVE_VALUE_KINDS, type LiveValueKind, type PanelTag, type SeriesInfo } from '../../webview/messages';

// The webview cannot import the gateway's contract; its copy of ValueKind must stay the same:
// this stops compiling when the two differ.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
export type ValueKindsAgree = Holds<Same<ValueKind, LiveValueKind>>;

/** A panel's key for a tag: stable across reloads, unique per gateway, device and tag (the local gateway's as before there were others). */
export function seriesKey(deviceId: string, tag: string, gatewayId?: string): string {
  return gatewayId === undefined ? JSON.stringify([deviceId, tag]) : JSON.stringify([gatewayId, deviceId, tag]);
}

export function seriesInfoOf(tag: PanelTag): SeriesInfo {
  const info: SeriesInfo = { key: seriesKey(tag.deviceId, tag.tag, tag.gatewayId), deviceId: tag.deviceId, deviceName: tag.deviceName, tag: tag.tag };
  if (tag.gatewayId !== undefined) info.gatewayId = tag.gatewayId;
  if (tag.unit !== undefined) info.unit = tag.unit;
  if (tag.valueKind !== undefined) info.valueKind = tag.valueKind;
  if (tag.dataType !== undefined) info.dataType = tag.dataType;
  return info;
}

export interface RestoredTags {
  tags: PanelTag[];
  /** What could not be restored, for the log. */
  problems: string[];
}

/**
 * Reads the tag list out of a panel's saved webview state. The state comes back from storage
 * after a reload and may be from an older version or damaged: every entry is checked, and what
 * cannot be used is reported instead of being dropped silently. Version 1 states have no
 * `valueKind` or `dataType`: their tags are restored without a kind, and the host infers it
 * from each tag's first reading. A kind this version does not know is left out the same way.
 */
export function restoreTags(state: unknown): RestoredTags {
  const problems: string[] = [];
  if (state === undefined || state === null) return { tags: [], problems };
  if (typeof state !== 'object' || !Array.isArray((state as { tags?: unknown }).tags)) {
    return { tags: [], problems: ['The saved panel state has no tag list; the panel opens empty.'] };
  }
  const tags: PanelTag[] = [];
  const seen = new Set<string>();
  (state as { tags: unknown[] }).tags.forEach((raw, i) => {
    const tag = panelTagOf(raw);
    if (!tag) {
      problems.push(`Saved tag #${i + 1} is not a device id and tag name (${describe(raw)}); it was left out.`);
      return;
    }
    const key = seriesKey(tag.deviceId, tag.tag, tag.gatewayId);
    if (seen.has(key)) return;
    seen.add(key);
    tags.push(tag);
  });
  return { tags, problems };
}

function panelTagOf(raw: unknown): PanelTag | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (!nonEmptyString(r.deviceId) || !nonEmptyString(r.tag)) return undefined;
  const tag: PanelTag = {
    deviceId: r.deviceId,
    deviceName: nonEmptyString(r.deviceName) ? r.deviceName : r.deviceId,
    tag: r.tag,
  };
  if (nonEmptyString(r.gatewayId)) tag.gatewayId = r.gatewayId;
  if (nonEmptyString(r.unit)) tag.unit = r.unit;
  if (isValueKind(r.valueKind)) tag.valueKind = r.valueKind;
  if (nonEmptyString(r.dataType)) tag.dataType = r.dataType;
  return tag;
}

function isValueKind(v: unknown): v is LiveValueKind {
  return typeof v === 'string' && (LIVE_VALUE_KINDS as readonly string[]).includes(v);
}

function nonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

function describe(raw: unknown): string {
  const text = JSON.stringify(raw) ?? String(raw);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
