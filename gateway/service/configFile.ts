/**
 * The `--config` file of a running gateway: loaded at start, loaded again when it changes (the
 * folder is watched, since editors save by writing a new file and renaming it over the old one)
 * and on SIGHUP. A version that cannot be used is logged and the running devices stay as they
 * were, the same rule as the extension's.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseConfigText } from '../configText';
import { errorMessage } from '../errors';
import type { Logger } from '../log';
import type { ConfigLoadResult } from '../protocol';

/** Saves come as bursts of events (truncate, write, rename): one reload after the last. */
const DEBOUNCE_MS = 200;

export class ConfigFile {
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** The text last read, so that an event without a change (a touch, a save of the same text) does not reload. */
  private lastText: string | null = null;
  private running: Promise<void> = Promise.resolve();
  private again: 'change' | 'signal' | null = null;
  private busy = false;

  constructor(
    readonly file: string,
    private readonly apply: (doc: unknown) => Promise<ConfigLoadResult>,
    private readonly log: Logger,
  ) {}

  /** The first load: throws when the file cannot be read, parsed or used (the caller exits). */
  async load(): Promise<ConfigLoadResult> {
    const text = await readFile(this.file, 'utf8');
    this.lastText = text;
    const result = await this.apply(parseConfigText(text));
    this.log.info(`loaded ${this.file}: ${this.summary(result)}`);
    return result;
  }

  /** Watches the file's folder from now on; a folder that cannot be watched leaves SIGHUP. */
  watch(): void {
    const dir = path.dirname(this.file);
    const name = path.basename(this.file);
    try {
      this.watcher = watch(dir, (_event, changed) => {
        // Some platforms do not say which file changed: then it may be ours.
        if (changed && changed.toString() !== name) return;
        if (this.timer) clearTimeout(this.timer);
        this.timer = setTimeout(() => {
          this.timer = null;
          this.reload('change');
        }, DEBOUNCE_MS);
      });
      this.watcher.on('error', (err) => {
        this.log.warn(`stopped watching ${dir} (${errorMessage(err)}); send SIGHUP to reload ${this.file}`);
        this.close();
      });
    } catch (err) {
      this.log.warn(`cannot watch ${dir} (${errorMessage(err)}); send SIGHUP to reload ${this.file}`);
    }
  }

  /** Loads the file again; reloads asked for while one runs are done once, after it. */
  reload(why: 'change' | 'signal'): Promise<void> {
    if (this.busy) {
      if (this.again !== 'signal') this.again = why;
      return this.running;
    }
    this.busy = true;
    this.running = (async () => {
      let next: 'change' | 'signal' | null = why;
      while (next) {
        this.again = null;
        await this.reloadOnce(next);
        next = this.again;
      }
      this.busy = false;
    })();
    return this.running;
  }

  private async reloadOnce(why: 'change' | 'signal'): Promise<void> {
    const keep = 'the devices keep running as they were';
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      this.log.error(`cannot reload ${this.file}: ${errorMessage(err)}; ${keep}`);
      return;
    }
    if (why === 'change' && text === this.lastText) return;
    this.lastText = text;
    let doc: unknown;
    try {
      doc = parseConfigText(text);
    } catch (err) {
      this.log.error(`cannot reload ${this.file}: ${errorMessage(err)}; ${keep}`);
      return;
    }
    try {
      const result = await this.apply(doc);
      this.log.info(`reloaded ${this.file}${why === 'signal' ? ' (SIGHUP)' : ''}: ${this.summary(result)}`);
    } catch (err) {
      // Not a configuration at all (e.g. no "devices" array): the server said why, and kept the devices.
      this.log.error(`cannot reload ${this.file}: ${errorMessage(err)}`);
    }
  }

  private summary({ devices, problems }: ConfigLoadResult): string {
    const errors = problems.filter((p) => p.severity === 'error').length;
    return `${devices.length} device${devices.length === 1 ? '' : 's'}${errors ? `, ${errors} error${errors === 1 ? '' : 's'} (see above)` : ''}`;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.watcher?.close();
    this.watcher = null;
  }
}
