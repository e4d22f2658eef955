/**
 * Generated and mutated JSON-RPC messages for fuzzing the gateway's transports, each with what
 * the JSON-RPC 2.0 specification makes of it: an answer carrying its id, an answer with id null
 * (the message could not be read as a request), or nothing (a notification, a response). The same
 * seed gives the same messages, so a failing case can be replayed.
 */
import { readFileSync } from 'node:fs';
import { seeded } from '../unit/seeded';

export type Category =
  | 'valid'
  | 'wrong-params'
  | 'extreme-numbers'
  | 'deep-nesting'
  | 'long-strings'
  | 'unknown-method'
  | 'notification'
  | 'bad-jsonrpc'
  | 'bad-id'
  | 'batch'
  | 'not-json'
  | 'not-object'
  | 'invalid-utf8'
  | 'response';

export type Expect = { kind: 'answer'; id: number | string } | { kind: 'null-answer' } | { kind: 'none' };

export interface FuzzMessage {
  category: Category;
  /** The body (stdio) or text frame (WebSocket), as bytes: not always valid UTF-8. */
  body: Buffer;
  expect: Expect;
}

export interface FuzzTarget {
  /** A device that runs during the storm (a simulator), and tags it has. */
  deviceId: string;
  tags: string[];
}

/**
 * Methods whose every parameter may be fuzzed. Left out: `exit` (it ends the process, tested on
 * its own), `shutdown` (likewise), `bifrost/config/load` (the config fuzz), `bifrost/discover`
 * (it would scan networks) and `bifrost/demo/start` (it starts a plant).
 */
export const FUZZED_METHODS = [
  'initialize',
  'bifrost/ping',
  'bifrost/devices/list',
  'bifrost/tags/read',
  'bifrost/tags/write',
  'bifrost/subscribe',
  'bifrost/unsubscribe',
  'bifrost/browse',
  'bifrost/modbus/readRange',
  'bifrost/modbus/probe',
  'bifrost/serialPorts',
  'bifrost/certificates/list',
  'bifrost/certificates/trust',
  'bifrost/certificates/reject',
  'bifrost/certificates/remove',
  'bifrost/nodes/attributes',
  'bifrost/nodes/resolve',
  'bifrost/methods/describe',
  'bifrost/call',
  'bifrost/history/read',
  'bifrost/demo/stop',
  'bifrost/demo/mute',
  'bifrost/authenticate',
] as const;

const WEIGHTS: [Category, number][] = [
  ['valid', 10],
  ['wrong-params', 24],
  ['extreme-numbers', 10],
  ['deep-nesting', 2],
  ['long-strings', 3],
  ['unknown-method', 8],
  ['notification', 8],
  ['bad-jsonrpc', 6],
  ['bad-id', 5],
  ['batch', 4],
  ['not-json', 8],
  ['not-object', 3],
  ['invalid-utf8', 6],
  ['response', 3],
];

/** Numbers as JSON text, including what JSON.parse turns into Infinity, -0 or a rounded value. */
const EXTREME_NUMBERS = ['1e308', '-1e308', '1e400', '-1e400', '1e-400', '-0', '0', '-1', '4294967296', '9007199254740993', '-9007199254740993', '123456789012345678901234567890', '0.5', '65535', '65536', '70000', '-2147483649', '2.5e-7', '1E+2'];
/** Text that JSON.parse refuses. */
const NOT_JSON = ['', ' ', '{', '}', '{"jsonrpc":"2.0","id":1', 'NaN', 'Infinity', '-Infinity', 'undefined', "{'jsonrpc':'2.0'}", '{"a":1,}', '[1,2', '{"a" 1}', '\u0000', 'nul', 'tru', '"unterminated', '{"jsonrpc":"2.0"} trailing', '01', '+1', '0x10', '.5', '{"a":"\\x"}', '/* comment */ {}'];
/** JSON that is not an object (a message must be one). */
const NOT_OBJECT = ['null', 'true', 'false', '0', '-1.5', '"bifrost/ping"', '""', '1e999'];
const UNICODE = ['m³/h', 'Füllstand', '温度', '🛢️', '\u202e', '\ud800', '\u0000', '\\', '"', '\n'];

