import type { BrowseResult, DeviceInfo, DeviceStatus, TagInfo, TagReading, TagRef, TagsWriteResult, TagValue } from '../protocol';
import { ErrorCodes } from '../protocol';
import type { BrowseRequest, DeviceDriver, DeviceSettings, DriverHost, DriverSubscription, SubscribeOptions, ValueSink } from '../core/driver';
import type { LinkLease } from '../core/links';
import { Poller } from '../core/poller';
import { badReading, badReadings, valueReading } from '../core/readings';
import type { ScanHost, ScanStep } from '../core/scanGroup';
import { BifrostError, errorMessage, preview } from '../errors';
import { AddressError, isWritableArea, resolveAddress, type ResolvedAddress } from './address';
import { decodeBit, decodeRegisters, encodeValue, ValueError } from './codec';
import type { ModbusBus, ModbusLink } from './buses';
import type { RegisterAccess, RegisterInspectable } from './registerAccess';
import { HoleMemory, readSplitting, type PartResult } from './holes';
import { planReads, type PlannedRead, type PlanOptions } from './planner';
import type { Priority } from './requestQueue';
import type { ModbusCommonSettings } from './settings';
import type { ResolvedTag } from './tags';
import { ModbusException, type Describe, type LinkClient, type ModbusRequester } from './tcpLink';
import { valueKindOf, writeSpecOf } from './writeSpec';

/** Inline refs clients repeat are parsed once; the oldest are forgotten past this many. */
/**
 * Inline tags by ref, shared by every device: a tag of an inline ref depends on the ref alone (a
 * device only checks it against its limits), so the same refs on 10,000 devices are one object
 * each instead of 10,000. Bounded: beyond it the oldest are forgotten (and parsed again if asked).
 */
const inlineTags = new Map<string, ResolvedTag>();
const NO_TAGS: ReadonlyMap<string, ResolvedTag> = new Map();
const INLINE_CACHE = 50_000;

/**
 * A Modbus device: a unit id on a link (its own TCP connection, one shared with the other units
 * behind a TCP gateway, or an RTU bus), polled by scan groups, with per-device statistics. The
 * device is `connected` only once it has answered a request since the link opened: a device that
 * accepts TCP, or a serial port with nothing answering, is never shown as connected.
 */
export class ModbusDevice implements DeviceDriver, ScanHost<ResolvedTag>, LinkClient, RegisterInspectable {
  private status: DeviceStatus = 'disconnected';
  private lastError: string | null = null;
  private readonly poller: Poller<ResolvedTag>;
  /** Configured tags by name; a device of inline refs only shares one empty map. */
  private readonly tagsByName: ReadonlyMap<string, ResolvedTag>;
  /** The configured tags as clients see them: fixed by the settings, built on first use. */
  private tagInfos: TagInfo[] | null = null;
  /** What reads taught about holes in this device's register map; plans never bridge them again. */
  private readonly holes = new HoleMemory();
  private readonly planOptions: PlanOptions;
  private lease: LinkLease<ModbusLink> | null = null;
  private access: RegisterAccess | null = null;
  private stopped = false;
  /** Answered since the link last opened. */
  private answered = false;
  /** The link opened since it last went down: a link that goes down without opening failed to connect. */
  private linkOpened = false;
  private everAnswered = false;
  /** In error because the unit stopped answering on a bus that stays open (reported once until it answers). */
  private silent = false;

  constructor(
    private readonly common: DeviceSettings,
    private readonly settings: ModbusCommonSettings,
    private readonly host: DriverHost,
    private readonly bus: ModbusBus,
  ) {
    this.planOptions = { cost: bus.cost, holes: this.holes };
    this.poller = new Poller(this, common.id);
    this.tagsByName = settings.tags.length === 0 ? NO_TAGS : new Map(settings.tags.map((t) => [t.key, t]));
  }

  get id(): string {
    return this.common.id;
  }

  // -- life cycle ------------------------------------------------------------------------------

