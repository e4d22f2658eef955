/**
 * The demo plant's OPC UA server (node-opcua), run in a worker thread by opcuaServer.ts and
 * bundled as dist/opcua-server.js. On 127.0.0.1 only: the plant's process unit by unit
 * (Plant/Tank, Plant/Boiler) with engineering units and ranges, a writable setpoint, burner
 * enable and pump mode, a historized tank level, a method (Boiler.StartPurge), and a "Types"
 * folder with every built-in type.
 *
 * It shows the snapshots the plant posts; a client's write or method call goes to the plant as
 * an input, and the process decides (the write shows here at once, the effect with the next
 * snapshot).
 *
 * Security: endpoints without security and with Basic256Sha256 (Sign, SignAndEncrypt); logins
 * anonymous and the demo user (demoOpcUaNodes.ts). The server accepts every client certificate
 * automatically: it listens on this computer only, its PKI is a temp folder by default, and a
 * demo that refused the first connection of every new client would teach nothing. A real server
 * must not do this.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as util from 'node:util';
import { parentPort, workerData } from 'node:worker_threads';
import type { AddressSpace, ISessionContext, Namespace, UAObject, UAVariable } from 'node-opcua-address-space';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import { standardUnits, type EUInformation } from 'node-opcua-data-access';
import { setDebugLogger, setErrorLogger, setTraceLogger, setWarningLogger } from 'node-opcua-debug';
import { SecurityPolicy } from 'node-opcua-secure-channel';
import { OPCUAServer, RegisterServerMethod } from 'node-opcua-server';
import { MessageSecurityMode } from 'node-opcua-service-secure-channel';
import { StatusCodes, type StatusCode } from 'node-opcua-status-code';
import { DataType, Variant, VariantArrayType } from 'node-opcua-variant';
import { DEMO_OPCUA_APPLICATION_URI, DEMO_OPCUA_NODES as N, DEMO_OPCUA_USER } from './demoOpcUaNodes';
import { clamp, MAX_PURGE_S, PUMP_MODES, SETPOINT_RANGE, type DemoInput, type DemoProcessSnapshot } from './demoProcess';
import type { FromWorker, ToWorker, WorkerStart } from './opcuaServer';
import { addTypesFolder } from './opcuaTypesFolder';

/** How many samples of the tank level the server keeps (10 minutes at the plant's 100 ms tick). */
const LEVEL_HISTORY_SAMPLES = 6000;
const NODESET_IMAGE = 'Opc.Ua.NodeSet2.ndjson.gz';

/** The plant's process as last posted, and the way back to it. */
interface PlantLink {
  readonly snapshot: DemoProcessSnapshot;
  /** Hands a client's input to the plant; resolves with the process's answer. */
  apply(input: DemoInput): Promise<{ accepted: boolean; message: string }>;
  onSnapshot(listener: () => void): void;
}

if (parentPort) void runWorker(parentPort, workerData as WorkerStart);

