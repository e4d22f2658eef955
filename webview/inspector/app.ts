import type { VscodeSingleSelect } from '@vscode-elements/elements/dist/vscode-single-select/vscode-single-select.js';
import type { VscodeTextfield } from '@vscode-elements/elements/dist/vscode-textfield/vscode-textfield.js';
import type { VscodeToolbarButton } from '@vscode-elements/elements/dist/vscode-toolbar-button/vscode-toolbar-button.js';
import {
  checkRange,
  INSPECTOR_AREAS,
  INSPECTOR_BYTE_ORDERS,
  isBitArea,
  LAST_ADDRESS,
  MAX_COUNT,
  POLL_INTERVALS_MS,
  REGISTER_TAG_TYPES,
  type InspectorArea,
  type InspectorByteOrder,
  type InspectorDevice,
  type InspectorProbe,
  type InspectorRange,
  type InspectorRead,
  type InspectorSettings,
  type InspectorTagType,
  type ToInspector,
} from '../inspectorMessages';
import { orderHint, rowsOf, type InspectorRow } from './rowModel';
import type { InspectorHost } from './vscodeApi';
import { toolbarButton } from '../toolbarButton';

const AREA_LABELS: Record<InspectorArea, string> = { holding: 'Holding registers', input: 'Input registers', coil: 'Coils', discrete: 'Discrete inputs' };
/** What one address of the area is called, for people. */
const UNIT: Record<InspectorArea, [string, string]> = {
  holding: ['register', 'registers'],
  input: ['register', 'registers'],
  coil: ['coil', 'coils'],
  discrete: ['input', 'inputs'],
};

/** The register columns after the address; `type`: the tag type a click on the cell chooses. */
const REGISTER_COLUMNS: readonly { key: keyof Pick<Extract<InspectorRow, { kind: 'register' }>, 'hex' | 'u16' | 'i16' | 'bits' | 'u32' | 'i32' | 'f32' | 'f64'>; title: string; type?: InspectorTagType; num?: boolean }[] = [
  { key: 'hex', title: 'Hex' },
  { key: 'u16', title: 'UInt16', type: 'uint16', num: true },
  { key: 'i16', title: 'Int16', type: 'int16', num: true },
  { key: 'bits', title: 'Bits (15…0)' },
  { key: 'u32', title: 'UInt32', type: 'uint32', num: true },
  { key: 'i32', title: 'Int32', type: 'int32', num: true },
  { key: 'f32', title: 'Float32', type: 'float32', num: true },
  { key: 'f64', title: 'Float64', type: 'float64', num: true },
];

/** How long a changed value stays highlighted. */
const FLASH_MS = 900;

/**
 * The register inspector in the webview: a toolbar for the range and how it is read, the table of
 * the last read (kept, marked stale, when a read fails), the byte-order hint, what Find Registers
 * found, and the selected row to add as a tag. The host reads; this only shows and asks.
 */
export class InspectorApp {
  private device: InspectorDevice | undefined;
  private settings: InspectorSettings = { area: 'holding', start: 0, count: 100, intervalMs: 1000, paused: false };
  private byteOrder: InspectorByteOrder = 'ABCD';
  private last: InspectorRead | undefined;
  private previous: InspectorRead | undefined;
  private stale: { error: string; timestamp: number } | undefined;
  private selected: number | undefined;
  private tagType: InspectorTagType = 'uint16';
  private probe: InspectorProbe | { running: InspectorRange } | { error: string } | undefined;

