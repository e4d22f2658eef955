import * as vscode from 'vscode';
import type { Prompts } from '../commands/prompts';
import type { Log } from '../log/log';
import { describeState, RemoteClient, type RemoteState } from './remoteClient';

/** One entry of the `bifrost.remoteGateways` setting: where a gateway is. Its token is never here. */
export interface RemoteGatewayEntry {
  name?: string;
  url: string;
}

const SETTING = 'remoteGateways';
const TOKEN_KEY_PREFIX = 'bifrost.remoteToken/';
/** Pinned certificate fingerprints per URL: in globalState, apart from the tokens. */
const PINS_KEY = 'bifrost.remotePins';

export interface RemoteGateway {
  readonly entry: RemoteGatewayEntry;
  readonly label: string;
  readonly client: RemoteClient | undefined;
  readonly state: RemoteState | { kind: 'noToken' };
}

/**
 * The remote gateways of the `bifrost.remoteGateways` setting, each with a RemoteClient whose token
 * comes from SecretStorage and whose certificate pin comes from globalState. A certificate no CA
 * vouches for is trusted only after a modal question showing its SHA-256 fingerprint; a changed
 * one is refused with an error, and is not retried until the person acts.
 */
export class RemoteGateways implements vscode.Disposable {
  private readonly remotes = new Map<string, { entry: RemoteGatewayEntry; client: RemoteClient | undefined }>();
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [this.changeEmitter];
  readonly onDidChange = this.changeEmitter.event;

