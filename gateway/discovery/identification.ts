/**
 * Read Device Identification (FC43/14) and Report Server ID (FC17) as discovery asks them, the
 * same over Modbus TCP and RTU: the requests, the answers checked field by field, and what they
 * make of a unit's identity.
 */
import { FC_ENCAPSULATED, IDENTITY_OBJECTS, MEI_DEVICE_IDENTIFICATION, type DeviceIdentity } from '../modbus/deviceIdentification';

export type ProbeIdentity = Omit<DeviceIdentity, 'userApplicationName'>;

/** Enough "more follows" rounds for every object id; a device asking for more is out of step. */
const MAX_ID_ROUNDS = 16;
export const FIRST_REGULAR_OBJECT = 3;

/** Rejects an answer that does not parse; the unit is then treated like one that sent garbage. */
export class BadAnswer extends Error {}

export function idRequest(code: number, objectId: number): Buffer {
  return Buffer.from([FC_ENCAPSULATED, MEI_DEVICE_IDENTIFICATION, code, objectId]);
}

export interface IdAnswer {
  conformity: number;
  moreFollows: boolean;
  nextObjectId: number;
  objects: [number, string][];
}

/** An FC43/14 answer PDU (function code included), checked field by field. */
export function parseIdAnswer(pdu: Buffer, code: number): IdAnswer {
  const hex = () => pdu.toString('hex');
  if (pdu.length < 7 || pdu[1] !== MEI_DEVICE_IDENTIFICATION) throw new BadAnswer(`not a device identification answer (${hex()})`);
  if (pdu[2] !== code) throw new BadAnswer(`a device identification answer for code ${pdu[2]}, ${code} was asked`);
  const more = pdu[4]!;
  if (more !== 0x00 && more !== 0xff) throw new BadAnswer(`"more follows" is ${more}, not 0x00 or 0xFF`);
  const count = pdu[6]!;
  const objects: [number, string][] = [];
  let at = 7;
  for (let i = 0; i < count; i++) {
    if (at + 2 > pdu.length) throw new BadAnswer(`the answer announces ${count} objects and holds ${i} (${hex()})`);
    const len = pdu[at + 1]!;
    if (at + 2 + len > pdu.length) throw new BadAnswer(`object ${pdu[at]} announces ${len} bytes past the end of the answer (${hex()})`);
    objects.push([pdu[at]!, printable(pdu.subarray(at + 2, at + 2 + len))]);
    at += 2 + len;
  }
  if (at !== pdu.length) throw new BadAnswer(`${pdu.length - at} bytes after the last object (${hex()})`);
  return { conformity: pdu[3]!, moreFollows: more === 0xff, nextObjectId: pdu[5]!, objects };
}

/**
 * Collects a stream's objects, asking again (`next`, which resolves an answer PDU or null) from
 * the next object id while "more follows". Returns false when a follow-up was not answered (the
 * objects so far are kept).
 */
export async function readIdStream(next: (objectId: number) => Promise<Buffer | null>, unitId: number, code: number, answer: IdAnswer, objects: Map<number, string>): Promise<boolean> {
  let current = answer;
  for (let round = 1; ; round++) {
    for (const [id, value] of current.objects) objects.set(id, value);
    if (!current.moreFollows) return true;
    if (round >= MAX_ID_ROUNDS) throw new BadAnswer(`unit ${unitId}: "more follows" after ${round} identification answers`);
    const pdu = await next(current.nextObjectId);
    if (pdu === null) return false;
    current = parseIdAnswer(pdu, code);
  }
}

/** Object values are ASCII by the specification; anything else is shown, not trusted. */
function printable(bytes: Buffer): string {
  return bytes.toString('latin1').replace(/[^\x20-\x7e]/g, '?').trim();
}

/** The identity the objects make, and a note when mandatory ones are missing. */
export function identityOf(objects: Map<number, string>): { identity: ProbeIdentity; note?: string } {
  const identity: Record<string, string> = {};
  const missing: string[] = [];
  IDENTITY_OBJECTS.forEach((field, id) => {
    if (field === 'userApplicationName') return;
    const value = objects.get(id);
    if (value !== undefined) identity[field] = value;
    else if (id < 3) {
      identity[field] = '';
      missing.push(field);
    }
  });
  const out: { identity: ProbeIdentity; note?: string } = { identity: identity as unknown as ProbeIdentity };
  if (missing.length) out.note = `the identification lacks mandatory object(s): ${missing.join(', ')}`;
  return out;
}

/** Report Server ID's answer, for a person: its length, server id and run indicator, and any text. */
export function describeServerId(pdu: Buffer): string {
  const count = pdu[1];
  if (count === undefined || pdu.length !== 2 + count || count < 2) throw new BadAnswer(`a Report Server ID answer that does not add up (${pdu.toString('hex')})`);
  const data = printable(pdu.subarray(4));
  const run = pdu[3] === 0xff ? 'running' : pdu[3] === 0x00 ? 'stopped' : `run indicator ${pdu[3]}`;
  return `Report Server ID: server id ${pdu[2]}, ${run}${data ? `, "${data}"` : ''}`;
}