/** A repeatable generator of fuzzed messages; `idPrefix` keeps ids apart when several generators run at once. */
export class JsonRpcFuzz {
  private readonly rnd: () => number;
  private serial = 0;
  private readonly total = WEIGHTS.reduce((s, [, w]) => s + w, 0);

  constructor(
    readonly seed: number,
    private readonly target: FuzzTarget,
    private readonly idPrefix = '',
  ) {
    this.rnd = seeded(seed);
  }

  next(): FuzzMessage {
    let r = this.rnd() * this.total;
    for (const [category, weight] of WEIGHTS) {
      r -= weight;
      if (r < 0) return this.make(category);
    }
    return this.make('valid');
  }

  /** A message of one category. */
  make(category: Category): FuzzMessage {
    switch (category) {
      case 'valid':
        return this.request(category, this.validCall());
      case 'wrong-params':
        return this.request(category, { method: this.pick(FUZZED_METHODS), params: this.wrongParams() });
      case 'extreme-numbers':
        return this.extremeNumbers();
      case 'deep-nesting':
        return this.deepNesting();
      case 'long-strings':
        return this.longStrings();
      case 'unknown-method':
        return this.request(category, { method: this.unknownMethod(), params: this.bool() ? this.value(2) : {} });
      case 'notification':
        return this.notification();
      case 'bad-jsonrpc':
        return this.badJsonrpc();
      case 'bad-id':
        return this.badId();
      case 'batch':
        return this.batch();
      case 'not-json':
        return { category, body: Buffer.from(this.pick(NOT_JSON)), expect: { kind: 'null-answer' } };
      case 'not-object':
        return { category, body: Buffer.from(this.pick(NOT_OBJECT)), expect: { kind: 'null-answer' } };
      case 'invalid-utf8':
        return this.invalidUtf8();
      case 'response':
        return this.response();
    }
  }

  /** A fresh id, unique to this generator: numbers (some negative or fractional) and strings. */
  id(): number | string {
    const n = ++this.serial;
    if (this.idPrefix !== '' || this.bool(0.3)) return `${this.idPrefix}${this.pick(['', 'req-', 'Ω-', ' ', 'x'.repeat(200)])}${n}`;
    return this.pick([n, -n, n + 0.25, n * 1_000_000_007]);
  }

  private request(category: Category, call: { method: string; params?: unknown }, id: number | string = this.id()): FuzzMessage {
    const msg: Record<string, unknown> = { jsonrpc: '2.0', id, method: call.method };
    if (call.params !== undefined) msg['params'] = call.params;
    return { category, body: Buffer.from(JSON.stringify(msg)), expect: { kind: 'answer', id } };
  }

  private validCall(): { method: string; params?: unknown } {
    const { deviceId, tags } = this.target;
    return this.pick<{ method: string; params?: unknown }>([
      { method: 'bifrost/ping' },
      { method: 'bifrost/devices/list' },
      { method: 'bifrost/tags/read', params: { deviceId, tags: [this.pick(tags)] } },
      { method: 'bifrost/tags/read', params: { deviceId, tags } },
      { method: 'bifrost/modbus/readRange', params: { deviceId, area: 'holding', start: 0, count: 8 } },
      { method: 'bifrost/certificates/list' },
    ]);
  }