  constructor(
    private readonly extension: vscode.ExtensionContext,
    private readonly log: Log,
    private readonly prompts: Prompts,
  ) {
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`bifrost.${SETTING}`)) void this.sync();
      }),
    );
  }

  get all(): RemoteGateway[] {
    return [...this.remotes.values()].map(({ entry, client }) => ({
      entry,
      label: entry.name || entry.url,
      client,
      state: client ? client.state : { kind: 'noToken' },
    }));
  }

  /** Starts a client for every entry of the setting that has a token, and stops the ones removed. */
  async sync(): Promise<void> {
    const entries = readEntries(this.log);
    const urls = new Set(entries.map((e) => e.url));
    for (const [url, r] of this.remotes) {
      if (urls.has(url)) continue;
      r.client?.dispose();
      this.remotes.delete(url);
    }
    for (const entry of entries) {
      const known = this.remotes.get(entry.url);
      if (known) {
        known.entry = entry;
        continue;
      }
      const token = await this.extension.secrets.get(TOKEN_KEY_PREFIX + entry.url);
      const client = token ? this.clientFor(entry, token) : undefined;
      this.remotes.set(entry.url, { entry, client });
      client?.start();
    }
    this.changeEmitter.fire();
  }

  /** `Bifrost: Connect to Gateway…`. */
  async connect(): Promise<void> {
    const url = await this.prompts.inputBox({
      title: 'Connect to Gateway (1/2)',
      prompt: 'The gateway\u2019s WebSocket address',
      placeHolder: 'wss://gateway.plant.example:8443/rpc',
      ignoreFocusOut: true,
      validateInput: validateUrl,
    });
    if (!url) return;
    const token = await this.prompts.inputBox({
      title: 'Connect to Gateway (2/2)',
      prompt: `The token for ${url} (kept in VS Code's secret storage, never in settings)`,
      password: true,
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() ? undefined : 'token: a token is needed (the gateway prints one: gateway token add NAME --read-write)'),
    });
    if (!token) return;
    await this.extension.secrets.store(TOKEN_KEY_PREFIX + url, token.trim());
    // A new token for a known URL: start that client again with it.
    this.remotes.get(url)?.client?.dispose();
    this.remotes.delete(url);
    const entries = readEntries(this.log);
    if (!entries.some((e) => e.url === url)) {
      await vscode.workspace.getConfiguration('bifrost').update(SETTING, [...entries, { url }], vscode.ConfigurationTarget.Global);
    }
    await this.sync();
  }

  /** Disconnects and removes a remote gateway: its setting entry, token and pin. */
  async remove(url?: string): Promise<void> {
    if (!url) {
      const picked = await this.prompts.quickPick(
        this.all.map((r) => ({ label: r.label, description: r.entry.url, url: r.entry.url })),
        { title: 'Disconnect and remove a gateway' },
      );
      if (!picked) return;
      url = picked.url;
    }
    const entries = readEntries(this.log).filter((e) => e.url !== url);
    await vscode.workspace.getConfiguration('bifrost').update(SETTING, entries, vscode.ConfigurationTarget.Global);
    await this.extension.secrets.delete(TOKEN_KEY_PREFIX + url);
    const pins = { ...this.pins() };
    delete pins[url];
    await this.extension.globalState.update(PINS_KEY, pins);
    await this.sync();
  }

  dispose(): void {
    for (const r of this.remotes.values()) r.client?.dispose();
    this.remotes.clear();
    this.disposables.forEach((d) => d.dispose());
  }

  private pins(): Record<string, string> {
    return this.extension.globalState.get<Record<string, string>>(PINS_KEY) ?? {};
  }

  private clientFor(entry: RemoteGatewayEntry, token: string): RemoteClient {
    const pinned = this.pins()[entry.url];
    const client = new RemoteClient({ url: entry.url, token, ...(pinned ? { pinnedFingerprint: pinned } : {}) });
    client.onDidChangeState((s) => {
      const line = `remote ${entry.name || entry.url}: ${describeState(s)}`;
      if (s.kind === 'certificateChanged' || s.kind === 'refused') this.log.error(line);
      else this.log.info(line);
      this.changeEmitter.fire();
      if (s.kind === 'untrusted') void this.askTrust(entry, client, s.fingerprint);
      if (s.kind === 'certificateChanged') {
        void this.prompts.modal(
          'error',
          `The certificate of ${entry.name || entry.url} CHANGED. The token was not sent.`,
          `Pinned SHA-256:\n${s.pinned}\n\nPresented:\n${s.presented}\n\nIf the gateway got a new certificate on purpose, remove this gateway and connect again.`,
        );
      }
    });
    return client;
  }

  private async askTrust(entry: RemoteGatewayEntry, client: RemoteClient, fingerprint: string): Promise<void> {
    const trust = 'Trust This Certificate';
    const answer = await this.prompts.modal(
      'warning',
      `${entry.url} presents a certificate no trusted authority signed.`,
      `SHA-256 fingerprint:\n${fingerprint}\n\nCompare it with the one the gateway's owner gave you. The token is sent only after you trust it.`,
      trust,
    );
    if (answer !== trust) return;
    await this.extension.globalState.update(PINS_KEY, { ...this.pins(), [entry.url]: fingerprint });
    client.stop();
    client.pin(fingerprint);
    client.start();
  }
}

export function validateUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return 'url: not a URL (expected ws://HOST:PORT/rpc or wss://HOST:PORT/rpc)';
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') return `url: expected ws:// or wss://, got ${url.protocol}//`;
  return undefined;
}

/** The setting's entries; a malformed one is skipped with a warning naming it. */
function readEntries(log: Log): RemoteGatewayEntry[] {
  const raw = vscode.workspace.getConfiguration('bifrost').get<unknown>(SETTING) ?? [];
  if (!Array.isArray(raw)) {
    log.warn(`bifrost.${SETTING}: expected an array of {name?, url}`);
    return [];
  }
  const entries: RemoteGatewayEntry[] = [];
  raw.forEach((e: unknown, i) => {
    const url = (e as { url?: unknown } | null)?.url;
    const name = (e as { name?: unknown } | null)?.name;
    const problem = typeof url === 'string' ? validateUrl(url) : 'url: missing';
    if (problem) return log.warn(`bifrost.${SETTING}[${i}].${problem}`);
    entries.push({ url: (url as string).trim(), ...(typeof name === 'string' && name ? { name } : {}) });
  });
  return entries;
}
