import * as vscode from 'vscode';
import type { Services } from './services';

export const startDemo = (s: Services) => async () => {
  const names = await s.gateways.local.demo.start();
  await vscode.commands.executeCommand('workbench.view.extension.bifrost');
  void s.prompts.notify('info', `Demo plant running: ${names.join(', ')}. Its devices are simulated on this computer.`);
};

export const stopDemo = (s: Services) => async () => {
  await s.gateways.local.demo.stop();
  void vscode.window.setStatusBarMessage('Bifrost: demo plant stopped', 3000);
};
