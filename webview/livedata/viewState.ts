import { DEFAULT_WINDOW_MS, TIME_WINDOWS_MS, type LiveDataViewState, type PanelTag, type SeriesInfo } from '../messages';

/** The view settings kept across reloads; the tag list itself comes back from the host. */
export interface ViewSettings {
  windowMs: number;
  hidden: Set<string>;
}

/** Reads saved settings, falling back to defaults for anything missing or unexpected. */
export function restoreSettings(saved: unknown): ViewSettings {
  const s = (typeof saved === 'object' && saved !== null ? saved : {}) as Partial<Record<keyof LiveDataViewState, unknown>>;
  const windowMs = typeof s.windowMs === 'number' && TIME_WINDOWS_MS.includes(s.windowMs) ? s.windowMs : DEFAULT_WINDOW_MS;
  const hidden = new Set(Array.isArray(s.hidden) ? s.hidden.filter((k): k is string => typeof k === 'string') : []);
  return { windowMs, hidden };
}

export function viewStateOf(series: readonly SeriesInfo[], settings: ViewSettings): LiveDataViewState {
  const keys = new Set(series.map((s) => s.key));
  return {
    version: 2,
    tags: series.map(panelTagOf),
    windowMs: settings.windowMs,
    hidden: [...settings.hidden].filter((k) => keys.has(k)),
  };
}

function panelTagOf(info: SeriesInfo): PanelTag {
  const tag: PanelTag = { deviceId: info.deviceId, deviceName: info.deviceName, tag: info.tag };
  if (info.gatewayId !== undefined) tag.gatewayId = info.gatewayId;
  if (info.unit !== undefined) tag.unit = info.unit;
  // A kind inferred from a reading is a guess: it is inferred again after a reload rather than saved.
  if (info.valueKind !== undefined && !info.kindInferred) tag.valueKind = info.valueKind;
  if (info.dataType !== undefined) tag.dataType = info.dataType;
  return tag;
}
