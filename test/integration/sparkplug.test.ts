/**
 * Sparkplug B publishing to a real broker (Mosquitto on a loopback port): the built gateway polls
 * our Modbus simulator, the publisher (a client of the gateway's protocol) publishes it as an edge
 * node, and an MQTT subscriber of the test's own reads what arrives: NBIRTH and DBIRTH with every
 * tag in its datatype, DDATA by alias when a register changes, DDEATH when the device stops
 * answering, the Will (NDEATH, same bdSeq) when the connection dies, the next bdSeq after the
 * reconnect, a rebirth on request, and NDEATH on a clean stop.
 */
import { strict as assert } from 'node:assert';
import mqtt, { type MqttClient } from 'mqtt';
import { logger } from '../../gateway/log';
import { REBIRTH } from '../../gateway/mqtt/sparkplug/edgeNode';
import { decodePayload, encodePayload, type Payload } from '../../gateway/mqtt/sparkplug/payload';
import { SparkplugPublisher } from '../../gateway/mqtt/sparkplugPublisher';
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';
import type { GatewayProcess } from '../../tools/gatewayClient';
import { startGateway, tcpDevice, waitFor } from './harness';
import { hasMosquitto, Mosquitto } from './mosquitto';

const withMosquitto = hasMosquitto ? describe : describe.skip;

interface Received {
  topic: string;
  payload: Payload;
}

