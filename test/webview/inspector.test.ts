import * as assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { InspectorDevice, InspectorRead, InspectorSettings } from '../../webview/inspectorMessages';
import { startHarness, type Harness, type InspectorPage } from './harness';

const RESULTS = resolve(__dirname, '../../test-results');

const DEVICE: InspectorDevice = { id: 'plc1', name: 'Line 1 PLC', description: 'Modbus TCP · 127.0.0.1:5020 · unit 1' };
const SETTINGS: InspectorSettings = { area: 'holding', start: 0, count: 24, intervalMs: 1000, paused: false };
const REFUSED = 'plc1: Modbus exception 2 (illegal data address) reading holding registers 18-19';

/** The two registers of a float32 as a device in word-swapped order (CDAB) sends them. */
function cdab(f: number): [number, number] {
  const v = new DataView(new ArrayBuffer(4));
  v.setFloat32(0, f);
  return [v.getUint16(2), v.getUint16(0)];
}

/**
 * 24 holding registers: eight float32 in CDAB (0-15), a counter (16), 0xFFFF (17), two the device
 * refuses (18-19), a bit pattern (20), then small numbers.
 */
function registers(counter = 1234): (number | null)[] {
  const floats = [21.53, 1013.27, 3.1416, 49.87, -12.71, 0.518, 230.12, 4.77].flatMap(cdab);
  return [...floats, counter, 0xffff, null, null, 0x00f0, 7, 8, 9];
}

function read(values: (number | null)[], timestamp = Date.parse('2026-03-02T10:15:30.250Z')): InspectorRead {
  return { area: 'holding', start: 0, count: values.length, values, errors: [{ start: 18, count: 2, message: REFUSED, exception: 2 }], requests: 3, timestamp };
}

async function cells(panel: InspectorPage, address: number): Promise<string[]> {
  return panel.page.locator(`tbody tr[data-address="${address}"] td`).allInnerTexts();
}

