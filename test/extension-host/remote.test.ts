/**
 * A remote gateway: the built gateway started by the test on loopback with tokens and a device of
 * its own (a Modbus simulator run by the test), connected through Connect to Gateway… (address
 * and token typed into the input boxes). It shows as a row beside the local gateway, connected
 * only once it answered, with its device below it; its tags are read, charted and written as a
 * local device's are, its subscriptions come back after it restarts, a read-only token cannot
 * write, and it is removed from its row.
 */
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, afterEach, before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { MessageKind } from '../../extension/commands/prompts';
import { seriesKey } from '../../extension/liveData/panelTags';
import type { TreeNode } from '../../extension/tree/nodes';
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';
import { heldSeries } from './panels';
import { waitFor } from './waitFor';
import { EXTENSION_ID, getWorld, row, type Row, type World } from './world';

/** The remote gateway's one device. */
const PRESS = { id: 'press', name: 'Press', strokes: 'strokes', speed: 'speed' } as const;
const STROKES_REGISTER = 0;
const SPEED_REGISTER = 1;

export function remoteSuite(): void {
  describe('remote gateways', function () {
    let w: World;
    let dir: string;
    let gatewayJs: string;
    let sim: ModbusTcpSimulator;
    let gateway: ChildProcess | undefined;
    let gatewayLog = '';
    let url: string;
    let readWrite: string;
    let readOnly: string;
    const notices: { kind: MessageKind; message: string }[] = [];

    function addToken(tokens: string, name: string, access: string): string {
      const added = spawnSync(process.execPath, [gatewayJs, 'token', 'add', name, `--${access}`, '--tokens', tokens], { encoding: 'utf8' });
      assert.equal(added.status, 0, added.stderr);
      return added.stdout.trim();
    }

    /** Starts the remote gateway; on `listen` (HOST:PORT), the address it had before a restart. */
    async function startRemote(listen: string): Promise<string> {
      gatewayLog = '';
      const args = [gatewayJs, '--config', path.join(dir, 'bifrost.json'), '--data-dir', path.join(dir, 'data'), '--listen', listen, '--tokens', path.join(dir, 'tokens.json')];
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      gateway = child;
      child.stderr!.on('data', (d: Buffer) => (gatewayLog += d.toString()));
      return waitFor('the remote gateway listening', () => /listening on (ws:\/\/\S+)/.exec(gatewayLog)?.[1], () => gatewayLog, { timeoutMs: 20_000 });
    }

    async function stopRemote(): Promise<void> {
      const child = gateway;
      gateway = undefined;
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }

    before(async () => {
      w = await getWorld();
      gatewayJs = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'dist', 'gateway.js');
      dir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-remote-'));
      sim = new ModbusTcpSimulator({ holdings: 20 });
      await sim.start();
      writeFileSync(
        path.join(dir, 'bifrost.json'),
        JSON.stringify({
          devices: [
            {
              id: PRESS.id,
              name: PRESS.name,
              protocol: 'modbus-tcp',
              host: '127.0.0.1',
              port: sim.port,
              pollIntervalMs: 200,
              // The simulator runs in the extension host, which VS Code keeps busy.
              timeoutMs: 2000,
              allowWrites: true,
              tags: [
                { name: PRESS.strokes, area: 'holding', address: STROKES_REGISTER },
                { name: PRESS.speed, area: 'holding', address: SPEED_REGISTER, access: 'readwrite' },
              ],
            },
          ],
        }),
      );
      const tokens = path.join(dir, 'tokens.json');
      readWrite = addToken(tokens, 'vscode', 'read-write');
      readOnly = addToken(tokens, 'viewer', 'read-only');
      url = await startRemote('127.0.0.1:0');
    });

    afterEach(() => w.api.prompts.answerWith(undefined));

    after(async () => {
      w?.api.prompts.answerWith(undefined);
      // Whatever failed, the suites after this one expect the local gateway alone in the tree.
      if (url && (await remoteRow())) await vscode.commands.executeCommand('bifrost.removeRemoteGateway', (await remoteRow())!.node);
      await stopRemote();
      await sim?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    async function topRows(): Promise<Row[]> {
      return ((await w.api.tree.getChildren()) as TreeNode[]).map((n) => row(w.api, n));
    }

    async function remoteRow(): Promise<Row | undefined> {
      return (await topRows()).find((r) => r.label === url);
    }

    /** A row below the remote gateway's row: its device, then a tag of it (listed as the view lists them). */
    async function remoteTag(tag: string): Promise<Row | undefined> {
      const gatewayRow = await remoteRow();
      if (!gatewayRow) return undefined;
      const device = (await w.api.tree.getChildren(gatewayRow.node)).find((n) => row(w.api, n).label === PRESS.name);
      if (!device) return undefined;
      const t = (await w.api.tree.getChildren(device)).find((n) => n.kind === 'tag' && row(w.api, n).label === tag);
      return t && row(w.api, t);
    }

    async function describeRemote(): Promise<string> {
      const gatewayRow = await remoteRow();
      if (!gatewayRow) return `no row for ${url}: ${JSON.stringify((await topRows()).map((r) => r.label))}`;
      const devices = await w.api.tree.getChildren(gatewayRow.node);
      const parts = await Promise.all(
        devices.map(async (d) => `${row(w.api, d).label} [${row(w.api, d).description}]: ${(await w.api.tree.getChildren(d)).map((t) => `${row(w.api, t).label}=${row(w.api, t).description}`).join(', ')}`),
      );
      return `${gatewayRow.label} [${gatewayRow.description}] ${parts.join(' | ')}`;
    }

    function waitForRemoteTag(tag: string, description: string): Promise<Row> {
      return waitFor(`${PRESS.name} › ${tag} on ${url} to show "${description}"`, async () => {
        const r = await remoteTag(tag);
        return r?.description === description ? r : undefined;
      }, describeRemote, { timeoutMs: 30_000 });
    }

    function answering(inputs: string[], confirm?: string): void {
      w.api.prompts.answerWith({
        inputBox: async () => inputs.shift(),
        warning: async () => confirm,
        notify: async (kind, message) => {
          notices.push({ kind, message });
          return undefined;
        },
      });
    }

    it('connects with a token typed in and shows the gateway beside the local one, connected once it answered', async () => {
      answering([url, readWrite]);
      await vscode.commands.executeCommand('bifrost.connectRemoteGateway');
      await waitFor('the remote gateway connected in the tree', async () => ((await remoteRow())?.description === 'connected' ? true : undefined), describeRemote, { timeoutMs: 30_000 });
      const labels = (await topRows()).map((r) => r.label);
      assert.ok(labels.includes('Local gateway'), `the local gateway beside it: ${labels.join(', ')}`);
      const entries = vscode.workspace.getConfiguration('bifrost').get<{ url: string }[]>('remoteGateways') ?? [];
      assert.deepEqual(entries, [{ url }]);
      assert.ok(!JSON.stringify(entries).includes(readWrite), 'no token in settings');
    });

    it('shows the remote device with live values below its row, reads a tag and charts it', async () => {
      sim.holdings[STROKES_REGISTER] = 4242;
      const strokes = await waitForRemoteTag(PRESS.strokes, '4242');
      assert.match(strokes.contextValue, /\.remote\b/, 'a remote row says so to the menus (no bifrost.json edits)');

      notices.length = 0;
      answering([]);
      sim.holdings[STROKES_REGISTER] = 4243;
      await vscode.commands.executeCommand('bifrost.read', strokes.node);
      const read = await waitFor('the read of strokes told', () => notices.find((n) => n.message.includes(PRESS.strokes)), () => JSON.stringify(notices));
      assert.equal(read.kind, 'info', read.message);
      assert.match(read.message, /= 4243 \(good/);

      await vscode.commands.executeCommand('bifrost.addToChart', strokes.node);
      const key = seriesKey(PRESS.id, PRESS.strokes, strokes.node.gatewayId);
      sim.holdings[STROKES_REGISTER] = 4244;
      const held = await waitFor('the chart holding strokes = 4244 from the remote gateway', () => {
        const s = heldSeries(w.api, key);
        return s?.last?.value === 4244 && s.last.quality === 'good' ? s : undefined;
      }, () => JSON.stringify(w.api.liveData.contents().map((p) => p.map((s) => `${s.info.key}=${JSON.stringify(s.last?.value)}`))));
      assert.equal(held.info.deviceName, `${PRESS.name} (${url})`, 'the series names its gateway');
      assert.equal(held.info.valueKind, 'integer');
    });

    it('writes a remote tag after the confirmation, and says so only once the device has it', async () => {
      sim.holdings[SPEED_REGISTER] = 10;
      const speed = await waitForRemoteTag(PRESS.speed, '10');
      notices.length = 0;
      answering(['77'], 'Write');
      await vscode.commands.executeCommand('bifrost.write', speed.node);
      assert.equal(sim.holdings[SPEED_REGISTER], 77, `the device holds the written value (told: ${JSON.stringify(notices)})`);
      assert.ok(notices.some((n) => n.kind === 'info' && n.message.includes('is now 77')), JSON.stringify(notices));
      await waitForRemoteTag(PRESS.speed, '77');
    });

    it('subscribes again after the remote gateway restarts: the values flow on', async () => {
      const address = new URL(url);
      await stopRemote();
      await waitFor('the remote gateway shown unreachable', async () => ((await remoteRow())?.description === 'unreachable' ? true : undefined), describeRemote, { timeoutMs: 30_000 });
      assert.equal(await remoteTag(PRESS.strokes), undefined, 'no device rows of a gateway that does not answer');
      await startRemote(`${address.hostname}:${address.port}`);
      sim.holdings[STROKES_REGISTER] = 5150;
      await waitForRemoteTag(PRESS.strokes, '5150');
      const key = seriesKey(PRESS.id, PRESS.strokes, (await remoteTag(PRESS.strokes))!.node.gatewayId);
      await waitFor('the chart getting strokes = 5150 after the restart', () => (heldSeries(w.api, key)?.last?.value === 5150 ? true : undefined), () => JSON.stringify(heldSeries(w.api, key)?.last));
    });

    it('refuses writes with a read-only token, clearly, and the device keeps its value', async () => {
      answering([url, readOnly]);
      await vscode.commands.executeCommand('bifrost.connectRemoteGateway');
      await waitFor('the remote gateway connected again with the read-only token', async () => ((await remoteRow())?.description === 'connected' && (await remoteTag(PRESS.speed))?.description === '77' ? true : undefined), describeRemote, { timeoutMs: 30_000 });
      const speed = (await remoteTag(PRESS.speed))!;
      notices.length = 0;
      answering(['88'], 'Write');
      await vscode.commands.executeCommand('bifrost.write', speed.node);
      const refusal = await waitFor('the refusal told', () => notices.find((n) => n.kind === 'error'), () => JSON.stringify(notices));
      assert.match(refusal.message, /read-only/, refusal.message);
      assert.ok(!notices.some((n) => n.message.includes('is now')), JSON.stringify(notices));
      assert.equal(sim.holdings[SPEED_REGISTER], 77, 'the device kept its value');
    });

    it('disconnects and removes the gateway from its row, with its devices', async () => {
      await vscode.commands.executeCommand('bifrost.removeRemoteGateway', (await remoteRow())!.node);
      await waitFor('the remote gateway gone', async () => ((await remoteRow()) ? undefined : true), async () => JSON.stringify((await topRows()).map((r) => r.label)));
      assert.deepEqual(vscode.workspace.getConfiguration('bifrost').get('remoteGateways'), []);
      assert.ok((await topRows()).every((r) => r.node.kind !== 'gateway'), 'the gateway level goes with the last remote gateway');
    });
  });
}
