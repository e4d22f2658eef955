import type { DeviceInfo, DeviceStatus, TagReading, TagRef, TagsWriteResult } from '../protocol';
import { ErrorCodes } from '../protocol';
import { Backoff } from '../backoff';
import { BifrostError, errorMessage } from '../errors';
import { log } from '../log';
import type { DeviceDriver, DriverEvents, DriverSubscription, SubscribeOptions, ValueSink } from '../devices/driver';
import { DeviceStatsCollector } from '../devices/stats';
import { AddressError, isWritableArea, resolveAddress, type ResolvedAddress } from './address';
import { decodeBit, decodeRegisters, encodeValue, ValueError } from './codec';
import { planReads, type PlanLimits, type PlannedRead } from './planner';
import { RequestQueue, type Priority } from './requestQueue';
import { ScanGroup } from './scanGroup';
import type { ResolvedTag } from './tags';
import { ModbusTcpLink } from './tcpLink';
import type { ModbusDeviceSettings } from './settings';

const EXCEPTION_NAMES: Record<number, string> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

/**
 * A Modbus TCP device: one connection, one request in flight, reconnects with backoff, polling
 * by scan groups, and per-device statistics. Devices never share anything, so a dead or slow one
 * cannot delay another.
 */
export class ModbusDevice implements DeviceDriver {
  private status: DeviceStatus = 'disconnected';
  private lastError: string | null = null;
  private readonly stats = new DeviceStatsCollector();
  private readonly queue: RequestQueue;
  private readonly link: ModbusTcpLink;
  private readonly backoff = new Backoff({ initialMs: 250, maxMs: 10_000 });
  private readonly groups = new Map<number, ScanGroup>();
  private readonly tagsByName = new Map<string, ResolvedTag>();
  private readonly inlineTags = new Map<string, ResolvedTag>();
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** Bumped on every connection loss, so that late failures of an old connection are ignored. */
  private generation = 0;
  private stopped = false;
  private everConnected = false;

  constructor(
    readonly settings: ModbusDeviceSettings,
    private readonly events: DriverEvents,
  ) {
    this.queue = new RequestQueue(settings.id);
    this.link = new ModbusTcpLink(
      { host: settings.host, port: settings.port, unitId: settings.unitId, timeoutMs: settings.timeoutMs },
      (reason) => this.connectionLost(reason),
    );
    for (const t of settings.tags) this.tagsByName.set(t.key, t);
  }

  get id(): string {
    return this.settings.id;
  }

  get limits(): PlanLimits {
    return this.settings.limits;
  }

  // -- life cycle ------------------------------------------------------------------------------

  start(): void {
    if (!this.settings.enabled) {
      this.setStatus('disconnected', `${this.id}: disabled in the configuration`);
      return;
    }
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    for (const g of this.groups.values()) {
      g.publishBad(`${this.id}: device removed or gateway stopping`);
      g.stop();
    }
    this.groups.clear();
    this.generation++;
    this.queue.failAll(new BifrostError(ErrorCodes.DeviceUnavailable, `${this.id}: device stopped`));
    this.link.close();
    this.setStatus('disconnected', null);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    if (!this.everConnected && this.status !== 'error') this.setStatus('connecting', null);
    try {
      await this.link.open();
    } catch (err) {
      if (this.stopped) return;
      this.setStatus('error', `${this.id}: ${errorMessage(err)}`);
      this.scheduleReconnect();
      return;
    }
    if (this.stopped) {
      this.link.close();
      return;
    }
    if (this.everConnected) this.stats.reconnects++;
    this.everConnected = true;
    this.backoff.reset();
    log.info(`${this.id}: connected to ${this.endpoint()}`);
    this.setStatus('connected', null);
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const delay = this.backoff.next();
    log.debug(`${this.id}: reconnecting in ${delay} ms`);
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
  }

