import * as assert from 'node:assert/strict';
import { before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import { seriesKey } from '../../extension/liveData/panelTags';
import type { MessageKind } from '../../extension/commands/prompts';
import { heldSeries } from './panels';
import { gatewayPids, isAlive } from './processes';
import { measure } from './report';
import { DEMO } from './tree.test';
import { waitFor } from './waitFor';
import { describeTree, findDevice, findTag, getWorld, RIG, tagsInSeveralSubscriptions, waitForTagText, World } from './world';

export function crashSuite(): void {
  describe('Gateway crash', () => {
    let world: World;

    before(async () => {
      world = await getWorld();
      if (!(await findDevice(world.api, DEMO.tank))) await vscode.commands.executeCommand('bifrost.startDemo');
      await waitFor('the demo plant in the tree', () => findDevice(world.api, DEMO.boiler), () => describeTree(world.api));
    });

    it('a killed gateway is started again with its devices, the demo plant and the subscriptions', async () => {
      const { api } = world;
      world.rig.holdings[0] = 5000;
      await waitForTagText(api, RIG.name, RIG.counter, '5000');
      const before = gatewayPids();
      assert.equal(before.length, 1, `expected one gateway, found ${JSON.stringify(before)}`);
      const [old] = before;

      const killed = performance.now();
      process.kill(old, 'SIGKILL');
      await waitFor(`the killed gateway (pid ${old}) to be gone`, () => (isAlive(old) ? undefined : true));
      const fresh = await waitFor(
        'a new gateway process',
        () => gatewayPids().find((pid) => pid !== old),
        () => `gateway pids: ${JSON.stringify(gatewayPids())}, state ${api.gateway.state}`,
      );
      await waitFor('the new gateway to be running', () => (api.gateway.state === 'running' ? true : undefined), () => api.gateway.state);

      // Values written after the crash can only come through the new process's subscriptions.
      world.rig.holdings[0] = 5001;
      await waitForTagText(api, RIG.name, RIG.counter, '5001');
      measure('gateway killed → tree live again', Math.round(performance.now() - killed), 'ms');

      for (const name of [RIG.name, DEMO.tank, DEMO.boiler]) assert.ok(await findDevice(api, name), `${name} did not come back: ${await describeTree(api)}`);
      const texts = async () => ((await findDevice(api, DEMO.tank))?.tags ?? []).map((t) => t.description);
      const first = await texts();
      await waitFor('the demo plant values to move again', async () => ((await texts()).some((t, i) => t !== '' && t !== first[i]) ? true : undefined), () => describeTree(api));
      // Made again on the new process, and each tag in one gateway subscription only.
      assert.deepEqual(tagsInSeveralSubscriptions(api), [], 'tags subscribed more than once after the restart');
      assert.ok(api.values.gatewaySubscriptions().some((s) => s.deviceId === RIG.id), 'the rig was not subscribed again');
      assert.deepEqual(gatewayPids(), [fresh], 'exactly one gateway runs after the restart');
    });

    /** Kills the one gateway process and waits until it is gone; returns its pid. */
    async function killGateway(): Promise<number> {
      // A gateway stopped by a restart may take a moment to exit after its successor runs.
      const [pid] = await waitFor('exactly one gateway process', () => (gatewayPids().length === 1 ? gatewayPids() : undefined), () => JSON.stringify(gatewayPids()));
      process.kill(pid, 'SIGKILL');
      await waitFor(`the killed gateway (pid ${pid}) to be gone`, () => (isAlive(pid) ? undefined : true));
      return pid;
    }

    it('restarts after each of five crashes with devices, subscriptions and the Live Data panel; stops at the sixth within 3 minutes and says so, with a way to start again', async function () {
      this.timeout(180_000);
      const { api } = world;
      // A start by the user begins a new count of crashes.
      await vscode.commands.executeCommand('bifrost.restartGateway');
      await waitFor('the restarted gateway to be running', () => (api.gateway.state === 'running' ? true : undefined), () => api.gateway.state);
      const key = seriesKey(RIG.id, RIG.counter);
      if (!heldSeries(api, key)) {
        const row = await findTag(api, RIG.name, RIG.counter);
        assert.ok(row, `${RIG.name} › ${RIG.counter} is not in the tree`);
        await vscode.commands.executeCommand('bifrost.addToChart', row.node);
      }
      const charted = (value: number) => () => (heldSeries(api, key)?.last?.value === value ? true : undefined);
      const chartedNow = () => JSON.stringify(heldSeries(api, key)?.last);

      for (let crash = 1; crash <= 5; crash++) {
        const old = await killGateway();
        await waitFor(`a new gateway after crash ${crash}`, () => gatewayPids().find((pid) => pid !== old), () => `gateway pids: ${JSON.stringify(gatewayPids())}, state ${api.gateway.state}`);
        await waitFor(`the gateway running after crash ${crash}`, () => (api.gateway.state === 'running' ? true : undefined), () => api.gateway.state);
        const value = 6000 + crash;
        world.rig.holdings[0] = value;
        await waitForTagText(api, RIG.name, RIG.counter, String(value));
        await waitFor(`the Live Data panel to chart ${value} after crash ${crash}`, charted(value), chartedNow);
        for (const name of [RIG.name, DEMO.tank, DEMO.boiler]) assert.ok(await findDevice(api, name), `${name} did not come back after crash ${crash}: ${await describeTree(api)}`);
        assert.deepEqual(tagsInSeveralSubscriptions(api), [], `tags subscribed more than once after crash ${crash}`);
      }

      const notices: { kind: MessageKind; message: string; items: string[] }[] = [];
      let restartOffered: (choice: string | undefined) => void = () => undefined;
      const choice = new Promise<string | undefined>((resolve) => (restartOffered = resolve));
      api.prompts.answerWith({
        inputBox: async () => undefined,
        warning: async () => undefined,
        notify: (kind, message, ...items) => {
          notices.push({ kind, message, items });
          return choice;
        },
      });
      try {
        const sixth = await killGateway();
        const told = await waitFor('the sixth crash told', () => notices.find((n) => n.kind === 'error'), () => JSON.stringify(notices));
        assert.match(told.message, /crashed 6 times within 3 minutes and was not restarted/);
        assert.ok(told.items.includes('Restart Gateway'), `a way to start again: ${JSON.stringify(told.items)}`);
        assert.equal(api.gateway.state, 'stopped');
        assert.match(api.gateway.stopReason, /crashed 6 times/);
        await new Promise((r) => setTimeout(r, 2000));
        assert.deepEqual(gatewayPids().filter((pid) => pid !== sixth), [], 'no gateway was started after the sixth crash');

        restartOffered('Restart Gateway');
        await waitFor('the gateway running again after Restart Gateway', () => (api.gateway.state === 'running' ? true : undefined), () => api.gateway.state);
        world.rig.holdings[0] = 6100;
        await waitForTagText(api, RIG.name, RIG.counter, '6100');
        await waitFor('the Live Data panel to chart 6100', charted(6100), chartedNow);
      } finally {
        api.prompts.answerWith(undefined);
      }
    });
  });
}
