/**
 * A publisher's deadband (report by exception for the numeric tags without a deadband of their
 * own), seen by an MQTT subscriber of the test's own on a real broker: a change within it is not
 * published, one beyond it is; a tag with its own deadband and a boolean tag publish as before.
 */
import { strict as assert } from 'node:assert';
import mqtt, { type MqttClient } from 'mqtt';
import { logger } from '../../gateway/log';
import { decodePayload, type Payload } from '../../gateway/mqtt/sparkplug/payload';
import { SparkplugPublisher } from '../../gateway/mqtt/sparkplugPublisher';
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';
import type { GatewayProcess } from '../../tools/gatewayClient';
import { startGateway, tcpDevice, waitFor } from './harness';
import { hasMosquitto, Mosquitto } from './mosquitto';

const withMosquitto = hasMosquitto ? describe : describe.skip;

withMosquitto(hasMosquitto ? 'A publisher deadband' : 'A publisher deadband: SKIPPED, mosquitto is not installed (apt-get install mosquitto)', function () {
  this.timeout(30_000);
  let broker: Mosquitto;
  let gw: GatewayProcess;
  let plc: ModbusTcpSimulator;
  let host: MqttClient;
  let publisher: SparkplugPublisher | undefined;
  const received: { topic: string; payload: Payload }[] = [];

  before(async () => {
    broker = await Mosquitto.start();
    plc = new ModbusTcpSimulator();
    await plc.start();
    plc.holdings[0] = 100;
    plc.holdings[1] = 100;
    gw = await startGateway();
    await gw.connection.sendRequest('bifrost/config/load', {
      devices: [
        tcpDevice('plc1', plc.port, {
          pollIntervalMs: 50,
          tags: [
            { name: 'level', area: 'holding', address: 0, type: 'int16' },
            // Its own deadband (0: every change) wins over the publisher's.
            { name: 'flow', area: 'holding', address: 1, type: 'int16', deadband: { type: 'absolute', value: 0 } },
            { name: 'running', area: 'coil', address: 0 },
          ],
        }),
      ],
    });
    host = await mqtt.connectAsync(broker.url, { clientId: 'test-host' });
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

  it('holds back changes within it for tags without their own deadband, and publishes those beyond it', async () => {
    publisher = new SparkplugPublisher(gw.connection, { broker: broker.url, groupId: 'plant1', edgeNodeId: 'gw1', deadband: { type: 'absolute', value: 10 } }, logger('sparkplug'));
    await publisher.start();
    const dbirth = await waitFor('DBIRTH of plc1', () => received.find((r) => r.topic === 'spBv1.0/plant1/DBIRTH/gw1/plc1'));
    const alias = new Map(dbirth.payload.metrics.map((m) => [m.alias, m.name]));
    const changes = () =>
      received.filter((r) => r.topic === 'spBv1.0/plant1/DDATA/gw1/plc1').flatMap((r) => r.payload.metrics.map((m) => [alias.get(m.alias), m.value] as const));
    const seen = (name: string, value: unknown) => changes().some(([n, v]) => n === name && v === value);

    // Both move by 5 in the same scan: only flow (its own deadband) is published.
    plc.holdings[0] = 105;
    plc.holdings[1] = 105;
    plc.coils[0] = 1;
    await waitFor('flow 105', () => seen('flow', 105));
    await waitFor('running true', () => seen('running', true));
    plc.holdings[0] = 111;
    await waitFor('level 111 (11 from the last published 100)', () => seen('level', 111));
    assert.deepEqual(
      changes().filter(([n]) => n === 'level'),
      [['level', 111]],
      'level 105 was read (flow 105 came from the same scan) but was within the deadband',
    );
  });
});
