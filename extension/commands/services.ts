import type { ChartTag } from '../liveValues';
import type { ConfigSync } from '../configSync';
import type { Ctx } from '../ctx';
import type { DemoPlant } from '../demo';
import type { DeviceStore } from '../devices';
import type { Prompts } from '../prompts';
import type { TreeValues } from '../treeValues';

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
