import type { EventEnvelope } from '../envelope';

/**
 * The CloudEvents Kafka protocol binding, binary content mode: attributes in `ce_` headers, the data
 * as the message value, the stream id (subject) as the key.
 */
export interface KafkaRecord {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

const ATTRIBUTES = [
  'specversion',
  'id',
  'source',
  'type',
  'subject',
  'time',
  'dataschema',
  'schemaversion',
  'correlationid',
  'causationid',
  'region',
] as const;

/** Attributes only some events carry (the actor of a write). */
const OPTIONAL_ATTRIBUTES = ['actorsubject', 'actorrole', 'actorscope'] as const;

export function toKafkaRecord(event: EventEnvelope): KafkaRecord {
  const headers: Record<string, string> = { 'content-type': event.datacontenttype };
  for (const a of ATTRIBUTES) headers[`ce_${a}`] = String(event[a]);
  for (const a of OPTIONAL_ATTRIBUTES) if (event[a] !== undefined) headers[`ce_${a}`] = String(event[a]);
  return { key: event.subject, value: Buffer.from(JSON.stringify(event.data)), headers };
}

type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;

/** Rebuilds the envelope from a Kafka message; validation against the contract is the caller's next step. */
export function fromKafkaRecord(
  headers: Record<string, HeaderValue> | undefined,
  value: Buffer | null,
): EventEnvelope {
  const h = (name: string): string => {
    const v = headers?.[name];
    const first = Array.isArray(v) ? v[0] : v;
    return first === undefined ? '' : first.toString();
  };
  const attrs: Record<string, unknown> = {};
  for (const a of ATTRIBUTES) attrs[a] = h(`ce_${a}`);
  attrs.schemaversion = Number(attrs.schemaversion);
  for (const a of OPTIONAL_ATTRIBUTES) {
    const v = h(`ce_${a}`);
    if (v !== '') attrs[a] = v;
  }
  let data: unknown;
  try {
    data = value ? JSON.parse(value.toString('utf8')) : null;
  } catch {
    data = undefined;
  }
  return { ...(attrs as object), datacontenttype: 'application/json', data } as EventEnvelope;
}
