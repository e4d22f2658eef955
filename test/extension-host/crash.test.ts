import * as assert from 'node:assert/strict';
import { before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import { gatewayPids, isAlive } from './processes';
import { measure } from './report';
import { DEMO } from './tree.test';
import { waitFor } from './waitFor';
import { describeTree, findDevice, getWorld, RIG, tagsInSeveralSubscriptions, waitForTagText, World } from './world';

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
  });
}
