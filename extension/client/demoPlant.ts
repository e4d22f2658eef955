import * as vscode from 'vscode';
import { DemoStart, DemoStop } from '../../gateway/protocol';
import type { Ctx } from './ctx';

/**
 * The built-in demo plant: whether the user wants it running. A new gateway process starts it
 * again, so a crash does not quietly take it away.
 */
export class DemoPlant {
  private wanted = false;

  constructor(private readonly ctx: Ctx) {
    ctx.onRestore(async () => {
      if (this.wanted) await ctx.requestDuringRestore(DemoStart);
    });
    this.setContext();
  }

  get running(): boolean {
    return this.wanted;
  }

  async start(): Promise<string[]> {
    const { devices } = await this.ctx.request(DemoStart);
    this.wanted = true;
    this.setContext();
    return devices.map((d) => d.name ?? d.id);
  }

  async stop(): Promise<void> {
    await this.ctx.request(DemoStop);
    this.wanted = false;
    this.setContext();
  }

  private setContext(): void {
    void vscode.commands.executeCommand('setContext', 'bifrost.demoRunning', this.wanted);
  }
}
