/**
 * The store-and-forward buffer of a publisher: the readings it could not publish while its broker
 * (or its primary host) was away, kept on disk in SQLite (better-sqlite3) until the broker has
 * acknowledged them, so that neither an outage nor a killed gateway loses them. Rows are kept in
 * the order the readings arrived (`ord`), one row per device per batch; a row leaves the buffer
 * only once what carried it was acknowledged. Bounded: when the readings held exceed `maxBytes`,
 * the oldest rows go, counted as dropped.
 *
 * The database is written in WAL mode with synchronous=NORMAL: a transaction that returned is in
 * the operating system's hands, so a process killed at any moment loses nothing that was appended
 * (a power cut may lose the last moments: the price of not calling fsync per batch).
 */
import type { Database, Statement } from 'better-sqlite3';
import { errorMessage } from '../errors';
import type { Quality, TagReading, TagValue } from '../protocol';

/** A reading as the buffer keeps it: only what a publisher sends on. */
export type StoredReading = Pick<TagReading, 'tag' | 'value' | 'quality' | 'timestamp'>;

export interface BufferedBatch {
  ord: number;
  device: string;
  readings: StoredReading[];
}

/** Rows are priced at their JSON text plus what SQLite keeps beside it (ord, device, index). */
const ROW_OVERHEAD = 48;

type Row = { ord: number; device: string; body: string };
type Compact = [string, TagValue, Quality, number];

export class ForwardBuffer {
  private readonly db: Database;
  private readonly insert: Statement<[number, string, string, number, number]>;
  private readonly oldest: Statement<[number], Row>;
  private readonly remove: Statement<[number]>;
  private readonly first: Statement<[], { ord: number; bytes: number; n: number }>;
  private readonly size: Statement<[number], { bytes: number; n: number }>;
  private bytesHeld: number;
  private valuesHeld: number;
  private nextOrd: number;
  /** Values dropped since this buffer opened (the buffer was full). */
  dropped = 0;

  /** Opens (or creates) the buffer in `file`; throws with the reason when it cannot. */
  constructor(
    readonly file: string,
    readonly maxBytes: number,
  ) {
    const open = loadSqlite();
    try {
      this.db = new open(file);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS pending (ord INTEGER PRIMARY KEY, device TEXT NOT NULL, body TEXT NOT NULL, bytes INTEGER NOT NULL, "values" INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      `);
    } catch (err) {
      throw new Error(`cannot open the store-and-forward buffer ${file}: ${errorMessage(err)}`);
    }
    this.insert = this.db.prepare('INSERT OR REPLACE INTO pending (ord, device, body, bytes, "values") VALUES (?, ?, ?, ?, ?)');
    this.oldest = this.db.prepare('SELECT ord, device, body FROM pending WHERE ord > ? ORDER BY ord LIMIT 1');
    this.remove = this.db.prepare('DELETE FROM pending WHERE ord = ?');
    this.first = this.db.prepare('SELECT ord, bytes, "values" AS n FROM pending ORDER BY ord LIMIT 1');
    this.size = this.db.prepare('SELECT bytes, "values" AS n FROM pending WHERE ord = ?');
    const totals = this.db.prepare('SELECT COALESCE(SUM(bytes), 0) AS bytes, COALESCE(SUM("values"), 0) AS n, COALESCE(MAX(ord), 0) AS last FROM pending').get() as { bytes: number; n: number; last: number };
    this.bytesHeld = totals.bytes;
    this.valuesHeld = totals.n;
    this.nextOrd = totals.last + 1;
  }

  /** Values held, waiting for the broker. */
  get values(): number {
    return this.valuesHeld;
  }

  /** The bytes the held readings take (the limit's measure; the file is larger). */
  get bytes(): number {
    return this.bytesHeld;
  }

  /** The order number the next batch gets: a batch sent live keeps it, to come back in place if its send fails. */
  takeOrd(): number {
    return this.nextOrd++;
  }

  /**
   * Keeps a batch of readings of one device; `ord` (from takeOrd) puts a batch that failed live
   * back in its place. Returns how many values were dropped to make room (oldest first); a batch
   * larger than the whole buffer is dropped itself.
   */
  append(device: string, readings: readonly StoredReading[], ord = this.takeOrd()): number {
    if (readings.length === 0) return 0;
    const body = JSON.stringify(readings.map((r): Compact => [r.tag, r.value, r.quality, r.timestamp]));
    const bytes = Buffer.byteLength(body) + device.length + ROW_OVERHEAD;
    if (bytes > this.maxBytes) {
      this.dropped += readings.length;
      return readings.length;
    }
    let droppedNow = 0;
    this.db.transaction(() => {
      while (this.bytesHeld + bytes > this.maxBytes) {
        const first = this.first.get();
        if (!first) break;
        this.remove.run(first.ord);
        this.bytesHeld -= first.bytes;
        this.valuesHeld -= first.n;
        droppedNow += first.n;
      }
      this.insert.run(ord, device, body, bytes, readings.length);
    })();
    this.bytesHeld += bytes;
    this.valuesHeld += readings.length;
    this.dropped += droppedNow;
    return droppedNow;
  }

  /** The first batch after `afterOrd` (-1 for the oldest), or undefined when none is left. */
  next(afterOrd: number): BufferedBatch | undefined {
    const row = this.oldest.get(afterOrd);
    if (!row) return undefined;
    let readings: StoredReading[];
    try {
      readings = (JSON.parse(row.body) as Compact[]).map(([tag, value, quality, timestamp]) => ({ tag, value, quality, timestamp }));
    } catch {
      // Not ours or damaged: nothing a broker could be sent; it must not block the rest.
      readings = [];
    }
    return { ord: row.ord, device: row.device, readings };
  }

  /** Removes batches once the broker acknowledged what carried them (or they can never be sent). */
  done(ords: readonly number[]): void {
    this.db.transaction(() => {
      for (const ord of ords) {
        const row = this.size.get(ord);
        if (!row) continue;
        this.remove.run(ord);
        this.bytesHeld -= row.bytes;
        this.valuesHeld -= row.n;
      }
    })();
  }

  /** A small value kept with the buffer (e.g. the edge node's bdSeq), surviving restarts. */
  getState(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM state WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setState(key: string, value: string): void {
    this.db.prepare('INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)').run(key, value);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

type SqliteConstructor = new (file: string) => Database;
let sqlite: SqliteConstructor | undefined;

/** Why this gateway cannot keep a buffer (better-sqlite3 missing or not built for this Node), or undefined. */
export function sqliteProblem(): string | undefined {
  try {
    loadSqlite();
    return undefined;
  } catch (err) {
    return errorMessage(err);
  }
}

/**
 * better-sqlite3, loaded when a buffer is first opened: a native module, present where the
 * gateway runs from its npm package, absent from the VS Code extension's bundle.
 */
function loadSqlite(): SqliteConstructor {
  if (sqlite) return sqlite;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a native module, loaded on first use
    const open = require('better-sqlite3') as SqliteConstructor;
    // The native binding loads with the first database, not with the package.
    new open(':memory:').close();
    sqlite = open;
    return open;
  } catch (err) {
    throw new Error(`store-and-forward needs the better-sqlite3 package, which did not load on ${process.platform}-${process.arch} (Node ${process.version}): ${errorMessage(err)}`);
  }
}
