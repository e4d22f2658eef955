/**
 * docs/protocol.md, run: its examples are sent to the built gateway as the document shows them,
 * and the answers compared with what the document says comes back (fields that differ from run
 * to run, such as timestamps, left out). A change on either side that makes them disagree fails
 * here.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModbusTcpSimulator } from '../../gateway/sim/modbusServer';
import type { DeviceListResult } from '../../gateway/protocol';
import { codeBlockAfter, jsonMessages, PROTOCOL_DOC, RawGateway, REPO_ROOT, tableAfter, type Message } from './docExamples';
import { freePort, waitFor } from './harness';

const SHUTTING_DOWN = 'the gateway is shutting down; only "exit" is accepted now';

/** A documented answer without what changes from run to run. */
function withoutVolatile(m: unknown): unknown {
  return JSON.parse(JSON.stringify(m), (key, value: unknown) => (key === 'timestamp' || key === 'uptimeMs' ? undefined : value));
}

/** The gateway's first connection attempt for each device runs before a load answers. */
function ofDevice(messages: Message[], id: string, method: string): Message[] {
  return messages.filter((m) => m.method === method && (m['params'] as { id?: string } | undefined)?.id === id);
}

describe('docs/protocol.md, run against the gateway', function () {
  this.timeout(30_000);
  const gateways: RawGateway[] = [];
  const sims: ModbusTcpSimulator[] = [];

  function gateway(args: string[] = []): RawGateway {
    const g = new RawGateway(args);
    gateways.push(g);
    return g;
  }

  async function sim(): Promise<ModbusTcpSimulator> {
    const s = new ModbusTcpSimulator();
    await s.start();
    sims.push(s);
    return s;
  }

  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((g) => g.close()));
    await Promise.all(sims.splice(0).map((s) => s.stop()));
  });

  describe('Transport', () => {
    it('the ping frame of the hex dump is the 70 bytes it says, and gets the answer shown', async () => {
      const dump = codeBlockAfter('A complete `bifrost/ping` request, byte for byte');
      const hex = dump
        .split('\n')
        .map((line) => /^[0-9a-f]{8}: ((?:[0-9a-f]{2,4} )+)/.exec(line)?.[1] ?? '')
        .join('')
        .replace(/ /g, '');
      const frame = Buffer.from(hex, 'hex');
      assert.equal(frame.length, 70);
      assert.equal(frame.toString('utf8'), 'Content-Length: 48\r\n\r\n{"jsonrpc":"2.0","id":1,"method":"bifrost/ping"}');

      const shown = codeBlockAfter('and its answer, as written by the gateway:').trim();
      const [shownHeader, shownBody] = shown.split('\\r\\n\\r\\n');
      assert.equal(shownHeader, `Content-Length: ${Buffer.byteLength(shownBody!)}`, 'the documented header counts the documented body');

      const g = gateway();
      g.sendBytes(frame);
      const answer = await g.answer(1);
      assert.deepEqual(withoutVolatile(answer), withoutVolatile(JSON.parse(shownBody!)));
      assert.equal(typeof answer['result'] === 'object' && typeof (answer['result'] as { uptimeMs: unknown }).uptimeMs, 'number');
      const text = g.stdout.toString('utf8');
      const body = JSON.stringify(answer);
      assert.equal(text, `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, 'only the Content-Length header, then the body');
    });

    it('answers every body of the table of unusable bodies as the table says, and stays up', async () => {
      const bodies: Record<string, string> = {
        'Not valid JSON': '{"jsonrpc": "2.0", "id": 1,',
        'A JSON array': '[{"jsonrpc":"2.0","id":2,"method":"bifrost/ping"}]',
        'Not an object': '42',
        '`jsonrpc` is not `"2.0"`': '{"jsonrpc":"1.0","id":4,"method":"bifrost/ping"}',
        'No string `method` (and no `result`/`error`)': '{"jsonrpc":"2.0","id":"five","method":5}',
        '`params` neither object, array nor `null`': '{"jsonrpc":"2.0","id":6,"method":"bifrost/ping","params":"x"}',
        'A request whose `id` is neither a string nor a number (`null`, an object, an array, a boolean)': '{"jsonrpc":"2.0","id":{"n":8},"method":"bifrost/ping"}',
      };
      const rows = tableAfter('Bodies that are not usable JSON-RPC are answered');
      assert.deepEqual(rows.map((r) => r[0]).sort(), Object.keys(bodies).sort(), 'a body for every row of the table');
      const g = gateway();
      for (const [what, answerCell] of rows) {
        const body = bodies[what!]!;
        const from = g.messages.length;
        g.sendBody(body);
        const answer = await waitFor(`the answer to ${what}`, () => g.messages[from]);
        const code = Number(/^`(-\d+)`/.exec(answerCell!)![1]);
        const message = /`([^`]+)`$/.exec(answerCell!)![1]!;
        const pattern = new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/<[^>]+>/g, '.+')}$`);
        const error = answer['error'] as { code: number; message: string };
        assert.equal(error.code, code, what);
        assert.match(error.message, pattern, what);
        // The id comes back when it is a number or a string, else null.
        const sent = (() => {
          try {
            return (JSON.parse(body) as { id?: unknown }).id;
          } catch {
            return undefined;
          }
        })();
        assert.equal(answer.id, typeof sent === 'number' || typeof sent === 'string' ? sent : null, what);
        assert.ok(!('data' in error), `${what}: no data`);
      }
      assert.equal(((await g.request({ jsonrpc: '2.0', id: 7, method: 'bifrost/ping' }))['result'] as { version: string }).version, '0.1.0');
    });

    it('answers the truncated body of the example with the parse error shown', async () => {
      const block = codeBlockAfter('(closing brace missing) gets');
      const [shown] = jsonMessages(block);
      const g = gateway();
      g.sendBody('{"jsonrpc": "2.0", "id": 2, "method": "bifrost/ping"');
      const answer = await waitFor('the parse error', () => g.messages[0]);
      const error = answer['error'] as { code: number; message: string };
      const shownError = shown!['error'] as { code: number; message: string };
      assert.equal(answer.id, null);
      assert.equal(error.code, shownError.code);
      // The parser's own words after the parenthesis are Node's and may change with its version.
      const prefix = 'parse error: the message body is not valid JSON (';
      assert.ok(shownError.message.startsWith(prefix) && error.message.startsWith(prefix), error.message);
    });

    it('runs the minimal Python client as printed, to exit code 0', async function () {
      // The demo it starts includes an OPC UA server and a serial bus: on a loaded machine its start
      // and its shutdown take seconds (6 s in all when quiet, over 25 s once in CI under load).
      this.timeout(90_000);
      const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
      const dir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-doc-'));
      try {
        const script = path.join(dir, 'client.py');
        writeFileSync(script, codeBlockAfter('### A minimal client (Python)'));
        const out = await new Promise<string>((resolve, reject) => {
          execFile(python, [script], { cwd: REPO_ROOT, timeout: 80_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}${err.killed ? ' (killed: it ran past its time)' : ''}\n${stderr}`)) : resolve(stdout)));
        });
        const lines = out.trim().split('\n');
        assert.match(lines[0]!, /'result': \{'capabilities': \{'bifrost': \{'version': '0\.1\.0'/);
        assert.match(lines[1]!, /^\{'jsonrpc': '2\.0', 'id': 3, 'result': \{'results': \[\{'tag': 'temperature', 'value': [\d.]+, 'quality': 'good'/);
        assert.match(lines[1]!, /\{'tag': 'holding:0:float32', 'value': [\d.]+, 'quality': 'good'/);
        assert.equal(lines[2], "{'jsonrpc': '2.0', 'id': 4, 'result': None}");
        assert.equal(lines[3], 'exit code 0');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('Lifecycle and errors', () => {
    it('answers initialize as shown, with the in-memory protocol loaded', async () => {
      const [request, shown] = jsonMessages(codeBlockAfter('The answer says what this gateway can do'));
      const g = gateway(['--driver', 'dist/test/memory-driver.js']);
      // The example's processId would make the gateway watch a process that is not there: ours.
      const answer = await g.request({ ...request!, params: { ...(request!['params'] as object), processId: process.pid } });
      assert.deepEqual(answer, shown);
    });

    it('answers shutdown as shown, then refuses every request, ping and initialize included, and exits 0 on exit', async () => {
      const [shutdown, shutdownAnswer, ping, pingAnswer] = jsonMessages(codeBlockAfter('### `shutdown`'));
      const g = gateway();
      assert.deepEqual(await g.request(shutdown!), shutdownAnswer);
      assert.deepEqual(await g.request(ping!), pingAnswer);
      const others: Message[] = [
        { jsonrpc: '2.0', id: 12, method: 'initialize', params: { processId: null, capabilities: {} } },
        { jsonrpc: '2.0', id: 13, method: 'shutdown' },
        { jsonrpc: '2.0', id: 14, method: 'bifrost/devices/list' },
        { jsonrpc: '2.0', id: 15, method: 'bifrost/teleport', params: {} },
      ];
      for (const m of others) {
        const answer = await g.request(m);
        assert.deepEqual(answer['error'], { code: -32600, message: SHUTTING_DOWN }, m.method);
      }
      g.send({ jsonrpc: '2.0', method: 'exit' });
      assert.equal(await g.exited, 0);
    });

    it('refuses positional parameters with the message the document gives, and ignores parameters of methods that take none', async () => {
      const g = gateway();
      const said = PROTOCOL_DOC.replace(/\s+/g, ' ');
      const requests: Message[] = [
        { jsonrpc: '2.0', id: 1, method: 'bifrost/config/load', params: [{ devices: [] }] },
        { jsonrpc: '2.0', id: 2, method: 'bifrost/subscribe', params: [] },
        { jsonrpc: '2.0', id: 3, method: 'bifrost/tags/read', params: [{ deviceId: 'x', tags: ['holding:0'] }, 5] },
      ];
      for (const m of requests) {
        const error = (await g.request(m))['error'] as { code: number; message: string };
        assert.equal(error.code, -32602);
        assert.equal(error.message, `Request ${m.method} defines parameters by name but received parameters by position`);
        assert.ok(said.includes(`\`${error.message.replace(m.method!, '<method>')}\``), 'the document gives this message');
      }
      const ping = await g.request({ jsonrpc: '2.0', id: 4, method: 'bifrost/ping', params: [1, 2] });
      assert.equal((ping['result'] as { version: string }).version, '0.1.0');
    });

    it('exits with 1 on exit without a shutdown before it', async () => {
      const g = gateway();
      await g.request({ jsonrpc: '2.0', id: 1, method: 'bifrost/ping' });
      g.send({ jsonrpc: '2.0', method: 'exit' });
      assert.equal(await g.exited, 1);
    });

    it('gives no error but BadConfig a data member', async () => {
      const g = gateway();
      const requests: [number, Message][] = [
        [-32601, { jsonrpc: '2.0', id: 1, method: 'bifrost/teleport', params: {} }],
        [-32602, { jsonrpc: '2.0', id: 2, method: 'bifrost/tags/read', params: { deviceId: 'x', tags: 'holding:0' } }],
        [-32602, { jsonrpc: '2.0', id: 3, method: 'bifrost/config/load' }],
        [1001, { jsonrpc: '2.0', id: 4, method: 'bifrost/tags/read', params: { deviceId: 'nobody', tags: ['holding:0'] } }],
        [1009, { jsonrpc: '2.0', id: 5, method: 'bifrost/unsubscribe', params: { subscriptionId: 's9' } }],
      ];
      for (const [code, m] of requests) {
        const error = (await g.request(m))['error'] as Record<string, unknown>;
        assert.equal(error['code'], code, m.method);
        assert.deepEqual(Object.keys(error).sort(), ['code', 'message'], `${m.method}: code and message only`);
      }
      const refused = (await g.request({ jsonrpc: '2.0', id: 6, method: 'bifrost/config/load', params: { devices: 'none' } }))['error'] as Record<string, unknown>;
      assert.deepEqual(Object.keys(refused).sort(), ['code', 'data', 'message']);
      assert.deepEqual(refused['data'], { problems: [{ path: '/devices', message: '"devices" must be an array', severity: 'error' }] });
    });
  });

  describe('bifrost/config/load', () => {
    it('answers the documented document with the documented problems; devicesChanged comes before the answer', async () => {
      const [request, shown] = jsonMessages(codeBlockAfter('`severity` is `"error"` or `"warning"`. Problems are also logged'));
      // The example's port may belong to anyone on this machine: the device gets a free one (the result does not depend on it).
      const port = await freePort();
      const params = request!['params'] as { devices: { port: number }[] };
      params.devices[0]!.port = port;
      const g = gateway();
      const answer = await g.request(request!);
      assert.deepEqual(answer, shown);
      const at = g.messages.indexOf(answer);
      const before = g.messages.slice(0, at);
      assert.equal(before.filter((m) => m.method === 'bifrost/devicesChanged').length, 1, 'one devicesChanged, before the answer');
      assert.deepEqual(ofDevice(before, 'boiler', 'bifrost/deviceStatus').map((m) => (m['params'] as { status: string }).status), ['connecting']);
    });

    it('refuses a document without "devices" as shown, keeps the devices running, and sends no devicesChanged', async () => {
      const plc = await sim();
      const g = gateway();
      const device = { id: 'kept', protocol: 'modbus-tcp', host: '127.0.0.1', port: plc.port, tags: [{ name: 'level', area: 'holding', address: 0 }] };
      await g.request({ jsonrpc: '2.0', id: 1, method: 'bifrost/config/load', params: { devices: [device] } });
      await waitFor('kept connected', () => ofDevice(g.messages, 'kept', 'bifrost/deviceStatus').some((m) => (m['params'] as { status: string }).status === 'connected'));

      const [request, shown] = jsonMessages(codeBlockAfter('is refused whole with `1011`\nBadConfig'));
      const from = g.messages.length;
      assert.deepEqual(await g.request(request!), shown);
      // Answers and notifications leave in order: what the load sent came before this answer.
      const list = await g.request({ jsonrpc: '2.0', id: 5, method: 'bifrost/devices/list' });
      const after = g.messages.slice(from);
      assert.deepEqual(after.filter((m) => m.method !== undefined), [], 'no notification at all: nothing changed');
      const devices = (list['result'] as DeviceListResult).devices;
      assert.deepEqual(devices.map((d) => [d.id, d.status]), [['kept', 'connected']]);

      // The other two documents that are not configurations, with the messages of the problem table.
      const problemRows = tableAfter('### Problem messages');
      for (const [id, doc, path] of [[6, null, ''], [7, { devices: {} }, '/devices']] as const) {
        const error = (await g.request({ jsonrpc: '2.0', id, method: 'bifrost/config/load', params: doc }))['error'] as { code: number; data: { problems: { path: string; message: string }[] } };
        assert.equal(error.code, 1011);
        const [problem] = error.data.problems;
        assert.equal(problem!.path, path);
        const row = problemRows.find((r) => r[0] === `\`"${path}"\`` || r[0] === `\`${path}\``);
        assert.ok(row?.[1]?.includes(`\`${problem!.message}\``), `the table lists ${JSON.stringify(problem!.message)} at ${JSON.stringify(path)}`);
      }
    });

    it('a reconfigured device reports connecting, then connected, and no disconnected', async () => {
      const plc = await sim();
      const g = gateway();
      const device = { id: 'plc', protocol: 'modbus-tcp', host: '127.0.0.1', port: plc.port, pollIntervalMs: 1000, tags: [{ name: 'level', area: 'holding', address: 0 }] };
      await g.request({ jsonrpc: '2.0', id: 1, method: 'bifrost/config/load', params: { devices: [device] } });
      await waitFor('connected', () => ofDevice(g.messages, 'plc', 'bifrost/deviceStatus').some((m) => (m['params'] as { status: string }).status === 'connected'));
      const from = g.messages.length;
      await g.request({ jsonrpc: '2.0', id: 2, method: 'bifrost/config/load', params: { devices: [{ ...device, pollIntervalMs: 500 }] } });
      const statuses = () => ofDevice(g.messages.slice(from), 'plc', 'bifrost/deviceStatus').map((m) => (m['params'] as { status: string }).status);
      await waitFor('connected again', () => statuses().includes('connected'));
      // A ping makes sure that anything the old connection's closing might have sent is here.
      await g.request({ jsonrpc: '2.0', id: 3, method: 'bifrost/ping' });
      assert.deepEqual(statuses(), ['connecting', 'connected']);
    });

    it('--config with a file that is not a configuration ends the process with code 2 and says why', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-doc-'));
      try {
        const file = path.join(dir, 'bifrost.json');
        writeFileSync(file, '{ "device": [] }');
        const g = gateway(['--config', file]);
        assert.equal(await g.exited, 2);
        assert.match(g.stderr, /\[error\] cannot load --config .*bifrost\.json: configuration not loaded, the devices keep running as they were: the configuration needs a "devices" array \(it may be empty\)/);
        assert.equal(g.stdout.length, 0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('bifrost/discover', () => {
    it('answers the documented dry run of both protocols as shown', async () => {
      const [request, shown] = jsonMessages(codeBlockAfter('Modbus and OPC UA probes together. A dry run of both:'));
      const answer = await gateway().request(request!);
      const withoutDuration = (m: unknown): unknown => JSON.parse(JSON.stringify(m), (key, value: unknown) => (key === 'durationMs' ? undefined : value));
      assert.deepEqual(withoutDuration(answer), withoutDuration(shown));
    });
  });

  describe('bifrost/tags/write', () => {
    it('answers the documented demo writes as shown', async () => {
      const g = gateway(['--demo']);
      await waitFor('the demo devices connected', async () => {
        const list = (await g.request({ jsonrpc: '2.0', id: 'list', method: 'bifrost/devices/list' }))['result'] as DeviceListResult;
        const modbus = list.devices.filter((d) => d.id === 'demo-tank' || d.id === 'demo-boiler');
        return modbus.length === 2 && modbus.every((d) => d.status === 'connected');
      });
      const messages = jsonMessages(codeBlockAfter('Writes one value and answers after the device has acknowledged the write.'));
      const demo = [];
      for (let i = 0; i < messages.length; i += 2) {
        const deviceId = (messages[i]!['params'] as { deviceId: string }).deviceId;
        if (deviceId.startsWith('demo-')) demo.push([messages[i]!, messages[i + 1]!]);
      }
      assert.equal(demo.length, 2, 'the document shows two writes to the demo plant');
      for (const [request, shown] of demo) {
        const answer = await g.request(request!);
        assert.deepEqual(withoutVolatile(answer), withoutVolatile(shown));
        if (answer['result']) assert.equal(typeof (answer['result'] as { timestamp: unknown }).timestamp, 'number');
      }
    });
  });

  describe('bifrost/modbus/readRange and bifrost/modbus/probe', () => {
    it('answer the documented examples as shown, on a device whose holding registers 10 and 11 do not exist', async () => {
      const s = new ModbusTcpSimulator({ holes: [{ area: 'holding', start: 10, end: 11 }] });
      const port = await s.start();
      sims.push(s);
      s.holdings.set([16812, 0, 0, 0, 1234, 65535], 8);
      const g = gateway();
      await g.request({ jsonrpc: '2.0', id: 'load', method: 'bifrost/config/load', params: { devices: [{ id: 'plc', protocol: 'modbus-tcp', host: '127.0.0.1', port }] } });
      await waitFor('plc connected', async () => {
        const list = (await g.request({ jsonrpc: '2.0', id: 'list', method: 'bifrost/devices/list' }))['result'] as DeviceListResult;
        return list.devices[0]?.status === 'connected';
      });
      for (const section of ['Answer: `{area, start, count, values, errors, requests, timestamp}`', 'Answer: `{present, absent, failed, requests}`']) {
        const messages = jsonMessages(codeBlockAfter(section));
        for (let i = 0; i < messages.length; i += 2) {
          const answer = await g.request(messages[i]!);
          assert.deepEqual(withoutVolatile(answer), withoutVolatile(messages[i + 1]));
        }
      }
    });
  });
});
