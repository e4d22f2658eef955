import type { ToWebview } from '../messages';
import { LiveChart, type ChartFrame, type ChartLine } from './chart';
import { ChartFrameBuilder, frozenCopy } from './chartFrames';
import { formatLatest } from './format';
import { isCharted, LiveDataModel, type SeriesView } from './panelModel';
import { ReadingsTable } from './readingsTable';
import { ColourSlots } from './colourSlots';
import { applyPalette, readTheme, watchTheme, type ChartTheme } from './theme';
import { Toolbar } from './toolbar';
import { restoreSettings, viewStateOf, type ViewSettings } from './viewState';
import type { PanelHost } from './vscodeApi';

/** Redraw the chart at most this often, and at least often enough to scroll it smoothly. */
const MIN_REDRAW_MS = 50;
/** A long window moves less than a pixel between redraws this far apart: no need for more. */
const MAX_REDRAW_MS = 1000;

/**
 * The Live Data panel in the webview: messages from the host are queued and applied once per
 * animation frame, then the table rows that changed are repainted and the chart is fed.
 */
export class LiveDataApp {
  private readonly model = new LiveDataModel();
  private readonly frames = new ChartFrameBuilder();
  private readonly settings: ViewSettings;
  private readonly toolbar: Toolbar;
  private readonly table: ReadingsTable;
  private readonly chart: LiveChart;
  private readonly emptyHint: HTMLElement;
  private readonly chartSection: HTMLElement;
  private readonly chartNote: HTMLElement;
  private readonly tableSection: HTMLElement;
  private theme: ChartTheme;
  private queue: ToWebview[] = [];
  private frameRequested = false;
  private tickTimer: ReturnType<typeof setTimeout> | undefined;
  private lastDraw = 0;
  private gotSnapshot = false;
  /** Keys of the charted series, in chart order. */
  private chartKeys: string[] = [];
  private readonly colours = new ColourSlots();
  /** While paused, the chart shows this copy; the live data keeps growing beside it. */
  private frozen: ChartFrame | undefined;

  constructor(root: HTMLElement, private readonly host: PanelHost) {
    this.settings = restoreSettings(host.getState());
    this.theme = readTheme();
    applyPalette(root, this.theme.palette);

    this.toolbar = new Toolbar(root, this.settings.windowMs, {
      windowChanged: (ms) => this.setWindow(ms),
      pauseChanged: (paused) => this.setPaused(paused),
      resetMinMax: () => host.postMessage({ type: 'resetMinMax' }),
      clearChart: () => host.postMessage({ type: 'clearChart' }),
    });

    this.emptyHint = element('div', 'empty-hint');
    const icon = element('span', 'codicon codicon-graph-line');
    const title = element('p', 'empty-title');
    title.textContent = 'No tags in this panel yet';
    const how = element('p');
    how.textContent = 'Right-click a tag in the Tag Explorer → Add to Chart';
    this.emptyHint.append(icon, title, how);

    this.chartSection = element('section', 'chart-section');
    this.chartSection.setAttribute('aria-label', 'Chart');
    const plotBox = element('div', 'plot');
    const legendBox = element('div', 'legend');
    this.chartNote = element('p', 'chart-note');
    this.chartNote.textContent = 'Nothing to chart: text, arrays and structures are shown in the table only.';
    this.chartSection.append(plotBox, this.chartNote, legendBox);
    this.chart = new LiveChart(plotBox, legendBox, {
      visibilityChanged: (key, shown) => {
        if (shown) this.settings.hidden.delete(key);
        else this.settings.hidden.add(key);
        this.persist();
      },
    });

    this.tableSection = element('section', 'table-section');
    this.tableSection.setAttribute('aria-label', 'Readings');
    this.table = new ReadingsTable(this.tableSection, { remove: (key) => host.postMessage({ type: 'removeSeries', key }) });

    root.append(this.emptyHint, this.chartSection, this.tableSection);
    this.showSections();

    window.addEventListener('message', (event: MessageEvent<unknown>) => this.receive(event.data));
    watchTheme(() => {
      this.theme = readTheme();
      applyPalette(root, this.theme.palette);
      this.rebuildChart();
    });
    host.postMessage({ type: 'ready' });
  }

  private receive(data: unknown): void {
    if (!isToWebview(data)) {
      console.warn('Live Data: ignored an unexpected message', data);
      return;
    }
    this.queue.push(data);
    this.requestFrame();
  }