  start(): void {
    if (!this.common.enabled) {
      this.setStatus('disconnected', `${this.id}: disabled in the configuration`);
      return;
    }
    this.lease = this.host.links.acquire(this.bus.key, () => this.bus.open(Math.max(1000, this.common.timeoutMs), this.host.log));
    this.setStatus('connecting', null);
    this.lease.link.attach(this);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.poller.stop(`${this.id}: device removed or gateway stopping`);
    const lease = this.lease;
    this.lease = null;
    if (lease) {
      lease.link.detach(this);
      lease.release();
    }
    this.setStatus('disconnected', null);
  }

  linkUp(): void {
    if (this.stopped) return;
    this.answered = false;
    this.linkOpened = true;
    this.host.log.debug(`${this.id}: connected to ${this.lease?.link.where}, waiting for an answer`);
    void this.probe();
  }

  linkDown(reason: string): void {
    if (this.stopped) return;
    this.answered = false;
    this.silent = false;
    if (!this.linkOpened) this.host.stats.connectFailures++;
    this.linkOpened = false;
    const message = `${this.id}: ${reason}`;
    if (this.status !== 'error' || this.lastError !== message) this.host.log.warn(`${message}; reconnecting`);
    this.setStatus('error', message);
    this.poller.publishBad(message);
  }

  /** One request so that a device nobody reads yet still shows whether it answers. */
  private async probe(): Promise<void> {
    const first = this.settings.tags[0];
    const req: PlannedRead = first
      ? { area: first.address.area, start: first.address.address, count: first.address.count, members: [0] }
      : { area: 'holding', start: 0, count: 1, members: [] };
    try {
      await this.readPlanned(req.area, req.start, req.count, 'scan');
    } catch {
      // An exception answer counts as an answer; anything else has already been reported.
    }
  }

  private setStatus(status: DeviceStatus, lastError: string | null): void {
    if (status === this.status && (lastError === this.lastError || lastError === null)) return;
    this.status = status;
    if (lastError !== null || status === 'connected') this.lastError = lastError;
    this.host.onStatus(this.status, this.lastError);
  }

  private markAnswered(): void {
    if (this.answered && this.status === 'connected') return;
    this.answered = true;
    this.silent = false;
    if (this.everAnswered && this.status !== 'connected') this.host.stats.reconnects++;
    this.everAnswered = true;
    if (this.status !== 'connected') this.host.log.info(`${this.id}: connected to ${this.endpoint()}`);
    this.setStatus('connected', null);
  }

  // -- requests ----------------------------------------------------------------------------------

  availability(): 'wait' | 'up' | { down: string } {
    if (this.stopped || !this.lease) return { down: this.lastError ?? `${this.id}: not connected (${this.status})` };
    const state = this.lease.link.state;
    if (state === 'open') return 'up';
    if (this.status === 'connecting') return 'wait';
    return { down: this.lastError ?? `${this.id}: not connected (${this.status})` };
  }

  countSkippedScan(): void {
    this.host.stats.skippedScans++;
  }

  private exec<T>(priority: Priority, what: Describe, fn: (r: ModbusRequester) => Promise<T>): Promise<T> {
    const lease = this.lease;
    if (!lease || this.stopped) {
      return Promise.reject(new BifrostError(ErrorCodes.DeviceUnavailable, `${this.id}: not connected, cannot do ${typeof what === 'string' ? what : what()}: ${this.lastError ?? this.status}`));
    }
    this.host.stats.requests++;
    const t0 = performance.now();
    return lease.link.exec(this.settings.unitId, this.common.timeoutMs, priority, what, fn).then((result) => {
      this.host.stats.recordLatency(performance.now() - t0);
      this.markAnswered();
      return result;
    }, this.failed);
  }

  /** Bound once: a request of this device failed; counts it and names the device in the error. */
  private readonly failed = (err: unknown): never => {
    this.host.stats.errors++;
    if (err instanceof ModbusException) {
      if (err.fromGateway) this.setStatus('error', `${this.id}: ${err.message}`);
      else this.markAnswered();
      throw new ModbusException(err.exceptionCode, `${this.id}: ${err.message}`);
    }
    if (err instanceof BifrostError) {
      if (err.code === ErrorCodes.Timeout) this.host.stats.timeouts++;
      const named = err.message.startsWith(`${this.id}:`) ? err.message : `${this.id}: ${err.message}`;
      if (err.code === ErrorCodes.Timeout && this.bus.silenceIsTheUnits) this.unitSilent(named);
      throw new BifrostError(err.code, named);
    }
    throw err;
  };

