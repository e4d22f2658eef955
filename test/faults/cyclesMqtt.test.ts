/**
 * The MQTT broker restarted again and again while the gateway publishes (Sparkplug B with store
 * and forward, Mosquitto with persistence): every value of a counter that changes five times a
 * second reaches an independent subscriber, none lost, duplicated no more than QoS 1 allows at
 * the moments of the cuts; and the gateway holds no more sockets, descriptors or timers than
 * before.
 */
import { strict as assert } from 'node:assert';
import mqtt, { type MqttClient } from 'mqtt';
import { decodePayload } from '../../gateway/mqtt/sparkplug/payload';
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';
import { delay, tcpDevice, waitFor } from '../integration/harness';
import { hasMosquitto, Mosquitto } from '../integration/mosquitto';
import { describeHeld, grown, watchedGateway, type Held } from './leaks';

const RESTARTS = Number(process.env['BIFROST_BROKER_RESTARTS'] ?? 20);

(hasMosquitto ? describe : describe.skip)('cycles: the MQTT broker restarted while publishing (Sparkplug B, Mosquitto)', function () {
  this.timeout(RESTARTS * 15_000 + 90_000);
  let broker: Mosquitto;
  let plc: ModbusTcpSimulator;
  let host: MqttClient;
  let watched: Awaited<ReturnType<typeof watchedGateway>>;
  let counter: NodeJS.Timeout | undefined;
  /** Every value of the counter the host got, in order, births included. */
  const values: number[] = [];

  before(async () => {
    broker = await Mosquitto.start({ persistent: true });
    plc = new ModbusTcpSimulator();
    await plc.start();
    host = await mqtt.connectAsync(broker.url, { clientId: 'cycles-host', clean: false, reconnectPeriod: 200 });
    host.on('message', (topic, payload) => {
      if (!/^spBv1\.0\/plant1\/(DBIRTH|DDATA)\/edge1\/plc1$/.test(topic)) return;
      for (const m of decodePayload(payload).metrics) if (m.name === 'count' || m.alias !== undefined) if (typeof m.value === 'number') values.push(m.value);
    });
    await host.subscribeAsync('spBv1.0/plant1/#', { qos: 1 });
    watched = await watchedGateway();
  });

  after(async () => {
    clearInterval(counter);
    await watched?.close();
    await host?.endAsync(true);
    await plc?.stop();
    await broker?.dispose();
  });

  it(`${RESTARTS} restarts: every value arrives, none lost; nothing left behind in the gateway`, async () => {
    const { gw } = watched;
    const { problems } = await gw.connection.sendRequest<{ problems: unknown[] }>('bifrost/config/load', {
      devices: [tcpDevice('plc1', plc.port, { tags: [{ name: 'count', area: 'holding', address: 0, type: 'uint16' }] })],
      publish: [{ type: 'sparkplug', broker: broker.url, groupId: 'plant1', edgeNodeId: 'edge1', storeAndForward: { maxBytes: 1 << 22 } }],
    });
    assert.deepEqual(problems, []);
    let n = 1;
    plc.holdings[0] = n;
    await waitFor('the first value at the host', () => values.includes(1) || undefined, 20_000);
    // Slower than the 100 ms poll, so that every value is read.
    counter = setInterval(() => (plc.holdings[0] = ++n), 200);

    let before: Held | undefined;
    for (let i = 0; i < RESTARTS; i++) {
      await broker.pause();
      await delay(1000 + (i % 3) * 500);
      await broker.resume();
      // Back, born again and publishing live before the next cut.
      const at = n;
      await waitFor(`values after restart ${i + 1}`, () => values.some((v) => v > at) || undefined, 20_000);
      if (i === 0) before = await watched.held();
    }
    clearInterval(counter);
    counter = undefined;
    const last = n;
    await waitFor(`every value up to ${last}`, () => {
      const got = new Set(values);
      for (let v = 1; v <= last; v++) if (!got.has(v)) return undefined;
      return true;
    }, 30_000).catch((err: Error) => {
      const got = new Set(values);
      const missing = Array.from({ length: last }, (_, i) => i + 1).filter((v) => !got.has(v));
      throw new Error(`${err.message}: ${missing.length} missing, first ${missing.slice(0, 20).join(', ')}`);
    });
    await delay(500);
    const after = await watched.held();

    const duplicates = values.length - new Set(values).size;
    // QoS 1: a message in flight at a cut may come twice; a birth repeats the current value.
    assert.ok(duplicates <= RESTARTS * 4, `${duplicates} duplicates over ${RESTARTS} restarts`);
    assert.doesNotMatch(gw.stderr(), /dropped/);
    const growth = grown(before!, after, 2);
    assert.deepEqual(growth, [], `after ${RESTARTS} broker restarts: before ${describeHeld(before!)}; after ${describeHeld(after)}`);
    console.log(`      ${last} values over ${RESTARTS} broker restarts, all arrived (${duplicates} duplicates); held ${describeHeld(after)}`);
  });
});
