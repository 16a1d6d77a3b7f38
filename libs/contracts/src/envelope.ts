import { v7 as uuidv7, validate as uuidValidate, version as uuidVersion } from 'uuid';
import { z } from 'zod';

/**
 * The envelope every event travels in. Attribute names follow CloudEvents 1.0; `correlationid`,
 * `causationid`, `region` and `schemaversion` are extension attributes (lower-case alphanumerics,
 * as CloudEvents requires).
 */
export interface EventEnvelope<TType extends string = string, TData = unknown> {
  specversion: '1.0';
  /** UUIDv7: unique, and roughly ordered by creation time. */
  id: string;
  /** The producing service, as a URI reference (`/realname/device-gateway`). */
  source: string;
  /** The event type, e.g. `realname.device.PunchRecorded`. */
  type: TType;
  /** The stream (aggregate) id the event belongs to; also the Kafka key. */
  subject: string;
  /** When the fact happened (RFC 3339, UTC). */
  time: string;
  datacontenttype: 'application/json';
  /** `urn:realname:schema:<type>:<version>`. */
  dataschema: string;
  schemaversion: number;
  /** The id shared by everything one outside request caused. */
  correlationid: string;
  /** The id of the message (event, command or request) that directly caused this one. */
  causationid: string;
  /** Administrative division code (GB/T 2260, six digits) the fact belongs to. */
  region: string;
  /**
   * Who caused the fact, for facts caused by an authenticated request: the token's subject, the role
   * the request acted in and its scope (`city:330100`). Absent for facts a device or the platform
   * itself caused (punches, integrity-platform sync). Extension attributes `actorsubject`,
   * `actorrole`, `actorscope`.
   */
  actorsubject?: string;
  actorrole?: string;
  actorscope?: string;
  data: TData;
}

/** The actor of a write, as events carry it (see {@link EventEnvelope.actorsubject}). */
export interface EventActor {
  subject: string;
  role: string;
  /** `<kind>:<code>`, e.g. `city:330100`, `project:330106202401150001`. */
  scope: string;
}

export const REGION_CODE = /^\d{6}$/;

const DATE_TIME =
  '\\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\\d|3[01])T(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d+)?';
const UTC_INSTANT = new RegExp(`^${DATE_TIME}Z$`);
const OFFSET_INSTANT = new RegExp(`^${DATE_TIME}(?:Z|[+-](?:[01]\\d|2[0-3]):[0-5]\\d)$`);

/**
 * An RFC 3339 instant in UTC (`2026-11-21T00:41:02.000Z`), as events carry them. A prebuilt pattern:
 * zod 3's `datetime()` builds its regular expression on every check, which shows on hot paths.
 */
export const utcInstant = () =>
  z.string().regex(UTC_INSTANT, 'must be an RFC 3339 time in UTC, e.g. 2026-11-21T00:41:02Z');
/** An RFC 3339 instant with `Z` or an offset (`2026-11-21T08:41:02+08:00`). */
export const offsetInstant = () =>
  z.string().regex(OFFSET_INSTANT, 'must be an RFC 3339 time with an offset, e.g. 2026-11-21T08:41:02+08:00');

export function newEventId(): string {
  return uuidv7();
}

export function isUuidV7(id: string): boolean {
  return uuidValidate(id) && uuidVersion(id) === 7;
}

export function dataSchemaUri(type: string, version: number): string {
  return `urn:realname:schema:${type}:${version}`;
}

/** Runtime schema of the envelope attributes (the data is validated by the event's own schema). */
export const envelopeSchema = z.object({
  specversion: z.literal('1.0'),
  id: z.string().refine(isUuidV7, 'must be a UUIDv7'),
  source: z.string().min(1),
  type: z.string().min(1),
  subject: z.string().min(1),
  time: offsetInstant(),
  datacontenttype: z.literal('application/json'),
  dataschema: z.string().min(1),
  schemaversion: z.number().int().positive(),
  correlationid: z.string().min(1),
  causationid: z.string().min(1),
  region: z.string().regex(REGION_CODE, 'must be a six-digit administrative division code'),
  actorsubject: z.string().min(1).max(255).optional(),
  actorrole: z.string().min(1).max(64).optional(),
  actorscope: z.string().min(1).max(96).optional(),
  data: z.unknown(),
});
