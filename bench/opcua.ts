/**
 * The `opcua` section: the gateway's OPC UA driver side by side with a bare node-opcua client
 * doing the same work, each in a process of its own against one node-opcua server in a third
 * (opcuaServer.ts), CPU and RSS of each read from /proc.
 *
 *   1. 10,000 monitored items on one session: `bifrost/subscribe` → the first value of every
 *      item, vs monitorItems in chunks of the server's MaxMonitoredItemsPerCall.
 *   2. Those 10,000 items changing every second (10,000 values/s, publishing every second): the
 *      gateway's CPU delivering them over stdio JSON-RPC to this process, vs the bare client's
 *      CPU receiving them; values counted on both sides, a skipped generation counted as lost.
 *   3. Browsing one folder of 1,000 variables (`bifrost/browse`, maxItems 1000) vs Browse +
 *      BrowseNext + the DataType and UserAccessLevel reads the gateway makes.
 *   5. RSS holding the 10,000 items.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { GATEWAY_NODE_OPTIONS, type BrowseResult, type DeviceListResult, type DeviceStatusNotification, type SubscribeResult, type ValuesNotification } from '../gateway/protocol';
import { spawnFastGateway, type FastGateway } from './fastClient';
import type { BareCommand, BareReport } from './opcuaBareProtocol';
import { GenerationCounter } from './generationCounter';
import { median, watchProcess } from './stats';

const ITEMS = 10_000;
const BROWSE_ITEMS = 1000;
const CHANGE_MS = 1000;
const MAX_PER_CALL = 1000;
/** Two samples kept per item: a change and a publish that fall in the same instant lose nothing. */
const QUEUE_SIZE = 2;
const nodeIdOf = (i: number) => `ns=1;s=C.${i}`;

interface SubscriptionRun {
  firstValuesMs: number;
  /** Gateway only: connected → its configured tags described. */
  describedMs: number;
  cpuPct: number;
  rssMb: number;
  valuesPerS: number;
  lost: number;
  bad: number;
  silent: number;
  serverCpuPct: number;
}

export interface BenchOpcUaServer {
  endpointUrl: string;
  child: ChildProcess;
  /** The sessions the server holds now (CurrentSessionCount). */
  sessions(): Promise<number>;
  stop(): Promise<void>;
}
type Server = BenchOpcUaServer;

export interface BenchOpcUaServerOptions {
  changing: number;
  browse: number;
  changeMs: number;
  maxPerCall: number;
}

