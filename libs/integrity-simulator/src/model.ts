/**
 * What the integrity platform (建筑市场监管与诚信信息平台) shares, as this simulator serves it: four kinds
 * of record, each identified by a key, changed through an append-only feed of upserts and deletes.
 */
import { z } from 'zod';
import type { FieldProblem, Result } from '@realname/contracts';

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a day YYYY-MM-DD');
const region = z.string().regex(/^\d{6}$/, 'must be a six-digit GB/T 2260 code');
const creditCode = z.string().regex(/^[0-9A-HJ-NP-RTUW-Y]{18}$/, 'must be an 18-character credit code');
const projectCode = z.string().min(1).max(64);

export const Enterprise = z
  .object({
    creditCode,
    name: z.string().min(1),
    /** Enterprise registration type (登记注册类型), e.g. `150` limited liability. */
    registrationType: z.string().regex(/^\d{3}$/),
    legalRepresentative: z.string().min(1),
    region,
  })
  .strict();
export type Enterprise = z.infer<typeof Enterprise>;

export const Project = z
  .object({
    projectCode,
    name: z.string().min(1),
    region,
    /** Project category `category` (01 housing, 02 municipal, ...). */
    category: z.string().regex(/^\d{2}$/),
    /** Project status `prjStatus` (001 preparation ... 003 under construction, 004 completed, 005 suspended). */
    status: z.string().regex(/^\d{3}$/),
    address: z.string().min(1),
    lng: z.number().min(-180).max(180),
    lat: z.number().min(-90).max(90),
    generalContractorCode: creditCode,
    constructionOwnerCode: creditCode,
    startDate: day,
  })
  .strict();
export type Project = z.infer<typeof Project>;

export const Participant = z
  .object({
    projectCode,
    creditCode,
    /** Participating-unit type `corpType` 001-012 (009 general contractor, 008 owner, 007 supervision ...). */
    unitType: z.string().regex(/^(00[1-9]|01[0-2])$/, 'must be a corpType 001-012'),
    entryDate: day,
    exitDate: day.optional(),
  })
  .strict();
export type Participant = z.infer<typeof Participant>;

export const KEY_POSTS = ['project-manager', 'chief-supervising-engineer'] as const;
export type KeyPost = (typeof KEY_POSTS)[number];

export const REGISTRATION_CATEGORIES = ['一级建造师', '二级建造师', '注册监理工程师'] as const;

/** Registration categories a post requires (anything else on that post is an anomaly). */
export const CATEGORIES_FOR_POST: Readonly<Record<KeyPost, readonly string[]>> = {
  'project-manager': ['一级建造师', '二级建造师'],
  'chief-supervising-engineer': ['注册监理工程师'],
};

export const KeyPerson = z
  .object({
    projectCode,
    /** The participating unit the person holds the post for. */
    creditCode,
    post: z.enum(KEY_POSTS),
    name: z.string().min(1),
    idCardNumber: z.string().regex(/^\d{17}[\dX]$/, 'must be an 18-character resident ID'),
    registrationCategory: z.string().min(1),
    certificateNumber: z.string().min(1),
  })
  .strict();
export type KeyPerson = z.infer<typeof KeyPerson>;

export const CHANGE_KINDS = ['enterprise', 'project', 'participant', 'key-person'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];
export type ChangeOp = 'upsert' | 'delete';

export interface DataOfKind {
  enterprise: Enterprise;
  project: Project;
  participant: Participant;
  'key-person': KeyPerson;
}

// The key of each kind: a delete carries exactly these fields.
export const EnterpriseKey = Enterprise.pick({ creditCode: true }).strict();
export const ProjectKey = Project.pick({ projectCode: true }).strict();
export const ParticipantKey = Participant.pick({ projectCode: true, creditCode: true }).strict();
export const KeyPersonKey = KeyPerson.pick({ projectCode: true, creditCode: true, post: true }).strict();
export type EnterpriseKey = z.infer<typeof EnterpriseKey>;
export type ProjectKey = z.infer<typeof ProjectKey>;
export type ParticipantKey = z.infer<typeof ParticipantKey>;
export type KeyPersonKey = z.infer<typeof KeyPersonKey>;

