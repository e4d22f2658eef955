/** What every MQTT publisher does alike: keep readings in its buffer, end its connection once drained. */
import type { MqttClient } from 'mqtt';
import { errorMessage } from '../errors';
import type { Logger } from '../log';
import type { TagReading } from '../protocol';
import type { ForwardBuffer, StoredReading } from './forwardBuffer';

export function stored(r: TagReading): StoredReading {
  return { tag: r.tag, value: r.value, quality: r.quality, timestamp: r.timestamp };
}

/**
 * Appends readings to the store-and-forward buffer, saying what a full buffer dropped; false
 * (and logged) when the buffer could not take them, so the caller counts them as lost.
 */
export function keepInBuffer(buffer: ForwardBuffer, log: Logger, name: string, device: string, readings: readonly StoredReading[], ord?: number): boolean {
  try {
    const dropped = buffer.append(device, readings, ord);
    if (dropped > 0) log.warn(`${name}: the store-and-forward buffer is full (${buffer.maxBytes} bytes): ${dropped} older value(s) dropped, ${buffer.dropped} since start`);
    return true;
  } catch (err) {
    log.error(`${name}: cannot keep ${readings.length} value(s) of ${device} in the store-and-forward buffer: ${errorMessage(err)}`);
    return false;
  }
}

/**
 * Waits (up to 5 s) until what is in flight is acknowledged, then ends the connection: with a
 * DISCONNECT when drained (the broker then publishes no Will), forced otherwise (what is still
 * out fails, into the buffer where there is one).
 */
export async function endWhenDrained(client: MqttClient): Promise<void> {
  const deadline = Date.now() + 5000;
  while (client.connected && Object.keys(client.outgoing).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await client.endAsync(Object.keys(client.outgoing).length > 0).catch(() => undefined);
}