async function runWorker(port: NonNullable<typeof parentPort>, start: WorkerStart): Promise<void> {
  const send = (msg: FromWorker) => port.postMessage(msg);
  routeLibraryLogs((level, line) => send({ type: 'log', level, line }));
  let snapshot = start.snapshot;
  const snapshotListeners: (() => void)[] = [];
  const pending = new Map<number, (r: { accepted: boolean; message: string }) => void>();
  let nextId = 1;
  const link: PlantLink = {
    get snapshot() {
      return snapshot;
    },
    apply(input) {
      const id = nextId++;
      send({ type: 'input', id, input });
      return new Promise((resolve) => pending.set(id, resolve));
    },
    onSnapshot(listener) {
      snapshotListeners.push(listener);
    },
  };
  let server: Awaited<ReturnType<typeof startServer>> | null = null;
  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'snapshot') {
      snapshot = msg.snapshot;
      for (const l of snapshotListeners) l();
    } else if (msg.type === 'applied') {
      pending.get(msg.id)?.({ accepted: msg.accepted, message: msg.message });
      pending.delete(msg.id);
    } else if (msg.type === 'stop') {
      void (server?.stop() ?? Promise.resolve()).finally(() => {
        send({ type: 'stopped' });
        port.close();
      });
    }
  });
  try {
    server = await startServer(start, link);
    send({ type: 'ready', endpointUrl: server.endpointUrl, certificateDer: server.certificateDer });
  } catch (err) {
    send({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
    port.close();
  }
}

async function startServer(start: WorkerStart, link: PlantLink): Promise<{ endpointUrl: string; certificateDer: Uint8Array; stop(): Promise<void> }> {
  const { host } = start;
  const { pkiFolder } = start;
  const serverCertificateManager = new OPCUACertificateManager({ rootFolder: path.join(pkiFolder, 'server'), automaticallyAcceptUnknownCertificate: true });
  // Certificates as user identities are not offered; a folder of its own keeps node-opcua out of the home directory.
  const userCertificateManager = new OPCUACertificateManager({ rootFolder: path.join(pkiFolder, 'users'), automaticallyAcceptUnknownCertificate: false });
  const server = new OPCUAServer({
    host,
    hostname: host,
    port: start.port,
    nodeset_filename: [standardNodeset()],
    serverCertificateManager,
    userCertificateManager,
    registerServerMethod: RegisterServerMethod.HIDDEN,
    serverInfo: { applicationUri: DEMO_OPCUA_APPLICATION_URI, productUri: 'bifrost-demo-plant', applicationName: { text: 'Bifrost Demo Plant', locale: 'en' } },
    buildInfo: { productName: 'Bifrost Demo Plant', manufacturerName: 'Bifrost' },
    securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256],
    securityModes: [MessageSecurityMode.None, MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt],
    allowAnonymous: true,
    userManager: { isValidUser: (username: string, password: string) => username === DEMO_OPCUA_USER.username && password === DEMO_OPCUA_USER.password },
  });

  try {
    await server.initialize();
    const addressSpace = server.engine.addressSpace;
    if (!addressSpace) throw new Error('the OPC UA server has no address space after initialize');
    buildPlant(addressSpace, link);
    await server.start();
  } catch (err) {
    await server.shutdown(0).catch(() => undefined);
    throw err;
  }
  return {
    endpointUrl: `opc.tcp://${host}:${server.endpoints[0]?.port}`,
    certificateDer: new Uint8Array(server.getCertificate()),
    stop: () => server.shutdown(0),
  };
}

/** The standard nodeset as node-opcua's compact image: beside the bundle in dist/, or in its package. */
function standardNodeset(): string {
  const bundled = path.join(__dirname, 'nodesets', NODESET_IMAGE);
  if (fs.existsSync(bundled)) return bundled;
  const pkg = 'node-opcua-nodesets/package.json'; // not a literal: the bundle must not resolve it at build time
  return path.join(path.dirname(require.resolve(pkg)), 'nodesets', NODESET_IMAGE);
}

/** node-opcua prints with console.log by default; the plant's log goes through the parent thread. */
function routeLibraryLogs(log: (level: 'warn' | 'error', line: string) => void): void {
  // node-opcua passes its caller's context first, then the message.
  const to = (level: 'warn' | 'error') => (_context: unknown, ...args: unknown[]) => log(level, util.format(...args));
  const drop = () => undefined;
  setDebugLogger(drop);
  setTraceLogger(drop);
  setWarningLogger(to('warn'));
  setErrorLogger(to('error'));
}

// ---------------------------------------------------------------------------------------------
// The address space
// ---------------------------------------------------------------------------------------------

const rw = { accessLevel: 'CurrentRead | CurrentWrite', userAccessLevel: 'CurrentRead | CurrentWrite' } as const;
const ro = { accessLevel: 'CurrentRead', userAccessLevel: 'CurrentRead' } as const;

