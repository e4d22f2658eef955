import * as vscode from 'vscode';
import { NodeAttributes } from '../../gateway/protocol';
import type { NodeAttributesResult } from '../../gateway/protocol';
import { userMessage } from '../client/errors';
import type { Gateways } from '../client/gateways';
import { attributesText } from './attributesText';

export const ATTRIBUTES_SCHEME = 'bifrost-attributes';

interface NodeAddress {
  gatewayId: string;
  deviceId: string;
  ref: string;
  label: string;
}

/**
 * Attributes of nodes as read-only documents, one per node: opening the same node again shows
 * its tab, and two nodes can be compared side by side. Plain text, so it can be searched and
 * copied; Refresh (the editor's title button) reads the node again.
 */
export class AttributesDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  /** Per URI: the last answer, so that VS Code asking again (a tab shown again) costs no request. */
  private readonly texts = new Map<string, string>();
  private readonly registration: vscode.Disposable;

  readonly onDidChange = this.emitter.event;

  constructor(private readonly gateways: Gateways) {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(ATTRIBUTES_SCHEME, this);
  }

  /** Reads the node's attributes (a failure is thrown: the caller says why) and opens its document. */
  async open(address: NodeAddress): Promise<vscode.TextDocument> {
    const uri = uriOf(address);
    this.texts.set(uri.toString(), await this.read(address));
    this.emitter.fire(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { preview: false });
    return doc;
  }

  /** Reads the node again; a failure shows in the document itself. */
  async refresh(uri: vscode.Uri): Promise<void> {
    const address = addressOf(uri);
    if (!address) return;
    let text: string;
    try {
      text = await this.read(address);
    } catch (err) {
      text = `${headingOf(address)}\n\nCould not read the attributes: ${userMessage(err)}\n`;
    }
    this.texts.set(uri.toString(), text);
    this.emitter.fire(uri);
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const known = this.texts.get(uri.toString());
    if (known !== undefined) return known;
    await this.refresh(uri);
    return this.texts.get(uri.toString()) ?? '';
  }

  dispose(): void {
    this.registration.dispose();
    this.emitter.dispose();
  }

  private async read(address: NodeAddress): Promise<string> {
    const gateway = this.gateways.get(address.gatewayId);
    if (!gateway) throw new Error(`The gateway of ${address.deviceId} is no longer there.`);
    const result: NodeAttributesResult = await gateway.ctx.request(NodeAttributes, { deviceId: address.deviceId, node: address.ref });
    return attributesText(headingOf(address), result, new Date());
  }
}

function headingOf(a: NodeAddress): string {
  return `${a.label} (${a.ref}) on ${a.deviceId}`;
}

/** The tab is named after the node; what to read travels in the query. */
function uriOf(a: NodeAddress): vscode.Uri {
  const name = `${a.label} attributes`.replace(/[/\\?#%]/g, '_');
  return vscode.Uri.from({ scheme: ATTRIBUTES_SCHEME, path: `/${a.deviceId}/${name}`, query: JSON.stringify([a.gatewayId, a.deviceId, a.ref, a.label]) });
}

function addressOf(uri: vscode.Uri): NodeAddress | undefined {
  if (uri.scheme !== ATTRIBUTES_SCHEME) return undefined;
  try {
    const [gatewayId, deviceId, ref, label] = JSON.parse(uri.query) as unknown[];
    if ([gatewayId, deviceId, ref, label].every((x) => typeof x === 'string')) return { gatewayId, deviceId, ref, label } as NodeAddress;
  } catch {
    // Not one of ours.
  }
  return undefined;
}
