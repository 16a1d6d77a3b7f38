import type { PunchDirection } from '@realname/contracts';
import type { Photo } from '../photos/photo-store';

/** The CloudEvents `source` of everything the gateway emits. */
export const GATEWAY_SOURCE = '/realname/device-gateway';

/** A punch in the gateway's normal form, whatever protocol family delivered it. */
export interface NormalisedPunch {
  /**
   * The device's own sequence number / record id where the family has one (Hikvision serialNo, rtlog
   * index, HTTPv2 RecordID, open protocol recordId). Without it a punch is identified by person and
   * instant, and the same person again within the collapse window is collapsed into the first.
   */
  recordId?: string;
  personId: string;
  /** The time exactly as the device sent it. */
  deviceTime: string;
  punchedAt: Date;
  direction?: PunchDirection;
  verifyMode: string;
  photo?: Photo;
}

export interface RawRequest {
  /** The device family (and version) that delivered it, e.g. `zkteco-push`. */
  protocol: string;
  headers: Record<string, string>;
  body: Buffer;
  receivedAt: Date;
  correlationId?: string;
}

export type PunchStatus = 'accepted' | 'duplicate' | 'collapsed';

export interface PunchResult {
  /** The key the punch is known by: its record id, or `<personId>@<instant>` without one. */
  key: string;
  status: PunchStatus;
  /** The event of the punch (for a duplicate: of its first delivery; none for a collapsed punch). */
  eventId?: string;
}

export interface IngestOptions {
  /** The upload answers a records query of this backfill. */
  backfillId?: string;
}

/** The key of a punch: the device's record id, else person and instant. */
export function punchKey(p: Pick<NormalisedPunch, 'recordId' | 'personId' | 'punchedAt'>): string {
  return p.recordId ?? `${p.personId}@${p.punchedAt.toISOString()}`;
}