/** Builds Plant/Tank, Plant/Boiler and Types; returns what undoes its subscriptions to the plant. */
function buildPlant(addressSpace: AddressSpace, link: PlantLink): void {
  const ns = addressSpace.getOwnNamespace();
  const objects = addressSpace.rootFolder.objects;
  const plant = ns.addFolder(objects, { nodeId: N.plant, browseName: 'Plant', description: 'The demo plant: a buffer tank and a boiler' });
  const refreshers: (() => void)[] = [];
  const s = () => link.snapshot;
  /** A read-only value the plant refreshes on every tick, stamped with the plant's clock. */
  const live = (node: UAVariable, dataType: DataType, get: () => unknown) => {
    const refresh = () => node.setValueFromSource(new Variant({ dataType, arrayType: VariantArrayType.Scalar, value: get() }), StatusCodes.Good, new Date(s().now));
    refresh();
    refreshers.push(refresh);
    return node;
  };

  const tank = ns.addFolder(plant, { nodeId: N.tank, browseName: 'Tank', description: 'Tank Farm: a 1.5 m³ buffer tank, refilled by a pump (the demo-tank Modbus device)' });
  const level = live(analog(ns, tank, N.tankLevel, 'Level', 'Tank level', standardUnits.percent, 0, 100), DataType.Double, () => s().tank.levelPct);
  live(analog(ns, tank, N.tankInletFlow, 'InletFlow', 'Inlet flow from the fill pump', standardUnits.cubic_metre_per_hour, 0, 80), DataType.Double, () => s().tank.inletFlow);
  live(analog(ns, tank, N.tankOutletFlow, 'OutletFlow', 'Outlet flow to the consumers', standardUnits.cubic_metre_per_hour, 0, 50), DataType.Double, () => s().tank.outletFlow);
  live(variable(ns, tank, N.tankNetFlow, 'NetFlow', 'Net flow into the tank in L/h (negative while draining)', 'Int32'), DataType.Int32, () => s().tank.netFlowLph);
  live(variable(ns, tank, N.tankPumpRunning, 'PumpRunning', 'Fill pump running', 'Boolean'), DataType.Boolean, () => s().tank.pumpRunning);
  live(variable(ns, tank, N.tankPumpStarts, 'PumpStarts', 'Fill pump starts since commissioning', 'UInt32'), DataType.UInt32, () => s().tank.pumpStarts);
  live(analog(ns, tank, N.tankInletTotal, 'InletTotal', 'Total volume pumped in', standardUnits.cubic_metre, 0, 1e9), DataType.Double, () => s().tank.inletTotal);
  live(variable(ns, tank, N.tankHighLevelAlarm, 'HighLevelAlarm', 'Level above 80 %', 'Boolean'), DataType.Boolean, () => s().tank.highLevel);
  live(variable(ns, tank, N.tankLowLevelAlarm, 'LowLevelAlarm', 'Level below 20 %', 'Boolean'), DataType.Boolean, () => s().tank.lowLevel);
  live(variable(ns, tank, N.tankDoorClosed, 'DoorClosed', 'Pump house door closed', 'Boolean'), DataType.Boolean, () => s().tank.doorClosed);
  addPumpMode(ns, tank, link);
  addressSpace.installHistoricalDataNode(level, { maxOnlineValues: LEVEL_HISTORY_SAMPLES });
  // The history starts with the level at start-up.
  level.setValueFromSource(new Variant({ dataType: DataType.Double, value: s().tank.levelPct }), StatusCodes.Good, new Date(s().now));

  const boiler = ns.addFolder(plant, { nodeId: N.boiler, browseName: 'Boiler', description: 'Boiler: a 24 kW burner holding the water at its setpoint (the demo-boiler Modbus device)' });
  live(analog(ns, boiler, N.boilerTemperature, 'Temperature', 'Boiler water temperature', standardUnits.degree_celsius, 0, 120), DataType.Double, () => s().boiler.temperature);
  live(analog(ns, boiler, N.boilerPressure, 'Pressure', 'Boiler water pressure', standardUnits.bar, 0, 6), DataType.Double, () => s().boiler.pressure);
  live(analog(ns, boiler, N.boilerFlueTemperature, 'FlueTemperature', 'Flue gas temperature', standardUnits.degree_celsius, 0, 300), DataType.Double, () => s().boiler.flueTemperature);
  live(analog(ns, boiler, N.boilerHighLimit, 'HighLimit', 'Safety high limit: the burner stays off above it', standardUnits.degree_celsius, 0, 150), DataType.Double, () => s().boiler.highLimit);
  live(variable(ns, boiler, N.boilerBurnerOn, 'BurnerOn', 'Burner firing', 'Boolean'), DataType.Boolean, () => s().boiler.burnerOn);
  live(variable(ns, boiler, N.boilerEnergyTotal, 'EnergyTotal', 'Heat energy delivered in Wh', 'UInt64'), DataType.UInt64, () => words64(Math.floor(s().boiler.energyWh)));
  live(variable(ns, boiler, N.boilerBurnerRuntime, 'BurnerRuntime', 'Burner operating time in s', 'Int64'), DataType.Int64, () => words64(Math.floor(s().boiler.runtimeS)));
  live(variable(ns, boiler, N.boilerOvertempAlarm, 'OvertempAlarm', 'Water above 95 °C', 'Boolean'), DataType.Boolean, () => s().boiler.overtemp);
  live(variable(ns, boiler, N.boilerPurging, 'Purging', 'A purge runs: the burner stays off', 'Boolean'), DataType.Boolean, () => s().boiler.purging);
  live(analog(ns, boiler, N.boilerPurgeRemaining, 'PurgeRemaining', 'Time left of the running purge', standardUnits.second, 0, MAX_PURGE_S), DataType.Double, () => s().boiler.purgeRemainingS);
  live(variable(ns, boiler, N.boilerLastPurgeReason, 'LastPurgeReason', 'The reason given for the last purge', 'String'), DataType.String, () => s().boiler.lastPurgeReason);
  addBoilerInputs(ns, boiler, link);
  addStartPurge(ns, boiler, link);

  addTypesFolder(ns, objects);

  link.onSnapshot(() => {
    for (const r of refreshers) r();
  });
}