  private requestFrame(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => this.frame());
  }

  private frame(): void {
    this.frameRequested = false;
    const now = Date.now();
    const queue = this.queue;
    this.queue = [];
    for (const message of queue) {
      this.model.apply(message, now);
      if (message.type === 'snapshot') this.gotSnapshot = true;
    }
    const changes = this.model.takeChanges();
    if (changes.structure) {
      this.layout();
      this.persist();
    } else {
      for (const key of changes.rows) {
        const view = this.model.series[this.model.indexOf(key)];
        if (view) this.table.update(view, this.colours.get(key));
      }
    }
    this.drawChart(now);
  }

  /** The series set changed: rows, colours and chart lines are built again. */
  private layout(): void {
    const charted = this.model.series.filter(isCharted);
    this.chartKeys = charted.map((v) => v.info.key);
    this.colours.assign(this.chartKeys);
    this.table.rebuild(this.model.series, (key) => this.colours.get(key));
    this.showSections();
    this.rebuildChart();
  }

  private showSections(): void {
    const count = this.model.series.length;
    const empty = count === 0;
    // Until the first snapshot nothing is known: no hint flashes up in a panel that has tags.
    this.emptyHint.hidden = !empty || !this.gotSnapshot;
    this.chartSection.hidden = empty;
    this.tableSection.hidden = empty;
    this.chartNote.hidden = this.chartKeys.length > 0;
    this.updateStatus();
  }

  private updateStatus(): void {
    const count = this.model.series.length;
    const parts = [count === 1 ? '1 tag' : `${count} tags`];
    if (this.frozen) parts.push('paused');
    this.toolbar.setStatus(count === 0 && !this.frozen ? '' : parts.join(' · '));
  }

  private rebuildChart(): void {
    const views = this.chartKeys.map((key) => this.model.series[this.model.indexOf(key)]);
    const lines = views.map((view) => this.lineOf(view, views));
    if (this.frozen) this.frozen = this.frozenFrame(this.frozen.range);
    this.chart.rebuild(lines, this.settings.hidden, this.theme, this.frozen ?? this.liveFrame(Date.now()));
    this.lastDraw = Date.now();
  }

  private lineOf(view: SeriesView, all: SeriesView[]): ChartLine {
    // The tag name alone unless another device has a tag of the same name.
    const ambiguous = all.some((o) => o !== view && o.info.tag === view.info.tag);
    const line: ChartLine = {
      key: view.info.key,
      label: ambiguous ? `${view.info.deviceName} · ${view.info.tag}` : view.info.tag,
      style: view.style === 'lane' ? 'lane' : 'line',
      colorIndex: this.colours.get(view.info.key) ?? 0,
    };
    if (view.info.unit !== undefined) line.unit = view.info.unit;
    return line;
  }

  private drawChart(now: number): void {
    if (this.frozen || this.chart.lineCount === 0) return;
    const interval = this.redrawInterval();
    const since = now - this.lastDraw;
    if (since >= interval) {
      this.chart.update(this.liveFrame(now));
      this.lastDraw = now;
    }
    // Keep the time axis moving even when no reading arrives.
    this.scheduleTick(since >= interval ? interval : interval - since);
  }

  private redrawInterval(): number {
    const width = this.chart.plotWidth || 800;
    return Math.min(MAX_REDRAW_MS, Math.max(MIN_REDRAW_MS, this.settings.windowMs / width));
  }

  private scheduleTick(ms: number): void {
    if (this.tickTimer) return;
    this.tickTimer = setTimeout(() => {
      this.tickTimer = undefined;
      this.requestFrame();
    }, ms);
  }

  private liveFrame(localNow: number): ChartFrame {
    return this.buildFrame(this.liveRange(localNow));
  }

  /** The window ending now, by the host's clock. */
  private liveRange(localNow: number): [number, number] {
    const hostNow = this.model.hostNow(localNow);
    return [hostNow - this.settings.windowMs, hostNow];
  }

  private buildFrame(range: [number, number]): ChartFrame {
    const series = this.chartKeys.map((key) => this.model.indexOf(key));
    const points = this.frames.build(this.model.data, series, range, this.chart.plotWidth || this.chartSection.clientWidth);
    const latest = series.map((i) => {
      const view = this.model.series[i];
      return formatLatest(view.last, view.info.valueKind, view.info.unit);
    });
    return { ...points, latest };
  }

  /** What a paused chart shows: the data as it is now, over `range`, copied. */
  private frozenFrame(range: [number, number]): ChartFrame {
    return frozenCopy(this.buildFrame(range));
  }

  private setPaused(paused: boolean): void {
    if (paused === !!this.frozen) return;
    if (paused) {
      this.frozen = this.frozenFrame(this.liveRange(Date.now()));
      this.chart.update(this.frozen);
    } else {
      this.frozen = undefined;
      this.lastDraw = 0;
      this.requestFrame();
    }
    this.updateStatus();
  }

  private setWindow(ms: number): void {
    this.settings.windowMs = ms;
    this.persist();
    if (this.frozen) {
      // Built again from the live data, so a shorter window is not drawn from a thinned copy.
      const end = this.frozen.range[1];
      this.frozen = this.frozenFrame([end - ms, end]);
      this.chart.update(this.frozen);
    } else {
      this.lastDraw = 0;
      this.requestFrame();
    }
  }

  private persist(): void {
    // Before the first snapshot the tag list is not known yet: keep what was saved.
    if (!this.gotSnapshot) return;
    this.host.setState(viewStateOf(this.model.series.map((v) => v.info), this.settings));
  }
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (className) el.className = className;
  return el;
}

function isToWebview(data: unknown): data is ToWebview {
  if (typeof data !== 'object' || data === null) return false;
  const m = data as { type?: unknown; now?: unknown; series?: unknown };
  return (m.type === 'snapshot' || m.type === 'delta') && typeof m.now === 'number' && Array.isArray(m.series);
}
