import * as vscode from 'vscode';
import { CertificateInfo, CertificatesReject, CertificatesRemove, CertificatesTrust } from '../../gateway/protocol';
import { commonName, groupedHex, validityOf } from '../certificates/text';
import { isTreeNode } from '../tree/nodes';
import type { Services } from './services';
import { Cancelled } from './targets';

type Store = 'own' | 'trusted' | 'rejected';

interface CertificateItem extends vscode.QuickPickItem {
  store?: Store;
  certificate?: CertificateInfo;
}

interface ActionItem extends vscode.QuickPickItem {
  run(): Promise<void>;
}

const STORE_TITLES: Record<Store, string> = { own: "Bifrost's own certificate", trusted: 'Trusted servers', rejected: 'Rejected servers' };

/** The one gateway commands work on today: certificates live in the local gateway's store. */
function gatewayId(s: Services): string {
  return s.gateways.local.id;
}

function pickItem(store: Store, c: CertificateInfo): CertificateItem {
  const v = validityOf(c, new Date());
  return {
    label: `${v.validNow ? '$(pass)' : '$(warning)'} ${commonName(c.subject)}`,
    description: v.text,
    detail: `SHA-1 ${groupedHex(c.thumbprint)} · ${c.subject}${c.applicationUri ? ` · ${c.applicationUri}` : ''}`,
    store,
    certificate: c,
  };
}

/** Manage Certificates…: the gateway's own, trusted and rejected certificates, and what can be done with each. */
export const manageCertificates = (s: Services) => async () => {
  const id = gatewayId(s);
  const list = await s.certificates.list(id);
  const items: CertificateItem[] = [];
  for (const store of ['own', 'trusted', 'rejected'] as const) {
    const certs = store === 'own' ? [list.own] : list[store];
    items.push({ label: STORE_TITLES[store], kind: vscode.QuickPickItemKind.Separator });
    if (certs.length === 0) items.push({ label: store === 'trusted' ? '(none trusted yet)' : '(none rejected)', description: '' });
    for (const c of certs) items.push(pickItem(store, c));
  }
  const picked = await s.prompts.quickPick(items, { title: 'Bifrost: Manage Certificates', placeHolder: 'Certificate', matchOnDescription: true, matchOnDetail: true });
  if (!picked?.certificate || !picked.store) throw new Cancelled();
  const { certificate: c, store } = picked;
  const request = async (type: typeof CertificatesTrust, done: string) => {
    await s.gateways.local.ctx.request(type, { thumbprint: c.thumbprint });
    void s.prompts.notify('info', `${commonName(c.subject)} (${groupedHex(c.thumbprint).slice(0, 23)}…) ${done}.`);
  };
  const actions: ActionItem[] = [];
  if (store === 'rejected') actions.push({ label: '$(check) Trust', description: 'devices whose server shows it connect', run: () => request(CertificatesTrust, 'is trusted') });
  if (store === 'trusted') actions.push({ label: '$(circle-slash) Reject', description: 'devices whose server shows it are refused', run: () => request(CertificatesReject, 'is rejected') });
  if (store !== 'own') actions.push({ label: '$(trash) Remove', description: 'the next connection asks again', run: () => request(CertificatesRemove, 'is removed') });
  actions.push({ label: '$(file-text) Show Details', run: () => s.certificates.showDetails(c, STORE_TITLES[store].replace(/s$/, '')) });
  actions.push({ label: '$(copy) Copy PEM', run: () => copyPem(s, c, 'The certificate') });
  if (store === 'own') actions.push({ label: '$(save) Save…', run: () => saveCertificate(s, c) });
  const action = await s.prompts.quickPick(actions, { title: `${commonName(c.subject)}: ${STORE_TITLES[store]}`, placeHolder: 'Action' });
  if (!action) throw new Cancelled();
  await action.run();
};

async function copyPem(s: Services, c: CertificateInfo, what: string): Promise<void> {
  await vscode.env.clipboard.writeText(c.pem);
  void s.prompts.notify('info', `${what} (SHA-1 ${groupedHex(c.thumbprint)}) is on the clipboard as PEM.`);
}

/** Saves a certificate as PEM, or as DER when the file name ends in .der (some servers import only that). */
async function saveCertificate(s: Services, c: CertificateInfo): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const name = `${commonName(c.subject).replace(/[^\w.-]+/g, '_') || 'bifrost'}.pem`;
  const uri = await s.prompts.saveDialog({
    title: "Save Bifrost's Certificate",
    saveLabel: 'Save Certificate',
    filters: { 'PEM certificate': ['pem', 'crt'], 'DER certificate': ['der', 'cer'] },
    ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, name) } : {}),
  });
  if (!uri) throw new Cancelled();
  const der = /\.(der|cer)$/i.test(uri.path);
  await vscode.workspace.fs.writeFile(uri, der ? derOf(c.pem) : new TextEncoder().encode(c.pem.endsWith('\n') ? c.pem : `${c.pem}\n`));
  void s.prompts.notify('info', `Bifrost's certificate is saved in ${uri.fsPath} (${der ? 'DER' : 'PEM'}): give it to the server's administrator to trust.`);
}

function derOf(pem: string): Uint8Array {
  const body = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return Uint8Array.from(Buffer.from(body, 'base64'));
}

/** Copy Bifrost's Certificate: the gateway's own certificate as PEM, for a server's administrator. */
export const copyOwnCertificate = (s: Services) => async () => {
  const { own } = await s.certificates.list(gatewayId(s));
  await copyPem(s, own, "Bifrost's certificate");
};

/** Save Bifrost's Certificate…: the same, as a file. */
export const saveOwnCertificate = (s: Services) => async () => {
  const { own } = await s.certificates.list(gatewayId(s));
  await saveCertificate(s, own);
};

/** Review Server Certificate…: the trust prompt again, for a device whose server's certificate waits for a decision. */
export const reviewServerCertificate = (s: Services) => async (arg?: unknown) => {
  if (!isTreeNode(arg) || arg.kind !== 'device') {
    await vscode.commands.executeCommand('bifrost.manageCertificates');
    return;
  }
  if (!(await s.certificates.untrusted.review(arg.gatewayId, arg.deviceId))) {
    void s.prompts.notify('info', `No certificate of ${arg.deviceId}'s server waits for a decision. Bifrost: Manage Certificates… lists the trusted and rejected ones.`);
  }
};
