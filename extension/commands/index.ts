import * as vscode from 'vscode';
import { GatewayDownError, isConnectionError, RemoteGatewayDownError, userMessage } from '../client/errors';
import { addDevice } from './addDevice';
import { refreshAttributes, showAttributes } from './attributes';
import { callMethod } from './callMethod';
import { copyOwnCertificate, manageCertificates, reviewServerCertificate, saveOwnCertificate } from './certificates';
import { addDeviceToChart, addToChart, openLiveData } from './chart';
import { openConfig, openConfigAt } from './configFile';
import { copyAddress } from './copyAddress';
import { startDemo, stopDemo } from './demo';
import { browseDiscovered, closeUnsavedDevice } from './browseDiscovered';
import { addDiscoveredDevice, discoverDevices } from './discover';
import { ping, refresh, restartGateway, showLog } from './gateway';
import { goToNode } from './goToNode';
import { inspectRegisters } from './inspect';
import { forgetPassword, setPassword } from './passwords';
import { pinTag } from './pinTag';
import { readDevice, readTag } from './read';
import type { Services } from './services';
import { Cancelled } from './targets';
import { writeTag } from './write';

type Factory = (s: Services) => (...args: unknown[]) => unknown;

/** Every command id with its factory; the ids match package.json. */
const COMMANDS: Record<string, Factory> = {
  'bifrost.startDemo': startDemo,
  'bifrost.stopDemo': stopDemo,
  'bifrost.openConfig': openConfig,
  'bifrost.openConfigAt': openConfigAt,
  'bifrost.addDevice': addDevice,
  'bifrost.refresh': refresh,
  'bifrost.read': readTag,
  'bifrost.readAll': readDevice,
  'bifrost.write': writeTag,
  'bifrost.addToChart': addToChart,
  'bifrost.addAllToChart': addDeviceToChart,
  'bifrost.copyAddress': copyAddress,
  'bifrost.openLiveData': openLiveData,
  'bifrost.showLog': showLog,
  'bifrost.restartGateway': restartGateway,
  'bifrost.ping': ping,
  'bifrost.setPassword': setPassword,
  'bifrost.forgetPassword': forgetPassword,
  'bifrost.manageCertificates': manageCertificates,
  'bifrost.copyOwnCertificate': copyOwnCertificate,
  'bifrost.saveOwnCertificate': saveOwnCertificate,
  'bifrost.reviewServerCertificate': reviewServerCertificate,
  'bifrost.goToNode': goToNode,
  'bifrost.showAttributes': showAttributes,
  'bifrost.refreshAttributes': refreshAttributes,
  'bifrost.pinTag': pinTag,
  'bifrost.callMethod': callMethod,
  'bifrost.discoverDevices': discoverDevices,
  'bifrost.addDiscoveredDevice': addDiscoveredDevice,
  'bifrost.browseDiscovered': browseDiscovered,
  'bifrost.closeUnsavedDevice': closeUnsavedDevice,
  'bifrost.clearDiscovered': (s) => () => s.discoveries.clear(),
  'bifrost.inspectRegisters': inspectRegisters,
};

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
      const ctx = s.gateways.local.ctx;
      ctx.log.debug(`client: command failed: ${message}`);
      if (err instanceof RemoteGatewayDownError) {
        if ((await s.prompts.notify('error', message, 'Show Log')) === 'Show Log') ctx.log.show();
      } else if (err instanceof GatewayDownError || isConnectionError(err)) {
        const choice = await s.prompts.notify('error', message, 'Restart Gateway', 'Show Log');
        if (choice === 'Restart Gateway') await ctx.restart();
        else if (choice === 'Show Log') ctx.log.show();
      } else {
        void s.prompts.notify('error', message);
      }
    }
  };
}
