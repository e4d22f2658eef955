/**
 * Writes from Sparkplug DCMD, against Mosquitto and our simulator through the built gateway: a
 * metric by name or by alias, in its DBIRTH's datatype, reaches the device and comes back as
 * DDATA once the device confirmed it; what the core refuses (a read-only tag, a device without
 * allowWrites, a value that does not fit) and what Sparkplug cannot mean (another datatype, a
 * metric never born) changes nothing and is logged; a publisher without "commands" ignores DCMD.
 */
import { strict as assert } from 'node:assert';
import mqtt, { type MqttClient } from 'mqtt';
import protobuf from 'protobufjs';
import { decodePayload, encodePayload, type Metric, type Payload } from '../../gateway/mqtt/sparkplug/payload';
import { SPARKPLUG_B_PROTO } from '../../gateway/mqtt/sparkplug/schema';
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';
import type { GatewayProcess } from '../../tools/gatewayClient';
import { startGateway, tcpDevice, waitFor } from './harness';
import { hasMosquitto, Mosquitto } from './mosquitto';

const withMosquitto = hasMosquitto ? describe : describe.skip;
const PayloadType = protobuf.parse(SPARKPLUG_B_PROTO, { keepCase: true }).root.lookupType('org.eclipse.tahu.protobuf.Payload');

