import type { ChartTag } from '../client/liveValues';
import type { Gateways } from '../client/gateways';
import type { Certificates } from '../certificates/certificates';
import type { ConfigSync } from '../config/sync';
import type { Passwords } from '../secrets/passwords';
import type { TagTreeProvider } from '../tree/tagTree';
import type { Prompts } from './prompts';

/** What the Live Data panels offer to commands. */
export interface ChartPanels {
  add(tags: ChartTag[]): void;
  openNew(): void;
}

/** Everything a command may use; built once in main.ts. */
export interface Services {
  gateways: Gateways;
  configSync: ConfigSync;
  tree: Pick<TagTreeProvider, 'refresh'>;
  charts: ChartPanels;
  prompts: Prompts;
  passwords: Passwords;
  certificates: Certificates;
}
