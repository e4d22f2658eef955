// Entry of the register inspector's webview bundle.
import './inspector.css';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-toolbar-button/index.js';
import { InspectorApp } from './app';
import { acquireInspectorHost } from './vscodeApi';

const root = document.getElementById('app');
if (root) new InspectorApp(root, acquireInspectorHost());