withMosquitto(hasMosquitto ? 'Sparkplug B writes from DCMD' : 'Sparkplug B writes from DCMD: SKIPPED, mosquitto is not installed (apt-get install mosquitto)', function () {
  this.timeout(30_000);
  let broker: Mosquitto;
  let plc: ModbusTcpSimulator;
  let gw: GatewayProcess;
  let host: MqttClient;
  const received: { topic: string; payload: Payload }[] = [];
  const aliases = new Map<string, bigint>();

  const dcmd = (node: string, device: string, metric: Metric) =>
    host.publishAsync(`spBv1.0/site/DCMD/${node}/${device}`, Buffer.from(encodePayload({ timestamp: Date.now(), metrics: [metric] })), { qos: 1 });
  /** Waits for the gateway's log line about a DCMD, after the lines seen so far. */
  let logSeen = 0;
  const logLine = async (what: string, pattern: RegExp) => {
    const line = await waitFor(what, () => gw.stderr().split('\n').slice(logSeen).find((l) => pattern.test(l)));
    logSeen = gw.stderr().split('\n').indexOf(line, logSeen) + 1;
    return line;
  };

  before(async () => {
    broker = await Mosquitto.start();
    plc = new ModbusTcpSimulator();
    plc.holdings[0] = 10;
    plc.holdings[1] = 20;
    plc.holdings[2] = 30;
    await plc.start();
    host = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { clientId: 'test-dcmd-host' });
    // What the gateway publishes; the commands are the test's own.
    host.on('message', (topic, payload) => topic.includes('/DCMD/') || received.push({ topic, payload: decodePayload(payload) }));
    await host.subscribeAsync('spBv1.0/#', { qos: 1 });
    gw = await startGateway();
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const loaded = await gw.connection.sendRequest<{ problems: unknown[] }>('bifrost/config/load', {
      devices: [
        tcpDevice('plc1', plc.port, {
          allowWrites: true,
          tags: [
            { name: 'setpoint', area: 'holding', address: 0, type: 'int16', access: 'readwrite' },
            { name: 'level', area: 'holding', address: 1, type: 'int16' },
          ],
        }),
        tcpDevice('plc2', plc.port, { tags: [{ name: 'limit', area: 'holding', address: 2, type: 'int16', access: 'readwrite' }] }),
      ],
      publish: [
        { type: 'sparkplug', broker: url, groupId: 'site', edgeNodeId: 'writer', commands: true },
        { type: 'sparkplug', broker: url, groupId: 'site', edgeNodeId: 'reader' },
      ],
    });
    assert.deepEqual(loaded.problems, []);
    for (const node of ['writer', 'reader']) {
      for (const device of ['plc1', 'plc2']) await waitFor(`the DBIRTH of ${device} from ${node}`, () => received.find((r) => r.topic === `spBv1.0/site/DBIRTH/${node}/${device}`));
    }
    for (const m of received.find((r) => r.topic === 'spBv1.0/site/DBIRTH/writer/plc1')!.payload.metrics) aliases.set(m.name!, m.alias!);
  });

  after(async () => {
    await host?.endAsync();
    await gw?.close();
    await plc?.stop();
    await broker?.dispose();
  });

  it('a metric by name is written to the device, and its confirmed value goes out as DDATA', async () => {
    await dcmd('writer', 'plc1', { name: 'setpoint', datatype: 'Int16', value: -55 });
    await waitFor('the register written', () => plc.holdings[0] === 0xffc9 || undefined);
    const alias = aliases.get('setpoint');
    await waitFor('DDATA with the written value', () => received.find((r) => r.topic === 'spBv1.0/site/DDATA/writer/plc1' && r.payload.metrics.some((m) => m.alias === alias && m.value === -55)));
    assert.match(await logLine('the log of the write', /DCMD plc1\/setpoint: wrote -55, confirmed by the device/), /writer/);
  });

  it('a metric by alias is written too', async () => {
    await dcmd('writer', 'plc1', { alias: aliases.get('setpoint')!, datatype: 'Int16', value: 77 });
    await waitFor('the register written', () => plc.holdings[0] === 77 || undefined);
    await logLine('the log of the write', /DCMD plc1\/setpoint: wrote 77/);
  });

  it('refuses, changing nothing and saying why: a read-only tag, a device without allowWrites, another datatype, a value that does not fit, a metric not born', async () => {
    await dcmd('writer', 'plc1', { name: 'level', datatype: 'Int16', value: 1 });
    assert.match(await logLine('the read-only refusal', /DCMD plc1\/level: write refused/), /read-only|readwrite|access/i);
    await dcmd('writer', 'plc2', { name: 'limit', datatype: 'Int16', value: 1 });
    assert.match(await logLine('the allowWrites refusal', /DCMD plc2\/limit: write refused/), /allowWrites|writes/i);
    await dcmd('writer', 'plc1', { name: 'setpoint', datatype: 'Double', value: 1.5 });
    await logLine('the datatype refusal', /DCMD plc1\/setpoint: sent as Double, born as Int16: refused/);
    // 40000 cannot be an Int16: our encoder refuses to write it, so the bytes are made by protobufjs.
    await host.publishAsync('spBv1.0/site/DCMD/writer/plc1', Buffer.from(PayloadType.encode(PayloadType.fromObject({ metrics: [{ name: 'setpoint', datatype: 2, int_value: 40000 }] })).finish()), { qos: 1 });
    await logLine('the range refusal', /a DCMD for plc1 that is not a Sparkplug B payload: ignored \(40000 on the wire is not an Int16\)/);
    await dcmd('writer', 'plc1', { name: 'nothing', datatype: 'Int16', value: 1 });
    await logLine('the unknown metric refusal', /DCMD plc1\/nothing: not a metric of its DBIRTH in this session: refused/);
    assert.deepEqual([plc.holdings[0], plc.holdings[1], plc.holdings[2]], [77, 20, 30]);
  });

  it('a publisher without "commands" ignores DCMD', async () => {
    await dcmd('reader', 'plc1', { name: 'setpoint', datatype: 'Int16', value: 5 });
    // Then one the other publisher takes: once it is written, the first had its chance long before.
    await dcmd('writer', 'plc1', { name: 'setpoint', datatype: 'Int16', value: 6 });
    await waitFor('the second write', () => plc.holdings[0] === 6 || undefined);
    assert.equal(gw.stderr().split('\n').some((l) => /reader.*DCMD|DCMD.*wrote 5/.test(l)), false);
  });
});
