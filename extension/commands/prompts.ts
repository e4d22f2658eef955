import * as vscode from 'vscode';

/** How loud a message is: VS Code's information, warning and error notifications. */
export type MessageKind = 'info' | 'warning' | 'error';

/** Answers the questions a command asks in place of a person (extension-host tests only). */
export interface PromptAnswerer {
  inputBox(options: vscode.InputBoxOptions): Thenable<string | undefined>;
  warning(message: string, options: vscode.MessageOptions, ...items: string[]): Thenable<string | undefined>;
  /** Without it, quick picks are shown to a person as usual. */
  quickPick?<T extends vscode.QuickPickItem>(items: readonly T[], options: vscode.QuickPickOptions): Thenable<T | undefined>;
  /** Without it, the commands' notifications (results, refusals, errors) are shown as usual. */
  notify?(kind: MessageKind, message: string, ...items: string[]): Thenable<string | undefined>;
}

/**
 * The questions commands ask a person, and the notifications that tell them how a command went,
 * shown with VS Code's own widgets. Extension tests cannot type into an input box or read a
 * notification, and VS Code refuses to show modal dialogs while they run, so tests may answer
 * and listen instead; everything around the question (checks, messages, the write) stays the same.
 */
export class Prompts {
  private answerer: PromptAnswerer | undefined;

  /** Tests only: answer with `answerer` until called again with undefined. */
  answerWith(answerer: PromptAnswerer | undefined): void {
    this.answerer = answerer;
  }

  inputBox(options: vscode.InputBoxOptions): Thenable<string | undefined> {
    return this.answerer ? this.answerer.inputBox(options) : vscode.window.showInputBox(options);
  }

  quickPick<T extends vscode.QuickPickItem>(items: readonly T[], options: vscode.QuickPickOptions): Thenable<T | undefined> {
    return this.answerer?.quickPick ? this.answerer.quickPick(items, options) : vscode.window.showQuickPick(items, options);
  }

  warning(message: string, options: vscode.MessageOptions, ...items: string[]): Thenable<string | undefined> {
    return this.answerer ? this.answerer.warning(message, options, ...items) : vscode.window.showWarningMessage(message, options, ...items);
  }

  /** A notification (not modal); resolves to the item clicked, if any. */
  notify(kind: MessageKind, message: string, ...items: string[]): Thenable<string | undefined> {
    if (this.answerer?.notify) return this.answerer.notify(kind, message, ...items);
    switch (kind) {
      case 'info':
        return vscode.window.showInformationMessage(message, ...items);
      case 'warning':
        return vscode.window.showWarningMessage(message, ...items);
      case 'error':
        return vscode.window.showErrorMessage(message, ...items);
    }
  }
}
