import * as vscode from 'vscode';
import { shortened } from '../format';

/** How loud a message is: VS Code's information, warning and error notifications. */
export type MessageKind = 'info' | 'warning' | 'error';

/** The action on a shortened notification that shows its whole text. */
export const DETAILS = 'Details';

/** Answers the questions a command asks in place of a person (extension-host tests only). */
export interface PromptAnswerer {
  inputBox(options: vscode.InputBoxOptions): Thenable<string | undefined>;
  warning(message: string, options: vscode.MessageOptions, ...items: string[]): Thenable<string | undefined>;
  /** Without it, quick picks are shown to a person as usual. */
  quickPick?<T extends vscode.QuickPickItem>(items: readonly T[], options: vscode.QuickPickOptions): Thenable<T | undefined>;
  /** A pick of several (items with `picked` come checked); without it, shown to a person as usual. */
  quickPickMany?<T extends vscode.QuickPickItem>(items: readonly T[], options: vscode.QuickPickOptions): Thenable<readonly T[] | undefined>;
  /** Without it, the commands' notifications (results, refusals, errors) are shown as usual. */
  notify?(kind: MessageKind, message: string, ...items: string[]): Thenable<string | undefined>;
  /** The modal dialog Details opens, with the whole message; without it, Details shows nothing in tests. */
  details?(kind: MessageKind, message: string, ...items: string[]): Thenable<string | undefined>;
  /** A modal dialog with a detail text (a decision such as trusting a certificate); without it, closed in tests. */
  modal?(kind: MessageKind, message: string, detail: string, ...items: string[]): Thenable<string | undefined>;
  /** Where to save a file; without it, nothing is saved in tests. */
  saveDialog?(options: vscode.SaveDialogOptions): Thenable<vscode.Uri | undefined>;
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

  quickPickMany<T extends vscode.QuickPickItem>(items: readonly T[], options: vscode.QuickPickOptions): Thenable<readonly T[] | undefined> {
    if (this.answerer?.quickPickMany) return this.answerer.quickPickMany(items, options);
    return vscode.window.showQuickPick(items, { ...options, canPickMany: true });
  }

  /** A modal dialog with `detail` below the message: for a decision a person should read up on first. */
  modal(kind: MessageKind, message: string, detail: string, ...items: string[]): Thenable<string | undefined> {
    if (this.answerer) return this.answerer.modal ? this.answerer.modal(kind, message, detail, ...items) : Promise.resolve(undefined);
    return this.show(kind, message, { modal: true, detail }, items);
  }

  saveDialog(options: vscode.SaveDialogOptions): Thenable<vscode.Uri | undefined> {
    if (this.answerer) return this.answerer.saveDialog ? this.answerer.saveDialog(options) : Promise.resolve(undefined);
    return vscode.window.showSaveDialog(options);
  }

  warning(message: string, options: vscode.MessageOptions, ...items: string[]): Thenable<string | undefined> {
    return this.answerer ? this.answerer.warning(message, options, ...items) : vscode.window.showWarningMessage(message, options, ...items);
  }

  /**
   * A notification (not modal); resolves to the item clicked, if any. A message too long for a
   * notification shows shortened with a Details action, which opens the whole text in a modal
   * dialog that offers the same items.
   */
  async notify(kind: MessageKind, message: string, ...items: string[]): Promise<string | undefined> {
    const short = shortened(message);
    if (short === undefined) return this.show(kind, message, {}, items);
    const choice = await this.show(kind, short, {}, [...items, DETAILS]);
    if (choice !== DETAILS) return choice;
    // The whole text is the dialog's message: repeating the short form above it would say it twice.
    if (this.answerer) return this.answerer.details?.(kind, message, ...items);
    return this.show(kind, message, { modal: true }, items);
  }

  private show(kind: MessageKind, message: string, options: vscode.MessageOptions, items: string[]): Thenable<string | undefined> {
    if (this.answerer?.notify && !options.modal) return this.answerer.notify(kind, message, ...items);
    switch (kind) {
      case 'info':
        return vscode.window.showInformationMessage(message, options, ...items);
      case 'warning':
        return vscode.window.showWarningMessage(message, options, ...items);
      case 'error':
        return vscode.window.showErrorMessage(message, options, ...items);
    }
  }
}
