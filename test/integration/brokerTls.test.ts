/**
 * TLS to the broker, against Mosquitto with a TLS listener and certificates openssl made for the
 * test: the built gateway's publisher reaches mqtts:// with the CA that signed the broker's
 * certificate (and with a client certificate where the broker asks for one), says clearly that
 * the broker is not trusted with another CA, and refuses at load what cannot work (a missing
 * file, a key that is not the certificate's, an encrypted key without its passphrase).
 */
import { strict as assert } from 'node:assert';
import mqtt, { type MqttClient } from 'mqtt';
import { logger } from '../../gateway/log';
import { loadTls } from '../../gateway/mqtt/brokerTls';
import { decodePayload, type Payload } from '../../gateway/mqtt/sparkplug/payload';
import { SparkplugPublisher } from '../../gateway/mqtt/sparkplugPublisher';
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';
import type { GatewayProcess } from '../../tools/gatewayClient';
import { startGateway, tcpDevice, waitFor } from './harness';
import { hasMosquitto, Mosquitto } from './mosquitto';
import { makeTestPki, type TestPki } from './testPki';

const withMosquitto = hasMosquitto ? describe : describe.skip;

interface Problem {
  path: string;
  message: string;
  severity: string;
}

withMosquitto(hasMosquitto ? 'TLS to the broker' : 'TLS to the broker: SKIPPED, mosquitto is not installed (apt-get install mosquitto)', function () {
  this.timeout(30_000);
  let pki: TestPki;
  let broker: Mosquitto;
  let mutualBroker: Mosquitto;
  let plc: ModbusTcpSimulator;
  let host: MqttClient;
  let gw: GatewayProcess | undefined;
  let publisher: SparkplugPublisher | undefined;
  const received: { topic: string; payload: Payload }[] = [];

  before(async () => {
    pki = makeTestPki();
    broker = await Mosquitto.start({ tls: { cafile: pki.ca, certfile: pki.serverCert, keyfile: pki.serverKey } });
    mutualBroker = await Mosquitto.start({ tls: { cafile: pki.ca, certfile: pki.serverCert, keyfile: pki.serverKey, requireCertificate: true } });
    plc = new ModbusTcpSimulator();
    await plc.start();
    plc.holdings[0] = 42;
    // The test's subscriber listens on the plain listener of each broker.
    host = await mqtt.connectAsync(broker.url, { clientId: 'test-host' });
    host.on('message', (topic, payload) => received.push({ topic, payload: decodePayload(payload) }));
    await host.subscribeAsync('spBv1.0/#', { qos: 1 });
  });

  after(async () => {
    await publisher?.stop();
    await gw?.close();
    await host?.endAsync();
    await plc?.stop();
    await broker?.dispose();
    await mutualBroker?.dispose();
    pki?.dispose();
  });

  it('publishes over mqtts:// with the CA that signed the broker\'s certificate', async () => {
    gw = await startGateway([], { ...process.env, BIFROST_TEST_KEY_PASSPHRASE: pki.passphrase });
    const device = tcpDevice('plc1', plc.port, { tags: [{ name: 'level', area: 'holding', address: 0, type: 'uint16' }] });
    const entry = { type: 'sparkplug', broker: broker.tlsUrl, groupId: 'site', edgeNodeId: 'tls1', tls: { ca: pki.ca } };
    const { problems } = await gw.connection.sendRequest<{ problems: Problem[] }>('bifrost/config/load', { devices: [device], publish: [entry] });
    assert.deepEqual(problems, []);
    const dbirth = await waitFor('the DBIRTH over TLS', () => received.find((r) => r.topic === 'spBv1.0/site/DBIRTH/tls1/plc1'));
    assert.deepEqual(dbirth.payload.metrics.map((m) => [m.name, m.value]), [['level', 42]]);
  });

  it('logs in with a client certificate whose encrypted key opens with the passphrase from the environment', async () => {
    const topics: string[] = [];
    const mutual = await mqtt.connectAsync(mutualBroker.url, { clientId: 'test-host-mutual' });
    try {
      mutual.on('message', (topic) => topics.push(topic));
      await mutual.subscribeAsync('spBv1.0/#', { qos: 1 });
      const device = tcpDevice('plc1', plc.port, { tags: [{ name: 'level', area: 'holding', address: 0, type: 'uint16' }] });
      const tls = { ca: pki.ca, cert: pki.clientCert, key: pki.clientKeyEncrypted, passphraseEnv: 'BIFROST_TEST_KEY_PASSPHRASE' };
      const entry = { type: 'sparkplug', broker: mutualBroker.tlsUrl, groupId: 'site', edgeNodeId: 'mtls1', tls };
      const { problems } = await gw!.connection.sendRequest<{ problems: Problem[] }>('bifrost/config/load', { devices: [device], publish: [entry] });
      assert.deepEqual(problems, []);
      await waitFor('the NBIRTH over mutual TLS', () => topics.includes('spBv1.0/site/NBIRTH/mtls1'));
    } finally {
      await mutual.endAsync();
    }
  });

  it('says at load what cannot work: a missing file, a key that is not the certificate\'s, an encrypted key without its passphrase, a passphrase in the file', async () => {
    const base = { type: 'sparkplug', broker: broker.tlsUrl, groupId: 'site' };
    const { problems } = await gw!.connection.sendRequest<{ problems: Problem[] }>('bifrost/config/load', {
      devices: [],
      publish: [
        { ...base, edgeNodeId: 'a', tls: { ca: `${pki.dir}/missing-ca.pem` } },
        { ...base, edgeNodeId: 'b', tls: { ca: pki.ca, cert: pki.clientCert, key: pki.serverKey } },
        { ...base, edgeNodeId: 'c', tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKeyEncrypted } },
        { ...base, edgeNodeId: 'd', tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKeyEncrypted, passphrase: 'x' } },
        { ...base, edgeNodeId: 'e', tls: { ca: 'ca.pem' } },
        { ...base, edgeNodeId: 'f', broker: broker.url, tls: { ca: pki.ca } },
        { ...base, edgeNodeId: 'g', tls: { ca: pki.ca, rejectUnauthorized: false } },
      ],
    });
    const by = (path: string) => problems.find((p) => p.path === path)?.message ?? `(nothing at ${path}: ${JSON.stringify(problems)})`;
    assert.match(by('/publish/0/tls/ca'), /cannot read "tls\.ca" .*missing-ca\.pem: no such file/);
    assert.match(by('/publish/1/tls/key'), /is not the key of the certificate in "tls\.cert"/);
    assert.match(by('/publish/2/tls/key'), /is encrypted .*"tls\.passphraseEnv"/);
    assert.match(by('/publish/3/tls'), /a passphrase does not belong in bifrost\.json/);
    assert.match(by('/publish/4/tls'), /"tls\.ca" must be an absolute path/);
    assert.match(by('/publish/5/tls'), /needs a broker URL starting with mqtts:\/\//);
    const unchecked = problems.find((p) => p.path === '/publish/6/tls/rejectUnauthorized');
    assert.equal(unchecked?.severity, 'warning', JSON.stringify(problems));
    assert.match(unchecked.message, /not checked/);
    assert.equal(problems.length, 7, JSON.stringify(problems));
    assert.ok(problems.filter((p) => p !== unchecked).every((p) => p.severity === 'error'));
  });

  it('with another CA, does not connect and says the broker\'s certificate is not trusted', async () => {
    const loaded = loadTls({ ca: pki.otherCa }, {});
    assert.ok('options' in loaded);
    publisher = new SparkplugPublisher(gw!.connection, { broker: broker.tlsUrl, groupId: 'site', edgeNodeId: 'wrongca', tls: loaded.options, retryMs: 200 }, logger('sparkplug'));
    await publisher.start();
    const reason = await waitFor('the reason it is offline', () => (/not trusted/.test(publisher!.stats().reason ?? '') ? publisher!.stats().reason : undefined));
    assert.match(reason, /the broker's certificate is not trusted \(.+\): name the CA that signed it in "tls\.ca"/);
    assert.equal(publisher.stats().online, false);
    assert.ok(!received.some((r) => r.topic.includes('/wrongca')), 'nothing got through');
  });

  it('with a server name the certificate does not carry, says so', async () => {
    await publisher?.stop();
    const loaded = loadTls({ ca: pki.ca, servername: 'broker.example' }, {});
    assert.ok('options' in loaded);
    publisher = new SparkplugPublisher(gw!.connection, { broker: broker.tlsUrl, groupId: 'site', edgeNodeId: 'wrongname', tls: loaded.options, retryMs: 200 }, logger('sparkplug'));
    await publisher.start();
    const reason = await waitFor('the reason it is offline', () => (/host name/.test(publisher!.stats().reason ?? '') ? publisher!.stats().reason : undefined));
    assert.match(reason, /not for this host name .*"tls\.servername"/);
  });
});
