import type { LiveValueKind, SeriesInfo } from '../messages';
import { formatDateTime, formatExtreme, formatTime, formatValue, fullValueText } from './format';
import type { SeriesView } from './panelModel';
import { seriesClasses } from './theme';

export interface ReadingsTableEvents {
  remove(key: string): void;
}

interface RowCells {
  row: HTMLTableRowElement;
  swatch: HTMLSpanElement;
  value: HTMLTableCellElement;
  quality: HTMLSpanElement;
  time: HTMLTableCellElement;
  min: HTMLTableCellElement;
  max: HTMLTableCellElement;
}

/** Type, then Device give way when the table would not fit (see fit); the tag's tooltip keeps both. */
const COLUMNS: readonly { title: string; className?: string }[] = [
  { title: 'Device', className: 'device' },
  { title: 'Tag' },
  { title: 'Type', className: 'type' },
  { title: 'Value', className: 'num' },
  { title: 'Quality' },
  { title: 'Timestamp' },
  { title: 'Min', className: 'num' },
  { title: 'Max', className: 'num' },
  { title: '' },
];

/** Classes of the table, from the widest layout to the narrowest (see livedata.css). */
const FIT_LEVELS: readonly string[][] = [[], ['compact'], ['compact', 'narrow']];

const NOT_CHARTED: Record<LiveValueKind, string> = {
  string: 'Text is not charted',
  array: 'Arrays are not charted',
  structure: 'Structures are not charted',
  unknown: 'Values of an unknown type are not charted',
  boolean: '',
  integer: '',
  number: '',
};

/**
 * The table of the panel's tags. Rows are built once per series and then only their cells'
 * text changes, so an update touches as little of the page as possible.
 */
export class ReadingsTable {
  private readonly table: HTMLTableElement;
  private readonly body: HTMLTableSectionElement;
  private readonly rows = new Map<string, RowCells>();
  /** The longest text in a number cell so far: only a longer one can make the table overflow. */
  private longest = 0;
  private building = false;

  constructor(
    private readonly container: HTMLElement,
    private readonly events: ReadingsTableEvents,
  ) {
    const table = document.createElement('table');
    this.table = table;
    table.className = 'readings';
    const head = table.createTHead().insertRow();
    for (const { title, className } of COLUMNS) {
      const th = document.createElement('th');
      th.textContent = title;
      th.scope = 'col';
      if (className) th.className = className;
      head.append(th);
    }
    this.body = table.createTBody();
    container.append(table);
    new ResizeObserver(() => this.fit()).observe(container);
  }

  /** Builds the rows for these series, in order. `colorIndex` is undefined for series not charted. */
  rebuild(series: readonly SeriesView[], colorIndex: (key: string) => number | undefined): void {
    this.rows.clear();
    const names = new Map<string, number>();
    for (const view of series) names.set(view.info.tag, (names.get(view.info.tag) ?? 0) + 1);
    // Tags restored from a state saved before data types were kept have none: no empty column.
    this.table.classList.toggle('without-types', !series.some((v) => v.info.dataType !== undefined));
    this.building = true;
    this.body.replaceChildren(
      ...series.map((view) => {
        const cells = this.buildRow(view, (names.get(view.info.tag) ?? 0) > 1);
        this.rows.set(view.info.key, cells);
        this.paint(view, colorIndex(view.info.key));
        return cells.row;
      }),
    );
    this.building = false;
    this.fit();
    // The row icons are custom elements that render a moment later: measure again then.
    requestAnimationFrame(() => this.fit());
  }

  update(view: SeriesView, colorIndex: number | undefined): void {
    this.paint(view, colorIndex);
  }

