import type { VscodeSingleSelect } from '@vscode-elements/elements/dist/vscode-single-select/vscode-single-select.js';
import type { VscodeToolbarButton } from '@vscode-elements/elements/dist/vscode-toolbar-button/vscode-toolbar-button.js';
import { TIME_WINDOWS_MS } from '../messages';
import { formatWindow } from './format';
import { toolbarButton } from '../toolbarButton';

export interface ToolbarEvents {
  windowChanged(ms: number): void;
  pauseChanged(paused: boolean): void;
  resetMinMax(): void;
  clearChart(): void;
}

/** Time window, pause/resume, reset min/max and clear, above the chart. */
export class Toolbar {
  private readonly windowSelect: VscodeSingleSelect;
  private readonly pauseButton: VscodeToolbarButton;
  private readonly status: HTMLSpanElement;
  private paused = false;

  constructor(container: HTMLElement, windowMs: number, private readonly events: ToolbarEvents) {
    const bar = document.createElement('div');
    bar.className = 'toolbar';
    bar.setAttribute('role', 'toolbar');

    const label = document.createElement('label');
    label.className = 'window-label';
    label.textContent = 'Window';
    this.windowSelect = document.createElement('vscode-single-select');
    this.windowSelect.className = 'window-select';
    this.windowSelect.setAttribute('aria-label', 'Time window');
    for (const ms of TIME_WINDOWS_MS) {
      const option = document.createElement('vscode-option');
      option.value = String(ms);
      option.textContent = formatWindow(ms);
      if (ms === windowMs) option.selected = true;
      this.windowSelect.append(option);
    }
    this.windowSelect.addEventListener('change', () => {
      const ms = Number(this.windowSelect.value);
      if (TIME_WINDOWS_MS.includes(ms)) this.events.windowChanged(ms);
    });

    this.pauseButton = toolbarButton('debug-pause', 'Pause the chart', () => this.setPaused(!this.paused, true));
    const reset = toolbarButton('discard', 'Reset min/max', () => this.events.resetMinMax());
    const clear = toolbarButton('clear-all', 'Clear the chart history', () => this.events.clearChart());

    this.status = document.createElement('span');
    this.status.className = 'status';
    this.status.setAttribute('aria-live', 'polite');

    bar.append(label, this.windowSelect, this.pauseButton, reset, clear, this.status);
    container.append(bar);
  }

  setPaused(paused: boolean, notify = false): void {
    this.paused = paused;
    const label = paused ? 'Resume the chart' : 'Pause the chart';
    this.pauseButton.icon = paused ? 'debug-continue' : 'debug-pause';
    this.pauseButton.setAttribute('label', label);
    this.pauseButton.title = label;
    this.pauseButton.classList.toggle('active', paused);
    if (notify) this.events.pauseChanged(paused);
  }

  setStatus(text: string): void {
    this.status.textContent = text;
  }
}