function variable(ns: Namespace, parent: UAObject, nodeId: string, browseName: string, description: string, dataType: string): UAVariable {
  return ns.addVariable({ componentOf: parent, nodeId, browseName, description, dataType, ...ro, minimumSamplingInterval: 100 });
}

function analog(ns: Namespace, parent: UAObject, nodeId: string, browseName: string, description: string, unit: EUInformation, low: number, high: number): UAVariable {
  return ns.addAnalogDataItem({
    componentOf: parent,
    nodeId,
    browseName,
    description,
    dataType: 'Double',
    engineeringUnits: unit,
    engineeringUnitsRange: { low, high },
    ...ro,
    minimumSamplingInterval: 100,
  });
}

/** Setpoint and burner enable: a write shows here at once and goes to the process. */
function addBoilerInputs(ns: Namespace, boiler: UAObject, link: PlantLink): void {
  const setpoint = ns.addAnalogDataItem({
    componentOf: boiler,
    nodeId: N.boilerSetpoint,
    browseName: 'Setpoint',
    description: `Water temperature setpoint (${SETPOINT_RANGE.low}-${SETPOINT_RANGE.high} °C), the same as the Modbus holding register`,
    dataType: 'Double',
    engineeringUnits: standardUnits.degree_celsius,
    engineeringUnitsRange: { low: SETPOINT_RANGE.low, high: SETPOINT_RANGE.high },
    ...rw,
    minimumSamplingInterval: 100,
  });
  setpoint.bindVariable(
    {
      get: () => new Variant({ dataType: DataType.Double, value: link.snapshot.boiler.setpoint }),
      set: (v: Variant): StatusCode => {
        const value = Number(v.value);
        if (!Number.isFinite(value) || value !== clamp(value, SETPOINT_RANGE.low, SETPOINT_RANGE.high)) return StatusCodes.BadOutOfRange;
        link.snapshot.boiler.setpoint = value;
        void link.apply({ kind: 'setpoint', value });
        return StatusCodes.Good;
      },
    },
    true,
  );
  const enable = ns.addVariable({ componentOf: boiler, nodeId: N.boilerBurnerEnable, browseName: 'BurnerEnable', description: 'Burner enabled (off: the water cools down)', dataType: 'Boolean', ...rw, minimumSamplingInterval: 100 });
  enable.bindVariable(
    {
      get: () => new Variant({ dataType: DataType.Boolean, value: link.snapshot.boiler.enabled }),
      set: (v: Variant): StatusCode => {
        const value = v.value === true;
        link.snapshot.boiler.enabled = value;
        void link.apply({ kind: 'burnerEnable', value });
        return StatusCodes.Good;
      },
    },
    true,
  );
}

