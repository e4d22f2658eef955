import * as vscode from 'vscode';
import { LOG_LEVELS, LogLevel } from '../log/logLines';

/** Every setting the extension reads. Nothing else calls `getConfiguration`. */
export interface SettingValues {
  /** Path of bifrost.json, relative to the first workspace folder (or absolute). */
  configPath: string;
  /** Passed to the gateway as `--log-level`. */
  logLevel: LogLevel;
  /** Shortest time between two repaints of the Tag Explorer. */
  treeRefreshMs: number;
}

export interface SettingsChange {
  settings: SettingValues;
  /** Only a new gateway process picks the change up. */
  restartGateway: boolean;
  /** Settings that apply while running; the listeners read what they need from `settings`. */
  live: (keyof SettingValues)[];
}

/** The tree freezes when signalled faster than about every 200 ms: never go below this. */
const MIN_TREE_REFRESH_MS = 300;

const SECTION = 'bifrost';
const KEYS: Record<keyof SettingValues, { key: string; restart: boolean }> = {
  configPath: { key: 'configPath', restart: false },
  logLevel: { key: 'gateway.logLevel', restart: true },
  treeRefreshMs: { key: 'tree.refreshMs', restart: false },
};

/** The one reader of Bifrost's settings: the current values, and which changes need a new gateway. */
export class Settings implements vscode.Disposable {
  private values: SettingValues;
  private readonly emitter = new vscode.EventEmitter<SettingsChange>();
  private readonly listener: vscode.Disposable;

  /** Fires once per settings change that touches a Bifrost setting. */
  readonly onDidChange = this.emitter.event;

  constructor() {
    this.values = readSettings();
    this.listener = vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SECTION)) return;
      const before = this.values;
      const after = readSettings();
      this.values = after;
      const changed = (Object.keys(KEYS) as (keyof SettingValues)[]).filter((k) => before[k] !== after[k]);
      if (changed.length === 0) return;
      this.emitter.fire({
        settings: after,
        restartGateway: changed.some((k) => KEYS[k].restart),
        live: changed.filter((k) => !KEYS[k].restart),
      });
    });
  }

  get current(): SettingValues {
    return this.values;
  }

  dispose(): void {
    this.listener.dispose();
    this.emitter.dispose();
  }
}

function readSettings(): SettingValues {
  const c = vscode.workspace.getConfiguration(SECTION);
  const configPath = c.get<string>(KEYS.configPath.key, 'bifrost.json').trim() || 'bifrost.json';
  const level = c.get<string>(KEYS.logLevel.key, 'info');
  const refresh = c.get<number>(KEYS.treeRefreshMs.key, 500);
  return {
    configPath,
    logLevel: (LOG_LEVELS as readonly string[]).includes(level) ? (level as LogLevel) : 'info',
    treeRefreshMs: Number.isFinite(refresh) ? Math.max(MIN_TREE_REFRESH_MS, refresh) : 500,
  };
}