  /** On a bus the link stays open when one unit is silent: that unit is in error until it answers again. */
  private unitSilent(message: string): void {
    if (this.stopped || (this.silent && this.status === 'error')) return;
    this.answered = false;
    this.silent = true;
    this.host.log.warn(`${message}; asking again at the next scan`);
    this.setStatus('error', message);
  }

  private readPlanned(area: PlannedRead['area'], start: number, count: number, priority: Priority): Promise<number[] | boolean[]> {
    const isBits = area === 'coil' || area === 'discrete';
    // Described only when something goes wrong: this runs for every request of every scan.
    const what = () => {
      const one = count === 1;
      const noun = isBits ? (area === 'coil' ? (one ? 'coil' : 'coils') : one ? 'discrete input' : 'discrete inputs') : `${area} register${one ? '' : 's'}`;
      return `reading ${noun} ${one ? start : `${start}-${start + count - 1}`}`;
    };
    return this.exec<number[] | boolean[]>(priority, what, (r) => (isBits ? r.readBits(area, start, count) : r.readRegisters(area, start, count)));
  }

  private decode(tag: ResolvedTag, req: PlannedRead, data: number[] | boolean[], timestamp: number): TagReading {
    const a = tag.address;
    const at = a.address - req.start;
    const value = a.area === 'coil' || a.area === 'discrete' ? decodeBit(data as boolean[], at) : decodeRegisters(a, data as number[], at);
    return valueReading(tag.key, value, timestamp, this.id);
  }

  private readonly readForScan = (area: PlannedRead['area'], start: number, count: number) => this.readPlanned(area, start, count, 'scan');
  private readonly readForUser = (area: PlannedRead['area'], start: number, count: number) => this.readPlanned(area, start, count, 'user');

  /**
   * Reads one planned request, split where the device refuses a range (a hole), and decodes
   * each member from its own part: a bad neighbour never turns good tags bad. With `rethrow`, a
   * failure that is not the device's refusal (the connection went) rejects as a whole.
   */
  private async readMembers(req: PlannedRead, tags: readonly ResolvedTag[], addrs: readonly ResolvedAddress[], priority: Priority, rethrow: boolean): Promise<TagReading[]> {
    const learned = this.holes.size;
    const parts: PartResult[] = await readSplitting(req, addrs, priority === 'scan' ? this.readForScan : this.readForUser, this.holes);
    // Something was learned about the register map: every scan group plans again around it.
    if (this.holes.size !== learned || parts.length > 1) this.poller.replan();
    const out: TagReading[] = [];
    for (const part of parts) {
      const ts = Date.now();
      if ('data' in part) {
        for (const m of part.req.members) out.push(this.decode(tags[m]!, part.req, part.data, ts));
        continue;
      }
      if (rethrow && !(part.error instanceof ModbusException)) throw part.error;
      const status = part.error instanceof ModbusException ? part.error.status : undefined;
      for (const m of part.req.members) out.push(badReading(tags[m]!.key, errorMessage(part.error), ts, status));
    }
    return out;
  }

  /** For the register inspector: raw reads through this device's queue, nothing more. */
  registerAccess(): RegisterAccess {
    return (this.access ??= {
      deviceId: this.id,
      limits: this.settings.limits,
      cost: this.bus.cost,
      holes: this.holes,
      unavailable: () => {
        if (!this.common.enabled) return `${this.id}: disabled in the configuration ("enabled": false); enable the device to read its registers`;
        const availability = this.availability();
        if (availability === 'up') return undefined;
        return availability === 'wait' ? `${this.id}: not connected yet (connecting to ${this.endpoint()})` : availability.down;
      },
      read: this.readForUser,
      holesChanged: () => this.poller.replan(),
    });
  }

  plan(tags: readonly ResolvedTag[]): ScanStep[] {
    const addrs = tags.map((t) => t.address);
    return planReads(addrs, this.settings.limits, this.planOptions).map((req) => ({
      keys: req.members.map((m) => tags[m]!.key),
      read: () => this.readMembers(req, tags, addrs, 'scan', true),
    }));
  }

