/**
 * The state of one Sparkplug B edge node (Sparkplug 3.0) as messages to publish: the Will
 * (NDEATH) of each MQTT session with its bdSeq, NBIRTH, then per device DBIRTH, DDATA and DDEATH,
 * with `seq` 0-255 across all of them, and metric aliases unique within the node. It sends
 * nothing itself: the MQTT side publishes what it returns, in order, at QoS 1 without retain.
 * A Bifrost device is a Sparkplug device whose id is the device's id; a metric's name is the tag's.
 */
import { decodePayload, encodePayload, type DataTypeName, type Metric, type MetricValue, type PropertyValue } from './payload';

export const NAMESPACE = 'spBv1.0';
const BD_SEQ = 'bdSeq';
export const REBIRTH = 'Node Control/Rebirth';

export interface SparkplugMessage {
  topic: string;
  payload: Uint8Array;
}

/** A metric as a device is born with it. */
export interface BirthMetric {
  name: string;
  datatype: DataTypeName;
  value: MetricValue | null;
  timestamp: number;
  properties?: Record<string, PropertyValue>;
}

/** A metric's new value, by name. */
export interface MetricChange {
  name: string;
  value: MetricValue | null;
  timestamp: number;
  /** A value from the past (store and forward), sent after the fact: Sparkplug's is_historical. */
  historical?: boolean;
}

