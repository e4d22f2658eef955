import { ErrorCodes } from '../protocol';
import { BifrostError } from '../errors';

/**
 * Runs one request at a time on a connection (Modbus devices rarely pipeline). User requests
 * (reads and writes from a client) go before scan requests; the queue is bounded so that overload
 * shows up as an error instead of a hidden backlog.
 */
export type Priority = 'user' | 'scan';

interface Job {
  run: () => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export class RequestQueue {
  private readonly user: Job[] = [];
  private readonly scan: Job[] = [];
  private busy = false;

  constructor(
    /** The connection's host:port, for messages: devices sharing a connection share its queue. */
    private readonly where: string,
    private readonly limit = 64,
  ) {}

  /** Nothing runs: a job enqueued now starts at once. */
  get idle(): boolean {
    return !this.busy;
  }

  get depth(): number {
    return this.user.length + this.scan.length + (this.busy ? 1 : 0);
  }

  enqueue<T>(priority: Priority, run: () => Promise<T>): Promise<T> {
    const q = priority === 'user' ? this.user : this.scan;
    if (q.length >= this.limit) {
      return Promise.reject(
        new BifrostError(ErrorCodes.DeviceBusy, `${q.length} requests already waiting for ${this.where}; try again later`),
      );
    }
    if (!this.busy) return this.runAlone(run);
    return new Promise<T>((resolve, reject) => {
      q.push({ run, resolve: resolve as (v: unknown) => void, reject });
    });
  }

  /**
   * The common case, an idle connection: run at once, then serve whatever queued meanwhile. No
   * promise of its own: the job's is the caller's (requests are most of what the gateway does).
   */
  private runAlone<T>(run: () => Promise<T>): Promise<T> {
    this.busy = true;
    let p: Promise<T>;
    try {
      p = run();
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(this.release, this.release);
    return p;
  }

  private readonly release = (): void => {
    this.busy = false;
    if (this.user.length > 0 || this.scan.length > 0) void this.pump();
  };

  /** Fails every waiting job (the one in flight finishes or fails on its own). */
  failAll(err: unknown): void {
    for (const job of this.user.splice(0)) job.reject(err);
    for (const job of this.scan.splice(0)) job.reject(err);
  }

  private async pump(): Promise<void> {
    this.busy = true;
    try {
      for (;;) {
        const job = this.user.shift() ?? this.scan.shift();
        if (!job) return;
        try {
          job.resolve(await job.run());
        } catch (err) {
          job.reject(err);
        }
      }
    } finally {
      this.busy = false;
    }
  }
}