  /** The parameters a method takes, well formed. */
  private template(method: string): Record<string, unknown> {
    const { deviceId, tags } = this.target;
    const tag = this.pick(tags);
    switch (method) {
      case 'bifrost/tags/read':
        return { deviceId, tags: [tag] };
      case 'bifrost/tags/write':
        return { deviceId, tag, value: 1 };
      case 'bifrost/subscribe':
        return { deviceId: `${deviceId}-absent`, tags: [tag], intervalMs: 1000, onChangeOnly: true, deadband: { absolute: 1 } };
      case 'bifrost/unsubscribe':
        return { subscriptionId: 's1' };
      case 'bifrost/browse':
        return { deviceId, node: 'holding', maxItems: 10 };
      case 'bifrost/modbus/readRange':
      case 'bifrost/modbus/probe':
        return { deviceId, area: 'holding', start: 0, count: 4 };
      case 'bifrost/history/read':
        return { deviceId, tag, start: 0, end: 1000, maxValues: 10 };
      case 'bifrost/call':
        return { deviceId, objectId: 'ns=1;s=A', methodId: 'ns=1;s=B', inputs: [] };
      case 'bifrost/demo/mute':
        return { deviceId: 'demo-meter', muted: false };
      case 'bifrost/certificates/trust':
      case 'bifrost/certificates/reject':
      case 'bifrost/certificates/remove':
        return { thumbprint: '00'.repeat(20) };
      case 'initialize':
        // Never a processId: the gateway rightly exits when that process is not there.
        return { clientInfo: { name: 'fuzz' }, capabilities: {} };
      default:
        return { deviceId };
    }
  }

  /** Random parameters, or a method's own with one field changed, removed or added. */
  private wrongParams(): unknown {
    if (this.bool(0.25)) return this.value(3);
    const method = this.pick(FUZZED_METHODS);
    const params = this.template(method);
    const keys = Object.keys(params);
    const key = keys.length > 0 && this.bool(0.85) ? this.pick(keys) : this.pick(['extra', '__proto__', 'constructor', '', 'deviceId']);
    const op = this.int(3);
    if (op === 0) delete params[key];
    else params[key] = this.value(2);
    return params;
  }

  private extremeNumbers(): FuzzMessage {
    const method = this.pick(FUZZED_METHODS);
    const params = this.template(method);
    const keys = Object.keys(params);
    // Numbers are put in as raw text, since JSON.stringify cannot write 1e400 or -0.
    const raw: Record<string, string> = {};
    for (const key of keys.length > 0 ? keys : ['n']) if (this.bool(0.6)) raw[key] = this.pick(EXTREME_NUMBERS);
    if (Object.keys(raw).length === 0) raw[keys[0] ?? 'n'] = this.pick(EXTREME_NUMBERS);
    const id = this.id();
    const fields = Object.entries({ ...params, ...raw }).map(([k, v]) => `${JSON.stringify(k)}:${k in raw ? raw[k] : JSON.stringify(v)}`);
    const body = `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"method":${JSON.stringify(method)},"params":{${fields.join(',')}}}`;
    return { category: 'extreme-numbers', body: Buffer.from(body), expect: { kind: 'answer', id } };
  }

  private deepNesting(): FuzzMessage {
    const depth = this.pick([100, 1000, 5000, 10_000, 10_000, 50_000]);
    const [open, close] = this.bool() ? ['[', ']'] : ['{"a":', '}'];
    const nested = `${open.repeat(depth)}1${close.repeat(depth)}`;
    const method = this.pick(FUZZED_METHODS);
    const id = this.id();
    const field = this.pick(['deviceId', 'tags', 'tag', 'value', 'extra']);
    const body = `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"method":${JSON.stringify(method)},"params":{"deviceId":${JSON.stringify(this.target.deviceId)},${JSON.stringify(field)}:${nested}}}`;
    return { category: 'deep-nesting', body: Buffer.from(body), expect: { kind: 'answer', id } };
  }

  private longStrings(): FuzzMessage {
    const length = this.pick([10_000, 100_000, 500_000]);
    const s = this.pick(['a', '€', '\\', '"', ' ', '🛢']).repeat(length);
    const method = this.bool(0.2) ? s.slice(0, 50_000) : this.pick(FUZZED_METHODS);
    const params = this.template(method);
    const keys = Object.keys(params);
    params[keys.length > 0 ? this.pick(keys) : 'deviceId'] = this.bool(0.2) ? [s, s] : s;
    return this.request('long-strings', { method, params }, this.bool(0.2) ? `${this.idPrefix}${s.slice(0, 10_000)}${++this.serial}` : this.id());
  }

