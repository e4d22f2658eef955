import type { FromWebview, LiveDataViewState } from '../messages';

/** The part of the webview API VS Code injects that the panel uses, typed with its messages. */
export interface PanelHost {
  postMessage(message: FromWebview): void;
  getState(): unknown;
  setState(state: LiveDataViewState): void;
}

declare function acquireVsCodeApi(): PanelHost;

/** The host API; VS Code allows acquiring it only once per page. */
export function acquirePanelHost(): PanelHost {
  return acquireVsCodeApi();
}