  /** `ambiguous`: another device has a tag of this name; without the Device column the name says which. */
  private buildRow(view: SeriesView, ambiguous: boolean): RowCells {
    const row = document.createElement('tr');
    row.dataset.key = view.info.key;

    const device = row.insertCell();
    device.className = 'device';
    device.textContent = view.info.deviceName;
    device.title = view.info.deviceId;

    const tag = row.insertCell();
    const label = document.createElement('span');
    label.className = 'tag';
    const swatch = document.createElement('span');
    const name = document.createElement('span');
    name.textContent = view.info.tag;
    label.append(swatch);
    if (ambiguous) {
      const prefix = document.createElement('span');
      prefix.className = 'device-prefix';
      prefix.textContent = `${view.info.deviceName} · `;
      label.append(prefix);
    }
    label.append(name);
    const history = historyMark(view.info);
    if (history) label.append(history);
    tag.append(label);
    const type = typeText(view.info);
    tag.title = [view.info.tag, type, view.info.deviceName].filter((t) => t !== '').join('\n');

    const dataType = row.insertCell();
    dataType.className = 'type';
    dataType.textContent = view.info.dataType ?? '';
    dataType.title = type;

    const value = row.insertCell();
    value.className = 'num value';

    const qualityCell = row.insertCell();
    const quality = document.createElement('span');
    qualityCell.append(quality);

    const time = row.insertCell();
    time.className = 'time';
    const min = row.insertCell();
    min.className = 'num';
    const max = row.insertCell();
    max.className = 'num';

    const actions = row.insertCell();
    actions.className = 'actions';
    const remove = document.createElement('vscode-icon');
    remove.setAttribute('name', 'close');
    remove.setAttribute('action-icon', '');
    remove.setAttribute('label', `Remove ${view.info.tag} from the panel`);
    remove.title = 'Remove from the panel';
    remove.addEventListener('vsc-click', () => this.events.remove(view.info.key));
    actions.append(remove);

    return { row, swatch, value, quality, time, min, max };
  }

  private paint(view: SeriesView, colorIndex: number | undefined): void {
    const cells = this.rows.get(view.info.key);
    if (!cells) return;
    const { last, range } = view;
    const { unit, valueKind: kind } = view.info;

    cells.swatch.className = colorIndex === undefined ? 'swatch not-charted' : `swatch ${seriesClasses(colorIndex)}`;
    cells.swatch.title = colorIndex === undefined && kind ? NOT_CHARTED[kind] : '';

    const bad = last?.quality === 'bad';
    cells.row.classList.toggle('bad', bad);
    cells.value.textContent = last ? formatValue(last.value, kind, unit) : '—';
    cells.value.classList.toggle('stale', bad);
    cells.value.title = [last ? fullValueText(last.value, kind) : undefined, last?.error].filter((t) => t !== undefined).join('\n');

    const quality = last ? last.quality : 'waiting';
    cells.quality.className = `quality quality-${quality}`;
    cells.quality.textContent = last ? last.quality : 'waiting';
    cells.quality.title = last?.error ?? (last ? '' : 'No reading yet');

    cells.time.textContent = last ? formatTime(last.timestamp) : '—';
    cells.time.title = last ? formatDateTime(last.timestamp) : '';
    cells.min.textContent = formatExtreme(range.min, kind, unit);
    cells.max.textContent = formatExtreme(range.max, kind, unit);
    const longest = Math.max(cells.value.textContent.length, cells.min.textContent.length, cells.max.textContent.length);
    if (longest > this.longest) {
      this.longest = longest;
      if (!this.building) this.fit();
    }
  }

  /**
   * When the table would be wider than the panel (64-bit integers take twenty digits, in three
   * columns), it drops first the Type column and some padding, then the Device column. Both
   * stay in the tag's tooltip.
   */
  private fit(): void {
    const room = this.container.clientWidth;
    if (room === 0) return; // hidden: measured again when shown
    for (const level of FIT_LEVELS) {
      this.table.classList.remove(...FIT_LEVELS.flat());
      this.table.classList.add(...level);
      if (this.table.offsetWidth <= room) return;
    }
  }
}

/** The tag's type for its tooltip: `uint64 (integer)`; a kind guessed from readings says so. */
function typeText(info: SeriesInfo): string {
  const kind = info.valueKind;
  if (kind === undefined) return info.dataType ?? '';
  if (info.kindInferred) return `${info.dataType ? `${info.dataType}, ` : ''}${kind} (from its readings)`;
  return info.dataType ? `${info.dataType} (${kind})` : kind;
}

/** A small mark after the tag's name: its chart began with the server's history, or reading that failed. */
function historyMark(info: SeriesInfo): HTMLElement | undefined {
  const note = info.history;
  if (!note) return undefined;
  const mark = document.createElement('vscode-icon');
  mark.className = `history history-${note.state}`;
  if (note.state === 'failed') {
    mark.setAttribute('name', 'warning');
    mark.title = `The server's history could not be read; the chart shows live values only.\n${note.error}`;
  } else {
    mark.setAttribute('name', 'history');
    mark.title =
      note.points > 0
        ? `The chart starts with ${note.points} value(s) from the server's history (since ${formatDateTime(note.from)}); live values follow.`
        : `The server keeps history of this tag, but had none since ${formatDateTime(note.from)}.`;
  }
  mark.setAttribute('label', mark.title);
  return mark;
}