  private unknownMethod(): string {
    return this.pick([
      'bifrost/teleport',
      'bifrost/',
      'bifrost/ping/',
      'BIFROST/PING',
      ' bifrost/ping',
      '',
      'rpc.discover',
      '$/unknown',
      'textDocument/didOpen',
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      `bifrost/${this.word()}`,
      this.word(),
      this.pick(UNICODE),
    ]);
  }

  private notification(): FuzzMessage {
    const method = this.pick(['initialized', '$/cancelRequest', '$/setTrace', '$/progress', 'bifrost/values', 'bifrost/ping', 'bifrost/tags/read', `x/${this.word()}`, '']);
    const msg: Record<string, unknown> = { jsonrpc: '2.0', method };
    if (this.bool(0.8)) msg['params'] = method === '$/cancelRequest' && this.bool() ? { id: this.pick([1, 'x', null, {}, -1]) } : this.value(2);
    // A notification is never answered, unless it is no valid message at all: params that are
    // neither an object nor an array make it an invalid request, answered with id null.
    const params = msg['params'];
    const invalid = params !== undefined && params !== null && typeof params !== 'object';
    return { category: 'notification', body: Buffer.from(JSON.stringify(msg)), expect: { kind: invalid ? 'null-answer' : 'none' } };
  }

  private badJsonrpc(): FuzzMessage {
    const id = this.id();
    const msg: Record<string, unknown> = { id, method: this.pick(FUZZED_METHODS) };
    const version = this.pick<unknown>([undefined, '1.0', '2', 2, 2.0, null, '2.0 ', ['2.0'], { v: '2.0' }]);
    if (version !== undefined) msg['jsonrpc'] = version;
    if (this.bool(0.3)) msg['params'] = this.pick<unknown>(['text', 42, true]);
    return { category: 'bad-jsonrpc', body: Buffer.from(JSON.stringify(msg)), expect: { kind: 'answer', id } };
  }

  /**
   * Ids the specification does not allow (objects, arrays, booleans) or discourages (null): the
   * request cannot be told apart from an invalid one, so the answer carries id null.
   */
  private badId(): FuzzMessage {
    const id = this.pick<unknown>([null, true, false, {}, { n: 1 }, [], [1]]);
    const msg = { jsonrpc: '2.0', id, method: this.pick(FUZZED_METHODS), params: {} };
    return { category: 'bad-id', body: Buffer.from(JSON.stringify(msg)), expect: { kind: 'null-answer' } };
  }

  private batch(): FuzzMessage {
    const n = this.int(4);
    const items = Array.from({ length: n }, () => ({ jsonrpc: '2.0', id: this.id(), method: 'bifrost/ping' }));
    return { category: 'batch', body: Buffer.from(JSON.stringify(items)), expect: { kind: 'null-answer' } };
  }

