/**
 * The slice of the `vscode` API the Tag Explorer uses, in memory, so that the tree's real code
 * runs under mocha: tree items, icons, Markdown tooltips, events and cancellation.
 */
import { installFakeModule } from './fakeModule';

type Listener<T> = (e: T) => unknown;

class EventEmitter<T> {
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
}

const TreeItemCollapsibleState = { None: 0, Collapsed: 1, Expanded: 2 } as const;

class TreeItem {
  id?: string;
  description?: string;
  tooltip?: unknown;
  contextValue?: string;
  iconPath?: unknown;
  command?: { command: string; title: string; arguments?: unknown[] };
  constructor(
    readonly label: string,
    readonly collapsibleState: number = TreeItemCollapsibleState.None,
  ) {}
}

class ThemeColor {
  constructor(readonly id: string) {}
}

class ThemeIcon {
  constructor(
    readonly id: string,
    readonly color?: ThemeColor,
  ) {}
}

class MarkdownString {
  constructor(
    public value = '',
    readonly supportThemeIcons = false,
  ) {}
  appendMarkdown(text: string): this {
    this.value += text;
    return this;
  }
}

class CancellationTokenSource {
  private readonly emitter = new EventEmitter<void>();
  readonly token = { isCancellationRequested: false, onCancellationRequested: this.emitter.event };
  cancel(): void {
    this.token.isCancellationRequested = true;
    this.emitter.fire();
  }
  dispose(): void {
    this.emitter.dispose();
  }
}

export const fakeVscode = { EventEmitter, TreeItem, TreeItemCollapsibleState, ThemeIcon, ThemeColor, MarkdownString, CancellationTokenSource };

export type FakeTreeItem = TreeItem;
export type FakeMarkdown = MarkdownString;
export { TreeItemCollapsibleState };

/** Makes `require('vscode')` return the fake until the returned function is called. */
export function installFakeVscode(): () => void {
  return installFakeModule('vscode', 'in-memory tree double', fakeVscode);
}
