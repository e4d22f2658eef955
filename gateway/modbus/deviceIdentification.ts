/**
 * Read Device Identification (function 43, MEI type 14): the object ids and the fields they fill,
 * shared by the simulator that answers it and the discovery probe that asks for it.
 */

import type { DeviceIdentity as ReportedIdentity } from '../protocol/discovery';

/**
 * What a device says about itself (the first three fields are the mandatory "basic" objects):
 * what discovery reports, and the user application name, which it does not.
 */
export interface DeviceIdentity extends ReportedIdentity {
  userApplicationName?: string;
}

/** Object id → field, in object id order: 0-2 basic, 3-6 regular. */
export const IDENTITY_OBJECTS: readonly (keyof DeviceIdentity)[] = [
  'vendorName',
  'productCode',
  'revision',
  'vendorUrl',
  'productName',
  'modelName',
  'userApplicationName',
];

export const FC_ENCAPSULATED = 43;
export const MEI_DEVICE_IDENTIFICATION = 14;
export const FC_REPORT_SERVER_ID = 17;

/** Read device id codes: stream access by category, or one object. */
export const ReadDeviceIdCode = { Basic: 1, Regular: 2, Extended: 3, Specific: 4 } as const;

/**
 * Longest object value that fits one response: a 253-byte PDU less its 7 bytes of header
 * (function, MEI type, code, conformity, more follows, next object id, object count) and the
 * object's own id and length bytes.
 */
export const MAX_OBJECT_BYTES = 244;
