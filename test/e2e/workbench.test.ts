/**
 * Bifrost in the workbench, through the browser: the VSIX installed in code-server, the
 * workbench in headless Chromium, driven with the mouse and keyboard as a person would.
 * Run by `npm run test:e2e` (tools/e2e.ts), which hands over code-server and the VSIX.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'mocha';
import type { Page } from 'playwright-core';
import type { DeviceConfig } from '../../gateway/protocol';
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';
import { CodeServer } from '../../tools/code-server';
import { E2E_ENV, recordMeasurement, testDriversEnv } from '../../tools/e2e-env';
import { MEMORY_PLANT, memoryPlant } from '../fixtures/memoryPlant';
import { waitFor } from '../extension-host/waitFor';
import { clickInlineAction, collapseRow, describeRows, DIALOG, expandRow, hoverTooltip, QUICK_INPUT, restMouse, runCommand, tagsOf, type TreeRow, treeRow, treeRows, webviewWith } from './workbench';

const ROOT = resolve(__dirname, '../..');
const RESULTS = join(ROOT, 'test-results');
const DOCS_IMAGE = join(ROOT, 'docs', 'images', 'tag-explorer.png');

const TANK = 'Tank Farm PLC';
const BOILER = 'Boiler Controller';
/** The demo plant's OPC UA server as a device (its name in the demo's config): it joins a few seconds after the Modbus devices. */
const OPCUA = 'Demo Plant OPC UA Server';
/** The demo serial bus runs where socat is installed (the test set-up installs it). */
const HAS_SOCAT = spawnSync('socat', ['-V']).status === 0;
const DRIVE = 'Fill Pump Drive';
const METER = 'Pump House Energy Meter';
const RIG = 'Test Rig';
const SETPOINT = 'speed_setpoint';
const SETPOINT_REGISTER = 1;

function rigConfig(port: number): { devices: DeviceConfig[] } {
  return {
    devices: [
      {
        id: 'rig',
        name: RIG,
        protocol: 'modbus-tcp',
        host: '127.0.0.1',
        port,
        pollIntervalMs: 250,
        allowWrites: true,
        tags: [
          { name: 'line_speed', area: 'holding', address: 0, unit: 'rpm' },
          { name: SETPOINT, area: 'holding', address: SETPOINT_REGISTER, unit: 'rpm', access: 'readwrite' },
        ],
      },
    ],
  };
}

