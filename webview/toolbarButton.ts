import type { VscodeToolbarButton } from '@vscode-elements/elements/dist/vscode-toolbar-button/vscode-toolbar-button.js';

/** A panel toolbar's icon button, its label also its tooltip (for the Live Data and inspector panels). */
export function toolbarButton(icon: string, label: string, onClick: () => void): VscodeToolbarButton {
  const b = document.createElement('vscode-toolbar-button');
  b.icon = icon;
  b.setAttribute('label', label);
  b.title = label;
  b.addEventListener('click', onClick);
  return b;
}