/** Group, edge node and device ids: UTF-8 without the characters MQTT topics give meaning to. */
export function checkSparkplugId(id: string, what: string): string | undefined {
  if (id === '') return `${what} is empty`;
  if (/[+#/]/.test(id)) return `${what} "${id}" has "+", "#" or "/", which a Sparkplug topic cannot carry`;
  return undefined;
}

export class SparkplugEdgeNode {
  private bdSeq: number;
  private seq = 0;
  private born = false;
  private sessions = 0;
  private nextAlias = 1n;
  /** Per device: alias and datatype of each metric it was born with. */
  private readonly devices = new Map<string, Map<string, { alias: bigint; datatype: DataTypeName }>>();

  constructor(
    readonly groupId: string,
    readonly edgeNodeId: string,
    /** The bdSeq of the first session; kept across restarts by whoever keeps the node's state. */
    firstBdSeq = 0,
  ) {
    for (const [id, what] of [[groupId, 'groupId'], [edgeNodeId, 'edgeNodeId']] as const) {
      const problem = checkSparkplugId(id, what);
      if (problem) throw new Error(problem);
    }
    this.bdSeq = firstBdSeq & 0xff;
  }

  /** The STATE topic of a host application (Sparkplug 3.0). */
  static stateTopic(hostId: string): string {
    return `${NAMESPACE}/STATE/${hostId}`;
  }

  topic(type: 'NBIRTH' | 'NDEATH' | 'NCMD', device?: undefined): string;
  topic(type: 'DBIRTH' | 'DDATA' | 'DDEATH' | 'DCMD', device: string): string;
  topic(type: string, device?: string): string {
    return `${NAMESPACE}/${this.groupId}/${type}/${this.edgeNodeId}${device === undefined ? '' : `/${device}`}`;
  }

  /**
   * A new MQTT session: the Will to connect with, the NDEATH carrying this session's bdSeq (the
   * next one each time). Devices must be born again after the NBIRTH.
   */
  newSession(): SparkplugMessage {
    // Every CONNECT after the first carries the next bdSeq, whether or not the last one got as far as its NBIRTH.
    if (this.sessions++ > 0) this.bdSeq = (this.bdSeq + 1) & 0xff;
    this.born = false;
    this.devices.clear();
    this.nextAlias = 1n;
    return { topic: this.topic('NDEATH'), payload: encodePayload({ timestamp: Date.now(), metrics: [this.bdSeqMetric()] }) };
  }

  /** The bdSeq of the current session (to keep it across restarts). */
  get currentBdSeq(): number {
    return this.bdSeq;
  }

  /** NBIRTH, seq 0: the node is born (again after a rebirth request, with the same bdSeq). */
  nbirth(timestamp = Date.now()): SparkplugMessage {
    this.born = true;
    this.seq = 0;
    this.devices.clear();
    this.nextAlias = 1n;
    const metrics: Metric[] = [this.bdSeqMetric(timestamp), { name: REBIRTH, datatype: 'Boolean', value: false, timestamp }];
    return { topic: this.topic('NBIRTH'), payload: encodePayload({ timestamp, seq: 0, metrics }) };
  }

  /** DBIRTH of a device with every metric it has, each given an alias unique in the node. */
  dbirth(deviceId: string, metrics: readonly BirthMetric[], timestamp = Date.now()): SparkplugMessage {
    this.mustBeBorn();
    const problem = checkSparkplugId(deviceId, 'the device id');
    if (problem) throw new Error(problem);
    const known = new Map<string, { alias: bigint; datatype: DataTypeName }>();
    const born: Metric[] = metrics.map((m) => {
      if (known.has(m.name)) throw new Error(`device ${deviceId}: two metrics named "${m.name}"`);
      const alias = this.nextAlias++;
      known.set(m.name, { alias, datatype: m.datatype });
      return { name: m.name, alias, datatype: m.datatype, value: m.value, timestamp: m.timestamp, ...(m.properties ? { properties: m.properties } : {}) };
    });
    const payload = encodePayload({ timestamp, seq: this.nextSeq(), metrics: born });
    this.devices.set(deviceId, known);
    return { topic: this.topic('DBIRTH', deviceId), payload };
  }

  /** DDATA of changed metrics, by alias; a metric the device was not born with needs a new DBIRTH. */
  ddata(deviceId: string, changes: readonly MetricChange[], timestamp = Date.now()): SparkplugMessage {
    this.mustBeBorn();
    const known = this.devices.get(deviceId);
    if (!known) throw new Error(`device ${deviceId} has no DBIRTH in this session: send its DBIRTH first`);
    const metrics: Metric[] = changes.map((c) => {
      const k = known.get(c.name);
      if (!k) throw new Error(`device ${deviceId}: metric "${c.name}" was not in its DBIRTH: send a DBIRTH with it`);
      return { alias: k.alias, datatype: k.datatype, value: c.value, timestamp: c.timestamp, ...(c.historical ? { isHistorical: true } : {}) };
    });
    return { topic: this.topic('DDATA', deviceId), payload: encodePayload({ timestamp, seq: this.nextSeq(), metrics }) };
  }

  /** DDEATH: the device is gone or bad; it is born again with a DBIRTH. */
  ddeath(deviceId: string, timestamp = Date.now()): SparkplugMessage {
    this.mustBeBorn();
    this.devices.delete(deviceId);
    return { topic: this.topic('DDEATH', deviceId), payload: encodePayload({ timestamp, seq: this.nextSeq(), metrics: [] }) };
  }

  /** The topic filter of every DCMD to this node's devices. */
  get deviceCommandFilter(): string {
    return `${NAMESPACE}/${this.groupId}/DCMD/${this.edgeNodeId}/+`;
  }

  /** The device a DCMD topic of this node is for; undefined for any other topic. */
  deviceOfCommand(topic: string): string | undefined {
    const prefix = `${NAMESPACE}/${this.groupId}/DCMD/${this.edgeNodeId}/`;
    const device = topic.startsWith(prefix) ? topic.slice(prefix.length) : '';
    return device !== '' && !device.includes('/') ? device : undefined;
  }

  /** A metric the device was born with in this session, by name or by alias (a DCMD may carry either). */
  bornMetric(deviceId: string, m: { name?: string; alias?: bigint }): { name: string; datatype: DataTypeName } | undefined {
    const known = this.devices.get(deviceId);
    if (!known) return undefined;
    if (m.name !== undefined) {
      const k = known.get(m.name);
      return k && (m.alias === undefined || k.alias === m.alias) ? { name: m.name, datatype: k.datatype } : undefined;
    }
    for (const [name, k] of known) if (k.alias === m.alias) return { name, datatype: k.datatype };
    return undefined;
  }

  isBorn(deviceId: string): boolean {
    return this.devices.has(deviceId);
  }

  /**
   * What an NCMD to this node asks: a rebirth when it carries `Node Control/Rebirth` true (the
   * caller then sends NBIRTH and every DBIRTH again). Anything else is ignored, as is a payload
   * that does not decode (a broker relays what anyone publishes).
   */
  command(topic: string, payload: Uint8Array): 'rebirth' | undefined {
    if (topic !== this.topic('NCMD')) return undefined;
    try {
      const { metrics } = decodePayload(payload);
      return metrics.some((m) => m.name === REBIRTH && m.value === true) ? 'rebirth' : undefined;
    } catch {
      return undefined;
    }
  }

  private bdSeqMetric(timestamp = Date.now()): Metric {
    return { name: BD_SEQ, datatype: 'UInt64', value: BigInt(this.bdSeq), timestamp };
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) & 0xff;
    return this.seq;
  }

  private mustBeBorn(): void {
    if (!this.born) throw new Error('the edge node has no NBIRTH in this session: send its NBIRTH first');
  }
}

/** A host application's STATE (Sparkplug 3.0: JSON `{"online": boolean, "timestamp": ms}`), or undefined when it is not one. */
export function parseHostState(payload: Uint8Array): { online: boolean; timestamp: number } | undefined {
  try {
    const v = JSON.parse(Buffer.from(payload).toString('utf8')) as unknown;
    if (typeof v !== 'object' || v === null) return undefined;
    const { online, timestamp } = v as Record<string, unknown>;
    if (typeof online !== 'boolean' || typeof timestamp !== 'number' || !Number.isFinite(timestamp)) return undefined;
    return { online, timestamp };
  } catch {
    return undefined;
  }
}