withMosquitto(hasMosquitto ? 'Sparkplug B to a real broker' : 'Sparkplug B to a real broker: SKIPPED, mosquitto is not installed (apt-get install mosquitto)', function () {
  this.timeout(30_000);
  let broker: Mosquitto;
  let gw: GatewayProcess;
  let plc: ModbusTcpSimulator;
  let host: MqttClient;
  let publisher: SparkplugPublisher | undefined;
  const received: Received[] = [];
  const of = (type: string, device?: string) => received.filter((r) => r.topic === `spBv1.0/plant1/${type}/gw1${device ? `/${device}` : ''}`);

  before(async () => {
    broker = await Mosquitto.start();
    plc = new ModbusTcpSimulator();
    await plc.start();
    plc.holdings[0] = 421;
    plc.holdings[1] = 0xfffb; // -5 as an int16
    plc.holdings[2] = 65535;
    gw = await startGateway();
    await gw.connection.sendRequest('bifrost/config/load', {
      devices: [
        tcpDevice('plc1', plc.port, {
          tags: [
            { name: 'level', area: 'holding', address: 0, type: 'int16' },
            { name: 'offset', area: 'holding', address: 1, type: 'int16' },
            { name: 'count', area: 'holding', address: 2, type: 'uint16' },
            { name: 'running', area: 'coil', address: 0 },
          ],
        }),
      ],
    });
    host = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { clientId: 'test-host' });
    host.on('message', (topic, payload) => received.push({ topic, payload: decodePayload(payload) }));
    await host.subscribeAsync('spBv1.0/#', { qos: 1 });
  });

  after(async () => {
    await publisher?.stop();
    await host?.endAsync();
    await gw?.close();
    await plc?.stop();
    await broker?.dispose();
  });

  it('births the node and the device with every tag in its datatype, then sends changes by alias', async () => {
    publisher = new SparkplugPublisher(gw.connection, { broker: `mqtt://127.0.0.1:${broker.port}`, groupId: 'plant1', edgeNodeId: 'gw1' }, logger('sparkplug'));
    await publisher.start();
    const [nbirth] = await waitFor('NBIRTH', () => (of('NBIRTH').length ? of('NBIRTH') : undefined));
    assert.equal(nbirth!.payload.seq, 0);
    assert.deepEqual(nbirth!.payload.metrics.map((m) => [m.name, m.value]), [['bdSeq', 0n], [REBIRTH, false]]);
    const [dbirth] = await waitFor('DBIRTH of plc1', () => (of('DBIRTH', 'plc1').length ? of('DBIRTH', 'plc1') : undefined));
    assert.equal(dbirth!.payload.seq, 1);
    assert.deepEqual(
      dbirth!.payload.metrics.map((m) => [m.name, m.datatype, m.value]),
      [['level', 'Int16', 421], ['offset', 'Int16', -5], ['count', 'UInt16', 65535], ['running', 'Boolean', false]],
    );
    const alias = dbirth!.payload.metrics.find((m) => m.name === 'level')!.alias;
    plc.holdings[0] = 422;
    const ddata = await waitFor('DDATA with the new level', () => of('DDATA', 'plc1').find((r) => r.payload.metrics.some((m) => m.alias === alias && m.value === 422)));
    assert.equal(ddata.payload.seq, 2);
    assert.equal(ddata.payload.metrics.length, 1, 'only what changed');
    assert.equal(ddata.payload.metrics[0]!.name, undefined, 'by alias, without the name');
  });

  it('a device that stops answering dies (DDEATH) and is born again when it answers', async () => {
    const port = plc.port;
    await plc.stop();
    await waitFor('DDEATH of plc1', () => of('DDEATH', 'plc1')[0]);
    const births = of('DBIRTH', 'plc1').length;
    plc = new ModbusTcpSimulator({ port });
    plc.holdings[0] = 7;
    await plc.start();
    const again = await waitFor('a new DBIRTH', () => of('DBIRTH', 'plc1')[births]);
    assert.equal(again.payload.metrics.find((m) => m.name === 'level')?.value, 7);
  });

  it('a connection that dies leaves the Will (NDEATH with the session\'s bdSeq); the reconnect births with the next bdSeq', async () => {
    const client = (publisher as unknown as { client: MqttClient }).client;
    // The socket cut without a DISCONNECT: the broker publishes the Will.
    client.stream.destroy();
    const death = await waitFor('NDEATH', () => of('NDEATH')[0]);
    assert.deepEqual(death.payload.metrics.map((m) => [m.name, m.value]), [['bdSeq', 0n]]);
    const nbirth = await waitFor('the NBIRTH of the new session', () => of('NBIRTH')[1]);
    assert.deepEqual(nbirth.payload.metrics.find((m) => m.name === 'bdSeq')?.value, 1n);
    assert.equal(nbirth.payload.seq, 0);
    await waitFor('plc1 born again in the new session', () => of('DBIRTH', 'plc1').find((r) => received.indexOf(r) > received.indexOf(nbirth)));
  });

  it('a rebirth request on the node\'s NCMD topic births everything again; a clean stop publishes NDEATH', async () => {
    const births = of('NBIRTH').length;
    await host.publishAsync('spBv1.0/plant1/NCMD/gw1', Buffer.from(encodePayload({ timestamp: Date.now(), metrics: [{ name: REBIRTH, datatype: 'Boolean', value: true }] })), { qos: 1 });
    const nbirth = await waitFor('a new NBIRTH', () => of('NBIRTH')[births]);
    assert.equal(nbirth.payload.seq, 0);
    await waitFor('plc1 born again', () => of('DBIRTH', 'plc1').find((r) => received.indexOf(r) > received.indexOf(nbirth)));
    const deaths = of('NDEATH').length;
    await publisher!.stop();
    publisher = undefined;
    const death = await waitFor('NDEATH on stop', () => of('NDEATH')[deaths]);
    assert.deepEqual(death.payload.metrics.map((m) => [m.name, m.value]), [['bdSeq', 1n]]);
    // The stop ends with a DISCONNECT: the broker does not publish the Will as a second NDEATH.
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(of('NDEATH').length, deaths + 1);
  });
});