describe('register inspector webview (headless Chromium)', function () {
  this.timeout(60_000);
  let harness: Harness;
  let panel: InspectorPage;

  before(async () => {
    harness = await startHarness();
    panel = await harness.openInspector({ width: 1180, height: 640 });
    await panel.post({ type: 'init', device: DEVICE, settings: SETTINGS });
    await panel.post({ type: 'read', read: read(registers()) });
    await panel.page.locator('tbody tr[data-address="23"]').waitFor();
  });

  after(async () => {
    await harness?.close();
  });

  it('asks for its data once loaded, and loads without CSP problems', async () => {
    assert.deepEqual((await panel.posted()).slice(0, 1), [{ type: 'ready' }]);
    assert.deepEqual(await panel.problems(), []);
    assert.equal(await panel.page.locator('.device-title').innerText(), 'Line 1 PLC');
  });

  it('shows one row per register: hex, unsigned, signed and bits', async () => {
    assert.equal(await panel.page.locator('tbody tr').count(), 24);
    const r16 = await cells(panel, 16);
    assert.deepEqual(r16.slice(0, 5), ['16', '0x04D2', '1234', '1234', '0000 0100 1101 0010']);
    const r17 = await cells(panel, 17);
    assert.deepEqual(r17.slice(0, 4), ['17', '0xFFFF', '65535', '-1']);
    const r20 = await cells(panel, 20);
    assert.equal(r20[4], '0000 0000 1111 0000');
  });

  it('shows refused registers as refused, with the reason, never as 0', async () => {
    const row = panel.page.locator('tbody tr[data-address="18"]');
    assert.equal(await row.locator('.refused-badge').innerText(), 'refused');
    assert.equal(await row.locator('.refused-badge').getAttribute('title'), REFUSED);
    const texts = await cells(panel, 18);
    assert.deepEqual(texts.slice(2), ['', '', '', '', '', '', ''], 'no value in a refused row');
    // The 32-bit value of 17-18 needs the refused register: none is shown.
    const r17 = await cells(panel, 17);
    assert.deepEqual(r17.slice(5), ['', '', '', ''], 'no wide value from a refused register');
  });

  it('offers the byte order it guesses, and applies it only when clicked', async () => {
    const hint = panel.page.locator('.hint');
    await hint.waitFor();
    assert.match(await hint.innerText(), /float32 CDAB/);
    assert.notEqual((await cells(panel, 0))[7], '21.53', 'shown in ABCD until the guess is applied');
    await hint.locator('a.apply').click();
    await panel.page.waitForFunction(() => document.querySelector('tbody tr[data-address="0"] td.c-f32')?.textContent === '21.53');
    assert.deepEqual(
      await Promise.all([0, 2, 4, 6, 8, 10, 12, 14].map(async (a) => (await cells(panel, a))[7])),
      ['21.53', '1013.27', '3.1416', '49.87', '-12.71', '0.518', '230.12', '4.77'],
      'the eight float32 in CDAB',
    );
    assert.equal(await panel.page.evaluate(() => (document.querySelector('.select-order') as HTMLElement & { value: string }).value), 'CDAB');
    assert.match(await panel.page.locator('thead').innerText(), /32-BIT · CDAB/i);
  });

  it('highlights the values that changed since the read before', async () => {
    await panel.post({ type: 'read', read: read(registers(4321), Date.parse('2026-03-02T10:15:31.250Z')) });
    await panel.page.waitForFunction(() => document.querySelector('tbody tr[data-address="16"]')?.classList.contains('changed'));
    assert.equal((await cells(panel, 16))[2], '4321');
    const changed = await panel.page.locator('tbody tr.changed').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.address));
    // Register 16 changed (and with it the wide values that read it), and only its row flashes.
    assert.deepEqual(changed, ['16']);
  });

  it('keeps the last values, marked stale, when a read fails, and says why in the panel', async () => {
    await panel.post({ type: 'readFailed', range: SETTINGS, error: 'plc1: not connected (connection refused by 127.0.0.1:5020)', timestamp: Date.now() });
    const banner = panel.page.locator('.banner');
    await banner.waitFor();
    assert.match(await banner.innerText(), /connection refused/);
    assert.match(await banner.innerText(), /stale/);
    assert.ok(await panel.page.locator('table.registers.stale').count(), 'the table is marked stale');
    assert.equal((await cells(panel, 16))[2], '4321', 'the last good value stays');
    await panel.post({ type: 'read', read: read(registers(4321)) });
    await banner.waitFor({ state: 'hidden' });
    assert.equal(await panel.page.locator('table.registers.stale').count(), 0);
  });

  it('sends a new range when start or count is typed, and refuses a range it cannot read', async () => {
    const before = (await panel.posted()).length;
    await panel.page.locator('.field-count input').fill('5000');
    await panel.page.locator('.field-count input').press('Enter');
    await panel.page.locator('.banner', { hasText: 'count must be' }).waitFor();
    assert.equal((await panel.posted()).length, before, 'nothing sent for a count of 5000');
    assert.equal(await panel.page.evaluate(() => (document.querySelector('.field-count') as HTMLElement & { invalid: boolean }).invalid), true);

    await panel.page.locator('.field-count input').fill('24');
    await panel.page.locator('.field-start input').fill('100');
    await panel.page.locator('.field-start input').press('Enter');
    await panel.page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'settings'));
    const sent = (await panel.posted()).filter((m) => m.type === 'settings').at(-1);
    assert.deepEqual(sent, { type: 'settings', settings: { ...SETTINGS, start: 100 } });
    assert.match(await panel.page.locator('.table-empty').innerText(), /Reading holding 100–123/);
    // A late answer for the old range is not shown as the new one.
    await panel.post({ type: 'read', read: read(registers()) });
    assert.equal(await panel.page.locator('tbody tr').count(), 0);
  });

  it('lists what Find Registers found, with the requests it took; a range shows where it is', async () => {
    await panel.post({ type: 'init', device: DEVICE, settings: SETTINGS, last: read(registers()) });
    await panel.page.locator('vscode-button.find').click();
    await panel.page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'probe'));
    const asked = (await panel.posted()).filter((m) => m.type === 'probe').at(-1);
    assert.deepEqual(asked, { type: 'probe', range: { area: 'holding', start: 0, count: 4000 } });
    await panel.post({ type: 'probing', range: { area: 'holding', start: 0, count: 4000 } });
    await panel.page.locator('.probe', { hasText: 'Finding registers' }).waitFor();
    await panel.post({ type: 'probe', probe: { area: 'holding', start: 0, count: 4000, present: [[0, 9], [12, 99], [1000, 1099]], absent: [[10, 11], [100, 999], [1100, 3999]], failed: [], requests: 31 } });
    const probe = panel.page.locator('.probe');
    await probe.locator('.chip.present').first().waitFor();
    assert.match(await probe.innerText(), /198 of 4000 registers in holding 0–3999 exist \(31 requests\)/);
    assert.deepEqual(await probe.locator('.chip.present').allInnerTexts(), ['0–9', '12–99', '1000–1099']);
    await probe.locator('.chip.present', { hasText: '1000–1099' }).click();
    const sent = (await panel.posted()).filter((m) => m.type === 'settings').at(-1);
    assert.deepEqual(sent, { type: 'settings', settings: { ...SETTINGS, start: 1000, count: 100 } });
  });

  it('adds the selected row as a tag of the type of the cell clicked, in the byte order shown', async () => {
    await panel.post({ type: 'init', device: DEVICE, settings: SETTINGS, last: read(registers()) });
    await panel.page.locator('tbody tr[data-address="2"] td.c-f32').click();
    const bar = panel.page.locator('.selection');
    await bar.waitFor();
    assert.match(await bar.innerText(), /Holding register 2/);
    assert.match(await bar.innerText(), /byte order CDAB/);
    await bar.locator('vscode-button.add-tag').click();
    await panel.page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'addTag'));
    const asked = (await panel.posted()).filter((m) => m.type === 'addTag').at(-1);
    assert.deepEqual(asked, { type: 'addTag', tag: { area: 'holding', address: 2, type: 'float32', byteOrder: 'CDAB' } });
    await panel.post({ type: 'tagAdded', name: 'holding_2_float32', area: 'holding', address: 2 });
    await bar.locator('.outcome', { hasText: 'holding_2_float32' }).waitFor();
  });

  it('looks like a VS Code panel (screenshot)', async () => {
    mkdirSync(RESULTS, { recursive: true });
    await panel.post({ type: 'read', read: read(registers(1300), Date.now()) });
    await panel.page.locator('tbody tr[data-address="4"] td.c-f32').click();
    await panel.post({ type: 'probe', probe: { area: 'holding', start: 0, count: 4000, present: [[0, 9], [12, 99]], absent: [[10, 11], [100, 3999]], failed: [], requests: 17 } });
    await panel.frames(3);
    writeFileSync(join(RESULTS, 'inspector.png'), await panel.page.screenshot());
    assert.deepEqual(await panel.problems(), []);
  });

  it('shows coils as 0 and 1, and adds one as a bool', async () => {
    const coils = await harness.openInspector({ width: 700, height: 400 });
    try {
      const settings: InspectorSettings = { area: 'coil', start: 0, count: 6, intervalMs: 250, paused: false };
      await coils.post({ type: 'init', device: DEVICE, settings });
      await coils.post({ type: 'read', read: { area: 'coil', start: 0, count: 6, values: [1, 0, 0, 1, null, 1], errors: [{ start: 4, count: 1, message: 'plc1: exception 2', exception: 2 }], requests: 2, timestamp: Date.now() } });
      await coils.page.locator('tbody tr[data-address="5"]').waitFor();
      assert.deepEqual(await coils.page.locator('thead th').allInnerTexts(), ['Address', 'Value']);
      assert.deepEqual(await coils.page.locator('tbody td.c-value').allInnerTexts(), ['1', '0', '0', '1', 'refused', '1']);
      assert.equal(await coils.page.locator('.hint:not([hidden])').count(), 0, 'no byte order for bits');
      await coils.page.locator('tbody tr[data-address="3"] td.c-value').click();
      await coils.page.locator('vscode-button.add-tag').click();
      await coils.page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'addTag'));
      const asked = (await coils.posted()).filter((m) => m.type === 'addTag').at(-1);
      assert.deepEqual(asked, { type: 'addTag', tag: { area: 'coil', address: 3, type: 'bool', byteOrder: 'ABCD' } });
      writeFileSync(join(RESULTS, 'inspector-coils.png'), await coils.page.screenshot());
    } finally {
      await coils.page.close();
    }
  });
});
