import type { Deadband, TagAccess } from '../protocol';
import type { ResolvedAddress } from './address';

/** A tag ready to be read: a configured tag, or an inline address a client asked for. */
export interface ResolvedTag {
  /** What readings are reported under: the tag's name, or the canonical address string. */
  key: string;
  address: ResolvedAddress;
  unit?: string;
  description?: string;
  access: TagAccess;
  deadband?: Deadband;
  /** False for inline addresses: those are not in the configuration. */
  configured: boolean;
}
