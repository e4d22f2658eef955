import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { after, afterEach, before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { MessageKind, PromptAnswerer } from '../../extension/commands/prompts';
import { ATTRIBUTES_SCHEME } from '../../extension/nodes/attributesDocuments';
import { waitFor } from './waitFor';
import { describeTree, findDevice, findRow, getWorld, readTree, rigDevice, row, World, writeConfig } from './world';

const LEVEL = 'ns=1;s=Plant.Tank.Level';
/** A device of bifrost.json on the demo plant's OPC UA server (gateway/sim/demoOpcUaNodes.ts), run by the simulator. */
const UA = { id: 'ua-rig', name: 'UA Rig' } as const;
const DEMO_TANK = 'Tank Farm PLC';
/** A second device on the same server, over SignAndEncrypt: the gateway has never seen that server's certificate. */
const SECURE = { id: 'ua-secure', name: 'UA Secure Rig' } as const;

/**
 * The demo plant in a process of its own (dist/simulator.js, beside this bundle's folder), for
 * its OPC UA server on 127.0.0.1; it ends when its stdin closes, and is stopped in `after`.
 */
async function startSimulator(): Promise<{ child: ChildProcess; endpointUrl: string }> {
  const script = path.join(__dirname, '..', 'simulator.js');
  const child = spawn(process.execPath, [script, '--demo'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const lines = readline.createInterface({ input: child.stdout! });
  const endpointUrl = await new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      const opcua = (JSON.parse(line) as { opcua?: { endpointUrl: string } }).opcua;
      if (opcua) resolve(opcua.endpointUrl);
    });
    child.once('exit', (code) => reject(new Error(`the simulator ended (code ${code}) before its OPC UA server listened: ${stderr}`)));
  });
  return { child, endpointUrl };
}

function configText(rigPort: number, endpointUrl: string, secure = false): string {
  return [
    '{',
    '  // the test rigs',
    '  "devices": [',
    `    ${JSON.stringify(rigDevice(rigPort))},`,
    ...(secure ? [`    ${JSON.stringify(secureDevice(endpointUrl))},`] : []),
    `    { "id": "${UA.id}", "name": "${UA.name}", "protocol": "opcua", "endpointUrl": "${endpointUrl}", "securityMode": "None", "securityPolicy": "None", "allowWrites": true } // pinned here`,
    '  ]',
    '}',
    '',
  ].join('\n');
}