export interface KeyOfKind {
  enterprise: EnterpriseKey;
  project: ProjectKey;
  participant: ParticipantKey;
  'key-person': KeyPersonKey;
}

export const KEY_FIELDS: Readonly<Record<ChangeKind, readonly string[]>> = {
  enterprise: ['creditCode'],
  project: ['projectCode'],
  participant: ['projectCode', 'creditCode'],
  'key-person': ['projectCode', 'creditCode', 'post'],
};

/** The identity of a record of a kind, as one string (`|`-joined key fields). */
export function keyOf(kind: ChangeKind, data: object): string {
  return KEY_FIELDS[kind].map((f) => String((data as Record<string, unknown>)[f])).join('|');
}

/** Only the key fields of a record, in key order. */
export function keyFields<K extends ChangeKind>(kind: K, data: object): KeyOfKind[K] {
  const out: Record<string, unknown> = {};
  for (const f of KEY_FIELDS[kind]) out[f] = (data as Record<string, unknown>)[f];
  return out as unknown as KeyOfKind[K];
}

/** One entry of the change feed. A delete's `data` holds only the record's key fields. */
export type Change = {
  [K in ChangeKind]:
    | { seq: number; kind: K; op: 'upsert'; at: string; data: DataOfKind[K] }
    | { seq: number; kind: K; op: 'delete'; at: string; data: KeyOfKind[K] };
}[ChangeKind];

/** A change before it has a place in the feed. */
export type ChangeInput = {
  [K in ChangeKind]:
    | { kind: K; op: 'upsert'; data: DataOfKind[K]; at?: string }
    | { kind: K; op: 'delete'; data: KeyOfKind[K]; at?: string };
}[ChangeKind];

const rfc3339 = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/,
    'must be an RFC 3339 timestamp with offset',
  );

const Envelope = z
  .object({
    kind: z.enum(CHANGE_KINDS),
    op: z.enum(['upsert', 'delete']),
    data: z.record(z.unknown()),
    at: rfc3339.optional(),
  })
  .strict();

const UPSERT_SCHEMAS: Record<ChangeKind, z.ZodTypeAny> = {
  enterprise: Enterprise,
  project: Project,
  participant: Participant,
  'key-person': KeyPerson,
};
const DELETE_SCHEMAS: Record<ChangeKind, z.ZodTypeAny> = {
  enterprise: EnterpriseKey,
  project: ProjectKey,
  participant: ParticipantKey,
  'key-person': KeyPersonKey,
};

export type FieldError = FieldProblem;

export type ParsedChangeInput = Result<ChangeInput, { errors: FieldError[] }>;

const fieldErrors = (error: z.ZodError, prefix: string[] = []): FieldError[] =>
  error.issues.map((i) => ({ field: [...prefix, ...i.path].join('.') || '(body)', message: i.message }));

/**
 * Checks what `POST /__admin/changes` and `appendChange` accept: `{ kind, op, data, at? }` where an
 * upsert's `data` is the whole record of that kind and a delete's `data` exactly its key fields.
 */
export function parseChangeInput(raw: unknown): ParsedChangeInput {
  const envelope = Envelope.safeParse(raw);
  if (!envelope.success) return { ok: false, errors: fieldErrors(envelope.error) };
  const { kind, op, at } = envelope.data;
  const schema = (op === 'upsert' ? UPSERT_SCHEMAS : DELETE_SCHEMAS)[kind];
  const data = schema.safeParse(envelope.data.data);
  if (!data.success) return { ok: false, errors: fieldErrors(data.error, ['data']) };
  return { ok: true, value: { kind, op, data: data.data, ...(at ? { at } : {}) } as ChangeInput };
}

/** The current state of the platform: every record that exists, sorted by key. */
export interface IntegritySnapshot {
  enterprises: Enterprise[];
  projects: Project[];
  participants: Participant[];
  keyPersons: KeyPerson[];
}
