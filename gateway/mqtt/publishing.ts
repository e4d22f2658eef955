/**
 * Runs the publishers bifrost.json's `"publish"` list names, each a client of the gateway in a
 * session of its own, and keeps them in step with the file: an entry that did not change keeps
 * running (its MQTT session and births untouched), a changed or removed one is stopped (NDEATH
 * published) before its successor starts.
 */
import type { MessageConnection } from 'vscode-jsonrpc';
import { errorMessage } from '../errors';
import { logger } from '../log';
import type { ConfigProblem } from '../protocol';
import * as path from 'node:path';
import { ForwardBuffer, sqliteProblem } from './forwardBuffer';
import { loadTls, type TlsOptions } from './brokerTls';
import { createHash } from 'node:crypto';
import { JsonPublisher } from './jsonPublisher';
import { DEFAULT_BUFFER_BYTES, type PublishEntry, type PublisherSettings } from './publishConfig';
import { SparkplugPublisher, type PublisherStats } from './sparkplugPublisher';

/** What Publishing needs of a publisher, whatever it speaks. */
interface Publisher {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  stats(): PublisherStats;
}

/** A connection into the gateway for one publisher, and how to end it. */
export interface PublisherSession {
  client: MessageConnection;
  close(): void;
}

interface Running {
  publisher: Publisher;
  session: PublisherSession;
  buffer?: ForwardBuffer;
}

const log = logger('publish');

/** A publisher as the file asks for it, with what only the environment and the disk hold. */
interface Wanted {
  settings: PublisherSettings;
  password?: string;
  tls?: TlsOptions;
}

const FILE_FIELDS = ['ca', 'cert', 'key'] as const;

export class Publishing {
  private readonly running = new Map<string, Running>();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly openSession: () => PublisherSession,
    /** The folder of the store-and-forward buffers (created when first needed). */
    private readonly bufferDir: () => string = () => {
      throw new Error('this gateway has no data dir for store-and-forward buffers');
    },
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** What each running publisher has done, by name. */
  stats(): (PublisherStats & { name: string })[] {
    return [...this.running.values()].map((r) => ({ name: r.publisher.name, ...r.publisher.stats() }));
  }

  /**
   * Brings the running publishers in line with `list` (validated entries, with their index in
   * the document); returns what is wrong with them that only now can be known (a password
   * variable that is not set). The publishers start in the background.
   */
  apply(list: readonly PublishEntry[]): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const wanted = new Map<string, Wanted>();
    for (const { index, settings } of list) {
      let password: string | undefined;
      if (settings.passwordEnv !== undefined) {
        password = this.env[settings.passwordEnv];
        if (password === undefined) {
          problems.push({ path: `/publish/${index}/passwordEnv`, message: `the environment variable ${settings.passwordEnv} is not set: this publisher does not start`, severity: 'error' });
          continue;
        }
      }
      let tls: TlsOptions | undefined;
      if (settings.tls) {
        const loaded = loadTls(settings.tls, this.env);
        if ('field' in loaded) {
          problems.push({ path: `/publish/${index}/tls/${loaded.field}`, message: `${loaded.message}: this publisher does not start`, severity: 'error' });
          continue;
        }
        tls = loaded.options;
      }
      if (settings.storeAndForward) {
        const missing = sqliteProblem();
        if (missing) {
          problems.push({ path: `/publish/${index}/storeAndForward`, message: `${missing}: this publisher does not start`, severity: 'error' });
          continue;
        }
      }
      // Keyed by the settings and what the files held: a renewed certificate restarts the publisher on reload.
      const key = JSON.stringify([settings, tls && FILE_FIELDS.map((f) => tls[f]?.toString('base64'))]);
      wanted.set(key, { settings, ...(password !== undefined ? { password } : {}), ...(tls ? { tls } : {}) });
    }
    this.queue = this.queue.then(() => this.sync(wanted)).catch((err: unknown) => log.error(`publishers: ${errorMessage(err)}`));
    return problems;
  }

  /** Stops every publisher (NDEATH published where connected). */
  stop(): Promise<void> {
    this.queue = this.queue.then(() => this.sync(new Map()));
    return this.queue;
  }

  private async sync(wanted: Map<string, Wanted>): Promise<void> {
    for (const [key, r] of this.running) {
      if (wanted.has(key)) continue;
      this.running.delete(key);
      await r.publisher.stop().catch((err: unknown) => log.warn(`stopping a publisher: ${errorMessage(err)}`));
      r.session.close();
      r.buffer?.close();
    }
    for (const [key, { settings, password, tls }] of wanted) {
      if (this.running.has(key)) continue;
      const what = describe(settings);
      let buffer: ForwardBuffer | undefined;
      if (settings.storeAndForward) {
        try {
          buffer = new ForwardBuffer(path.join(this.bufferDir(), bufferFileName(settings)), settings.storeAndForward.maxBytes ?? DEFAULT_BUFFER_BYTES);
        } catch (err) {
          log.error(`${what}: does not start: ${errorMessage(err)}`);
          continue;
        }
      }
      const session = this.openSession();
      // The file names the TLS files; the publisher gets what they hold.
      const { tls: _files, ...rest } = settings;
      const secrets = { ...(password !== undefined ? { password } : {}), ...(tls ? { tls } : {}), ...(buffer ? { buffer } : {}) };
      const publisher: Publisher =
        rest.type === 'sparkplug' ? new SparkplugPublisher(session.client, { ...rest, ...secrets }, log) : new JsonPublisher(session.client, { ...rest, ...secrets }, log);
      this.running.set(key, { publisher, session, ...(buffer ? { buffer } : {}) });
      try {
        await publisher.start();
        log.info(`${what}: publishing to ${settings.broker}`);
      } catch (err) {
        log.error(`${what}: cannot start: ${errorMessage(err)}`);
      }
    }
  }
}

function describe(s: PublisherSettings): string {
  return s.type === 'sparkplug' ? `sparkplug ${s.groupId}/${s.edgeNodeId}` : `mqtt-json ${s.broker} ${s.topic}`;
}

/**
 * One buffer per edge node, named after it: ids are free text, so anything but letters, digits,
 * ".", "-" and "_" is escaped, and the two are joined by "+", which no Sparkplug id holds. An
 * mqtt-json publisher's is named by a digest of its broker and topic (both free text, and long).
 */
export function bufferFileName(s: { type?: 'sparkplug'; groupId: string; edgeNodeId: string } | { type: 'mqtt-json'; broker: string; topic: string }): string {
  if (s.type === 'mqtt-json') return `mqtt-json+${createHash('sha256').update(`${s.broker}\n${s.topic}`).digest('hex').slice(0, 16)}.sqlite`;
  const safe = (id: string) => id.replace(/[^A-Za-z0-9_.-]/gu, (c) => [...Buffer.from(c)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join(''));
  return `sparkplug+${safe(s.groupId)}+${safe(s.edgeNodeId)}.sqlite`;
}
