import * as vscode from 'vscode';
import { Ping } from '../../gateway/protocol';
import type { Services } from './services';
import { deviceOrTag, oneDevice, someTags } from './targets';

export const startDemo = (s: Services) => async () => {
  const names = await s.demo.start();
  await vscode.commands.executeCommand('workbench.view.extension.bifrost');
  void vscode.window.showInformationMessage(`Demo plant running: ${names.join(', ')}. Its devices are simulated on this computer.`);
};

export const stopDemo = (s: Services) => async () => {
  await s.demo.stop();
  void vscode.window.setStatusBarMessage('Bifrost: demo plant stopped', 3000);
};

export const refresh = (s: Services) => async () => {
  await s.configSync.reload();
  await s.store.refresh();
};

export const addToChart = (s: Services) => async (arg?: unknown, selection?: unknown) => {
  const tags = await someTags(s.store, arg, selection, 'Add Tags to the Live Data Chart');
  s.charts.add(tags.map(({ device, tag }) => ({ deviceId: device.id, deviceName: device.name, tag: tag.name, ...(tag.unit ? { unit: tag.unit } : {}) })));
};

export const addDeviceToChart = (s: Services) => async (arg?: unknown) => {
  const device = await oneDevice(s.store, arg, 'Add All Tags of a Device to the Chart');
  if (device.tags.length === 0) throw new Error(`${device.name} has no tags to chart.`);
  s.charts.add(device.tags.map((tag) => ({ deviceId: device.id, deviceName: device.name, tag: tag.name, ...(tag.unit ? { unit: tag.unit } : {}) })));
};

export const openLiveData = (s: Services) => () => s.charts.openNew();

/** A tag's canonical address, or a device's endpoint. */
export const copyAddress = (s: Services) => async (arg?: unknown) => {
  const { device, tag } = await deviceOrTag(s.store, arg, 'Copy the Address of a Tag');
  const text = tag ? tag.address : device.endpoint;
  await vscode.env.clipboard.writeText(text);
  void vscode.window.setStatusBarMessage(`Copied ${text}`, 3000);
};

export const showLog = (s: Services) => () => s.ctx.log.show();

export const restartGateway = (s: Services) => () => s.ctx.restart();

export const ping = (s: Services) => async () => {
  const started = performance.now();
  const r = await s.ctx.request(Ping);
  const ms = performance.now() - started;
  void vscode.window.showInformationMessage(
    `Bifrost gateway ${r.version}: up ${formatUptime(r.uptimeMs)}, answered in ${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms.`,
  );
};

function formatUptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${m % 60} min`;
}