  // -- DeviceDriver ------------------------------------------------------------------------------

  resolve(ref: TagRef): ResolvedTag {
    if (typeof ref === 'string') {
      const known = this.tagsByName.get(ref);
      if (known) return known;
      let tag = inlineTags.get(ref);
      if (!tag) {
        tag = this.inlineTag(ref);
        if (inlineTags.size >= INLINE_CACHE) inlineTags.delete(inlineTags.keys().next().value!);
        inlineTags.set(ref, tag);
      }
      this.checkLimits(tag.address);
      return tag;
    }
    const tag = this.inlineTag(ref);
    this.checkLimits(tag.address);
    return tag;
  }

  private inlineTag(ref: TagRef): ResolvedTag {
    let address: ResolvedAddress;
    try {
      address = resolveAddress(ref as Parameters<typeof resolveAddress>[0]);
    } catch (err) {
      if (err instanceof AddressError) {
        const shown = typeof ref === 'string' ? `"${ref}"` : JSON.stringify(ref);
        const hint = typeof ref === 'string' && !/[:.]/.test(ref) && !/^\d+$/.test(ref) ? 'no configured tag has that name, and ' : '';
        throw new BifrostError(ErrorCodes.BadTagRef, `${this.id}: ${shown}: ${hint}${err.message}`);
      }
      throw err;
    }
    return { key: address.key, address, access: isWritableArea(address.area) ? 'readwrite' : 'read', configured: false };
  }

  /** An inline tag this device could not read in one request is refused. */
  private checkLimits(address: ResolvedAddress): void {
    const isBits = address.area === 'coil' || address.area === 'discrete';
    const limit = isBits ? this.settings.limits.maxBits : this.settings.limits.maxRegisters;
    if (address.count > limit) {
      throw new BifrostError(ErrorCodes.BadTagRef, `${this.id}: ${address.key} spans ${address.count} ${isBits ? 'bits' : 'registers'}, more than this device reads at once (${limit})`);
    }
  }

  async read(refs: readonly TagRef[]): Promise<TagReading[]> {
    const tags = refs.map((r) => this.resolve(r));
    const availability = this.availability();
    if (availability !== 'up') {
      const error = availability === 'wait' ? `${this.id}: not connected yet (connecting to ${this.endpoint()})` : availability.down;
      return badReadings(tags.map((t) => t.key), error);
    }
    // A ref named twice is read once: every place in the answer gets that reading.
    const byKey = new Map<string, TagReading>();
    const addrs = tags.map((t) => t.address);
    for (const req of planReads(addrs, this.settings.limits, this.planOptions)) {
      for (const r of await this.readMembers(req, tags, addrs, 'user', false)) if (!byKey.has(r.tag)) byKey.set(r.tag, r);
    }
    return tags.map((t) => byKey.get(t.key)!);
  }

  /** The one owner of whether a tag may be written, and why not. */
  private whyNotWritable(tag: ResolvedTag): string | undefined {
    if (!this.common.allowWrites) return `writes are disabled for this device; set "allowWrites": true in its configuration to allow them`;
    if (!isWritableArea(tag.address.area)) return `${tag.key} is in the ${tag.address.area} area, which Modbus does not let anyone write`;
    if (tag.configured && tag.access !== 'readwrite') return `tag "${tag.key}" is read-only (its access is "${tag.access}"); set "access": "readwrite" on the tag to allow writes`;
    return undefined;
  }