  /** Bytes that are not UTF-8 inside a string of a request: read as U+FFFD, so still a request. */
  private invalidUtf8(): FuzzMessage {
    const bad = this.pick([[0xff], [0xfe, 0xff], [0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x9b], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0x80, 0x80]]);
    const id = this.id();
    const method = this.pick(FUZZED_METHODS);
    const params = this.template(method);
    const key = this.pick([...Object.keys(params), 'extra']);
    params[key] = 'MARK';
    const [before, after] = JSON.stringify({ jsonrpc: '2.0', id, method, params }).split('MARK') as [string, string];
    const body = Buffer.concat([Buffer.from(before), Buffer.from('x'), Buffer.from(bad), Buffer.from('y'), Buffer.from(after)]);
    return { category: 'invalid-utf8', body, expect: { kind: 'answer', id } };
  }

  private response(): FuzzMessage {
    const msg = this.bool() ? { jsonrpc: '2.0', id: this.id(), result: this.value(2) } : { jsonrpc: '2.0', id: this.pick<unknown>([this.id(), null]), error: { code: this.pick([-32600, 1, 'x']), message: this.word() } };
    return { category: 'response', body: Buffer.from(JSON.stringify(msg)), expect: { kind: 'none' } };
  }

  /** Any JSON value, nested up to `depth`. */
  value(depth: number): unknown {
    const kind = this.int(depth > 0 ? 9 : 6);
    switch (kind) {
      case 0:
        return null;
      case 1:
        return this.bool();
      case 2:
        return this.pick([0, -1, 1, 1.5, -0.000001, 65535, 65536, 2 ** 31, 2 ** 53, -(2 ** 53), Number.MAX_VALUE, Number.MIN_VALUE, 1e21]);
      case 3:
        return this.word();
      case 4:
        return this.pick(['', ' ', 'holding:0', 'holding:0:float32', 'coil:99999', 'input:-1', this.target.deviceId, 'ns=1;s=x', 'demo-meter', ...UNICODE]);
      case 5:
        return this.pick(this.target.tags);
      case 6:
      case 7:
        return Array.from({ length: this.int(4) }, () => this.value(depth - 1));
      default: {
        const o: Record<string, unknown> = {};
        for (let i = this.int(4); i > 0; i--) o[this.pick(['deviceId', 'tags', 'tag', 'value', 'area', 'start', 'count', 'node', 'intervalMs', this.word()])] = this.value(depth - 1);
        return o;
      }
    }
  }

  private word(): string {
    const letters = 'abcdefghijklmnopqrstuvwxyz/_-.$ ';
    return Array.from({ length: 1 + this.int(12) }, () => letters[this.int(letters.length)]).join('');
  }

  int(n: number): number {
    return Math.floor(this.rnd() * n);
  }

  bool(p = 0.5): boolean {
    return this.rnd() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/**
 * The base seed of the fuzz suites: BIFROST_FUZZ_SEED, or a fixed one so that CI repeats itself.
 * Each generator's seed is derived from it; failures name the base seed that replays them.
 */
export const BASE_SEED = baseSeed();
/**
 * The simulator device's timeout in the fuzz suites. The simulator runs in the test process, which
 * builds megabytes of messages and collects their garbage: a pause there must not read as a device
 * that did not answer (these suites test input, not timing).
 */
export const PLANT_TIMEOUT_MS = 5000;
/** What to set to replay a run, for failure messages. */
export const REPLAY = `BIFROST_FUZZ_SEED=${BASE_SEED}`;

function baseSeed(): number {
  const s = process.env['BIFROST_FUZZ_SEED'];
  if (s === undefined || s === '') return 20261203;
  const n = Number(s);
  if (!Number.isInteger(n)) throw new Error(`BIFROST_FUZZ_SEED must be an integer (got ${s})`);
  return n;
}

/** Counts per category, as a table row for the log and the docs. */
export function countBy<T extends string>(items: Iterable<T>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of items) out[k] = (out[k] ?? 0) + 1;
  return out;
}

/** The gateway's resident memory in bytes, from /proc (Linux). */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

interface Registered {
  category: Category;
  /** The first bytes of the message, for a failure report. */
  head: string;
}

/**
 * The oracle's book: what was sent and what each message must get, against what came back. Every
 * message from the gateway must be a response (with `result` or `error`, not both) or a
 * notification; a response answers exactly one registered request, or carries id null for a
 * message that could not be read as a request.
 */
export class Ledger {
  private readonly expected = new Map<string, Registered>();
  private readonly answered = new Map<string, number>();
  /** Registered requests answered at least once. */
  private firstAnswers = 0;
  readonly sent: Category[] = [];
  nullExpected = 0;
  nullAnswers = 0;
  notifications = 0;
  readonly malformed: string[] = [];
  readonly unexpected: string[] = [];
  /** Error codes of the answers, per category. */
  readonly codes = new Map<string, number>();
  /** Answers with -32603 (a handler failed in a way it did not mean to), with what caused them. */
  readonly internal: string[] = [];

