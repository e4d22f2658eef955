import type { WebSocket } from 'ws';
import { log } from '../log';

/**
 * Pings every client at each beat; one that has not answered the ping of the beat before is
 * terminated, which ends its session and its subscriptions. A client that vanished without a
 * word (a laptop put to sleep, a cut cable, a NAT that forgot the connection) sends no close and
 * no FIN: without this its subscriptions would be served into a dead socket for good. Every
 * WebSocket client answers pings by itself (RFC 6455), browsers included.
 */
export class Heartbeat {
  private readonly answered = new WeakMap<WebSocket, boolean>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly clients: () => Iterable<{ ws: WebSocket; peer: string }>,
    readonly intervalMs: number,
  ) {
    this.timer = setInterval(() => this.beat(), intervalMs);
    this.timer.unref();
  }

  watch(ws: WebSocket): void {
    this.answered.set(ws, true);
    ws.on('pong', () => this.answered.set(ws, true));
  }

  private beat(): void {
    for (const { ws, peer } of this.clients()) {
      if (ws.readyState !== ws.OPEN) continue;
      if (this.answered.get(ws) === false) {
        log.warn(`ws ${peer}: no answer to a ping within ${Math.round(this.intervalMs / 1000)} s: the connection is dropped, its subscriptions end`);
        ws.terminate();
        continue;
      }
      this.answered.set(ws, false);
      ws.ping();
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
