import type { TagReading, TagValue } from '../protocol';

/**
 * The one place readings are made. A bad reading carries no value: the last good one is never
 * passed off as current.
 */
export function badReading(tag: string, error: string, timestamp = Date.now(), status?: string): TagReading {
  const r: TagReading = { tag, value: null, quality: 'bad', timestamp, error };
  if (status !== undefined) r.status = status;
  return r;
}

export function badReadings(tags: Iterable<string>, error: string, timestamp = Date.now()): TagReading[] {
  const out: TagReading[] = [];
  for (const tag of tags) out.push({ tag, value: null, quality: 'bad', timestamp, error });
  return out;
}

/**
 * A value as read. A number that is not finite (a float register holding NaN or Infinity) is
 * not a measurement: it is reported `uncertain`, without a value, with the reason.
 */
export function valueReading(tag: string, value: TagValue, timestamp: number, deviceId: string): TagReading {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return { tag, value: null, quality: 'uncertain', timestamp, error: `${deviceId}: ${tag} holds ${value}, not a finite number` };
  }
  return { tag, value, quality: 'good', timestamp };
}