  /** The connection is unusable: drop it, fail what waits, mark every tag bad, reconnect later. */
  private connectionLost(reason: string): void {
    if (this.stopped || this.status !== 'connected') return;
    this.generation++;
    this.link.close();
    const message = reason.startsWith(`${this.id}:`) ? reason : `${this.id}: ${reason}`;
    log.warn(`${message}; reconnecting`);
    this.setStatus('error', message);
    this.queue.failAll(new BifrostError(ErrorCodes.DeviceUnavailable, message));
    for (const g of this.groups.values()) g.publishBad(message);
    this.scheduleReconnect();
  }

  private setStatus(status: DeviceStatus, lastError: string | null): void {
    if (status === this.status && lastError === this.lastError) return;
    this.status = status;
    if (lastError !== null || status === 'connected') this.lastError = lastError;
    this.events.onStatus(this.id, this.status, this.lastError);
  }

  // -- requests ----------------------------------------------------------------------------------

  isConnected(): boolean {
    return this.status === 'connected';
  }

  /** The first connection attempt is under way: nothing is known yet, good or bad. */
  isConnecting(): boolean {
    return this.status === 'connecting';
  }

  unavailableReason(): string {
    if (this.status === 'connected') return '';
    return this.lastError ?? `${this.id}: not connected (${this.status})`;
  }

  private exec<T>(priority: Priority, what: string, fn: (link: ModbusTcpLink) => Promise<T>): Promise<T> {
    if (this.status !== 'connected') {
      return Promise.reject(new BifrostError(ErrorCodes.DeviceUnavailable, `${this.id}: not connected, cannot do ${what}: ${this.unavailableReason()}`));
    }
    const generation = this.generation;
    return this.queue.enqueue(priority, async () => {
      if (generation !== this.generation || !this.link.isOpen) {
        throw new BifrostError(ErrorCodes.DeviceUnavailable, `${this.id}: connection lost before ${what}`);
      }
      this.stats.requests++;
      const t0 = performance.now();
      try {
        const result = await fn(this.link);
        this.stats.recordLatency(performance.now() - t0);
        return result;
      } catch (err) {
        this.stats.errors++;
        throw this.classify(err, what, generation);
      }
    });
  }

  /** Turns a modbus-serial failure into a clear error, and drops the connection when it is suspect. */
  private classify(err: unknown, what: string, generation: number): BifrostError {
    const modbusCode = (err as { modbusCode?: number } | null)?.modbusCode;
    if (typeof modbusCode === 'number') {
      const name = EXCEPTION_NAMES[modbusCode] ?? 'unknown exception';
      return new BifrostError(ErrorCodes.DeviceException, `${this.id}: Modbus exception ${modbusCode} (${name}) ${what}`);
    }
    if (err instanceof BifrostError) {
      if (err.code === ErrorCodes.DeviceUnavailable && generation === this.generation) this.connectionLost(err.message);
      return err;
    }
    const text = errorMessage(err);
    const errno = (err as { errno?: string } | null)?.errno;
    let result: BifrostError;
    if (errno === 'ETIMEDOUT' || /timed out/i.test(text)) {
      this.stats.timeouts++;
      result = new BifrostError(ErrorCodes.Timeout, `${this.id}: no answer within ${this.settings.timeoutMs} ms ${what}`);
    } else if ((err as { name?: string } | null)?.name === 'PortNotOpenError') {
      result = new BifrostError(ErrorCodes.DeviceUnavailable, `${this.id}: connection closed ${what}`);
    } else {
      result = new BifrostError(ErrorCodes.ProtocolError, `${this.id}: bad answer ${what} (${text}); connection reset`);
    }
    // A late or garbled answer could be taken for the next request's: start a fresh connection.
    if (generation === this.generation) this.connectionLost(result.message);
    return result;
  }

