import type { ChartTag } from '../client/liveValues';
import type { ConfigSync } from '../config/sync';
import type { Ctx } from '../client/ctx';
import type { DemoPlant } from '../client/demoPlant';
import type { DeviceStore } from '../client/deviceStore';
import type { Prompts } from './prompts';
import type { TreeValues } from '../tree/treeValues';

/** What the Live Data panels offer to commands. */
export interface ChartPanels {
  add(tags: ChartTag[]): void;
  openNew(): void;
}

/** Everything a command may use; built once in main.ts. */
export interface Services {
  ctx: Ctx;
  store: DeviceStore;
  values: TreeValues;
  demo: DemoPlant;
  configSync: ConfigSync;
  charts: ChartPanels;
  prompts: Prompts;
}
