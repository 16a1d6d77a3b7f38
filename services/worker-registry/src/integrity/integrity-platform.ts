import { z } from 'zod';

/**
 * The provincial integrity platform, as the registry reads it: a change feed of enterprises, projects,
 * participating units and registered key personnel, resumable by an opaque cursor. Whatever comes from
 * here is read-only in the registry.
 */
export const IntegrityEnterprise = z.object({
  creditCode: z.string().min(1),
  name: z.string().min(1),
  registrationType: z.string().optional(),
  legalRepresentative: z.string().optional(),
  region: z.string().optional(),
});
export const IntegrityProject = z.object({
  projectCode: z.string().min(1),
  name: z.string().min(1),
  region: z.string().regex(/^\d{6}$/),
  category: z.string(),
  status: z.string(),
  address: z.string().default(''),
  lng: z.number().optional(),
  lat: z.number().optional(),
  generalContractorCode: z.string().min(1),
  constructionOwnerCode: z.string().min(1),
  startDate: z.string().optional(),
});
export const IntegrityParticipant = z.object({
  projectCode: z.string().min(1),
  creditCode: z.string().min(1),
  unitType: z.string().regex(/^\d{3}$/),
  entryDate: z.string().optional(),
  exitDate: z.string().optional(),
});
export const IntegrityKeyPerson = z.object({
  projectCode: z.string().min(1),
  creditCode: z.string().min(1),
  post: z.enum(['project-manager', 'chief-supervising-engineer']),
  name: z.string().min(1),
  idCardNumber: z.string().min(1),
  registrationCategory: z.string().default(''),
  certificateNumber: z.string().default(''),
});
export type IntegrityEnterprise = z.infer<typeof IntegrityEnterprise>;
export type IntegrityProject = z.infer<typeof IntegrityProject>;
export type IntegrityParticipant = z.infer<typeof IntegrityParticipant>;
export type IntegrityKeyPerson = z.infer<typeof IntegrityKeyPerson>;

const seq = z.number().int();
/** An upsert carries the whole record; a delete carries only the record's key fields. */
export const IntegrityChange = z.union([
  z.object({ seq, kind: z.literal('enterprise'), op: z.literal('upsert'), data: IntegrityEnterprise }),
  z.object({
    seq,
    kind: z.literal('enterprise'),
    op: z.literal('delete'),
    data: IntegrityEnterprise.pick({ creditCode: true }),
  }),
  z.object({ seq, kind: z.literal('project'), op: z.literal('upsert'), data: IntegrityProject }),
  z.object({
    seq,
    kind: z.literal('project'),
    op: z.literal('delete'),
    data: IntegrityProject.pick({ projectCode: true }),
  }),
  z.object({ seq, kind: z.literal('participant'), op: z.literal('upsert'), data: IntegrityParticipant }),
  z.object({
    seq,
    kind: z.literal('participant'),
    op: z.literal('delete'),
    data: IntegrityParticipant.pick({ projectCode: true, creditCode: true }),
  }),
  z.object({ seq, kind: z.literal('key-person'), op: z.literal('upsert'), data: IntegrityKeyPerson }),
  z.object({
    seq,
    kind: z.literal('key-person'),
    op: z.literal('delete'),
    data: IntegrityKeyPerson.pick({ projectCode: true, creditCode: true, post: true }),
  }),
]);
export type IntegrityChange = z.infer<typeof IntegrityChange>;

export interface ChangePage {
  changes: IntegrityChange[];
  nextCursor: string;
  hasMore: boolean;
}

/** The seam: an HTTP client in production, anything that behaves the same in tests. */
export interface IntegrityPlatform {
  changes(cursor: string, limit: number): Promise<ChangePage>;
}

export class IntegrityPlatformError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'IntegrityPlatformError';
  }
}

const Page = z.object({ changes: z.array(z.unknown()), nextCursor: z.string(), hasMore: z.boolean() });

/** The integrity platform's HTTP change feed (see libs/integrity-simulator/README.md). */
export class HttpIntegrityPlatform implements IntegrityPlatform {
  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string,
    private readonly timeoutMs = 15_000,
  ) {}

  async changes(cursor: string, limit: number): Promise<ChangePage> {
    const url = `${this.baseUrl.replace(/\/$/, '')}/api/v1/changes?cursor=${encodeURIComponent(cursor)}&limit=${limit}`;
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { 'x-api-key': this.apiKey },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new IntegrityPlatformError(
        `integrity platform unreachable or too slow: ${(err as Error).message}`,
        true,
      );
    }
    const text = await res.text().catch(() => '');
    if (res.status === 401 || res.status === 403) {
      throw new IntegrityPlatformError(
        `integrity platform refused the API key (${res.status}): check INTEGRITY_API_KEY`,
        false,
      );
    }
    if (!res.ok)
      throw new IntegrityPlatformError(
        `integrity platform answered ${res.status}: ${text.slice(0, 200)}`,
        res.status >= 500 || res.status === 429,
      );
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new IntegrityPlatformError('integrity platform sent a truncated or non-JSON page', true);
    }
    const page = Page.safeParse(json);
    if (!page.success)
      throw new IntegrityPlatformError('integrity platform page has an unexpected shape', true);
    const changes: IntegrityChange[] = [];
    for (const raw of page.data.changes) {
      const c = IntegrityChange.safeParse(raw);
      if (!c.success) {
        // Skipping would silently lose data the registry must mirror: stop here, say what is wrong.
        const seq = (raw as { seq?: unknown })?.seq;
        const issues = c.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
        throw new IntegrityPlatformError(
          `integrity platform change ${String(seq)} is not valid (${issues}); the sync stops before it`,
          false,
        );
      }
      changes.push(c.data);
    }
    return { changes, nextCursor: page.data.nextCursor, hasMore: page.data.hasMore };
  }
}