  private readonly title = element('div', 'device-title');
  private readonly subtitle = element('span', 'device-description');
  private readonly areaSelect: VscodeSingleSelect;
  private readonly startField: VscodeTextfield;
  private readonly countField: VscodeTextfield;
  private readonly pollSelect: VscodeSingleSelect;
  private readonly orderSelect: VscodeSingleSelect;
  private readonly pauseButton: VscodeToolbarButton;
  private readonly findButton: HTMLElement;
  private readonly status = element('span', 'status');
  private readonly banner = element('div', 'banner');
  private readonly hint = element('div', 'hint');
  private readonly probeBox = element('div', 'probe');
  private readonly tableBox = element('section', 'table-section');
  private readonly table = document.createElement('table');
  private readonly head = this.table.createTHead();
  private readonly body = this.table.createTBody();
  private readonly empty = element('div', 'table-empty');
  private readonly selectionBar = element('div', 'selection');
  private rowElements: HTMLTableRowElement[] = [];
  private flashTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    root: HTMLElement,
    private readonly host: InspectorHost,
  ) {
    const saved = host.getState() as { byteOrder?: unknown } | null;
    if (INSPECTOR_BYTE_ORDERS.includes(saved?.byteOrder as InspectorByteOrder)) this.byteOrder = saved!.byteOrder as InspectorByteOrder;

    const header = element('header', 'header');
    header.append(this.title, this.subtitle, this.status);

    const bar = element('div', 'toolbar');
    bar.setAttribute('role', 'toolbar');
    this.areaSelect = select('area', 'Area', INSPECTOR_AREAS.map((a) => [a, AREA_LABELS[a]]), this.settings.area, () => this.rangeEdited());
    this.startField = numberField('start', 'Start address (0-based)', 0, LAST_ADDRESS, () => this.rangeEdited());
    this.countField = numberField('count', 'Addresses to read', 1, MAX_COUNT, () => this.rangeEdited());
    this.pollSelect = select('poll', 'Poll interval', POLL_INTERVALS_MS.map((ms) => [String(ms), pollLabel(ms)]), String(this.settings.intervalMs), () => this.pollEdited());
    this.orderSelect = select('order', 'Byte order of 32- and 64-bit values', INSPECTOR_BYTE_ORDERS.map((o) => [o, o]), this.byteOrder, () =>
      this.setByteOrder(this.orderSelect.value as InspectorByteOrder),
    );
    this.pauseButton = toolbarButton('debug-pause', 'Pause reading', () => this.setPaused(!this.settings.paused));
    const refresh = toolbarButton('refresh', 'Read now', () => host.postMessage({ type: 'refresh' }));
    this.findButton = document.createElement('vscode-button');
    this.findButton.className = 'find';
    this.findButton.setAttribute('secondary', '');
    this.findButton.setAttribute('icon', 'search');
    this.findButton.textContent = 'Find Registers';
    this.findButton.addEventListener('click', () => this.findRegisters());
    bar.append(
      labelled('Area', this.areaSelect),
      labelled('Start', this.startField),
      labelled('Count', this.countField),
      labelled('Poll', this.pollSelect),
      labelled('Byte order', this.orderSelect),
      this.pauseButton,
      refresh,
      this.findButton,
    );
    this.status.setAttribute('aria-live', 'polite');

    this.banner.hidden = true;
    this.banner.setAttribute('role', 'alert');
    this.hint.hidden = true;
    this.probeBox.hidden = true;
    this.table.className = 'registers';
    this.tableBox.append(this.table, this.empty);
    this.tableBox.setAttribute('aria-label', 'Registers');
    this.table.addEventListener('click', (e) => this.clicked(e));
    this.selectionBar.hidden = true;

    root.append(header, bar, this.banner, this.hint, this.probeBox, this.tableBox, this.selectionBar);
    this.layoutHead();
    this.renderEmpty('Connecting to the device…');
    this.syncControls();

    window.addEventListener('message', (event: MessageEvent<unknown>) => this.receive(event.data));
    host.postMessage({ type: 'ready' });
  }

  private receive(data: unknown): void {
    if (typeof data !== 'object' || data === null || typeof (data as { type?: unknown }).type !== 'string') return;
    const m = data as ToInspector;
    switch (m.type) {
      case 'init':
        this.device = m.device;
        this.settings = { ...m.settings };
        this.title.textContent = m.device.name;
        this.subtitle.textContent = m.device.description;
        this.last = m.last;
        this.previous = undefined;
        this.syncControls();
        this.layoutHead();
        if (this.last) this.renderRows();
        else this.renderEmpty(`Reading ${rangeText(this.settings)}…`);
        break;
      case 'read':
        if (!sameRange(m.read, this.settings)) return;
        this.previous = this.last;
        this.last = m.read;
        this.stale = undefined;
        this.renderRows();
        break;
      case 'readFailed':
        if (!sameRange(m.range, this.settings)) return;
        this.stale = { error: m.error, timestamp: m.timestamp };
        if (this.last && !sameRange(this.last, this.settings)) this.last = undefined;
        if (this.last) this.renderRows();
        else this.renderEmpty('Nothing read yet.');
        break;
      case 'probing':
        this.probe = { running: m.range };
        this.renderProbe();
        break;
      case 'probe':
        this.probe = m.probe;
        this.renderProbe();
        break;
      case 'probeFailed':
        this.probe = { error: m.error };
        this.renderProbe();
        break;
      case 'tagAdded':
        this.renderSelection(`Added as “${m.name}” in bifrost.json.`);
        break;
      case 'tagFailed':
        this.renderSelection(m.error, true);
        break;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Toolbar
  // -------------------------------------------------------------------------------------------

  private syncControls(): void {
    this.areaSelect.value = this.settings.area;
    this.startField.value = String(this.settings.start);
    this.countField.value = String(this.settings.count);
    this.startField.invalid = false;
    this.countField.invalid = false;
    this.pollSelect.value = String(this.settings.intervalMs);
    this.orderSelect.value = this.byteOrder;
    this.orderSelect.disabled = isBitArea(this.settings.area);
    const label = this.settings.paused ? 'Resume reading' : 'Pause reading';
    this.pauseButton.icon = this.settings.paused ? 'debug-continue' : 'debug-pause';
    this.pauseButton.setAttribute('label', label);
    this.pauseButton.title = label;
    this.pauseButton.classList.toggle('active', this.settings.paused);
    const probeCount = Math.min(MAX_COUNT, LAST_ADDRESS + 1 - this.settings.start);
    this.findButton.title = `Find which ${UNIT[this.settings.area][1]} exist in ${this.settings.area} ${this.settings.start}–${this.settings.start + probeCount - 1}`;
  }

  /** Start, count or area typed or chosen: sent when valid, marked (and not sent) otherwise. */
  private rangeEdited(): void {
    const area = this.areaSelect.value as InspectorArea;
    const start = Number(this.startField.value.trim());
    const count = Number(this.countField.value.trim());
    const range = { area, start, count };
    const problem = checkRange(range);
    this.startField.invalid = !Number.isInteger(start) || start < 0 || start > LAST_ADDRESS;
    this.countField.invalid = !this.startField.invalid && problem !== undefined;
    if (problem) {
      this.showBanner('error', problem);
      return;
    }
    if (sameRange(range, this.settings)) {
      this.renderBanner();
      return;
    }
    this.applyRange(range);
  }

  private applyRange(range: InspectorRange): void {
    const areaChanged = range.area !== this.settings.area;
    this.settings = { ...this.settings, ...range };
    if (areaChanged) {
      this.selected = undefined;
      this.tagType = isBitArea(range.area) ? 'bool' : 'uint16';
      this.layoutHead();
    }
    this.last = undefined;
    this.previous = undefined;
    this.stale = undefined;
    this.syncControls();
    this.renderEmpty(`Reading ${rangeText(this.settings)}…`);
    this.renderSelection();
    this.sendSettings();
  }

  private pollEdited(): void {
    const ms = Number(this.pollSelect.value);
    if (!POLL_INTERVALS_MS.includes(ms)) return;
    this.settings = { ...this.settings, intervalMs: ms };
    this.sendSettings();
    this.renderStatus();
  }

  private setPaused(paused: boolean): void {
    this.settings = { ...this.settings, paused };
    this.syncControls();
    this.sendSettings();
    this.renderStatus();
  }

  private setByteOrder(order: InspectorByteOrder): void {
    if (!INSPECTOR_BYTE_ORDERS.includes(order)) return;
    this.byteOrder = order;
    this.orderSelect.value = order;
    this.host.setState({ byteOrder: order });
    this.layoutHead();
    // Another order is another reading of the same registers: nothing "changed" on the device.
    this.previous = undefined;
    if (this.last) this.renderRows();
  }

  private sendSettings(): void {
    this.host.postMessage({ type: 'settings', settings: { ...this.settings } });
  }

  private findRegisters(): void {
    const count = Math.min(MAX_COUNT, LAST_ADDRESS + 1 - this.settings.start);
    this.host.postMessage({ type: 'probe', range: { area: this.settings.area, start: this.settings.start, count } });
  }

  // -------------------------------------------------------------------------------------------
  // Table
  // -------------------------------------------------------------------------------------------

  private layoutHead(): void {
    this.head.replaceChildren();
    this.rowElements = [];
    this.body.replaceChildren();
    if (isBitArea(this.settings.area)) {
      const tr = this.head.insertRow();
      tr.append(th('Address', 'addr'), th('Value', 'num'));
      this.table.classList.add('bits-area');
      return;
    }
    this.table.classList.remove('bits-area');
    const groups = this.head.insertRow();
    groups.className = 'groups';
    groups.append(th('', 'addr'), th('16-bit', 'group', 4), th(`32-bit · ${this.byteOrder}`, 'group wide', 3), th(`64-bit · ${this.byteOrder}`, 'group wide', 1));
    const tr = this.head.insertRow();
    tr.append(th('Address', 'addr'));
    for (const c of REGISTER_COLUMNS) tr.append(th(c.title, `c-${c.key}${c.num ? ' num' : ''}${c.key === 'u32' || c.key === 'f64' ? ' first-wide' : ''}`));
  }

  private renderEmpty(text: string): void {
    this.body.replaceChildren();
    this.rowElements = [];
    this.empty.textContent = text;
    this.empty.hidden = false;
    this.hint.hidden = true;
    this.renderBanner();
    this.renderStatus();
  }

  private renderRows(): void {
    const read = this.last!;
    const rows = rowsOf(read, this.byteOrder, this.previous);
    this.empty.hidden = true;
    if (this.rowElements.length !== rows.length) {
      this.body.replaceChildren();
      this.rowElements = rows.map(() => this.body.insertRow());
    }
    const flashed: HTMLTableRowElement[] = [];
    rows.forEach((row, i) => {
      const tr = this.rowElements[i]!;
      fillRow(tr, row, read.area);
      tr.classList.toggle('selected', this.selected === row.address);
      tr.setAttribute('aria-selected', String(this.selected === row.address));
      if (row.changed) flashed.push(tr);
    });
    this.flash(flashed);
    this.table.classList.toggle('stale', this.stale !== undefined);
    this.renderHint();
    this.renderBanner();
    this.renderStatus();
    this.renderSelection();
  }

  private flash(rows: HTMLTableRowElement[]): void {
    for (const tr of this.body.querySelectorAll('tr.changed')) tr.classList.remove('changed');
    if (this.flashTimer) clearTimeout(this.flashTimer);
    if (rows.length === 0) return;
    // Taken off and put back in the next frame: the animation runs again for a row that changes every read.
    requestAnimationFrame(() => {
      for (const tr of rows) tr.classList.add('changed');
      this.flashTimer = setTimeout(() => {
        for (const tr of rows) tr.classList.remove('changed');
      }, FLASH_MS);
    });
  }

  private clicked(e: MouseEvent): void {
    const cell = (e.target as HTMLElement).closest('td');
    const tr = cell?.closest('tr');
    if (!cell || !tr || !this.body.contains(tr)) return;
    const address = Number(tr.dataset.address);
    if (!Number.isInteger(address)) return;
    this.selected = address;
    const type = cell.dataset.type as InspectorTagType | undefined;
    if (isBitArea(this.settings.area)) this.tagType = 'bool';
    else if (type) this.tagType = type;
    for (const r of this.rowElements) {
      const on = Number(r.dataset.address) === address;
      r.classList.toggle('selected', on);
      r.setAttribute('aria-selected', String(on));
    }
    this.renderHint();
    this.renderSelection();
  }

  // -------------------------------------------------------------------------------------------
  // Around the table
  // -------------------------------------------------------------------------------------------

  private renderStatus(): void {
    const parts: string[] = [];
    if (this.last) {
      const n = this.last.count;
      parts.push(`${n} ${UNIT[this.last.area][n === 1 ? 0 : 1]}`, `${this.last.requests} request${this.last.requests === 1 ? '' : 's'}`, time(this.last.timestamp));
    }
    if (this.settings.paused) parts.push('paused');
    else if (this.settings.intervalMs === 0) parts.push('polling off');
    this.status.textContent = parts.join(' · ');
  }

  private renderBanner(): void {
    if (!this.stale) {
      this.banner.hidden = true;
      return;
    }
    const kept = this.last ? ` Showing the values read at ${time(this.last.timestamp)}, marked stale.` : '';
    this.showBanner('error', `${this.stale.error}${kept}`);
  }

  private showBanner(kind: 'error', text: string): void {
    this.banner.replaceChildren(element('span', `codicon codicon-${kind}`), document.createTextNode(text));
    this.banner.className = `banner ${kind}`;
    this.banner.hidden = false;
  }

  private renderHint(): void {
    const read = this.last;
    const index = this.selected !== undefined && read ? this.selected - read.start : undefined;
    const guess = read ? orderHint(read, index !== undefined && index >= 0 && index < read.count ? index : undefined) : undefined;
    if (!guess) {
      this.hint.hidden = true;
      return;
    }
    const icon = element('span', 'codicon codicon-lightbulb');
    const text = element('span');
    text.textContent = `From ${guess.address}, this looks like ${guess.type} ${guess.order}: ${guess.reason}.`;
    this.hint.replaceChildren(icon, text);
    if (guess.order !== this.byteOrder) {
      const apply = element('a', 'apply');
      apply.textContent = `Use ${guess.order}`;
      apply.href = '#';
      apply.title = `Show the 32- and 64-bit values in ${guess.order} (a guess: check it against what the device's manual says)`;
      apply.addEventListener('click', (e) => {
        e.preventDefault();
        this.setByteOrder(guess.order);
      });
      this.hint.append(apply);
    } else {
      const note = element('span', 'applied');
      note.textContent = 'shown';
      this.hint.append(note);
    }
    this.hint.hidden = false;
  }

  private renderProbe(): void {
    const p = this.probe;
    this.probeBox.replaceChildren();
    if (!p) {
      this.probeBox.hidden = true;
      return;
    }
    this.probeBox.hidden = false;
    const close = toolbarButton('close', 'Close', () => {
      this.probe = undefined;
      this.renderProbe();
    });
    close.classList.add('close');
    if ('running' in p) {
      const text = element('span', 'probe-title');
      text.append(element('span', 'codicon codicon-loading codicon-modifier-spin'), document.createTextNode(` Finding ${UNIT[p.running.area][1]} in ${rangeText(p.running)}…`));
      this.probeBox.append(text);
      return;
    }
    if ('error' in p) {
      const text = element('span', 'probe-title error');
      text.append(element('span', 'codicon codicon-error'), document.createTextNode(` Find Registers failed: ${p.error}`));
      this.probeBox.append(text, close);
      return;
    }
    const title = element('span', 'probe-title');
    const found = p.present.reduce((n, [a, b]) => n + b - a + 1, 0);
    title.textContent = `${found} of ${p.count} ${UNIT[p.area][1]} in ${rangeText(p)} exist (${p.requests} request${p.requests === 1 ? '' : 's'}):`;
    const list = element('span', 'probe-ranges');
    const chip = (kind: 'present' | 'absent' | 'failed', first: number, last: number, note?: string) => {
      const c = element('a', `chip ${kind}`);
      c.href = '#';
      c.textContent = first === last ? `${first}` : `${first}–${last}`;
      const count = Math.min(MAX_COUNT, last - first + 1);
      c.title = `${kind === 'present' ? 'Answered' : kind === 'absent' ? 'Does not exist (exception 2)' : `Failed: ${note ?? ''}`} · click to show ${p.area} ${first}–${first + count - 1}`;
      c.dataset.first = String(first);
      c.addEventListener('click', (e) => {
        e.preventDefault();
        this.applyRange({ area: p.area, start: first, count });
      });
      list.append(c);
    };
    for (const [a, b] of p.present) chip('present', a, b);
    for (const [a, b] of p.absent) chip('absent', a, b);
    for (const f of p.failed) chip('failed', f.start, f.start + f.count - 1, f.message);
    if (p.present.length + p.absent.length + p.failed.length === 0) list.textContent = 'nothing answered';
    this.probeBox.append(title, list, close);
  }

  private renderSelection(outcome?: string, failed = false): void {
    const read = this.last;
    const address = this.selected;
    if (address === undefined || !read || address < read.start || address >= read.start + read.count) {
      this.selectionBar.hidden = true;
      return;
    }
    this.selectionBar.hidden = false;
    const bits = isBitArea(read.area);
    const what = element('span', 'what');
    what.textContent = bits ? `${AREA_LABELS[read.area].replace(/s$/, '')} ${address}` : `${read.area === 'holding' ? 'Holding' : 'Input'} register ${address}`;
    const parts: HTMLElement[] = [what];
    if (!bits) {
      const typeSelect = select('tag-type', 'Type of the tag', REGISTER_TAG_TYPES.map((t) => [t, t]), this.tagType, () => {
        this.tagType = typeSelect.value as InspectorTagType;
        this.renderSelection();
      });
      parts.push(labelled('as', typeSelect));
      if (this.tagType !== 'uint16' && this.tagType !== 'int16') {
        const order = element('span', 'order');
        order.textContent = `byte order ${this.byteOrder}`;
        parts.push(order);
      }
    }
    const add = document.createElement('vscode-button');
    add.className = 'add-tag';
    add.setAttribute('icon', 'add');
    add.textContent = 'Add as Tag…';
    const refusal = this.device?.addTagRefusal;
    if (refusal) {
      add.setAttribute('disabled', '');
      add.title = refusal;
    } else {
      add.title = 'Add this value as a tag of the device in bifrost.json';
      add.addEventListener('click', () =>
        this.host.postMessage({ type: 'addTag', tag: { area: read.area, address, type: bits ? 'bool' : this.tagType, byteOrder: this.byteOrder } }),
      );
    }
    parts.push(add);
    const note = element('span', `outcome${failed ? ' error' : ''}`);
    if (outcome) note.textContent = outcome;
    else if (refusal) note.textContent = refusal;
    parts.push(note);
    this.selectionBar.replaceChildren(...parts);
  }
}

/** Fills a row's cells, building them the first time (or when the row changes kind). */
function fillRow(tr: HTMLTableRowElement, row: InspectorRow, area: InspectorArea): void {
  tr.dataset.address = String(row.address);
  tr.classList.toggle('refused', row.refused !== undefined);
  tr.title = row.refused !== undefined ? row.refused : '';
  const cellCount = row.kind === 'bit' ? 2 : 1 + REGISTER_COLUMNS.length;
  if (tr.cells.length !== cellCount) {
    tr.replaceChildren();
    tr.append(td('addr'));
    if (row.kind === 'bit') tr.append(td('c-value'));
    else
      for (const c of REGISTER_COLUMNS) {
        const cell = td(`c-${c.key}${c.num ? ' num' : ''}${c.key === 'u32' || c.key === 'f64' ? ' first-wide' : ''}`);
        if (c.type) cell.dataset.type = c.type;
        tr.append(cell);
      }
  }
  tr.cells[0]!.textContent = String(row.address);
  tr.cells[0]!.title = `${area} ${row.address} (0-based)`;
  if (row.refused !== undefined) {
    // Refused is said once, in the first value cell; the others stay empty, never 0.
    const badge = element('span', 'refused-badge');
    badge.textContent = 'refused';
    badge.title = row.refused;
    tr.cells[1]!.replaceChildren(badge);
    for (let i = 2; i < tr.cells.length; i++) tr.cells[i]!.textContent = '';
    return;
  }
  if (row.kind === 'bit') {
    tr.cells[1]!.textContent = row.value;
    tr.cells[1]!.classList.toggle('on', row.value === '1');
    return;
  }
  REGISTER_COLUMNS.forEach((c, i) => {
    tr.cells[i + 1]!.textContent = row[c.key];
  });
}

function sameRange(a: InspectorRange, b: InspectorRange): boolean {
  return a.area === b.area && a.start === b.start && a.count === b.count;
}

function rangeText(r: InspectorRange): string {
  return `${r.area} ${r.start}–${r.start + r.count - 1}`;
}

function pollLabel(ms: number): string {
  if (ms === 0) return 'Off';
  return ms < 1000 ? `${ms} ms` : `${ms / 1000} s`;
}

function time(t: number): string {
  const d = new Date(t);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (className) el.className = className;
  return el;
}

function th(text: string, className: string, colSpan = 1): HTMLTableCellElement {
  const cell = element('th', className);
  cell.textContent = text;
  cell.scope = 'col';
  if (colSpan > 1) cell.colSpan = colSpan;
  return cell;
}

function td(className: string): HTMLTableCellElement {
  return element('td', className);
}

function labelled(text: string, control: HTMLElement): HTMLElement {
  const label = element('label', 'field');
  const span = element('span', 'field-label');
  span.textContent = text;
  label.append(span, control);
  return label;
}

function select(name: string, aria: string, options: [string, string][], value: string, changed: () => void): VscodeSingleSelect {
  const s = document.createElement('vscode-single-select');
  s.className = `select-${name}`;
  s.setAttribute('aria-label', aria);
  for (const [v, text] of options) {
    const o = document.createElement('vscode-option');
    o.value = v;
    o.textContent = text;
    if (v === value) o.selected = true;
    s.append(o);
  }
  s.addEventListener('change', changed);
  return s;
}

function numberField(name: string, aria: string, min: number, max: number, changed: () => void): VscodeTextfield {
  const f = document.createElement('vscode-textfield');
  f.className = `field-${name}`;
  f.type = 'number';
  f.min = min;
  f.max = max;
  f.setAttribute('aria-label', aria);
  f.addEventListener('change', changed);
  f.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') changed();
  });
  return f;
}
