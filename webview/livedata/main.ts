// Entry of the Live Data panel's webview bundle.
import 'uplot/dist/uPlot.min.css';
import './livedata.css';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-toolbar-button/index.js';
import { LiveDataApp } from './app';
import { acquirePanelHost } from './vscodeApi';

const root = document.getElementById('app');
if (root) new LiveDataApp(root, acquirePanelHost());
