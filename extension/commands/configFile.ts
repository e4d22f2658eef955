import * as vscode from 'vscode';
import { locatePointer, parseConfigText } from '../config/document';
import { newConfigText } from '../config/edits';
import type { Services } from './services';

/** Where bifrost.json is (or would be); an error a person can act on without a folder. */
export function configUri(s: Services): vscode.Uri {
  const uri = s.configSync.uri;
  if (!uri) throw new Error('Open a folder first: bifrost.json lives in the workspace folder.');
  return uri;
}

export async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

/** Open Config: bifrost.json in an editor, created empty when there is none. */
export const openConfig = (s: Services) => async () => {
  const uri = configUri(s);
  if (!(await exists(uri))) {
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(newConfigText()));
    s.gateways.local.ctx.log.info(`client: created ${uri.fsPath}`);
  }
  await vscode.window.showTextDocument(uri);
};

/**
 * Opens bifrost.json with the text at a JSON pointer selected: where a problem is, or a device's
 * entry. The Tag Explorer's rows of skipped entries and hints run it when clicked.
 */
export const openConfigAt = (s: Services) => async (pointer?: unknown) => {
  const doc = await vscode.workspace.openTextDocument(configUri(s));
  const span = locatePointer(parseConfigText(doc.getText()).root, typeof pointer === 'string' ? pointer : '');
  const selection = new vscode.Range(doc.positionAt(span.offset), doc.positionAt(span.offset + span.length));
  await vscode.window.showTextDocument(doc, { selection });
};
