/**
 * The mqtt-json publisher of the built gateway, seen by an MQTT subscriber of the test's own on
 * Mosquitto: a message per value change on the tag's topic, with the default payload or a
 * template; QoS 1 unless told; retained when asked; the publisher's deadband; TLS; and store and
 * forward through a broker outage, nothing lost and in order.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';
import type { GatewayProcess } from '../../tools/gatewayClient';
import { startGateway, tcpDevice, waitFor } from './harness';
import { hasMosquitto, Mosquitto } from './mosquitto';
import { makeTestPki, type TestPki } from './testPki';

const withMosquitto = hasMosquitto ? describe : describe.skip;

interface Received {
  topic: string;
  body: unknown;
  qos: number;
  retain: boolean;
}

withMosquitto(hasMosquitto ? 'mqtt-json publisher' : 'mqtt-json publisher: SKIPPED, mosquitto is not installed (apt-get install mosquitto)', function () {
  this.timeout(60_000);
  let pki: TestPki;
  let broker: Mosquitto;
  let plc: ModbusTcpSimulator;
  let sub: MqttClient;
  let dataDir: string;
  const gateways: GatewayProcess[] = [];
  const received: Received[] = [];

  const device = () =>
    tcpDevice('plc1', plc.port, {
      name: 'Press 1',
      tags: [
        { name: 'level', area: 'holding', address: 0, type: 'int16', unit: 'mm' },
        { name: 'running', area: 'coil', address: 0 },
      ],
    });
  const on = (topic: string) => received.filter((r) => r.topic === topic);

  async function gateway(publish: unknown[]): Promise<GatewayProcess> {
    const gw = await startGateway(['--data-dir', dataDir]);
    gateways.push(gw);
    const { problems } = await gw.connection.sendRequest<{ problems: unknown[] }>('bifrost/config/load', { devices: [device()], publish });
    assert.deepEqual(problems, []);
    return gw;
  }

  async function stopGateways(): Promise<void> {
    for (const gw of gateways.splice(0)) await gw.close();
  }

  before(async () => {
    pki = makeTestPki();
    broker = await Mosquitto.start({ persistent: true, tls: { cafile: pki.ca, certfile: pki.serverCert, keyfile: pki.serverKey } });
    plc = new ModbusTcpSimulator();
    await plc.start();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-data-'));
    // A persistent session: what is published while the broker restarts reaches it afterwards.
    sub = await mqtt.connectAsync(broker.url, { clientId: 'json-test-sub', clean: false, reconnectPeriod: 200 });
    sub.on('message', (topic, payload, packet) => {
      // The test's own clearing of retained messages.
      if (payload.length === 0) return;
      received.push({ topic, body: JSON.parse(payload.toString('utf8')), qos: packet.qos, retain: packet.retain });
    });
    await sub.subscribeAsync('#', { qos: 2 });
  });

  beforeEach(() => {
    received.length = 0;
    plc.holdings[0] = 100;
    plc.coils[0] = 0;
  });

  afterEach(() => stopGateways());

  after(async () => {
    await stopGateways();
    await sub?.endAsync(true);
    await plc?.stop();
    await broker?.dispose();
    pki?.dispose();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('publishes each change on bifrost/{device}/{tag} as {value, quality, timestamp}, at QoS 1', async () => {
    await gateway([{ type: 'mqtt-json', broker: broker.url }]);
    const first = await waitFor('level 100', () => on('bifrost/plc1/level')[0]);
    assert.deepEqual(Object.keys(first.body as object), ['value', 'quality', 'timestamp']);
    const body = first.body as { value: unknown; quality: unknown; timestamp: number };
    assert.equal(body.value, 100);
    assert.equal(body.quality, 'good');
    assert.ok(Math.abs(body.timestamp - Date.now()) < 60_000, 'a timestamp in milliseconds since the epoch');
    assert.equal(first.qos, 1);
    assert.equal(first.retain, false);
    await waitFor('running false', () => on('bifrost/plc1/running').find((r) => (r.body as { value: unknown }).value === false));
    plc.holdings[0] = 101;
    plc.coils[0] = 1;
    await waitFor('level 101', () => on('bifrost/plc1/level').find((r) => (r.body as { value: unknown }).value === 101));
    await waitFor('running true', () => on('bifrost/plc1/running').find((r) => (r.body as { value: unknown }).value === true));
    // Changes only: the value that did not change was not published again.
    assert.deepEqual(
      on('bifrost/plc1/level').map((r) => (r.body as { value: unknown }).value),
      [100, 101],
    );
  });

  it('fills a topic and payload template, at the QoS asked, retained, with the publisher deadband', async () => {
    const payload = { id: '{device}/{tag}', name: '{deviceName}', v: '{value}', unit: '{unit}', at: '{time}', text: '{tag} = {value} {unit}', fixed: [1, 'two'] };
    await gateway([{ type: 'mqtt-json', broker: broker.url, topic: 'plant/{device}/tags/{tag}', payload, qos: 0, retain: true, deadband: { type: 'absolute', value: 10 } }]);
    const first = await waitFor('level 100', () => on('plant/plc1/tags/level')[0]);
    const body = first.body as Record<string, unknown>;
    assert.deepEqual({ ...body, at: undefined }, { id: 'plc1/level', name: 'Press 1', v: 100, unit: 'mm', at: undefined, text: 'level = 100 mm', fixed: [1, 'two'] });
    assert.match(body['at'] as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(first.qos, 0);
    // Within the deadband (5 < 10): not published; beyond it: published.
    plc.holdings[0] = 105;
    plc.coils[0] = 1;
    await waitFor('running true', () => on('plant/plc1/tags/running').find((r) => (r.body as { v: unknown }).v === true));
    plc.holdings[0] = 112;
    await waitFor('level 112', () => on('plant/plc1/tags/level').find((r) => (r.body as { v: unknown }).v === 112));
    assert.deepEqual(
      on('plant/plc1/tags/level').map((r) => (r.body as { v: unknown }).v),
      [100, 112],
      'level 105 was read (running changed in the same scan) but was within the deadband',
    );
    // Retained: a subscriber that comes later gets the last value at once.
    const late = await mqtt.connectAsync(broker.url, { clientId: 'json-test-late' });
    try {
      const retained = new Promise<{ v: unknown; retain: boolean }>((resolve) => late.on('message', (_t, p, packet) => resolve({ v: (JSON.parse(p.toString()) as { v: unknown }).v, retain: packet.retain })));
      await late.subscribeAsync('plant/plc1/tags/level', { qos: 1 });
      assert.deepEqual(await retained, { v: 112, retain: true });
    } finally {
      await late.endAsync();
    }
    // Clear the retained messages, so that they do not reach the next tests.
    await sub.publishAsync('plant/plc1/tags/level', '', { retain: true, qos: 1 });
    await sub.publishAsync('plant/plc1/tags/running', '', { retain: true, qos: 1 });
  });

  it('publishes over mqtts:// with the CA that signed the broker\'s certificate', async () => {
    await gateway([{ type: 'mqtt-json', broker: broker.tlsUrl, topic: 'tls/{device}/{tag}', tls: { ca: pki.ca } }]);
    const first = await waitFor('level over TLS', () => on('tls/plc1/level')[0]);
    assert.equal((first.body as { value: unknown }).value, 100);
  });

  it('writes from its command topic through the rules every client has, and replies with the outcome', async () => {
    const gw = await startGateway(['--data-dir', dataDir]);
    gateways.push(gw);
    const writable = tcpDevice('plc1', plc.port, {
      allowWrites: true,
      tags: [
        { name: 'level', area: 'holding', address: 0, type: 'int16', access: 'readwrite' },
        { name: 'limit', area: 'holding', address: 1, type: 'int16' },
      ],
    });
    const locked = tcpDevice('plc2', plc.port, { tags: [{ name: 'setpoint', area: 'holding', address: 2, type: 'int16', access: 'readwrite' }] });
    const entry = { type: 'mqtt-json', broker: broker.url, topic: 'w/{device}/{tag}', commandTopic: '{topic}/set' };
    const { problems } = await gw.connection.sendRequest<{ problems: unknown[] }>('bifrost/config/load', { devices: [writable, locked], publish: [entry] });
    assert.deepEqual(problems, []);
    await waitFor('level published', () => on('w/plc1/level')[0]);
    plc.holdings[1] = 7;
    plc.holdings[2] = 9;
    const reply = async (topic: string, id: string, body: unknown) => {
      // The publisher subscribes once it is connected; a command before that would not reach it.
      for (;;) {
        await sub.publishAsync(`${topic}/set`, JSON.stringify(body), { qos: 1 });
        const got = await waitFor(`the reply to ${id}`, () => on(`${topic}/result`).find((r) => (r.body as { id?: unknown }).id === id)?.body ?? (undefined as unknown), 2000).catch(() => undefined);
        if (got) return got as Record<string, unknown>;
      }
    };

    const ok = await reply('w/plc1/level', 'a', { value: 321, id: 'a' });
    assert.deepEqual({ ...ok, timestamp: typeof ok['timestamp'] }, { id: 'a', device: 'plc1', tag: 'level', ok: true, value: 321, timestamp: 'number' });
    assert.equal(plc.holdings[0], 321, 'the simulator holds the written value');
    await waitFor('the new value published', () => on('w/plc1/level').find((r) => (r.body as { value: unknown }).value === 321));

    const readOnly = await reply('w/plc1/limit', 'b', { value: 1, id: 'b' });
    assert.equal(readOnly['ok'], false);
    assert.match(readOnly['error'] as string, /read-only/);
    assert.equal(readOnly['code'], 1004);
    const noWrites = await reply('w/plc2/setpoint', 'c', { value: 1, id: 'c' });
    assert.equal(noWrites['ok'], false);
    assert.match(noWrites['error'] as string, /writes are disabled for this device/);
    const wrongType = await reply('w/plc1/level', 'd', { value: true, id: 'd' });
    assert.equal(wrongType['ok'], false);
    assert.match(wrongType['error'] as string, /expected an integer/);
    assert.equal(wrongType['code'], 1003);
    const fraction = await reply('w/plc1/level', 'e', { value: 1.5, id: 'e' });
    assert.equal(fraction['ok'], false);
    assert.match(fraction['error'] as string, /not a whole number/);
    const notACommand = await reply('w/plc1/level', 'f', { id: 'f', v: 1 });
    assert.match(notACommand['error'] as string, /"value" is missing/);
    assert.deepEqual([plc.holdings[0], plc.holdings[1], plc.holdings[2]], [321, 7, 9], 'the refused writes changed nothing');
  });

  it('with store and forward, keeps the values while the broker is away and sends them afterwards, in order', async () => {
    await gateway([{ type: 'mqtt-json', broker: broker.url, topic: 'sf/{device}/{tag}', storeAndForward: { maxBytes: 1 << 20 } }]);
    await waitFor('level 100', () => on('sf/plc1/level')[0]);
    await broker.pause();
    // Values the gateway reads while the broker is down: each must arrive, after the outage.
    for (const v of [200, 201, 202, 203]) {
      plc.holdings[0] = v;
      await waitFor(`the gateway reading ${v}`, async () => {
        const { results } = await gateways[0]!.connection.sendRequest<{ results: { value: unknown }[] }>('bifrost/tags/read', { deviceId: 'plc1', tags: ['level'] });
        return results[0]!.value === v;
      });
      // A poll (100 ms) after the read: the subscription has seen it too.
      await new Promise((r) => setTimeout(r, 300));
    }
    await broker.resume();
    await waitFor('203 after the outage', () => on('sf/plc1/level').find((r) => (r.body as { value: unknown }).value === 203), 20_000);
    const values = on('sf/plc1/level').map((r) => (r.body as { value: unknown }).value);
    assert.deepEqual(values, [100, 200, 201, 202, 203]);
  });
});
