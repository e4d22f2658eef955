import * as vscode from 'vscode';
import { ModbusProbe, ModbusReadRange } from '../../gateway/protocol';
import {
  DEFAULT_COUNT,
  DEFAULT_POLL_MS,
  isFromInspector,
  type FromInspector,
  type InspectorDevice,
  type InspectorRange,
  type InspectorRead,
  type InspectorSettings,
  type InspectorTagRequest,
  type ToInspector,
} from '../../webview/inspectorMessages';
import { userMessage } from '../client/errors';
import type { Gateway } from '../client/gateway';
import { makeNonce, renderPanelPage } from '../liveData/html';
import { webviewRoot } from '../liveData/liveDataPanel';
import { RangePoller, sameRange } from './rangePoller';

/**
 * Makes a tag of a row and tells the person how it went; resolves to the tag's name, undefined
 * when they cancelled, and rejects (after telling them) when it could not be made.
 */
export type AddTag = (tag: InspectorTagRequest) => Promise<string | undefined>;

/** A message a panel posted to its webview, and whether VS Code delivered it. */
export interface PostedInspectorMessage {
  readonly message: ToInspector;
  readonly delivered: boolean;
}

export const INITIAL_SETTINGS: InspectorSettings = { area: 'holding', start: 0, count: DEFAULT_COUNT, intervalMs: DEFAULT_POLL_MS, paused: false };

/**
 * One register inspector panel, on one Modbus device. The host owns the reading: a RangePoller
 * asks the gateway for the range (one read in flight at most), only while the panel is visible;
 * the webview shows what it is sent and asks for another range, a probe, or a tag.
 */
export class InspectorPanel implements vscode.Disposable {
  private readonly poller: RangePoller<InspectorRead>;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  private readonly postEmitter = new vscode.EventEmitter<PostedInspectorMessage>();
  private last: InspectorRead | undefined;
  private probing = false;
  private disposed = false;

  readonly onDidDispose = this.disposeEmitter.event;
  /** Every message posted to the webview, once VS Code says whether it was delivered (tests and diagnostics). */
  readonly onDidPost = this.postEmitter.event;

  constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    readonly gateway: Gateway,
    readonly device: InspectorDevice,
    private readonly log: vscode.LogOutputChannel,
    private readonly addTag: AddTag,
  ) {
    const root = webviewRoot(extensionUri);
    const webview = panel.webview;
    webview.options = { enableScripts: true, localResourceRoots: [root] };
    webview.html = renderPanelPage(
      {
        cspSource: webview.cspSource,
        nonce: makeNonce(),
        scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'inspector.js')).toString(),
        styleUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'inspector.css')).toString(),
        codiconUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'codicon.css')).toString(),
      },
      `Registers: ${device.name}`,
    );
    this.poller = new RangePoller<InspectorRead>(INITIAL_SETTINGS, {
      read: (range) => this.read(range),
      answered: (_range, read) => {
        this.last = read;
        this.post({ type: 'read', read });
      },
      failed: (range, err) => {
        const error = userMessage(err);
        this.log.debug(`Inspector: reading ${device.id} ${range.area} ${range.start}+${range.count} failed: ${error}`);
        this.post({ type: 'readFailed', range, error, timestamp: Date.now() });
      },
    });
    this.disposables.push(
      this.disposeEmitter,
      this.postEmitter,
      panel.onDidDispose(() => this.dispose()),
      panel.onDidChangeViewState(() => this.poller.setActive(panel.visible)),
      webview.onDidReceiveMessage((m: unknown) => void this.handle(m)),
    );
  }

  get settings(): InspectorSettings {
    return this.poller.settings;
  }

  /** Reads started so far (tests and diagnostics). */
  get reads(): number {
    return this.poller.reads;
  }

  reveal(): void {
    this.panel.reveal(undefined, false);
  }

  /** A message from the webview (the page posts them; tests may hand them in the same way). */
  async handle(message: unknown): Promise<void> {
    if (this.disposed) return;
    if (!isFromInspector(message)) {
      this.log.warn(`Inspector: ignored a malformed message from the panel: ${JSON.stringify(message)?.slice(0, 200)}`);
      return;
    }
    await this.received(message);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.poller.dispose();
    this.disposeEmitter.fire();
    this.panel.dispose();
    for (const d of this.disposables) d.dispose();
  }

  private async received(message: FromInspector): Promise<void> {
    switch (message.type) {
      case 'ready': {
        const settings = this.poller.settings;
        const last = this.last && sameRange(this.last, settings) ? this.last : undefined;
        this.post({ type: 'init', device: this.device, settings, ...(last ? { last } : {}) });
        // A page (re)loads when the panel is shown: it reads from then on.
        this.poller.setActive(this.panel.visible);
        break;
      }
      case 'settings':
        this.poller.update(message.settings);
        break;
      case 'refresh':
        this.poller.readNow();
        break;
      case 'probe':
        await this.probe(message.range);
        break;
      case 'addTag':
        try {
          const name = await this.addTag(message.tag);
          if (name !== undefined) this.post({ type: 'tagAdded', name, area: message.tag.area, address: message.tag.address });
        } catch (err) {
          // The person is told by the one who added it (a notification); the panel shows it too.
          this.post({ type: 'tagFailed', error: userMessage(err) });
        }
        break;
    }
  }

  private read(range: InspectorRange): Promise<InspectorRead> {
    return this.gateway.ctx.request(ModbusReadRange, { deviceId: this.device.id, ...range });
  }

  /** One probe at a time: a second click while one runs waits for nothing and changes nothing. */
  private async probe(range: InspectorRange): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    this.post({ type: 'probing', range });
    try {
      const result = await this.gateway.ctx.request(ModbusProbe, { deviceId: this.device.id, ...range });
      this.log.info(`Inspector: probed ${this.device.id} ${range.area} ${range.start}+${range.count} in ${result.requests} request(s)`);
      this.post({ type: 'probe', probe: { ...range, ...result } });
    } catch (err) {
      this.post({ type: 'probeFailed', range, error: userMessage(err) });
    } finally {
      this.probing = false;
    }
  }

  private post(message: ToInspector): void {
    if (this.disposed) return;
    this.panel.webview.postMessage(message).then(
      (delivered) => {
        this.postEmitter.fire({ message, delivered });
        // Not delivered: the page is (re)loading; it says `ready` and gets everything again.
        if (!delivered) this.log.trace(`Inspector: a ${message.type} message was not delivered.`);
      },
      (err: unknown) => this.log.warn(`Inspector: could not post to the panel: ${String(err)}`),
    );
  }
}