withMosquitto(hasMosquitto ? 'Sparkplug B from bifrost.json\'s "publish" list' : 'Sparkplug B from "publish": SKIPPED, mosquitto is not installed (apt-get install mosquitto)', function () {
  this.timeout(30_000);
  let broker: Mosquitto;
  let plc: ModbusTcpSimulator;
  let host: MqttClient;
  let gw: GatewayProcess | undefined;
  const received: Received[] = [];

  before(async () => {
    broker = await Mosquitto.start();
    plc = new ModbusTcpSimulator();
    plc.holdings[0] = 12;
    await plc.start();
    host = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { clientId: 'test-host-2' });
    host.on('message', (topic, payload) => received.push({ topic, payload: decodePayload(payload) }));
    await host.subscribeAsync('spBv1.0/#', { qos: 1 });
  });

  after(async () => {
    await gw?.close();
    await host?.endAsync();
    await plc?.stop();
    await broker?.dispose();
  });

  it('the gateway publishes the file\'s devices to the broker it names, keeps an unchanged publisher on reload, and ends it with NDEATH when the entry goes', async () => {
    gw = await startGateway();
    const publisher = { type: 'sparkplug', broker: `mqtt://127.0.0.1:${broker.port}`, groupId: 'site', edgeNodeId: 'edge1' };
    const device = tcpDevice('plc1', plc.port, { tags: [{ name: 'level', area: 'holding', address: 0, type: 'uint16' }] });
    const loaded = await gw.connection.sendRequest<{ problems: unknown[] }>('bifrost/config/load', { devices: [device], publish: [publisher] });
    assert.deepEqual(loaded.problems, []);
    const dbirth = await waitFor('the DBIRTH of plc1', () => received.find((r) => r.topic === 'spBv1.0/site/DBIRTH/edge1/plc1'));
    assert.deepEqual(dbirth.payload.metrics.map((m) => [m.name, m.datatype, m.value]), [['level', 'UInt16', 12]]);
    // The same publisher in a reloaded file keeps its session: no new NBIRTH, no NDEATH.
    const births = received.filter((r) => r.topic.includes('/NBIRTH/')).length;
    await gw.connection.sendRequest('bifrost/config/load', { devices: [device], publish: [publisher] });
    plc.holdings[0] = 13;
    await waitFor('DDATA after the reload', () => received.find((r) => r.topic === 'spBv1.0/site/DDATA/edge1/plc1' && r.payload.metrics[0]?.value === 13));
    assert.equal(received.filter((r) => r.topic.includes('/NBIRTH/')).length, births);
    await gw.connection.sendRequest('bifrost/config/load', { devices: [device] });
    const death = await waitFor('NDEATH once the entry is gone', () => received.find((r) => r.topic === 'spBv1.0/site/NDEATH/edge1'));
    assert.equal(death.payload.metrics[0]?.name, 'bdSeq');
  });

  it('births every device of a file loaded with its publisher, however their connections and its subscriptions interleave', async () => {
    // Devices that connect while the publisher is still subscribing to the ones before them must be born too.
    await gw?.close();
    gw = await startGateway();
    const ids = Array.from({ length: 12 }, (_, i) => `unit${i}`);
    const devices = ids.map((id) => tcpDevice(id, plc.port, { tags: Array.from({ length: 1000 }, (_, t) => ({ name: `r${t}`, area: 'holding' as const, address: t, type: 'uint16' as const })) }));
    const publisher = { type: 'sparkplug', broker: `mqtt://127.0.0.1:${broker.port}`, groupId: 'site', edgeNodeId: 'edge-many' };
    const loaded = await gw.connection.sendRequest<{ problems: unknown[] }>('bifrost/config/load', { devices, publish: [publisher] });
    assert.deepEqual(loaded.problems, []);
    const born = () => new Set(received.filter((r) => r.topic.startsWith('spBv1.0/site/DBIRTH/edge-many/')).map((r) => r.topic.split('/').pop()));
    await waitFor('a DBIRTH of every device', () => born().size === ids.length || undefined, 15_000).catch(() => {
      throw new Error(`not born: ${ids.filter((id) => !born().has(id)).join(', ')}`);
    });
    await gw.close();
    gw = undefined;
  });

  it('says what is wrong with a publisher: a password in the file, a variable that is not set, an id a topic cannot carry', async () => {
    gw ??= await startGateway();
    const base = { type: 'sparkplug', broker: `mqtt://127.0.0.1:${broker.port}`, groupId: 'site' };
    const { problems } = await gw.connection.sendRequest<{ problems: { path: string; message: string; severity: string }[] }>('bifrost/config/load', {
      devices: [],
      publish: [
        { ...base, edgeNodeId: 'a', username: 'u', password: 'secret' },
        { ...base, edgeNodeId: 'b', username: 'u', passwordEnv: 'BIFROST_TEST_UNSET_PASSWORD' },
        { ...base, edgeNodeId: 'c/d' },
        { ...base, edgeNodeId: 'e', broker: 'http://x' },
      ],
    });
    const by = (path: string) => problems.find((p) => p.path === path)?.message ?? `(nothing at ${path}: ${JSON.stringify(problems)})`;
    assert.match(by('/publish/0/password'), /does not belong in bifrost\.json/);
    assert.match(by('/publish/1/passwordEnv'), /BIFROST_TEST_UNSET_PASSWORD is not set/);
    assert.match(by('/publish/2/edgeNodeId'), /"\+", "#" or "\/"/);
    assert.match(by('/publish/3/broker'), /mqtt:\/\/broker:1883/);
    assert.ok(problems.every((p) => p.severity === 'error'));
    assert.ok(!JSON.stringify(problems).includes('secret'), 'the password is not repeated');
  });
});
