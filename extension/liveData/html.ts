import { randomBytes } from 'node:crypto';

/** Where a panel's page loads its files from, as webview URIs. */
export interface LiveDataPageResources {
  /** `webview.cspSource`: the origin of the files below. */
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
  codiconUri: string;
}

/** The Live Data panel's page (see renderPanelPage). */
export function renderLiveDataPage(r: LiveDataPageResources): string {
  return renderPanelPage(r, 'Live Data');
}

/**
 * A panel's page: a shell with no data in it. Everything shown arrives later through typed
 * messages. The CSP allows only the extension's own files and the one nonce'd module script;
 * styles come from files (no inline style attributes needed).
 */
export function renderPanelPage(r: LiveDataPageResources, title: string): string {
  const csp = [
    "default-src 'none'",
    `img-src ${r.cspSource} data:`,
    `font-src ${r.cspSource}`,
    `style-src ${r.cspSource}`,
    `script-src 'nonce-${r.nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" id="vscode-codicon-stylesheet" href="${attr(r.codiconUri)}">
<link rel="stylesheet" href="${attr(r.styleUri)}">
<title>${attr(title)}</title>
</head>
<body>
<div id="app"></div>
<script type="module" nonce="${attr(r.nonce)}" src="${attr(r.scriptUri)}"></script>
</body>
</html>`;
}

/** A random nonce for the page's CSP. */
export function makeNonce(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(32), (b) => alphabet[b % alphabet.length]).join('');
}

function attr(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}
