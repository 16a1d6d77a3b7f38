import { z } from 'zod';
import { dataSchemaUri, envelopeSchema, EventActor, EventEnvelope, newEventId } from '../envelope';
import { ContractViolation, zodProblems } from '../errors';

/** Turns the data of schema version `from` into version `from + 1`. */
export interface Upcaster {
  from: number;
  up(data: unknown): unknown;
}

export interface EventDefinition<TType extends string, TSchema extends z.ZodTypeAny> {
  type: TType;
  /** The current schema version; older versions are upcast on read. */
  version: number;
  /** The Kafka topic the event is published on, or undefined for events that stay inside a service. */
  topic?: string;
  schema: TSchema;
  upcasters: Upcaster[];
}

export type EventData<D> = D extends EventDefinition<string, infer S> ? z.infer<S> : never;

export function defineEvent<TType extends string, TSchema extends z.ZodTypeAny>(def: {
  type: TType;
  version: number;
  topic?: string;
  schema: TSchema;
  upcasters?: Upcaster[];
}): EventDefinition<TType, TSchema> {
  const upcasters = [...(def.upcasters ?? [])].sort((a, b) => a.from - b.from);
  for (let v = 1; v < def.version; v++) {
    if (!upcasters.some((u) => u.from === v)) {
      throw new Error(`${def.type} v${def.version} lacks an upcaster from v${v}`);
    }
  }
  return { ...def, upcasters };
}

export interface NewEventOptions {
  source: string;
  subject: string;
  region: string;
  correlationId?: string;
  causationId?: string;
  time?: Date;
  id?: string;
  /** Who caused the fact (an authenticated request's caller); absent for devices and the platform. */
  actor?: EventActor;
}

/** Builds a validated envelope for a new event of the given definition. */
export function createEvent<TType extends string, TSchema extends z.ZodTypeAny>(
  def: EventDefinition<TType, TSchema>,
  data: z.input<TSchema>,
  opts: NewEventOptions,
): EventEnvelope<TType, z.infer<TSchema>> {
  const id = opts.id ?? newEventId();
  const parsed = def.schema.safeParse(data);
  if (!parsed.success) throw new ContractViolation(def.type, zodProblems(parsed.error, 'data'));
  const envelope: EventEnvelope<TType, z.infer<TSchema>> = {
    specversion: '1.0',
    id,
    source: opts.source,
    type: def.type,
    subject: opts.subject,
    time: (opts.time ?? new Date()).toISOString(),
    datacontenttype: 'application/json',
    dataschema: dataSchemaUri(def.type, def.version),
    schemaversion: def.version,
    correlationid: opts.correlationId ?? id,
    causationid: opts.causationId ?? opts.correlationId ?? id,
    region: opts.region,
    ...(opts.actor
      ? { actorsubject: opts.actor.subject, actorrole: opts.actor.role, actorscope: opts.actor.scope }
      : {}),
    data: parsed.data,
  };
  const checked = envelopeSchema.safeParse(envelope);
  if (!checked.success) throw new ContractViolation(def.type, zodProblems(checked.error));
  return envelope;
}

/**
 * Validates an envelope read from the wire or the store against the definition, upcasting older
 * schema versions to the current one.
 */
export function parseEvent<TType extends string, TSchema extends z.ZodTypeAny>(
  def: EventDefinition<TType, TSchema>,
  raw: unknown,
): EventEnvelope<TType, z.infer<TSchema>> {
  const env = envelopeSchema.safeParse(raw);
  if (!env.success) throw new ContractViolation(def.type, zodProblems(env.error));
  if (env.data.type !== def.type) {
    throw new ContractViolation(def.type, [
      { field: 'type', message: `expected ${def.type}, got ${env.data.type}` },
    ]);
  }
  if (env.data.schemaversion > def.version) {
    throw new ContractViolation(def.type, [
      {
        field: 'schemaversion',
        message: `v${env.data.schemaversion} is newer than this reader (v${def.version}): upgrade the consumer`,
      },
    ]);
  }
  let data: unknown = env.data.data;
  for (let v = env.data.schemaversion; v < def.version; v++) {
    const upcaster = def.upcasters.find((u) => u.from === v);
    if (!upcaster)
      throw new ContractViolation(def.type, [{ field: 'schemaversion', message: `no upcaster from v${v}` }]);
    data = upcaster.up(data);
  }
  const parsed = def.schema.safeParse(data);
  if (!parsed.success) throw new ContractViolation(def.type, zodProblems(parsed.error, 'data'));
  return {
    ...(env.data as EventEnvelope),
    type: def.type,
    schemaversion: def.version,
    dataschema: dataSchemaUri(def.type, def.version),
    data: parsed.data,
  };
}