  readPlanned(req: PlannedRead, priority: Priority = 'scan'): Promise<number[] | boolean[]> {
    const last = req.start + req.count - 1;
    const isBits = req.area === 'coil' || req.area === 'discrete';
    const noun = isBits ? (req.area === 'coil' ? 'coils' : 'discrete inputs') : `${req.area} registers`;
    const what = `reading ${noun} ${req.start}-${last}`;
    return this.exec<number[] | boolean[]>(priority, what, (l) => (isBits ? l.readBits(req.area, req.start, req.count) : l.readRegisters(req.area, req.start, req.count)));
  }

  decode(tag: ResolvedTag, req: PlannedRead, data: number[] | boolean[], timestamp: number): TagReading {
    const a = tag.address;
    const at = a.address - req.start;
    const value = a.area === 'coil' || a.area === 'discrete' ? decodeBit(data as boolean[], at) : decodeRegisters(a, data as number[], at);
    if (typeof value === 'number' && !Number.isFinite(value)) {
      return { tag: tag.key, value: null, quality: 'uncertain', timestamp, error: `${this.id}: ${tag.key} holds ${value}, not a finite number` };
    }
    return { tag: tag.key, value, quality: 'good', timestamp };
  }

  countSkippedScan(): void {
    this.stats.skippedScans++;
  }

  // -- DeviceDriver ------------------------------------------------------------------------------

  resolve(ref: TagRef): ResolvedTag {
    if (typeof ref === 'string') {
      const known = this.tagsByName.get(ref) ?? this.inlineTags.get(ref);
      if (known) return known;
      const tag = this.resolveInline(ref);
      // Clients repeat the same inline refs; parse each once (bounded, oldest forgotten first).
      if (this.inlineTags.size >= 10_000) this.inlineTags.delete(this.inlineTags.keys().next().value!);
      this.inlineTags.set(ref, tag);
      return tag;
    }
    return this.resolveInline(ref);
  }

  private resolveInline(ref: TagRef): ResolvedTag {
    let address: ResolvedAddress;
    try {
      address = resolveAddress(ref);
    } catch (err) {
      if (err instanceof AddressError) {
        const shown = typeof ref === 'string' ? `"${ref}"` : JSON.stringify(ref);
        const hint = typeof ref === 'string' && !/[:.]/.test(ref) && !/^\d+$/.test(ref) ? 'no configured tag has that name, and ' : '';
        throw new BifrostError(ErrorCodes.BadTagRef, `${this.id}: ${shown}: ${hint}${err.message}`);
      }
      throw err;
    }
    const isBits = address.area === 'coil' || address.area === 'discrete';
    const limit = isBits ? this.limits.maxBits : this.limits.maxRegisters;
    if (address.count > limit) {
      throw new BifrostError(ErrorCodes.BadTagRef, `${this.id}: ${address.key} spans ${address.count} ${isBits ? 'bits' : 'registers'}, more than this device reads at once (${limit})`);
    }
    return { key: address.key, address, access: isWritableArea(address.area) ? 'readwrite' : 'read', configured: false };
  }

  async read(refs: readonly TagRef[]): Promise<TagReading[]> {
    const tags = refs.map((r) => this.resolve(r));
    const now = Date.now();
    if (!this.isConnected()) {
      const error = this.unavailableReason();
      return tags.map((t) => ({ tag: t.key, value: null, quality: 'bad', timestamp: now, error }));
    }
    const out: TagReading[] = new Array(tags.length);
    for (const req of planReads(tags.map((t) => t.address), this.limits)) {
      try {
        const data = await this.readPlanned(req, 'user');
        const ts = Date.now();
        for (const m of req.members) out[m] = this.decode(tags[m]!, req, data, ts);
      } catch (err) {
        const ts = Date.now();
        for (const m of req.members) out[m] = { tag: tags[m]!.key, value: null, quality: 'bad', timestamp: ts, error: errorMessage(err) };
      }
    }
    return out;
  }