/** An enumeration DataType of its own, and the writable pump mode that uses it. */
function addPumpMode(ns: Namespace, tank: UAObject, link: PlantLink): void {
  const pumpModeType = ns.addEnumerationType({
    browseName: 'PumpModeEnum',
    description: 'How the fill pump runs',
    enumeration: PUMP_MODES.map((name, value) => ({ value, displayName: name, description: pumpModeText[name] })),
  });
  const mode = ns.addVariable({
    componentOf: tank,
    nodeId: N.tankPumpMode,
    browseName: 'PumpMode',
    description: 'Fill pump mode: Off, Manual (always on) or Auto (starts at 15 %, stops at 85 %)',
    dataType: pumpModeType,
    ...rw,
    minimumSamplingInterval: 100,
  });
  mode.bindVariable(
    {
      get: () => new Variant({ dataType: DataType.Int32, value: PUMP_MODES.indexOf(link.snapshot.tank.pumpMode) }),
      set: (v: Variant): StatusCode => {
        const name = PUMP_MODES[Number(v.value)];
        if (!Number.isInteger(v.value) || name === undefined) return StatusCodes.BadOutOfRange;
        link.snapshot.tank.pumpMode = name;
        void link.apply({ kind: 'pumpMode', value: name });
        return StatusCodes.Good;
      },
    },
    true,
  );
}

const pumpModeText: Record<(typeof PUMP_MODES)[number], string> = {
  Off: 'The pump never runs: the tank drains',
  Manual: 'The pump always runs: the tank fills up',
  Auto: 'The pump starts at 15 % and stops at 85 %',
};

/** Boiler.StartPurge(durationS: UInt32, reason: String) → (accepted: Boolean, message: String). */
function addStartPurge(ns: Namespace, boiler: UAObject, link: PlantLink): void {
  const method = ns.addMethod(boiler, {
    nodeId: N.boilerStartPurge,
    browseName: 'StartPurge',
    description: 'Purges the combustion chamber: the burner stays off for the duration',
    inputArguments: [
      { name: 'durationS', description: { text: `Purge duration in seconds (1-${MAX_PURGE_S})` }, dataType: DataType.UInt32 },
      { name: 'reason', description: { text: 'Why, for the log' }, dataType: DataType.String },
    ],
    outputArguments: [
      { name: 'accepted', description: { text: 'Whether the purge started' }, dataType: DataType.Boolean },
      { name: 'message', description: { text: 'What happened, or why not' }, dataType: DataType.String },
    ],
    executable: true,
    userExecutable: true,
  });
  // node-opcua tells a promise-returning method by its two parameters.
  method.bindMethod(async (inputArguments: Variant[], _context: ISessionContext) => {
    const [duration, reason] = inputArguments;
    // The process decides; its answer, and the burner going off, come back from the plant.
    const result = await link.apply({ kind: 'purge', durationS: Number(duration?.value), reason: String(reason?.value ?? '') });
    return {
      statusCode: StatusCodes.Good,
      outputArguments: [
        { dataType: DataType.Boolean, value: result.accepted },
        { dataType: DataType.String, value: result.message },
      ],
    };
  });
}

function words64(n: number): [number, number] {
  const v = BigInt.asUintN(64, BigInt(n));
  return [Number(v >> 32n), Number(v & 0xffffffffn)];
}
