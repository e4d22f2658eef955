import * as vscode from 'vscode';
import { GatewayDownError, isConnectionError, userMessage } from '../client/errors';
import { addDevice, openConfig } from './configFile';
import { readDevice, readTag } from './read';
import type { Services } from './services';
import * as simple from './simple';
import { Cancelled } from './targets';
import { writeTag } from './write';

type Factory = (s: Services) => (...args: unknown[]) => unknown;

/** Every command id with its factory; the ids match package.json. */
const COMMANDS: Record<string, Factory> = {
  'bifrost.startDemo': simple.startDemo,
  'bifrost.stopDemo': simple.stopDemo,
  'bifrost.openConfig': openConfig,
  'bifrost.addDevice': addDevice,
  'bifrost.refresh': simple.refresh,
  'bifrost.read': readTag,
  'bifrost.readAll': readDevice,
  'bifrost.write': writeTag,
  'bifrost.addToChart': simple.addToChart,
  'bifrost.addAllToChart': simple.addDeviceToChart,
  'bifrost.copyAddress': simple.copyAddress,
  'bifrost.openLiveData': simple.openLiveData,
  'bifrost.showLog': simple.showLog,
  'bifrost.restartGateway': simple.restartGateway,
  'bifrost.ping': simple.ping,
};

export const COMMAND_IDS = Object.keys(COMMANDS);

export function registerCommands(s: Services): vscode.Disposable[] {
  return Object.entries(COMMANDS).map(([id, factory]) => vscode.commands.registerCommand(id, guarded(s, factory(s))));
}

/** Errors end as a message a person understands; a closed picker ends quietly. */
function guarded(s: Services, handler: (...args: unknown[]) => unknown) {
  return async (...args: unknown[]) => {
    try {
      await handler(...args);
    } catch (err) {
      if (err instanceof Cancelled) return;
      const message = userMessage(err);
      s.ctx.log.debug(`client: command failed: ${message}`);
      if (err instanceof GatewayDownError || isConnectionError(err)) {
        const choice = await vscode.window.showErrorMessage(message, 'Restart Gateway', 'Show Log');
        if (choice === 'Restart Gateway') await s.ctx.restart();
        else if (choice === 'Show Log') s.ctx.log.show();
      } else {
        void vscode.window.showErrorMessage(message);
      }
    }
  };
}