  async write(ref: TagRef, value: number | boolean | string): Promise<TagsWriteResult> {
    const tag = this.resolve(ref);
    const a = tag.address;
    this.checkWritable(tag);
    let encoded;
    try {
      encoded = encodeValue(a, value);
    } catch (err) {
      if (err instanceof ValueError) {
        throw new BifrostError(ErrorCodes.BadValue, `${this.id}: cannot write ${JSON.stringify(value)} to ${tag.key}: ${err.message}`);
      }
      throw err;
    }
    const multiple = this.settings.writeMultiple;
    let written: TagsWriteResult['value'];
    switch (encoded.kind) {
      case 'coil': {
        const v = encoded.value;
        await this.exec('user', `writing coil ${a.address}`, (l) => l.writeCoil(a.address, v, multiple));
        written = v;
        break;
      }
      case 'registers': {
        const regs = encoded.registers;
        const range = regs.length === 1 ? `register ${a.address}` : `registers ${a.address}-${a.address + regs.length - 1}`;
        await this.exec('user', `writing holding ${range}`, (l) => l.writeRegisters(a.address, regs, multiple));
        written = decodeRegisters(a, regs, 0);
        break;
      }
      case 'bitInRegister': {
        const { bit, value: on } = encoded;
        // Read-modify-write inside one queued job, so no other request of ours comes between.
        await this.exec('user', `writing bit ${bit} of holding register ${a.address}`, async (l) => {
          const [word] = await l.readRegisters('holding', a.address, 1);
          const next = on ? word! | (1 << bit) : word! & ~(1 << bit) & 0xffff;
          await l.writeRegisters(a.address, [next], multiple);
        });
        written = on;
        break;
      }
    }
    log.info(`${this.id}: wrote ${JSON.stringify(written)} to ${tag.key} (${a.key})`);
    return { tag: tag.key, value: written, timestamp: Date.now() };
  }

  private checkWritable(tag: ResolvedTag): void {
    if (!this.settings.allowWrites) {
      throw new BifrostError(ErrorCodes.WriteRefused, `${this.id}: writes are disabled for this device; set "allowWrites": true in its configuration to allow them`);
    }
    if (!isWritableArea(tag.address.area)) {
      throw new BifrostError(ErrorCodes.WriteRefused, `${this.id}: ${tag.key} is in the ${tag.address.area} area, which Modbus does not let anyone write`);
    }
    if (tag.configured && tag.access !== 'readwrite') {
      throw new BifrostError(ErrorCodes.WriteRefused, `${this.id}: tag "${tag.key}" is read-only (its access is "${tag.access}")`);
    }
  }

  subscribe(refs: readonly TagRef[], options: SubscribeOptions, sink: ValueSink): DriverSubscription {
    const tags = refs.map((r) => this.resolve(r));
    let group = this.groups.get(options.intervalMs);
    if (!group) {
      group = new ScanGroup(options.intervalMs, this);
      this.groups.set(options.intervalMs, group);
    }
    const g = group;
    const sub = g.add(tags, options.onChangeOnly, sink);
    return {
      keys: tags.map((t) => t.key),
      intervalMs: options.intervalMs,
      close: () => {
        g.remove(sub);
        if (g.isEmpty && this.groups.get(options.intervalMs) === g) this.groups.delete(options.intervalMs);
      },
    };
  }

  info(): DeviceInfo {
    const s = this.settings;
    return {
      id: s.id,
      name: s.name,
      protocol: s.protocol,
      endpoint: this.endpoint(),
      status: this.status,
      lastError: this.lastError,
      allowWrites: s.allowWrites,
      pollIntervalMs: s.pollIntervalMs,
      source: s.source,
      stats: this.stats.snapshot(),
      tags: s.tags.map((t) => ({
        name: t.key,
        address: t.address.key,
        type: t.address.type,
        unit: t.unit,
        description: t.description,
        access: t.access,
        writable: s.allowWrites && t.access === 'readwrite' && isWritableArea(t.address.area),
      })),
    };
  }

  private endpoint(): string {
    return `${this.settings.host}:${this.settings.port} unit ${this.settings.unitId}`;
  }
}
