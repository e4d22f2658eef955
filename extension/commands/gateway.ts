import { Ping } from '../../gateway/protocol';
import type { Services } from './services';

/** Refresh: bifrost.json loaded again, the device list fetched, every device browsed again. */
export const refresh = (s: Services) => async () => {
  await s.configSync.reload();
  await Promise.all(s.gateways.all.map((g) => g.devices.refresh()));
  s.tree.refresh();
};

export const showLog = (s: Services) => () => s.gateways.local.ctx.log.show();

export const restartGateway = (s: Services) => () => s.gateways.local.ctx.restart();

export const ping = (s: Services) => async () => {
  const started = performance.now();
  const r = await s.gateways.local.ctx.request(Ping);
  const ms = performance.now() - started;
  void s.prompts.notify(
    'info',
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