function secureDevice(endpointUrl: string): Record<string, unknown> {
  return { id: SECURE.id, name: SECURE.name, protocol: 'opcua', endpointUrl, securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', tags: [{ name: 'level', nodeId: LEVEL, unit: '%' }] };
}

interface Told {
  inputs: vscode.InputBoxOptions[];
  warnings: { message: string; detail?: string; items: string[] }[];
  notifications: { kind: MessageKind; message: string }[];
}

/** Answers every box with the next of `answers` (undefined: what the box suggests), confirms with `confirm`, and keeps what was asked and told. */
function answering(answers: (string | undefined)[], confirm?: string): { answerer: PromptAnswerer; told: Told } {
  const told: Told = { inputs: [], warnings: [], notifications: [] };
  return {
    told,
    answerer: {
      inputBox: async (options) => {
        told.inputs.push(options);
        const answer = answers.shift();
        return answer ?? options.value;
      },
      warning: async (message, options, ...items) => {
        told.warnings.push({ message, detail: options.detail, items });
        return confirm;
      },
      notify: async (kind, message) => {
        told.notifications.push({ kind, message });
        return undefined;
      },
    },
  };
}

export function opcuaSuite(): void {
  describe('OPC UA nodes in the Tag Explorer', () => {
    let world: World;

    let simulator: ChildProcess | undefined;
    let endpointUrl = '';

    before(async function () {
      this.timeout(120_000);
      world = await getWorld();
      const started = await startSimulator();
      simulator = started.child;
      endpointUrl = started.endpointUrl;
      await writeConfig(world, configText(world.rig.port, endpointUrl));
      await waitFor(
        `${UA.name} connected`,
        async () => ((await findDevice(world.api, UA.name))?.description.startsWith('opc.tcp://') ? true : undefined),
        () => describeTree(world.api),
        { timeoutMs: 90_000 },
      );
    });

    afterEach(() => world.api.prompts.answerWith(undefined));

    after(async function () {
      this.timeout(60_000);
      await writeConfig(world, JSON.stringify({ devices: [rigDevice(world.rig.port)] }, null, 2));
      await waitFor('the OPC UA device gone again', async () => ((await findDevice(world.api, UA.name)) ? undefined : true), () => describeTree(world.api), { timeoutMs: 30_000 });
      simulator?.stdin?.end();
      simulator?.kill();
    });

    it('Go to Node finds a browse path, expands its ancestors and selects the row; an unknown node is told clearly', async () => {
      const { api } = world;
      const device = (await findDevice(api, UA.name))!;
      const { answerer, told } = answering(['/Plant/Tank/Level']);
      api.prompts.answerWith(answerer);
      await vscode.commands.executeCommand('bifrost.goToNode', device.node);
      assert.deepEqual(told.notifications, [], 'no error');
      const selected = await waitFor('the node selected in the Tag Explorer', () => {
        const [n] = api.view.selection;
        return n && 'ref' in n && n.ref === LEVEL ? n : undefined;
      }, () => JSON.stringify(api.view.selection.map((n) => ('ref' in n ? n.ref : n.kind))));
      assert.equal(row(api, selected).label, 'Level');
      assert.equal(row(api, api.tree.getParent(selected)!).label, 'Tank');

      const missing = answering(['/Plant/Tank/NoSuchNode']);
      api.prompts.answerWith(missing.answerer);
      await vscode.commands.executeCommand('bifrost.goToNode', device.node);
      assert.equal(missing.told.notifications.length, 1);
      assert.equal(missing.told.notifications[0].kind, 'error');
      assert.match(missing.told.notifications[0].message, /\/Plant\/Tank\/NoSuchNode/);
    });

    it('Attributes shows every attribute of a node in a read-only document, and Refresh reads it again', async () => {
      const level = await findRow(world.api, UA.name, ['Plant', 'Tank', 'Level']);
      assert.ok(level, `no Plant › Tank › Level: ${await describeTree(world.api)}`);
      assert.match(level.contextValue, /\.node\b/);
      await vscode.commands.executeCommand('bifrost.showAttributes', level.node);
      const doc = await waitFor('the Attributes document', () => vscode.workspace.textDocuments.find((d) => d.uri.scheme === ATTRIBUTES_SCHEME && d.getText().includes(LEVEL)));
      const text = doc.getText();
      assert.match(text, /\nDataType +Double\b.* +Good\n/);
      assert.match(text, /\nHistorizing +true +Good\n/);
      assert.match(text, /\nEngineeringUnits +%/);
      const readAt = /Read at (\S+)/.exec(text)?.[1];
      await vscode.commands.executeCommand('bifrost.refreshAttributes', doc.uri);
      await waitFor('the document read again', () => (/Read at (\S+)/.exec(doc.getText())?.[1] !== readAt ? true : undefined), () => doc.getText().slice(0, 200));
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    });

    it('Pin to bifrost.json adds the variable as a tag with its unit, keeping the file\'s comments; a demo device is refused', async () => {
      const { api } = world;
      const level = (await findRow(api, UA.name, ['Plant', 'Tank', 'Level']))!;

      const { answerer, told } = answering([undefined]);
      api.prompts.answerWith(answerer);
      await vscode.commands.executeCommand('bifrost.pinTag', level.node);
      assert.deepEqual(told.notifications.map((n) => n.kind), ['info'], JSON.stringify(told.notifications));
      assert.equal(told.inputs[0]?.value, 'Level', 'the name suggested from the browse name');
      // The editor's save reaches the disk a moment after the command ends (code-server writes through its server).
      const saved = await waitFor(
        'the pinned node in bifrost.json on disk',
        async () => {
          const t = new TextDecoder().decode(await vscode.workspace.fs.readFile(world.config));
          return t.includes(`"nodeId": "${LEVEL}"`) ? t : undefined;
        },
        async () => new TextDecoder().decode(await vscode.workspace.fs.readFile(world.config)),
      );
      assert.match(saved, /\/\/ the test rigs/);
      assert.match(saved, /\/\/ pinned here/);
      assert.match(saved, /"name": "Level",\s*"nodeId": "ns=1;s=Plant\.Tank\.Level",\s*"unit": "%"/);
      // The gateway loads the saved file: the device has the tag now.
      await waitFor(
        'the pinned tag among the device\'s configured tags',
        async () => {
          const device = (await findDevice(api, UA.name))!;
          const tip = (await api.tree.resolveTreeItem(api.tree.getTreeItem(device.node), device.node)).tooltip;
          return /· 1 configured tag\(s\)/.test(typeof tip === 'string' ? tip : (tip?.value ?? '')) ? true : undefined;
        },
        () => describeTree(api),
      );

      // A device of the demo plant is not in bifrost.json: refused before anything is asked.
      const demoTag = (await findDevice(api, DEMO_TANK))?.tags.find((t) => t.node.kind === 'tag');
      assert.ok(demoTag, `the demo plant runs: ${await describeTree(api)}`);
      const refused = answering([]);
      api.prompts.answerWith(refused.answerer);
      await vscode.commands.executeCommand('bifrost.pinTag', demoTag.node);
      assert.equal(refused.told.inputs.length, 0, 'no name asked for');
      assert.match(refused.told.notifications[0]?.message ?? '', /demo plant, not of bifrost\.json/);
    });

    it('Call Method… asks for each argument by its type, confirms, calls, and shows the outputs', async () => {
      const { api } = world;
      // Pinning reconfigured the device: it reconnects, and is browsed again once connected.
      const purge = await waitFor('Plant › Boiler › StartPurge', () => findRow(api, UA.name, ['Plant', 'Boiler', 'StartPurge']), () => describeTree(api), { timeoutMs: 30_000 });
      const { answerer, told } = answering(['3', 'extension test'], 'Call');
      api.prompts.answerWith(answerer);
      // A bad duration is refused while typing, in the argument's type's words.
      await vscode.commands.executeCommand('bifrost.callMethod', purge.node);
      assert.equal(told.inputs.length, 2);
      assert.match(told.inputs[0].prompt ?? '', /^durationS \(UInt32\)/);
      assert.match(String(await told.inputs[0].validateInput?.('-1')), /out of range/);
      assert.match(told.inputs[1].prompt ?? '', /^reason \(String\)/);
      assert.match(told.warnings[0]?.detail ?? '', /durationS \(UInt32\) = 3/);
      assert.equal(told.notifications.length, 1, JSON.stringify(told.notifications));
      assert.match(told.notifications[0].message, /^StartPurge on .+: Good; accepted = (true|false), message = ".+"$/);
    });

    it('a chart of a historizing node starts with its history, then live values', async () => {
      const { api } = world;
      const level = await waitFor('Plant › Tank › Level', () => findRow(api, UA.name, ['Plant', 'Tank', 'Level']), () => describeTree(api), { timeoutMs: 30_000 });
      await vscode.commands.executeCommand('bifrost.addToChart', level.node);
      const series = await waitFor(
        'the Level series backfilled',
        () => api.liveData.contents().flat().find((s) => s.info.tag === LEVEL && s.info.history !== undefined),
        () => JSON.stringify(api.liveData.contents().flat().map((s) => [s.info.tag, s.info.history, s.points])),
        { timeoutMs: 30_000 },
      );
      assert.equal(series.info.history?.state, 'filled', JSON.stringify(series.info.history));
      const filled = series.info.history as { points: number };
      assert.ok(filled.points > 0, 'the demo has kept the level since it started');
      assert.ok(series.points >= Math.min(filled.points, 2), `the chart holds the history (${series.points} points)`);
    });

    it('Discover Devices finds the server by its URL; Browse opens it without writing bifrost.json, and Close stops it', async () => {
      const { api } = world;
      const before = new TextDecoder().decode(await vscode.workspace.fs.readFile(world.config));
      const notices: { kind: MessageKind; message: string }[] = [];
      const endpointPicks: string[][] = [];
      api.prompts.answerWith({
        inputBox: async (options) => (/OPC UA servers/.test(options.prompt ?? '') ? endpointUrl : undefined),
        warning: async () => undefined,
        quickPick: async <T extends vscode.QuickPickItem>(items: readonly T[], options: vscode.QuickPickOptions) => {
          if (/endpoint/.test(options.title ?? '')) {
            endpointPicks.push(items.map((i) => i.label));
            return items.find((i) => i.label.startsWith('None'));
          }
          return items.find((i) => i.label === 'OPC UA servers…');
        },
        notify: async (kind, message) => {
          notices.push({ kind, message });
          return undefined;
        },
      });
      await vscode.commands.executeCommand('bifrost.clearDiscovered');
      await vscode.commands.executeCommand('bifrost.discoverDevices');
      assert.ok(notices.some((n) => /^Discovery found 1 server on 1 host/.test(n.message)), JSON.stringify(notices));
      const folder = (await api.tree.getChildren()).find((n) => n.kind === 'discoveries')!;
      const [found] = (await api.tree.getChildren(folder)).map((n) => row(api, n));
      assert.equal(found?.contextValue, 'discovered.opcua');

      try {
        await vscode.commands.executeCommand('bifrost.browseDiscovered', found!.node);
        assert.ok(endpointPicks[0] && endpointPicks[0].length > 1 && !endpointPicks[0][0]!.startsWith('None'), `the most secure endpoint is offered first: ${JSON.stringify(endpointPicks)}`);
        const opened = await waitFor(
          'the opened server connected, marked as not saved',
          async () => (await readTree(api)).find((d) => d.contextValue.includes('.unsaved') && /^not saved · opc\.tcp:\/\//.test(d.description)),
          () => describeTree(api),
          { timeoutMs: 30_000 },
        );
        assert.deepEqual(api.view.selection.map((n) => n.id), [opened.node.id], 'the opened server is selected in the Tag Explorer');
        const children = (await api.tree.getChildren(opened.node)).map((n) => row(api, n).label);
        assert.ok(children.includes('Plant'), `its address space is browsed: ${JSON.stringify(children)}`);
        assert.equal(new TextDecoder().decode(await vscode.workspace.fs.readFile(world.config)), before, 'bifrost.json is not written');
        assert.ok(!notices.some((n) => n.kind === 'error'), JSON.stringify(notices));

        await vscode.commands.executeCommand('bifrost.closeUnsavedDevice', opened.node);
        await waitFor('the opened server closed', async () => ((await readTree(api)).some((d) => d.label === opened.label) ? undefined : true), () => describeTree(api));
      } finally {
        for (const d of api.unsaved.devices) await vscode.commands.executeCommand('bifrost.closeUnsavedDevice', d.id);
        await vscode.commands.executeCommand('bifrost.clearDiscovered');
      }
    });

    it('a server whose certificate is unknown: the prompt names the device and the certificate, and Trust connects it, the gateway running on', async () => {
      const { api } = world;
      let restarts = 0;
      const watching = api.gateway.onDidChangeState(() => restarts++);
      const prompts: { message: string; items: string[]; thumbprint?: string; subject?: string }[] = [];
      const notices: { kind: MessageKind; message: string }[] = [];
      api.prompts.answerWith({
        inputBox: async () => undefined,
        warning: async () => undefined,
        notify: async (kind, message, ...items) => {
          notices.push({ kind, message });
          if (kind !== 'warning' || !items.includes('Trust')) return undefined;
          // What the person decides about: the certificate the gateway reported for this device.
          const pending = api.certificates.untrusted.pendingFor('local', SECURE.id);
          prompts.push({ message, items, thumbprint: pending?.certificate.thumbprint, subject: pending?.certificate.subject });
          return 'Trust';
        },
      });
      let thumbprint: string | undefined;
      try {
        await writeConfig(world, configText(world.rig.port, endpointUrl, true));
        await waitFor('the trust prompt', () => (prompts.length > 0 ? true : undefined), () => describeTree(api), { timeoutMs: 60_000 });
        const [prompt] = prompts;
        thumbprint = prompt!.thumbprint;
        assert.ok(thumbprint && prompt!.subject, 'the prompt came without a pending certificate for the device');
        assert.ok(prompt!.message.startsWith(`${SECURE.name}: the server's certificate is not trusted (`), prompt!.message);
        // The server's name, however long the subject (C=…, O=… first) may be.
        assert.ok(prompt!.message.endsWith(`: ${/CN=([^,]+)/.exec(prompt!.subject!)?.[1]}, self-signed`), `the prompt does not name the certificate: ${prompt!.message}`);
        assert.deepEqual(prompt!.items, ['Trust', 'Reject', 'Show Details']);

        let seen = '';
        const connected = await waitFor(
          `${SECURE.name} connected once trusted`,
          async () => {
            const d = await findDevice(api, SECURE.name);
            seen = d?.description ?? '(not in the tree)';
            return d?.description.startsWith('opc.tcp://') ? d : undefined;
          },
          () => seen,
          { timeoutMs: 60_000 },
        );
        // Its configured tag reads the tank level over the encrypted session.
        assert.match(connected.description, /^opc\.tcp:\/\/127\.0\.0\.1:\d+/);
        // Values come over the encrypted session: the tank level, under its folders.
        let level = '';
        await waitFor(
          'Plant › Tank › Level with a value over SignAndEncrypt',
          async () => {
            level = (await findRow(api, SECURE.name, ['Plant', 'Tank', 'Level']))?.description ?? '';
            return /^\d+(\.\d+)? %$/.test(level) ? true : undefined;
          },
          () => `Level shows "${level}"`,
          { timeoutMs: 30_000 },
        );
        assert.equal(prompts.length, 1, 'asked more than once about one certificate');
        assert.equal(api.certificates.untrusted.pendingFor('local', SECURE.id), undefined, 'still pending after Trust');
        assert.equal(restarts, 0, 'the gateway was restarted');
        assert.equal(api.gateway.state, 'running');
        assert.ok(!notices.some((n) => n.kind === 'error'), JSON.stringify(notices));
      } finally {
        watching.dispose();
        api.prompts.answerWith(undefined);
        await writeConfig(world, configText(world.rig.port, endpointUrl));
      }

      // The store holds it as trusted; removed again, the profile's store is as it was.
      const picks: string[] = [];
      const removed: { kind: MessageKind; message: string }[] = [];
      api.prompts.answerWith({
        inputBox: async () => undefined,
        warning: async () => undefined,
        quickPick: async <T extends vscode.QuickPickItem>(items: readonly T[]) => {
          const certificate = items.find((i) => (i as { store?: string; certificate?: { thumbprint: string } }).store === 'trusted' && (i as { certificate?: { thumbprint: string } }).certificate?.thumbprint === thumbprint);
          if (certificate) {
            picks.push(certificate.label);
            return certificate;
          }
          const remove = items.find((i) => i.label.includes('Remove'));
          if (remove) picks.push(remove.label);
          return remove;
        },
        notify: async (kind, message) => {
          removed.push({ kind, message });
          return undefined;
        },
      });
      await vscode.commands.executeCommand('bifrost.manageCertificates');
      assert.equal(picks.length, 2, `the trusted certificate was not listed: ${JSON.stringify(picks)}`);
      assert.match(removed.find((n) => n.kind === 'info')?.message ?? '', /is removed\.$/, JSON.stringify(removed));
    });
  });
}
