import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import { waitFor } from './waitFor';
import { describeTree, findDevice, getWorld, RIG, rigDevice, waitForTagText, World, writeConfig } from './world';

function bifrostDiagnostics(world: World): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(world.config).filter((d) => d.source === 'bifrost');
}

function describeDiagnostics(world: World): string {
  return JSON.stringify(bifrostDiagnostics(world).map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1} ${d.message}`));
}

/** Waits for diagnostics on bifrost.json that `accept` likes. */
function waitForDiagnostics(world: World, what: string, accept: (list: vscode.Diagnostic[]) => boolean): Promise<vscode.Diagnostic[]> {
  return waitFor(what, () => {
    const list = bifrostDiagnostics(world);
    return accept(list) ? list : undefined;
  }, () => describeDiagnostics(world));
}

export function configSuite(): void {
  describe('bifrost.json problems', () => {
    let world: World;
    let goodConfig: string;

    before(async () => {
      world = await getWorld();
      goodConfig = JSON.stringify({ devices: [rigDevice(world.rig.port)] }, null, 2);
    });

    after(async () => {
      if (!world) return;
      await writeConfig(world, goodConfig);
      await waitForDiagnostics(world, 'no diagnostics once bifrost.json is fixed', (list) => list.length === 0);
    });

    it('a syntax error shows as a diagnostic and the devices keep running', async () => {
      // Cut off in the middle of the second device.
      const broken = `${goodConfig.slice(0, goodConfig.lastIndexOf(']'))},\n    { "id": "half-written", \n`;
      await writeConfig(world, broken);
      const [first] = await waitForDiagnostics(world, 'a syntax error on bifrost.json', (list) => list.length > 0);
      assert.equal(first.severity, vscode.DiagnosticSeverity.Error);

      assert.ok(await findDevice(world.api, RIG.name), `the rig left the tree: ${await describeTree(world.api)}`);
      world.rig.holdings[0] = 4242;
      await waitForTagText(world.api, RIG.name, RIG.counter, '4242');
    });

    it('an invalid device is marked where it is written; the valid devices keep running', async () => {
      const text = JSON.stringify(
        {
          devices: [
            rigDevice(world.rig.port),
            { id: 'out-of-range', protocol: 'modbus-tcp', host: '127.0.0.1', port: 70000, tags: [{ name: 'x', area: 'holding', address: 0 }] },
          ],
        },
        null,
        2,
      );
      await writeConfig(world, text);
      const list = await waitForDiagnostics(world, 'a diagnostic about the port 70000', (l) => l.some((d) => /port/.test(d.message)));
      const portLine = text.split('\n').findIndex((line) => line.includes('70000'));
      const onPort = list.find((d) => /port/.test(d.message))!;
      assert.equal(onPort.range.start.line, portLine, `the diagnostic is on line ${onPort.range.start.line + 1}, the port on ${portLine + 1}`);
      assert.equal(onPort.severity, vscode.DiagnosticSeverity.Error);

      world.rig.holdings[0] = 4343;
      await waitForTagText(world.api, RIG.name, RIG.counter, '4343');
      assert.equal(await findDevice(world.api, 'out-of-range'), undefined, `the invalid device is in the tree: ${await describeTree(world.api)}`);
    });

    it('Add Device asks for the fields of a Modbus RTU device, parity as a pick, and writes them into bifrost.json', async () => {
      const picks: { title: string | undefined; labels: string[] }[] = [];
      const typed = ['/dev/ttyBIFROST-added', '9600', '7', 'pump-drive', 'Pump drive'];
      world.api.prompts.answerWith({
        inputBox: async (options) => {
          // A serial port listed by the machine would be a pick; this test types one either way.
          return typed.shift() ?? options.value;
        },
        warning: async () => undefined,
        quickPick: async <T extends vscode.QuickPickItem>(items: readonly T[], options: vscode.QuickPickOptions) => {
          picks.push({ title: options.title, labels: items.map((i) => i.label) });
          if (items.some((i) => i.label === 'Modbus RTU')) return items.find((i) => i.label === 'Modbus RTU');
          if (items.some((i) => i.label === 'Type a path…')) return items.find((i) => i.label === 'Type a path…');
          return items.find((i) => i.label === 'none');
        },
        notify: async () => undefined,
      });
      try {
        await vscode.commands.executeCommand('bifrost.addDevice');
        const parity = picks.find((p) => /Parity/.test(p.title ?? ''));
        assert.deepEqual(parity?.labels, ['even', 'none', 'odd'], `the default first: ${JSON.stringify(picks)}`);
        const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(world.config));
        const added = (JSON.parse(text) as { devices: Record<string, unknown>[] }).devices.find((d) => d['id'] === 'pump-drive');
        assert.deepEqual(added, { id: 'pump-drive', name: 'Pump drive', protocol: 'modbus-rtu', serialPath: '/dev/ttyBIFROST-added', baudRate: 9600, parity: 'none', unitId: 7, tags: [] });
      } finally {
        world.api.prompts.answerWith(undefined);
      }
    });
  });
}