/** The bench's node-opcua server (opcuaServer.ts) in a process of its own. */
export async function startServer(o: BenchOpcUaServerOptions = { changing: ITEMS, browse: BROWSE_ITEMS, changeMs: CHANGE_MS, maxPerCall: MAX_PER_CALL }): Promise<Server> {
  const child = spawn(
    process.execPath,
    [path.join(__dirname, 'opcua-bench-server.js'), '--changing', String(o.changing), '--browse', String(o.browse), '--change-ms', String(o.changeMs), '--max-per-call', String(o.maxPerCall)],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (log = (log + c).slice(-4000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const asked: ((n: number) => void)[] = [];
  const endpointUrl = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      if (line.startsWith('{"endpointUrl"')) resolve((JSON.parse(line) as { endpointUrl: string }).endpointUrl);
      else if (line.startsWith('{"sessions"')) asked.shift()?.((JSON.parse(line) as { sessions: number }).sessions);
    });
    child.once('exit', (code) => reject(new Error(`the OPC UA bench server exited with ${code}: ${log.trim()}`)));
  });
  return {
    endpointUrl,
    child,
    sessions: () =>
      new Promise<number>((resolve) => {
        asked.push(resolve);
        child.stdin!.write('sessions\n');
      }),
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Options for node when spawning the gateway or the bare client, e.g. `--cpu-prof` (BIFROST_BENCH_OPCUA_NODE_ARGS). */
const nodeArgs = () => process.env['BIFROST_BENCH_OPCUA_NODE_ARGS']?.split(' ').filter(Boolean) ?? [];

/**
 * The heap both processes run with. `launched`: the gateway's launch options (GATEWAY_NODE_OPTIONS:
 * a small young generation, chosen for memory), given to the bare client too; `defaults`: Node's
 * own (16 MB semi-spaces on 64-bit, pretenuring on), given to the gateway too. Each pair compares
 * code with code; across the pairs the heap's CPU-for-memory trade shows.
 */
type Heap = 'launched' | 'defaults';
const HEAP_ARGS: Record<Heap, { gateway: readonly string[]; bare: readonly string[] }> = {
  launched: { gateway: [], bare: GATEWAY_NODE_OPTIONS },
  defaults: { gateway: ['--max-semi-space-size=16', '--allocation-site-pretenuring'], bare: [] },
};

function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => {
      const v = probe();
      if (v !== undefined) return resolve(v);
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

/** A gateway with one OPC UA device, connected; its certificate store in a temp folder. */
async function gatewayWithDevice(
  endpointUrl: string,
  tags: { name: string; nodeId: string; samplingIntervalMs: number; queueSize: number }[],
  heap: Heap = 'launched',
): Promise<{ gw: FastGateway; close(): Promise<void>; describedMs: number }> {
  const pki = mkdtempSync(path.join(os.tmpdir(), 'bifrost-bench-pki-'));
  const gw = await spawnFastGateway([...HEAP_ARGS[heap].gateway, ...nodeArgs()], ['--pki', pki]);
  const close = async () => {
    await gw.close();
    rmSync(pki, { recursive: true, force: true });
  };
  try {
    let status: DeviceStatusNotification | undefined;
    gw.onNotification('bifrost/deviceStatus', (p) => (status = p as DeviceStatusNotification));
    const device = { id: 'plc', protocol: 'opcua', endpointUrl, securityMode: 'None', securityPolicy: 'None', timeoutMs: 10_000, publishingIntervalMs: CHANGE_MS, samplingIntervalMs: 0, tags };
    await gw.request('bifrost/config/load', { devices: [device] });
    await waitFor('the OPC UA device to connect', () => (status?.status === 'connected' ? true : undefined), 60_000).catch((err: Error) => {
      throw new Error(`${err.message} (last status: ${status?.status ?? 'none'}${status?.lastError ? `: ${status.lastError}` : ''})`);
    });
    // Configured tags are described (DataType, access, engineering units) in the background once
    // connected: waited for, so that neither the subscription's timing nor the CPU window has it.
    const t0 = performance.now();
    let describedMs = 0;
    if (tags.length > 0) {
      for (;;) {
        const list = await gw.request<DeviceListResult>('bifrost/devices/list');
        if (list.devices[0]?.tags.every((t) => t.dataType !== 'unknown')) break;
        if (performance.now() - t0 > 120_000) throw new Error('the gateway did not describe the configured tags within 120 s');
        await new Promise((r) => setTimeout(r, 250));
      }
      describedMs = performance.now() - t0;
    }
    return { gw, close, describedMs };
  } catch (err) {
    await close();
    throw err;
  }
}

async function gatewaySubscriptionRun(server: Server, seconds: number, heap: Heap): Promise<SubscriptionRun> {
  const tags = Array.from({ length: ITEMS }, (_, i) => ({ name: `c${i}`, nodeId: nodeIdOf(i), samplingIntervalMs: 0, queueSize: QUEUE_SIZE }));
  const { gw, close, describedMs } = await gatewayWithDevice(server.endpointUrl, tags, heap);
  try {
    const counter = new GenerationCounter(ITEMS);
    gw.onNotification('bifrost/values', (p) => {
      for (const r of (p as ValuesNotification).items) {
        const good = r.quality === 'good';
        counter.add(Number(r.tag.slice(1)), good, good ? (r.value as number) : -1);
      }
    });
    const t0 = performance.now();
    const sub = await gw.request<SubscribeResult>('bifrost/subscribe', { deviceId: 'plc', tags: tags.map((t) => t.name), intervalMs: CHANGE_MS, onChangeOnly: true });
    if (sub.tags.length !== ITEMS) throw new Error(`the gateway subscribed ${sub.tags.length} tags, not ${ITEMS}`);
    await waitFor(`a first value of each of ${ITEMS} items`, () => (counter.seen === ITEMS ? true : undefined), 120_000);
    const firstValuesMs = performance.now() - t0;
    return { firstValuesMs, describedMs, ...(await measureWindow(gw.child.pid!, server, seconds, counter)) };
  } finally {
    await close();
  }
}

async function measureWindow(pid: number, server: Server, seconds: number, counter: GenerationCounter) {
  await new Promise((r) => setTimeout(r, 2 * CHANGE_MS)); // settle onto the publishing cycle
  counter.startWindow();
  const [proc, srv] = await Promise.all([watchProcess(pid, seconds), watchProcess(server.child.pid!, seconds)]);
  counter.measuring = false;
  return { cpuPct: proc.cpuPct, rssMb: proc.rssPeak, valuesPerS: counter.values / proc.elapsed, lost: counter.lost, bad: counter.bad, silent: counter.silent(), serverCpuPct: srv.cpuPct };
}

interface Bare {
  child: ChildProcess;
  ask<T extends BareReport['type']>(command: BareCommand, answer: T): Promise<Extract<BareReport, { type: T }>>;
  stop(): Promise<void>;
}

async function startBare(endpointUrl: string, heap: Heap = 'defaults'): Promise<Bare> {
  const execArgv = [...HEAP_ARGS[heap].bare, ...nodeArgs()];
  const child = fork(path.join(__dirname, 'opcua-bench-client.js'), [endpointUrl], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv });
  let log = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (log = (log + c).slice(-4000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const next = (type: BareReport['type']) =>
    new Promise<BareReport>((resolve, reject) => {
      const onMessage = (m: BareReport) => {
        if (m.type !== type && m.type !== 'error') return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (m.type === 'error') reject(new Error(`bare client: ${m.message}`));
        else resolve(m);
      };
      const onExit = (code: number | null) => reject(new Error(`the bare client exited with ${code}: ${log.trim()}`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  await next('ready');
  return {
    child,
    ask: async (command, answer) => {
      const reply = next(answer);
      child.send(command);
      return (await reply) as never;
    },
    async stop() {
      if (child.connected) child.send({ type: 'stop' } satisfies BareCommand);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function bareSubscriptionRun(server: Server, seconds: number, heap: Heap): Promise<SubscriptionRun> {
  const bare = await startBare(server.endpointUrl, heap);
  try {
    const nodeIds = Array.from({ length: ITEMS }, (_, i) => nodeIdOf(i));
    const sub = await bare.ask({ type: 'subscribe', nodeIds, publishingIntervalMs: CHANGE_MS, samplingIntervalMs: 0, queueSize: QUEUE_SIZE }, 'subscribed');
    // The counting happens in the bare process: this side only opens and closes the window.
    await new Promise((r) => setTimeout(r, 2 * CHANGE_MS));
    bare.child.send({ type: 'count', on: true } satisfies BareCommand);
    const [proc, srv] = await Promise.all([watchProcess(bare.child.pid!, seconds), watchProcess(server.child.pid!, seconds)]);
    const counted = await bare.ask({ type: 'count', on: false }, 'counted');
    return { firstValuesMs: sub.firstValuesMs, describedMs: NaN, cpuPct: proc.cpuPct, rssMb: proc.rssPeak, valuesPerS: counted.values / proc.elapsed, lost: counted.lost, bad: counted.bad, silent: counted.silent, serverCpuPct: srv.cpuPct };
  } finally {
    await bare.stop();
  }
}

interface BrowseTimes {
  gateway: number[];
  bare: number[];
  bareWithChildren: number[];
  gatewayItems: number;
  gatewayTyped: number;
  bareItems: number;
}

async function browseRuns(server: Server, runs: number): Promise<BrowseTimes> {
  const out: BrowseTimes = { gateway: [], bare: [], bareWithChildren: [], gatewayItems: 0, gatewayTyped: 0, bareItems: 0 };
  const { gw, close } = await gatewayWithDevice(server.endpointUrl, []);
  try {
    const browse = () => gw.request<BrowseResult>('bifrost/browse', { deviceId: 'plc', node: 'ns=1;s=Browse', maxItems: BROWSE_ITEMS });
    await browse(); // warm-up: the first browse of a session learns the DataType names
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const r = await browse();
      out.gateway.push(performance.now() - t0);
      if (r.continuation !== undefined) throw new Error('the gateway answered a browse of 1,000 items in more than one page');
      out.gatewayItems = r.items.length;
      out.gatewayTyped = r.items.filter((x) => x.nodeClass === 'variable' && x.dataType === 'Double').length;
    }
  } finally {
    await close();
  }
  const bare = await startBare(server.endpointUrl);
  try {
    const ask = (withChildren: boolean) => bare.ask({ type: 'browse', node: 'ns=1;s=Browse', maxItems: BROWSE_ITEMS, withChildren }, 'browsed');
    await ask(true);
    for (let i = 0; i < runs; i++) {
      const plain = await ask(false);
      out.bare.push(plain.ms);
      out.bareItems = plain.withDataType;
      out.bareWithChildren.push((await ask(true)).ms);
    }
  } finally {
    await bare.stop();
  }
  return out;
}

export async function opcuaSection(quick: boolean): Promise<void> {
  const runs = 3;
  const seconds = quick ? 5 : 15;
  const server = await startServer();
  try {
    const gateway: SubscriptionRun[] = [];
    const bare: SubscriptionRun[] = [];
    const gatewayDefaults: SubscriptionRun[] = [];
    const bareLaunched: SubscriptionRun[] = [];
    // Interleaved, the order flipped each run: drift on a shared machine hits all alike.
    const steps = [
      async () => gateway.push(await gatewaySubscriptionRun(server, seconds, 'launched')),
      async () => bareLaunched.push(await bareSubscriptionRun(server, seconds, 'launched')),
      async () => bare.push(await bareSubscriptionRun(server, seconds, 'defaults')),
      async () => gatewayDefaults.push(await gatewaySubscriptionRun(server, seconds, 'defaults')),
    ];
    for (let r = 0; r < runs; r++) for (const step of r % 2 === 0 ? steps : [...steps].reverse()) await step();
    const browse = await browseRuns(server, runs);

    const m = (xs: SubscriptionRun[], k: keyof SubscriptionRun) => median(xs.map((x) => x[k]));
    const sum = (xs: SubscriptionRun[], k: keyof SubscriptionRun) => xs.reduce((a, x) => a + x[k], 0);
    const row = (what: string, ours: string, theirs: string, ratio = '') => console.log(`  ${what.padEnd(34)} ${ours.padStart(16)} ${theirs.padStart(16)}   ${ratio}`);
    const x = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
    console.log(`\n## OPC UA: the gateway vs a bare node-opcua client, same server process (medians of ${runs} interleaved runs, ${seconds} s windows)`);
    console.log(`  server: node-opcua ${ITEMS} Int32 variables changing every ${CHANGE_MS} ms, MaxMonitoredItemsPerCall ${MAX_PER_CALL}; items: sampling 0 (every change), queue ${QUEUE_SIZE}, publishing ${CHANGE_MS} ms`);
    row('', 'Bifrost gateway', 'bare client', 'gateway / bare');
    row(`${ITEMS} items: subscribe → all first`, `${(m(gateway, 'firstValuesMs') / 1000).toFixed(2)} s`, `${(m(bare, 'firstValuesMs') / 1000).toFixed(2)} s`, `${x(m(gateway, 'firstValuesMs'), m(bare, 'firstValuesMs'))} (goal ≤ 5 s and ≤ 1×)`);
    console.log(`  before that, the gateway describes its ${ITEMS} configured tags once connected: ${(m(gateway, 'describedMs') / 1000).toFixed(2)} s (waited for, not in these figures)`);
    row('values/s received (10,000 sent)', `${Math.round(m(gateway, 'valuesPerS'))}`, `${Math.round(m(bare, 'valuesPerS'))}`, 'gateway: delivered over stdio JSON-RPC to this process');
    const ours = [...gateway, ...gatewayDefaults];
    const theirs = [...bare, ...bareLaunched];
    row(`lost / bad / silent (${ours.length} windows)`, `${sum(ours, 'lost')} / ${sum(ours, 'bad')} / ${sum(ours, 'silent')}`, `${sum(theirs, 'lost')} / ${sum(theirs, 'bad')} / ${sum(theirs, 'silent')}`, 'lost: generations skipped; silent: items without a value');
    row('CPU % of one core: as launched', m(gateway, 'cpuPct').toFixed(1), m(bare, 'cpuPct').toFixed(1), `${x(m(gateway, 'cpuPct'), m(bare, 'cpuPct'))}: the gateway's launch options, the bare client on Node's defaults`);
    row('  … both on the launch options', m(gateway, 'cpuPct').toFixed(1), m(bareLaunched, 'cpuPct').toFixed(1), `${x(m(gateway, 'cpuPct'), m(bareLaunched, 'cpuPct'))} (goal ≤ 1.5×): ${GATEWAY_NODE_OPTIONS.join(' ')}`);
    row("  … both on Node's defaults", m(gatewayDefaults, 'cpuPct').toFixed(1), m(bare, 'cpuPct').toFixed(1), `${x(m(gatewayDefaults, 'cpuPct'), m(bare, 'cpuPct'))} (goal ≤ 1.5×): ${HEAP_ARGS.defaults.gateway.join(' ')} for the gateway`);
    row(`RSS MB peak holding ${ITEMS} items`, m(gateway, 'rssMb').toFixed(0), m(bare, 'rssMb').toFixed(0), `${x(m(gateway, 'rssMb'), m(bare, 'rssMb'))}: as launched`);
    row('  … both on the launch options', m(gateway, 'rssMb').toFixed(0), m(bareLaunched, 'rssMb').toFixed(0), x(m(gateway, 'rssMb'), m(bareLaunched, 'rssMb')));
    row("  … both on Node's defaults", m(gatewayDefaults, 'rssMb').toFixed(0), m(bare, 'rssMb').toFixed(0), x(m(gatewayDefaults, 'rssMb'), m(bare, 'rssMb')));
    row('server CPU % meanwhile', m(gateway, 'serverCpuPct').toFixed(1), m(bare, 'serverCpuPct').toFixed(1));
    const each = (xs: SubscriptionRun[]) => xs.map((g) => `${(g.firstValuesMs / 1000).toFixed(2)}/${g.cpuPct.toFixed(1)}`).join(', ');
    console.log(`  runs (first values s / CPU %): gateway ${each(gateway)}; bare ${each(bare)}; on the other heap: gateway ${each(gatewayDefaults)}, bare ${each(bareLaunched)}`);
    console.log(`\n## OPC UA browse: one folder of ${BROWSE_ITEMS} variables (median of ${runs} after a warm-up, same session each)`);
    console.log(`  gateway bifrost/browse, maxItems ${BROWSE_ITEMS}      ${median(browse.gateway).toFixed(0).padStart(5)} ms  (goal ≤ 1000 ms; ${browse.gatewayItems} items, ${browse.gatewayTyped} typed Double; one page)`);
    console.log(`  bare Browse + BrowseNext + DataType/access    ${median(browse.bare).toFixed(0).padStart(5)} ms  (${browse.bareItems} DataTypes read)   gateway / bare ${x(median(browse.gateway), median(browse.bare))}`);
    console.log(`  bare, + one-reference browse per item         ${median(browse.bareWithChildren).toFixed(0).padStart(5)} ms  (the gateway's hasChildren step)   gateway / bare ${x(median(browse.gateway), median(browse.bareWithChildren))}`);
  } finally {
    await server.stop();
  }
}
