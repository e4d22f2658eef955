/**
 * The slice of the `vscode` API the Live Data host uses, in memory, so the host's real code can
 * run under mocha: panels whose visibility the test sets, webviews that record what they were
 * sent, and a way to deliver messages from the page.
 */
import { installFakeModule } from './fakeModule';

type Listener<T> = (e: T) => unknown;

export class FakeEventEmitter<T> {
  private listeners = new Set<Listener<T>>();
  readonly event = (listener: Listener<T>) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  dispose(): void {
    this.listeners.clear();
  }
  get listenerCount(): number {
    return this.listeners.size;
  }
}

export class FakeUri {
  constructor(readonly path: string) {}
  static joinPath(base: FakeUri, ...parts: string[]): FakeUri {
    return new FakeUri([base.path, ...parts].join('/'));
  }
  toString(): string {
    return `fake-resource:${this.path}`;
  }
}

export class FakeWebview {
  options: unknown = {};
  html = '';
  readonly cspSource = 'fake-resource:';
  readonly sent: unknown[] = [];
  /** False while the page is (re)loading: messages are not delivered. */
  alive = true;
  readonly receive = new FakeEventEmitter<unknown>();
  readonly onDidReceiveMessage = this.receive.event;
  asWebviewUri(uri: FakeUri): FakeUri {
    return uri;
  }
  postMessage(message: unknown): Promise<boolean> {
    if (this.alive) this.sent.push(JSON.parse(JSON.stringify(message)));
    return Promise.resolve(this.alive);
  }
}

export class FakeWebviewPanel {
  readonly webview = new FakeWebview();
  visible = true;
  active = true;
  disposed = false;
  revealed = 0;
  private readonly disposeEmitter = new FakeEventEmitter<void>();
  private readonly viewStateEmitter = new FakeEventEmitter<{ webviewPanel: FakeWebviewPanel }>();
  readonly onDidDispose = this.disposeEmitter.event;
  readonly onDidChangeViewState = this.viewStateEmitter.event;

  constructor(
    readonly viewType: string,
    public title: string,
  ) {}

  reveal(): void {
    this.revealed++;
    this.setView(true, true);
  }
  /** What VS Code does when the user switches tabs. */
  setView(visible: boolean, active: boolean): void {
    this.visible = visible;
    this.active = active;
    this.viewStateEmitter.fire({ webviewPanel: this });
  }
  /** The user closes the tab. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.visible = false;
    this.disposeEmitter.fire();
  }
}

export interface Serializer {
  deserializeWebviewPanel(panel: FakeWebviewPanel, state: unknown): Promise<void>;
}

export const fakeWindow = {
  created: [] as FakeWebviewPanel[],
  serializers: new Map<string, Serializer>(),
  createWebviewPanel(viewType: string, title: string): FakeWebviewPanel {
    const panel = new FakeWebviewPanel(viewType, title);
    // A new panel takes focus from the others.
    for (const other of fakeWindow.created) if (!other.disposed && other.active) other.setView(other.visible, false);
    fakeWindow.created.push(panel);
    return panel;
  },
  registerWebviewPanelSerializer(viewType: string, serializer: Serializer) {
    fakeWindow.serializers.set(viewType, serializer);
    return { dispose: () => fakeWindow.serializers.delete(viewType) };
  },
};

export const fakeVscode = {
  EventEmitter: FakeEventEmitter,
  Uri: FakeUri,
  ViewColumn: { Active: -1, Beside: -2, One: 1 },
  window: fakeWindow,
};

export interface LogLine {
  level: string;
  text: string;
}

export function fakeLog(lines: LogLine[]) {
  const at = (level: string) => (text: string) => lines.push({ level, text });
  return { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Makes `require('vscode')` return the fake until the returned function is called. */
export function installFakeVscode(): () => void {
  return installFakeModule('vscode', 'in-memory test double', fakeVscode);
}
