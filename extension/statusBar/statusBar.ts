import * as vscode from 'vscode';
import type { Gateway } from '../client/gateway';
import { escapeMarkdown as escape, withoutDevicePrefix } from '../format';

/** Gateway health at a glance: starting, running with connected/total devices, or stopped. Click: the log. */
export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('bifrost.gateway', vscode.StatusBarAlignment.Left, 50);
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly gateway: Gateway) {
    this.item.name = 'Bifrost Gateway';
    this.item.command = 'bifrost.showLog';
    this.disposables.push(
      this.item,
      gateway.ctx.onDidChangeState(() => this.update()),
      gateway.devices.onDidChangeDevices(() => this.update()),
      gateway.devices.onDidChangeStatus(() => this.update()),
    );
    this.update();
    this.item.show();
  }

  private update(): void {
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.isTrusted = { enabledCommands: ['bifrost.restartGateway', 'bifrost.showLog'] };
    this.item.backgroundColor = undefined;
    switch (this.gateway.ctx.state) {
      case 'starting':
        this.item.text = '$(sync~spin) Bifrost';
        tooltip.appendMarkdown('Bifrost gateway: starting…');
        break;
      case 'running': {
        // Disabled devices are not down: they count neither as connected nor in the total.
        const all = this.gateway.devices.devices;
        const devices = all.filter((d) => d.enabled);
        const disabled = all.length - devices.length;
        const connected = devices.filter((d) => d.status === 'connected').length;
        this.item.text = devices.length > 0 ? `$(plug) Bifrost ${connected}/${devices.length}` : '$(plug) Bifrost';
        const counts = all.length === 0 ? 'No devices configured' : `${connected} of ${devices.length} device(s) connected`;
        tooltip.appendMarkdown(`Bifrost gateway: running\n\n${counts}${disabled > 0 ? `, ${disabled} disabled` : ''}`);
        const failing = devices.filter((d) => d.status === 'error');
        for (const d of failing.slice(0, 5)) tooltip.appendMarkdown(`\n\n$(error) ${escape(d.name)}: ${escape(withoutDevicePrefix(d.lastError ?? 'error', d.id))}`);
        break;
      }
      case 'stopped':
        this.item.text = '$(error) Bifrost';
        this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
        tooltip.appendMarkdown(`Bifrost gateway: stopped (${escape(this.gateway.ctx.stopReason)})`);
        break;
    }
    tooltip.appendMarkdown('\n\n[Restart Gateway](command:bifrost.restartGateway) · [Show Log](command:bifrost.showLog)');
    this.item.tooltip = tooltip;
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}