  async write(ref: TagRef, value: TagValue): Promise<TagsWriteResult> {
    const tag = this.resolve(ref);
    const a = tag.address;
    const refused = this.whyNotWritable(tag);
    if (refused) throw new BifrostError(ErrorCodes.WriteRefused, `${this.id}: ${refused}`);
    if (typeof value !== 'number' && typeof value !== 'boolean' && typeof value !== 'string') {
      throw new BifrostError(ErrorCodes.BadValue, `${this.id}: cannot write ${preview(value)} to ${tag.key}: a Modbus tag takes a number, a boolean or a string`);
    }
    let encoded;
    try {
      encoded = encodeValue(a, value);
    } catch (err) {
      if (err instanceof ValueError) throw new BifrostError(ErrorCodes.BadValue, `${this.id}: cannot write ${preview(value)} to ${tag.key}: ${err.message}`);
      throw err;
    }
    const multiple = this.settings.writeMultiple;
    let written: TagValue;
    switch (encoded.kind) {
      case 'coil': {
        const v = encoded.value;
        await this.exec('user', `writing coil ${a.address}`, (r) => r.writeCoil(a.address, v, multiple));
        written = v;
        break;
      }
      case 'registers': {
        const regs = encoded.registers;
        const range = regs.length === 1 ? `register ${a.address}` : `registers ${a.address}-${a.address + regs.length - 1}`;
        await this.exec('user', `writing holding ${range}`, (r) => r.writeRegisters(a.address, regs, multiple));
        written = decodeRegisters(a, regs, 0);
        break;
      }
      case 'bitInRegister': {
        const { bit, value: on } = encoded;
        // Read-modify-write inside one queued job, so no other request of ours comes between.
        await this.exec('user', `writing bit ${bit} of holding register ${a.address}`, async (r) => {
          const [word] = await r.readRegisters('holding', a.address, 1);
          const next = on ? word! | (1 << bit) : word! & ~(1 << bit) & 0xffff;
          await r.writeRegisters(a.address, [next], multiple);
        });
        written = on;
        break;
      }
    }
    this.host.log.info(`${this.id}: wrote ${JSON.stringify(written)} to ${tag.key} (${a.key})`);
    return { tag: tag.key, value: written, timestamp: Date.now() };
  }

  subscribe(refs: readonly TagRef[], options: SubscribeOptions, sink: ValueSink): DriverSubscription {
    return this.poller.subscribe(refs.map((r) => this.resolve(r)), options, sink);
  }

  /** Modbus has no address space to walk: the configured tags, one flat list. */
  browse(request: BrowseRequest): Promise<BrowseResult> {
    if (request.node !== undefined && request.node !== '') {
      throw new BifrostError(ErrorCodes.BadTagRef, `${this.id}: a Modbus device has no nodes to browse into ("${request.node}"); browse without "node" for its tags`);
    }
    const start = request.continuation === undefined ? 0 : /^\d{1,9}$/.test(request.continuation) ? Number(request.continuation) : -1;
    if (start < 0 || start > this.settings.tags.length) {
      throw new BifrostError(ErrorCodes.InvalidParams, `"continuation" ${JSON.stringify(request.continuation)} does not come from a browse of ${this.id}`);
    }
    const page = this.configuredTagInfos().slice(start, start + request.maxItems);
    const items = page.map((info) => ({ ref: info.name, name: info.name, nodeClass: 'variable' as const, dataType: info.dataType, hasChildren: false, writable: info.writable, tag: info }));
    const next = start + page.length;
    return Promise.resolve(next < this.settings.tags.length ? { items, continuation: String(next) } : { items });
  }

  private configuredTagInfos(): TagInfo[] {
    return (this.tagInfos ??= this.settings.tags.map((t) => this.tagInfo(t)));
  }

  private tagInfo(t: ResolvedTag): TagInfo {
    const reason = this.whyNotWritable(t);
    const info: TagInfo = {
      name: t.key,
      address: t.address.key,
      dataType: t.address.type,
      valueKind: valueKindOf(t.address),
      access: t.access,
      writable: reason === undefined,
    };
    if (t.unit !== undefined) info.unit = t.unit;
    if (t.description !== undefined) info.description = t.description;
    if (reason !== undefined) info.notWritableReason = reason;
    else info.writeSpec = writeSpecOf(t.address);
    return info;
  }

  info(): DeviceInfo {
    const c = this.common;
    const bus = this.lease?.link.stats;
    const info: DeviceInfo = {
      id: c.id,
      name: c.name,
      protocol: c.protocol,
      endpoint: this.endpoint(),
      status: this.status,
      lastError: this.lastError,
      allowWrites: c.allowWrites,
      pollIntervalMs: c.pollIntervalMs,
      source: c.source,
      enabled: c.enabled,
      stats: this.host.stats.snapshot(),
      tags: this.configuredTagInfos(),
    };
    if (bus) info.bus = { ...bus };
    return info;
  }

  private endpoint(): string {
    return this.bus.endpoint;
  }
}
