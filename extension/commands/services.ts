import type { ChartTag } from '../client/liveValues';
import type { Gateways } from '../client/gateways';
import type { Certificates } from '../certificates/certificates';
import type { ConfigSync } from '../config/sync';
import type { Discoveries } from '../discovery/discoveries';
import type { UnsavedDevices } from '../discovery/unsavedDevices';
import type { InspectorPanels } from '../inspector';
import type { AttributesDocuments } from '../nodes/attributesDocuments';
import type { Passwords } from '../secrets/passwords';
import type { TreeNode } from '../tree/nodes';
import type { TagTreeProvider } from '../tree/tagTree';
import type { Prompts } from './prompts';

/** What the Live Data panels offer to commands. */
export interface ChartPanels {
  add(tags: ChartTag[]): void;
  openNew(): void;
}

/** The Tag Explorer's view, to show a row (Go to Node). */
export interface TreeReveal {
  reveal(node: TreeNode, options: { select?: boolean; focus?: boolean; expand?: boolean | number }): Thenable<void>;
  readonly selection: readonly TreeNode[];
}

/** Everything a command may use; built once in main.ts. */
export interface Services {
  gateways: Gateways;
  configSync: ConfigSync;
  tree: Pick<TagTreeProvider, 'refresh' | 'nodeAt' | 'deviceRow'>;
  view: TreeReveal;
  charts: ChartPanels;
  prompts: Prompts;
  passwords: Passwords;
  certificates: Certificates;
  attributes: Pick<AttributesDocuments, 'open' | 'refresh'>;
  discoveries: Discoveries;
  /** Devices opened from the discovery results without being saved (Browse). */
  unsaved: UnsavedDevices;
  inspectors: Pick<InspectorPanels, 'open'>;
}
