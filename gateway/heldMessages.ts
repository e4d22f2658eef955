import type { Message } from 'vscode-jsonrpc/node';
import { Values, type TagReading, type ValuesNotification } from './protocol';
import { valuesNotificationJson } from './valuesJson';

class HeldValues {
  /** The newest reading of each tag; a Map keeps the position of a tag's first reading. */
  readonly readings = new Map<string, TagReading>();
  constructor(readonly subscriptionId: string) {}
}

/**
 * Messages that wait while the client reads slower than the gateway writes. Nothing is dropped
 * but superseded readings: every message stays, in order, except that a subscription's readings
 * gather in one batch (where its first held reading was) holding only the newest reading of each
 * tag. What waits is therefore bounded by the number of subscribed tags, however long the client
 * lags, and what it gets when it catches up is current.
 */
export class HeldMessages {
  private readonly order: (Message | HeldValues)[] = [];
  private readonly values = new Map<string, HeldValues>();
  /** Readings replaced by a newer one of the same tag while held. */
  replaced = 0;

  add(msg: Message): void {
    const m = msg as { method?: string; params?: ValuesNotification };
    if (m.method !== Values.method || !m.params) {
      this.order.push(msg);
      return;
    }
    const { subscriptionId, items } = m.params;
    let held = this.values.get(subscriptionId);
    if (!held) {
      held = new HeldValues(subscriptionId);
      this.values.set(subscriptionId, held);
      this.order.push(held);
    }
    for (const r of items) {
      if (held.readings.has(r.tag)) this.replaced++;
      held.readings.set(r.tag, r);
    }
  }

  get size(): number {
    return this.order.length;
  }

  /** The held messages in order, as JSON texts (`encode` for everything but values). */
  texts(encode: (msg: Message) => string): string[] {
    return this.order.map((m) => (m instanceof HeldValues ? valuesNotificationJson(m.subscriptionId, [...m.readings.values()]) : encode(m)));
  }
}
