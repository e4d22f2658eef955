/** What every MQTT publisher does alike: keep readings in its buffer, end its connection once drained. */
import type { MqttClient } from 'mqtt';
import { errorMessage } from '../errors';
import type { Logger } from '../log';
import type { TagReading } from '../protocol';
import type { ForwardBuffer, StoredReading } from './forwardBuffer';

/**
 * MQTT keep alive, seconds. mqtt.js's own default (60) lets a dead connection (a cut cable, a
 * half-open socket) look alive for 90 s, with every publish meanwhile unacknowledged in memory.
 */
export const DEFAULT_KEEPALIVE_S = 30;

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

/**
 * Ends a connection that takes publishes but acknowledges none (a broker that hangs, answers
 * lost or mangled on the way): mqtt.js counts any packet from the broker as a sign of life, so
 * such a connection can look alive while every value waits, unacknowledged, in memory. Stuck is
 * when the oldest publish has waited longer than `limitMs` (1.5 × the keep alive: what a ping gets).
 */
export class AckWatchdog {
  private readonly sentAt = new Map<number, number>();
  private next = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly limitMs: number,
    private readonly onStuck: (waitedMs: number) => void,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** At each publish that expects an acknowledgement; call what it returns once it came (or failed). */
  sent(): () => void {
    const id = this.next++;
    this.sentAt.set(id, this.now());
    this.timer ??= setInterval(() => this.check(), Math.max(100, Math.round(this.limitMs / 3)));
    return () => void this.sentAt.delete(id);
  }

  /** Publishes waiting for their acknowledgement. */
  get waiting(): number {
    return this.sentAt.size;
  }

  check(): void {
    const oldest = this.sentAt.values().next();
    if (oldest.done) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    const waited = this.now() - oldest.value;
    if (waited <= this.limitMs) return;
    this.stop();
    this.onStuck(waited);
  }

  /** Forgets what it watched (the connection is gone). */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.sentAt.clear();
  }
}