/** A port nothing listens on (it was free a moment ago): connects to it are refused. */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run these checks with npm run test:e2e`);
  return value;
}

async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `e2e-${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

describe('Bifrost in the workbench (code-server, headless Chromium)', function () {
  const updateDocsImages = process.env[E2E_ENV.updateDocsImages] === '1';
  let server: CodeServer | undefined;
  let page: Page;
  const rig = new ModbusTcpSimulator({ holdings: 16 });
  let workspace: string;

  before(async () => {
    const scratch = required(E2E_ENV.scratch);
    await rig.start();
    rig.holdings[SETPOINT_REGISTER] = 1200;
    workspace = join(scratch, 'plant');
    mkdirSync(workspace, { recursive: true });
    writeFileSync(join(workspace, 'bifrost.json'), '{ "devices": [] }\n');
    server = await CodeServer.start({
      entry: required(E2E_ENV.codeServer),
      vsix: required(E2E_ENV.vsix),
      workspace,
      scratch,
      settings: { 'workbench.colorTheme': 'Default Light Modern' },
      // The in-memory test protocol, plugged into the extension's gateway for the check of a second protocol.
      env: testDriversEnv(),
      log: (line) => console.log(`      ${line}`),
    });
    page = server.page;
    await server.extensionHostReady();
  });

  after(async function () {
    await rig.stop();
    if (!server) return;
    const failed = this.test?.parent?.tests.some((t) => t.state === 'failed');
    if (failed) {
      console.log(`\n----- workbench run: Bifrost log -----\n${server.extensionLog().split('\n').slice(-120).join('\n')}`);
      console.log(`\n----- workbench run: extension host log -----\n${server.extensionHostLog().split('\n').slice(-80).join('\n')}`);
    }
    mkdirSync(join(RESULTS, 'e2e-logs'), { recursive: true });
    writeFileSync(join(RESULTS, 'e2e-logs', 'workbench-bifrost.log'), server.extensionLog());
    writeFileSync(join(RESULTS, 'e2e-logs', 'workbench-exthost.log'), server.extensionHostLog());
    const stopped = await server.stop();
    assert.deepEqual(stopped.gatewaysLeft, [], 'a gateway outlived VS Code');
  });

  it('shows the Bifrost view, which offers the demo plant while bifrost.json lists no devices', async () => {
    await page.locator('.part.activitybar .action-label[aria-label="Bifrost"]').click();
    await page.locator('.part.sidebar .welcome-view-content', { hasText: 'No devices yet' }).waitFor({ state: 'visible' });
  });

  it('Start Demo Plant fills the Tag Explorer with devices and tags whose values change', async () => {
    const start = page.locator('.part.sidebar .welcome-view-content .monaco-button', { hasText: 'Start Demo Plant' });
    await start.waitFor({ state: 'visible' });
    const clicked = Date.now();
    await start.click();
    // Off the tree, so that no tooltip covers it in the screenshot.
    await restMouse(page);
    // The first value on screen: a tag row with something in its description.
    await page.waitForFunction(
      () => Array.from(document.querySelectorAll('.part.sidebar .monaco-list-row[aria-level="2"] .label-description')).some((d) => (d.textContent ?? '').trim() !== ''),
      undefined,
      { polling: 'raf', timeout: 30_000 },
    );
    recordMeasurement({ name: 'Start Demo Plant (click) → first value painted in the tree', value: Date.now() - clicked, unit: 'ms' });

    const rows = await waitFor(
      'both demo devices with their tags on screen',
      async () => {
        const r = await treeRows(page);
        // With socat, the serial bus joins a moment later: its units' values on screen too.
        const bus = !HAS_SOCAT || [DRIVE, METER].every((d) => tagsOf(r, d).some((t) => (t.description ?? '').trim() !== ''));
        return tagsOf(r, TANK).length >= 10 && tagsOf(r, BOILER).length >= 10 && bus ? r : undefined;
      },
      () => 'rows not yet complete',
    );
    // One gateway: its level is left out, and the devices are the top rows.
    // The OPC UA server's device may have joined already (its own check follows).
    const devices = rows.filter((r) => r.level === 1 && r.label !== OPCUA).map((r) => r.label);
    assert.deepEqual(devices.sort(), [BOILER, TANK, ...(HAS_SOCAT ? [DRIVE, METER] : [])].sort(), `the top rows are not the devices: ${describeRows(rows)}`);
    for (const tag of ['level', 'inlet_flow', 'pump_running']) assert.ok(tagsOf(rows, TANK).some((t) => t.label === tag), `${TANK} › ${tag} missing: ${describeRows(rows)}`);
    for (const tag of ['temperature', 'setpoint', 'burner_on']) assert.ok(tagsOf(rows, BOILER).some((t) => t.label === tag), `${BOILER} › ${tag} missing: ${describeRows(rows)}`);

    const level = async () => tagsOf(await treeRows(page), TANK).find((t) => t.label === 'level')?.description ?? '';
    const first = await level();
    let now = first;
    await waitFor('the tank level to change on screen', async () => ((now = await level()) !== first && now !== '' ? true : undefined), () => `was "${first}", now "${now}"`, {
      everyMs: 250,
    });
    await screenshot(page, 'tag-explorer');
  });

  it('Add All to Chart opens the Live Data panel, where the values move', async () => {
    await clickInlineAction(treeRow(page, BOILER, 1), 'Add All to Chart');
    const panel = await webviewWith(page, 'table.readings tbody tr', 'the Live Data panel with its table');
    const values = () => panel.locator('table.readings tbody tr td.value').allInnerTexts();
    const rowCount = await waitFor('14 rows in the Live Data table', async () => {
      const n = await panel.locator('table.readings tbody tr').count();
      return n === 14 ? n : undefined;
    });
    assert.equal(rowCount, 14);
    const first = await values();
    let now = first;
    await waitFor(
      'a value in the Live Data table to change',
      async () => {
        now = await values();
        return now.some((v, i) => v !== first[i] && v !== '—') ? true : undefined;
      },
      () => `first ${JSON.stringify(first)}, now ${JSON.stringify(now)}`,
      { everyMs: 250 },
    );
    const chart = panel.locator('.plot canvas').first();
    assert.ok(await chart.isVisible(), 'the chart is not shown');
    await restMouse(page);
    await screenshot(page, 'live-data');

    if (updateDocsImages) {
      // The README's picture: the large counters hidden so the chart reads well, a minute of history.
      for (const tag of ['energy_total', 'burner_runtime', 'status_word']) await panel.locator('.legend .u-series', { hasText: tag }).locator('th').click();
      await runCommand(page, 'Notifications: Clear All Notifications');
      await page.waitForTimeout(45_000);
      await restMouse(page);
      copyFileSync(await screenshot(page, 'docs-tag-explorer'), DOCS_IMAGE);
      console.log(`      refreshed ${DOCS_IMAGE}`);
    }
  });

  it('Inspect Registers… shows the raw registers of a demo device, live, with their 32-bit values', async () => {
    await runCommand(page, 'View: Close All Editors');
    await runCommand(page, 'Bifrost: Inspect Registers…');
    const box = page.locator(QUICK_INPUT);
    await box.waitFor({ state: 'visible' });
    await box.locator('input.input').fill(BOILER);
    await box.locator('.monaco-list-row', { hasText: BOILER }).first().click();
    const panel = await webviewWith(page, 'table.registers tbody tr', 'the register inspector with its rows');
    const firstRows = () => panel.locator('table.registers tbody tr').allInnerTexts();
    const shown = await waitFor('hex values in the inspector', async () => {
      const rows = await firstRows();
      return rows.filter((r) => /0x[0-9A-F]{4}/.test(r)).length >= 10 ? rows : undefined;
    }, async () => JSON.stringify((await firstRows()).slice(0, 3)));
    let now = shown;
    await waitFor('a register to change', async () => {
      now = await firstRows();
      return now.some((r, i) => r !== shown[i]) ? true : undefined;
    }, () => `first ${JSON.stringify(shown.slice(0, 5))}, now ${JSON.stringify(now.slice(0, 5))}`, { everyMs: 250 });
    await restMouse(page);
    await screenshot(page, 'inspector');
  });

  it('the demo plant\'s OPC UA server joins as a device whose folders open one by one, with live values and a write that reaches the server', async () => {
    await runCommand(page, 'View: Close All Editors');
    await runCommand(page, 'Notifications: Clear All Notifications');
    // The tree draws only the rows in view: the serial bus's units closed, the OPC UA device fits below the others.
    if (HAS_SOCAT) for (const unit of [DRIVE, METER]) await collapseRow(treeRow(page, unit, 1));
    let rows: TreeRow[] = [];
    const deviceRow = () => rows.find((r) => r.level === 1 && r.label === OPCUA);
    await waitFor(
      `${OPCUA} in the tree, connected`,
      async () => {
        rows = await treeRows(page);
        return deviceRow()?.description.startsWith('opc.tcp://127.0.0.1:') ? true : undefined;
      },
      () => describeRows(rows),
      { timeoutMs: 90_000 },
    );
    // Room for the address space: the Modbus devices closed.
    await collapseRow(treeRow(page, TANK, 1));
    await collapseRow(treeRow(page, BOILER, 1));

    const device = treeRow(page, OPCUA, 1);
    await expandRow(device);
    await treeRow(page, 'Plant', 2).waitFor({ state: 'visible' });
    rows = await treeRows(page);
    const top = tagsOf(rows, OPCUA);
    assert.ok(top.some((r) => r.level === 2 && r.label === 'Types'), `no Types folder beside Plant: ${describeRows(top)}`);
    assert.ok(!top.some((r) => r.label === 'Tank' || r.label === 'Level'), `rows below Plant shown before it was opened: ${describeRows(top)}`);
    await expandRow(treeRow(page, 'Plant', 2));
    await expandRow(treeRow(page, 'Tank', 3));
    await expandRow(treeRow(page, 'Boiler', 3));

    const shown = (label: string) => rows.find((r) => r.level === 4 && r.label === label)?.description ?? '';
    // Photographed however the wait ends: what the tree shows is what went wrong otherwise.
    try {
      await waitFor(
        'Plant › Tank › Level and Plant › Boiler › Setpoint with their values',
        async () => {
          rows = await treeRows(page);
          return /^\d+(\.\d+)? %$/.test(shown('Level')) && /^\d+(\.\d+)? °C$/.test(shown('Setpoint')) ? true : undefined;
        },
        () => describeRows(tagsOf(rows, OPCUA)),
      );
      const level = shown('Level');
      await waitFor(
        'Plant › Tank › Level to change on screen',
        async () => {
          rows = await treeRows(page);
          return shown('Level') !== level && shown('Level') !== '' ? true : undefined;
        },
        () => `was "${level}", now "${shown('Level')}"`,
        { everyMs: 250 },
      );
    } finally {
      await restMouse(page);
      await screenshot(page, 'opcua-tree');
    }

    const before = Number.parseFloat(shown('Setpoint'));
    const target = Math.abs(before - 70) < 0.5 ? 65 : 70;
    const setpointRow = treeRow(page, 'Setpoint', 4);
    await clickInlineAction(setpointRow, 'Write…');
    const box = page.locator(QUICK_INPUT);
    await box.waitFor({ state: 'visible' });
    assert.match(await box.innerText(), new RegExp(`Write boiler_setpoint on ${OPCUA}`), 'the input box is not about the clicked node');
    const input = box.locator('input.input');
    await input.fill(String(target));
    await input.press('Enter');
    const dialog = page.locator(DIALOG);
    await dialog.waitFor({ state: 'visible' });
    const text = await dialog.innerText();
    assert.match(text, new RegExp(`Write ${target} °C to boiler_setpoint on ${OPCUA}\\?`));
    assert.match(text, /ns=1;s=Plant\.Boiler\.Setpoint/);
    await screenshot(page, 'opcua-write-confirm');
    await dialog.locator('.monaco-button', { hasText: /^Write$/ }).click();
    await page.locator('.notification-toast', { hasText: `is now ${target} °C (confirmed by the device` }).waitFor({ state: 'visible' });

    // The server's own value, as its subscription brings it to the row.
    await setpointRow.locator('.label-description', { hasText: new RegExp(`^${target}(\\.0+)? °C$`) }).waitFor({ state: 'visible' });
    // The same process behind the Modbus boiler: its setpoint register follows.
    await collapseRow(device);
    await expandRow(treeRow(page, BOILER, 1));
    await waitFor(
      `${BOILER} › setpoint to show ${target} °C`,
      async () => {
        rows = await treeRows(page);
        const sp = tagsOf(rows, BOILER).find((r) => r.label === 'setpoint')?.description ?? '';
        return new RegExp(`^${target}(\\.0+)? °C$`).test(sp) ? true : undefined;
      },
      () => describeRows(tagsOf(rows, BOILER)),
    );
    await collapseRow(treeRow(page, BOILER, 1));
    await runCommand(page, 'Notifications: Clear All Notifications');
  });

  it('Write… with the input box and the confirmation dialog reaches the device', async () => {
    writeFileSync(join(workspace, 'bifrost.json'), `${JSON.stringify(rigConfig(rig.port), null, 2)}\n`);
    const setpointRow = treeRow(page, SETPOINT, 2);
    // Connected and showing values. Until the device's row has settled, VS Code may repaint it,
    // and while it does, an action clicked on one of its tags reaches the command without the tag.
    let rows: TreeRow[] = [];
    await waitFor(
      `${RIG} connected, with ${SETPOINT} showing 1200 rpm`,
      async () => {
        rows = await treeRows(page);
        const device = rows.find((r) => r.level === 1 && r.label === RIG);
        const setpoint = tagsOf(rows, RIG).find((t) => t.label === SETPOINT);
        return device?.description.startsWith(`127.0.0.1:${rig.port} `) && setpoint?.description === '1200 rpm' ? true : undefined;
      },
      () => describeRows(rows),
    );

    await clickInlineAction(setpointRow, 'Write…');
    const box = page.locator(QUICK_INPUT);
    await box.waitFor({ state: 'visible' });
    const title = await box.innerText();
    assert.match(title, /Write speed_setpoint on Test Rig/, `the input box is not about the clicked tag (a picker means the click reached the command without its row): ${title}`);
    assert.match(await box.innerText(), /Current value: 1200 rpm/);
    const input = box.locator('input.input');
    assert.equal(await input.inputValue(), '1200');
    await input.fill('12.5');
    await box.locator('.quick-input-message', { hasText: 'whole numbers only' }).waitFor({ state: 'visible' });
    await input.fill('1450');
    await box.locator('.quick-input-message', { hasText: 'whole numbers only' }).waitFor({ state: 'hidden' });
    await screenshot(page, 'write-input');
    await input.press('Enter');

    const dialog = page.locator(DIALOG);
    await dialog.waitFor({ state: 'visible' });
    const text = await dialog.innerText();
    assert.match(text, /Write 1450 rpm to speed_setpoint on Test Rig\?/);
    assert.match(text, /Current value: 1200 rpm/);
    assert.match(text, /New value: 1450 rpm/);
    await screenshot(page, 'write-confirm');
    assert.equal(rig.holdings[SETPOINT_REGISTER], 1200, 'written before the confirmation');
    await dialog.locator('.monaco-button', { hasText: /^Write$/ }).click();

    await waitFor('the device to hold 1450', () => (rig.holdings[SETPOINT_REGISTER] === 1450 ? true : undefined), () => String(rig.holdings[SETPOINT_REGISTER]));
    await setpointRow.locator('.label-description', { hasText: /^1450 rpm$/ }).waitFor({ state: 'visible' });
  });

  it('a device of a plug-in protocol (the in-memory test driver) opens folder by folder, shows its values and charts them', async () => {
    // The plant's device alone in the tree and the editor area.
    await runCommand(page, 'View: Close All Editors');
    await runCommand(page, 'Bifrost: Stop Demo Plant');
    await runCommand(page, 'Notifications: Clear All Notifications');
    writeFileSync(join(workspace, 'bifrost.json'), `${JSON.stringify({ devices: [memoryPlant()] }, null, 2)}\n`);
    const device = treeRow(page, MEMORY_PLANT.name, 1);
    await device.waitFor({ state: 'visible' });
    await expandRow(device);
    await expandRow(treeRow(page, 'Line1', 2));
    await expandRow(treeRow(page, 'Ramps', 2));
    let rows: TreeRow[] = [];
    const shown = (label: string) => rows.find((r) => r.level === 3 && r.label === label)?.description ?? '';
    await waitFor(
      'the variables of Line1 and Ramps with their values',
      async () => {
        rows = await treeRows(page);
        return shown('Speed') === '12.5 m/min' && shown('Batch') === '"B-17"' && /^bad: /.test(shown('Probe')) && /^\d+(\.\d+)? %$/.test(shown('Saw')) ? true : undefined;
      },
      () => describeRows(rows),
    );
    const count = shown('Count');
    await waitFor('Line1 › Count to change on screen', async () => {
      rows = await treeRows(page);
      return shown('Count') !== count ? true : undefined;
    }, () => describeRows(rows), { everyMs: 250 });
    await restMouse(page);
    await screenshot(page, 'plugin-tree');

    for (const name of ['Count', 'Speed', 'Energy', 'Running', 'Batch', 'Profile']) await clickInlineAction(treeRow(page, name, 3), 'Add to Chart');
    await clickInlineAction(treeRow(page, 'Saw', 3), 'Add to Chart');
    const panel = await webviewWith(page, 'table.readings tbody tr', 'the Live Data panel with the memory plant\'s variables');
    const tableRows = panel.locator('table.readings tbody tr');
    await waitFor('7 rows in the Live Data table, each with a value', async () => {
      const values = await tableRows.locator('td.value').allInnerTexts();
      return values.length === 7 && values.every((v) => v !== '' && v !== '—') ? true : undefined;
    }, async () => JSON.stringify(await tableRows.allInnerTexts()));
    const table = (await tableRows.allInnerTexts()).join('\n');
    for (const text of ['Line1/Batch', 'B-17', 'Ramps/Saw', '9007199254740993']) assert.ok(table.includes(text), `the table lacks ${text}: ${table}`);
    assert.ok(await panel.locator('.plot canvas').first().isVisible(), 'the chart is not shown');
    // A few seconds of the ramps on the chart: Count steps ten times a second.
    const counted = async () => Number.parseInt(await tableRows.filter({ hasText: 'Line1/Count' }).locator('td.value').innerText(), 10);
    const firstCount = await counted();
    let lastCount = firstCount;
    await waitFor('Count to climb by 50 in the table', async () => ((lastCount = await counted()) >= firstCount + 50 ? true : undefined), () => `from ${firstCount} to ${lastCount}`, {
      everyMs: 250,
    });
    await restMouse(page);
    await screenshot(page, 'plugin-live-data');
  });

  it('what a new user trips over: skipped entries in the tree and once in Problems, no tags, disabled, refused, a long error', async () => {
    await runCommand(page, 'View: Close All Editors');
    await runCommand(page, 'Notifications: Clear All Notifications');
    const refusedPort = await freePort();
    const config = {
      devices: [
        { ...rigConfig(rig.port).devices[0]!, tags: [{ name: 'line_speed', area: 'holding', address: 0, unit: 'rpm' }, { name: 'broken', address: 'holding:abc' }] },
        { id: 'no-host', name: 'Packer (no host)', protocol: 'modbus-tcp', tags: [{ name: 'count', address: 'holding:0' }] },
        { id: 'parked', name: 'Parked Mixer', protocol: 'modbus-tcp', host: '127.0.0.1', port: rig.port, enabled: false, tags: [{ name: 'speed', address: 'holding:0' }] },
        { id: 'empty', name: 'New Drive', protocol: 'modbus-tcp', host: '127.0.0.1', port: rig.port, unitId: 2 },
        { id: 'nobody-home', name: 'Filler PLC, line 2 (not installed yet)', protocol: 'modbus-tcp', host: '127.0.0.1', port: refusedPort, tags: [{ name: 'level', address: 'holding:0' }] },
      ],
    };
    writeFileSync(join(workspace, 'bifrost.json'), `${JSON.stringify(config, null, 2)}\n`);
    let rows: TreeRow[] = [];
    const row = (label: string, level: number) => rows.find((r) => r.level === level && r.label === label);
    await waitFor(
      'the skipped entries, the hint, the disabled and the refused device in the tree',
      async () => {
        rows = await treeRows(page);
        return row('broken', 2)?.description.startsWith('skipped: ') &&
          row('Packer (no host)', 1)?.description.startsWith('skipped: a Modbus TCP device needs a "host"') &&
          row('No tags yet', 2) &&
          row('Parked Mixer', 1)?.description === 'disabled' &&
          row('speed', 2)?.description === 'not read (device disabled)' &&
          /^error: connection refused/.test(row('Filler PLC, line 2 (not installed yet)', 1)?.description ?? '') &&
          row(RIG, 1)?.description.startsWith('127.0.0.1:')
          ? true
          : undefined;
      },
      () => describeRows(rows),
    );
    assert.equal(tagsOf(rows, 'Parked Mixer').length, 1);
    assert.deepEqual(tagsOf(rows, 'New Drive').map((r) => r.label), ['No tags yet']);
    await restMouse(page);
    await screenshot(page, 'ux-tree');

    // The status bar counts the devices that should run: the disabled one is not down.
    const status = await page.locator('.statusbar-item[id="bifrost.bifrost.gateway"], .statusbar-item', { hasText: /Bifrost \d+\/\d+/ }).first().innerText();
    assert.match(status, /Bifrost 2\/3/, `the status bar counts the disabled device as down: ${status}`);

    // The refused device's tooltip counts its failed connects and names the error once.
    const refused = treeRow(page, 'Filler PLC, line 2 (not installed yet)', 1);
    const hover = await hoverTooltip(refused, 'Failed connects');
    const tip = await hover.innerText();
    assert.match(tip, /Last error: connection refused by 127\.0\.0\.1/);
    assert.doesNotMatch(tip, /Last error: nobody-home/);
    assert.match(tip, /Failed connects\s+[1-9]/);
    await screenshot(page, 'ux-refused-tooltip');

    // A click on a skipped entry opens it in the editor; the Problems panel has one entry per mistake.
    await treeRow(page, 'broken', 2).click();
    await page.locator('.editor-instance .monaco-editor').first().waitFor({ state: 'visible' });
    await page.keyboard.press('Control+Shift+M');
    let problemRows: string[] = [];
    await waitFor(
      'the two mistakes in the Problems panel',
      async () => {
        problemRows = (await page.locator('.markers-panel .monaco-list-row').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
        return problemRows.some((t) => t.includes('Tag "broken" of device "rig" skipped')) && problemRows.some((t) => t.includes('Device "no-host" skipped')) ? true : undefined;
      },
      () => JSON.stringify(problemRows),
    );
    // Some time for VS Code's JSON service, which would add its own entries beside the gateway's.
    await page.waitForTimeout(3000);
    problemRows = (await page.locator('.markers-panel .monaco-list-row').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    const markers = problemRows.filter((t) => /Ln \d+, Col \d+/.test(t));
    assert.equal(markers.length, 2, `not one entry per mistake: ${JSON.stringify(problemRows)}`);
    await restMouse(page);
    await screenshot(page, 'ux-problems');

    // A long error: shortened in the notification, whole behind Details.
    await runCommand(page, 'View: Close All Editors');
    await treeRow(page, 'level', 2).click({ button: 'right' });
    const read = page.locator('.monaco-menu .action-label', { hasText: /^Read$/ });
    await read.click();
    // The refused device's row repaints as its retries fail; a menu that opened during a repaint
    // can miss the click and stay open with Read highlighted, where Enter takes it as a person would.
    await read.waitFor({ state: 'hidden', timeout: 2000 }).catch(() => page.keyboard.press('Enter'));
    const toast = page.locator('.notification-toast', { hasText: 'no value' });
    await toast.waitFor({ state: 'visible' });
    const shown = (await toast.locator('.notification-list-item-message').innerText()).trim();
    assert.ok(shown.endsWith('…'), `the notification is not shortened: ${shown}`);
    await restMouse(page);
    // The toast slides in: photographed once its Details button is in place.
    await toast.locator('.monaco-button', { hasText: 'Details' }).waitFor({ state: 'visible' });
    await page.waitForTimeout(500);
    await screenshot(page, 'ux-long-error');
    await toast.locator('.monaco-button', { hasText: 'Details' }).click();
    const dialog = page.locator(DIALOG);
    await dialog.waitFor({ state: 'visible' });
    const whole = await dialog.innerText();
    assert.match(whole, /connection refused by 127\.0\.0\.1:\d+ \(nothing listens there\?\)\) at \d\d:\d\d/);
    await screenshot(page, 'ux-long-error-details');
    await page.keyboard.press('Escape');
  });

  it('VS Code reports the extension active, with its activation time', async () => {
    await runCommand(page, 'Developer: Show Running Extensions');
    const row = page.locator('.runtime-extensions-editor .monaco-list-row', { hasText: 'Bifrost' });
    await row.waitFor({ state: 'visible' });
    const text = (await row.innerText()).replace(/\s+/g, ' ');
    const m = /Activation: (\d+)\s*ms/.exec(text);
    assert.ok(m, `no activation time in the Running Extensions row: ${text}`);
    recordMeasurement({ name: 'activation (Running Extensions)', value: Number(m[1]), unit: 'ms' });
    await screenshot(page, 'running-extensions');
  });
});