  expect(msg: FuzzMessage): void {
    this.sent.push(msg.category);
    if (msg.expect.kind === 'answer') {
      const key = idKey(msg.expect.id);
      if (this.expected.has(key)) throw new Error(`the generator made id ${key} twice`);
      this.expected.set(key, { category: msg.category, head: msg.body.subarray(0, 160).toString('utf8') });
    } else if (msg.expect.kind === 'null-answer') this.nullExpected++;
  }

  /** One message the gateway wrote. */
  record(m: unknown): void {
    if (typeof m !== 'object' || m === null || Array.isArray(m)) return void this.malformed.push(JSON.stringify(m).slice(0, 200));
    const msg = m as Record<string, unknown>;
    if (msg['jsonrpc'] !== '2.0') return void this.malformed.push(JSON.stringify(m).slice(0, 200));
    if (typeof msg['method'] === 'string' && !('id' in msg)) {
      this.notifications++;
      return;
    }
    const hasResult = 'result' in msg;
    const error = msg['error'] as { code?: unknown; message?: unknown } | undefined;
    if (hasResult === (error !== undefined) || !('id' in msg)) return void this.malformed.push(JSON.stringify(m).slice(0, 200));
    if (error && (!Number.isInteger(error.code) || typeof error.message !== 'string')) return void this.malformed.push(JSON.stringify(m).slice(0, 200));
    const id = msg['id'];
    if (id === null) {
      this.nullAnswers++;
      if (error) this.codes.set(`null ${String(error.code)}`, (this.codes.get(`null ${String(error.code)}`) ?? 0) + 1);
      return;
    }
    const key = idKey(id as number | string);
    const registered = this.expected.get(key);
    if (!registered) return void this.unexpected.push(JSON.stringify(m).slice(0, 200));
    const times = (this.answered.get(key) ?? 0) + 1;
    this.answered.set(key, times);
    if (times === 1) this.firstAnswers++;
    const code = error ? String(error.code) : 'result';
    this.codes.set(code, (this.codes.get(code) ?? 0) + 1);
    if (error?.code === -32603) this.internal.push(`${registered.category}: ${String(error.message).slice(0, 200)} <- ${registered.head}`);
  }

  /** Registered requests without an answer yet. */
  missing(): { id: string; category: Category; head: string }[] {
    const out: { id: string; category: Category; head: string }[] = [];
    for (const [id, r] of this.expected) if (!this.answered.has(id)) out.push({ id, ...r });
    return out;
  }

  /** Requests answered more than once. */
  duplicates(): string[] {
    return [...this.answered].filter(([, n]) => n > 1).map(([id]) => id);
  }

  /** Everything has come that must come (cheap: it is polled while messages come in). */
  settled(): boolean {
    return this.firstAnswers === this.expected.size && this.nullAnswers >= this.nullExpected;
  }

  get expectedAnswers(): number {
    return this.expected.size;
  }

  /** What went wrong, one line each; empty when the oracle holds. */
  problems(): string[] {
    const out: string[] = [];
    const missing = this.missing();
    if (missing.length > 0) out.push(`${missing.length} requests not answered, e.g. ${missing.slice(0, 3).map((m) => `${m.category} ${m.head}`).join(' | ')}`);
    const dup = this.duplicates();
    if (dup.length > 0) out.push(`answered more than once: ${dup.slice(0, 5).join(', ')}`);
    if (this.nullAnswers !== this.nullExpected) out.push(`${this.nullAnswers} answers with id null, ${this.nullExpected} expected`);
    if (this.malformed.length > 0) out.push(`not JSON-RPC: ${this.malformed.slice(0, 3).join(' | ')}`);
    if (this.unexpected.length > 0) out.push(`answers to no request: ${this.unexpected.slice(0, 3).join(' | ')}`);
    if (this.internal.length > 0) out.push(`internal errors: ${this.internal.slice(0, 3).join(' | ')}`);
    return out;
  }
}

function idKey(id: number | string): string {
  return JSON.stringify(id);
}
