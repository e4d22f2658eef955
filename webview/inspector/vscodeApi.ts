import type { FromInspector } from '../inspectorMessages';

/** What the inspector's page keeps across reloads itself: the view only (the host keeps the range). */
export interface InspectorViewState {
  byteOrder: string;
}

/** The part of the webview API VS Code injects that the panel uses, typed with its messages. */
export interface InspectorHost {
  postMessage(message: FromInspector): void;
  getState(): unknown;
  setState(state: InspectorViewState): void;
}

declare function acquireVsCodeApi(): InspectorHost;

/** The host API; VS Code allows acquiring it only once per page. */
export function acquireInspectorHost(): InspectorHost {
  return acquireVsCodeApi();
}
