import type * as vscode from 'vscode';
import { RequestType0, type RequestType } from 'vscode-jsonrpc';
import type { DeviceStatusNotification, GatewayCapabilities, ValuesNotification } from '../../gateway/protocol';
import type { Log } from '../log/log';

export type GatewayState = 'starting' | 'running' | 'stopped';

/** Runs after every (re)start or (re)connect of a gateway, before it counts as running, in registration order. */
export type RestoreStep = () => Promise<void>;

/**
 * How the extension talks to one gateway, whether it started the process itself (Ctx) or reaches
 * it over WebSocket (RemoteLink): the same requests, notifications and states, so that devices,
 * values and commands work alike on both.
 */
export interface GatewayLink {
  readonly state: GatewayState;
  /** Why the gateway is not running, for people. */
  readonly stopReason: string;
  /** What the gateway said it can do in its answer to `initialize`; undefined before that. */
  readonly capabilities: GatewayCapabilities | undefined;
  readonly log: Log;
  readonly onDidChangeState: vscode.Event<GatewayState>;
  readonly onValues: vscode.Event<ValuesNotification>;
  readonly onDeviceStatus: vscode.Event<DeviceStatusNotification>;
  readonly onDevicesChanged: vscode.Event<void>;
  /** Registers a step to run after every start or reconnect (config, demo, subscriptions). */
  onRestore(step: RestoreStep): void;
  /** A request to the running gateway; a cancelled `token` sends `$/cancelRequest`. */
  request<R>(type: RequestType0<R, void>): Promise<R>;
  request<P, R>(type: RequestType<P, R, void>, params: P, token?: vscode.CancellationToken): Promise<R>;
  /** For restore steps: sends without waiting for the gateway to count as running (which only happens after them). */
  requestDuringRestore<R>(type: RequestType0<R, void>): Promise<R>;
  requestDuringRestore<P, R>(type: RequestType<P, R, void>, params: P): Promise<R>;
}

/** The method name and, unless the request takes none, the parameters: all a connection needs. */
export function wireRequest<P, R>(type: RequestType0<R, void> | RequestType<P, R, void>, params?: P): { method: string; params?: P } {
  return type instanceof RequestType0 ? { method: type.method } : { method: type.method, params };
}

/** How long a request waits for a gateway that is still starting or connecting. */
export const START_WAIT_MS = 15_000;

/** Whether a gateway that is starting now ends up running (false when it stops, or after START_WAIT_MS). */
export function becomesRunning(onDidChangeState: vscode.Event<GatewayState>): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => finish(false), START_WAIT_MS);
    const sub = onDidChangeState((s) => {
      if (s !== 'starting') finish(s === 'running');
    });
    function finish(ok: boolean) {
      clearTimeout(timer);
      sub.dispose();
      resolve(ok);
    }
  });
}

/**
 * Runs the restore steps in order; a failing step is logged and the next one still runs. Stops
 * when `current()` says this run was replaced. Resolves whether the run is still current.
 */
export async function runRestoreSteps(steps: readonly RestoreStep[], current: () => boolean, log: Log): Promise<boolean> {
  for (const step of steps) {
    if (!current()) return false;
    try {
      await step();
    } catch (err) {
      log.error('Restoring the gateway session failed', err);
    }
  }
  return current();
}
