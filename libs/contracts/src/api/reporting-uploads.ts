import { z } from 'zod';

/*
 * The upload routes of the reporting API (issue 12): where each record of a project-day stands with
 * each uplink target, one record with all its revisions, the rejections with their plain Chinese and
 * English sentences, resubmission after correction, and the projects' credentials per target. No
 * answer holds a personal number: ledger payloads are stored without ID numbers, and secrets are
 * write-only.
 */

const Text = (what: string, max = 64) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters')
    .describe(what);

/** A local calendar day, YYYY-MM-DD. */
const Day = z
  .string()
  .date()
  .refine((d) => !d.startsWith('0000'), 'there is no year 0')
  .describe('A local day, YYYY-MM-DD');

export const UploadProjectIdParam = Text('The project id (18 digits as the registry issues them)');

/** A ledger row's id (a positive 64-bit integer, decimal). */
export const RecordIdParam = z
  .string()
  .regex(/^[1-9]\d{0,17}$/, 'must be a record id: a positive whole number of at most 18 digits')
  .describe('The id of a ledger row (any revision of the record)');

/** An uplink target's name (`national`, ...); one this build does not know answers 404. */
export const UplinkTargetParam = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be a target name such as national')
  .describe('The uplink target, e.g. national');

export const ProjectDayParams = z.object({ projectId: UploadProjectIdParam, day: Day });
export const ProjectParams = z.object({ projectId: UploadProjectIdParam });
export const RecordParams = z.object({ recordId: RecordIdParam });
export const ProjectTargetParams = z.object({ projectId: UploadProjectIdParam, target: UplinkTargetParam });

export const ProjectDayQuery = z.object({
  target: UplinkTargetParam.optional().describe('Only this target; absent: every target'),
});

export const RejectionsQuery = z.object({
  target: UplinkTargetParam.optional().describe('Only this target; absent: every target'),
  kind: z
    .string()
    .regex(/^[a-z][a-z-]{0,31}$/, 'must be a record kind such as attendance or project-worker')
    .optional()
    .describe('Only records of this kind (attendance, project-worker, team, entry, exit, ...)'),
  pageSize: z.coerce
    .number()
    .int()
    .min(1)
    .max(500)
    .optional()
    .describe('Rejections per page, 1-500; 100 when not given'),
  pageToken: z
    .string()
    .max(200)
    .optional()
    .describe(
      'The nextPageToken of the previous page of the same question; any other value is refused (400): start again without it',
    ),
});
export type RejectionsQuery = z.infer<typeof RejectionsQuery>;

export const UploadStatus = z
  .enum(['pending', 'sent', 'accepted', 'rejected', 'rejected-locally', 'superseded'])
  .describe(
    'pending: to be sent (see waitingFor); sent: the platform is checking it (serialCode); accepted; ' +
      'rejected: by the platform; rejected-locally: by the pre-check, never sent; superseded: a later revision replaced it',
  );
export type UploadStatus = z.infer<typeof UploadStatus>;

export const UploadProblem = z
  .object({
    code: z.string().describe('A stable code of the problem'),
    path: z.string().describe('The field at fault, in the target’s field names (empty: the whole record)'),
    zh: z.string().describe('The problem in plain Chinese, for the site'),
    en: z.string().describe('The same in English'),
  })
  .describe('One problem of a record, in words the site can act on');
export type UploadProblem = z.infer<typeof UploadProblem>;

const PlatformKeys = z
  .record(z.union([z.string(), z.number()]))
  .describe('Keys the platform issued or confirmed (teamSysNo, ...); nothing personal');

/** A record as it stands with a target: its latest revision. */
export const UploadRecordSummary = z.object({
  recordId: z.string().describe('The ledger row of the latest revision'),
  target: z.string(),
  kind: z.string().describe('participating-unit, team, project-worker, entry, exit, attendance, ...'),
  recordKey: z.string().describe('Our own key of the record, stable across revisions'),
  revision: z.number().int().min(1),
  status: UploadStatus,
  workerId: z.string().nullable().describe('The worker the record is about (the registry’s id), if any'),
  items: z.number().int().min(0).describe('Items the record carries (punches of an attendance day, ...)'),
  itemsPresent: z.number().int().min(0).describe('Items of it the platform already holds'),
  waitingFor: z
    .array(z.string())
    .describe('What a pending record waits for: team:…, project-worker:…, identity:<worker>, credentials:…'),
  problems: z.array(UploadProblem),
  lastError: z.string().nullable().describe('The last failure that passes (network, rate limit): retried'),
  serialCode: z.string().nullable().describe('The platform’s serial code of the call in flight'),
  platformKeys: PlatformKeys,
  acceptedAt: z.string().datetime().nullable().describe('When the platform took it (UTC)'),
  updatedAt: z.string().datetime(),
});
export type UploadRecordSummary = z.infer<typeof UploadRecordSummary>;

const StatusCounts = z
  .object({
    pending: z.number().int().min(0),
    sent: z.number().int().min(0),
    accepted: z.number().int().min(0),
    rejected: z.number().int().min(0),
    rejectedLocally: z.number().int().min(0),
  })
  .describe('Records of the day by status');

export const ProjectDayUploads = z
  .object({
    projectId: z.string(),
    day: z.string().describe('YYYY-MM-DD'),
    targets: z.array(
      z.object({
        target: z.string(),
        counts: StatusCounts,
        records: z.array(UploadRecordSummary),
      }),
    ),
  })
  .describe(
    'The records of a project-day with each target (attendance days, punches, entries and exits of the day), latest revision each',
  );
export type ProjectDayUploads = z.infer<typeof ProjectDayUploads>;

export const UploadActor = z.object({
  subject: z.string().describe('The token’s subject'),
  role: z.string().describe('The role the request acted in'),
  scope: z.string().describe('kind:code of the token’s scope'),
});
export type UploadActor = z.infer<typeof UploadActor>;

export const UploadRevision = z.object({
  recordId: z.string(),
  revision: z.number().int().min(1),
  status: UploadStatus,
  dependsOn: z.array(z.string()).describe('<kind>:<record key> of what must be accepted first'),
  payload: z
    .object({ header: z.record(z.unknown()), items: z.array(z.record(z.unknown())) })
    .describe('What goes up, in the target’s field names, without ID numbers or platform keys'),
  payloadHash: z.string(),
  itemsPresent: z.array(z.number().int()),
  waitingFor: z.array(z.string()),
  problems: z.array(UploadProblem),
  lastError: z.string().nullable(),
  serialCode: z.string().nullable(),
  platformKeys: PlatformKeys,
  attempts: z.number().int().min(0),
  nextAttemptAt: z.string().datetime(),
  createdAt: z.string().datetime(),
  updatedAt: z.string().datetime(),
  sentAt: z.string().datetime().nullable(),
  acceptedAt: z.string().datetime().nullable(),
  settledAt: z.string().datetime().nullable(),
});
export type UploadRevision = z.infer<typeof UploadRevision>;

export const UploadResubmission = z.object({
  recordId: z.string(),
  revision: z.number().int().min(1),
  at: z.string().datetime(),
  previousStatus: UploadStatus,
  previousProblems: z.array(UploadProblem),
  rebuilt: z
    .boolean()
    .describe(
      'Whether the payload was rebuilt from the current registry data (otherwise sent again as it was)',
    ),
  payloadChanged: z.boolean(),
  actor: UploadActor,
});
export type UploadResubmission = z.infer<typeof UploadResubmission>;

export const UploadRecord = z
  .object({
    target: z.string(),
    kind: z.string(),
    recordKey: z.string(),
    projectId: z.string(),
    region: z.string(),
    workerId: z.string().nullable(),
    revisions: z.array(UploadRevision).describe('Every revision, oldest first'),
    resubmissions: z.array(UploadResubmission).describe('Who sent it again after a rejection, oldest first'),
  })
  .describe('One record with a target: all its revisions and resubmissions');
export type UploadRecord = z.infer<typeof UploadRecord>;

export const UploadRejection = z.object({
  recordId: z.string(),
  target: z.string(),
  kind: z.string(),
  recordKey: z.string(),
  revision: z.number().int().min(1),
  status: z.enum(['rejected', 'rejected-locally']),
  workerId: z.string().nullable(),
  problems: z.array(UploadProblem),
  rejectedAt: z.string().datetime(),
});
export type UploadRejection = z.infer<typeof UploadRejection>;

export const RejectionPage = z.object({
  projectId: z.string(),
  rejections: z.array(UploadRejection).describe('Newest first'),
  nextPageToken: z.string().describe('The pageToken of the next page; empty on the last page'),
  totalCount: z.number().int().min(0).describe('Rejections matching the question over every page'),
});
export type RejectionPage = z.infer<typeof RejectionPage>;

/** Printable ASCII without spaces: what the national platform issues as keys. */
const Key = (what: string, pattern: RegExp, message: string) =>
  z.string().regex(pattern, message).describe(what);

export const NationalCredentialsBody = z
  .object({
    appid: Key(
      'The appid the platform issued to the project',
      /^[\x21-\x7e]{1,64}$/,
      'must be 1-64 printable ASCII characters without spaces',
    ),
    secret: Key(
      'The project’s secret (32 characters: it is the AES-256 key); write-only, never answered',
      /^[\x21-\x7e]{32}$/,
      'must be exactly 32 printable ASCII characters without spaces',
    ),
    corpKey: Key(
      'The enterprise key, when the platform issued one; write-only',
      /^[\x21-\x7e]{1,256}$/,
      'must be 1-256 printable ASCII characters without spaces',
    ).optional(),
  })
  .strict()
  .describe("A project's credentials with the national platform; putting them again rotates them");
export type NationalCredentialsBody = z.infer<typeof NationalCredentialsBody>;

export const AppKeyCredentialsBody = z
  .object({
    appKey: Key(
      'The app key the provincial platform issued to the project',
      /^[\x21-\x7e]{1,64}$/,
      'must be 1-64 printable ASCII characters without spaces',
    ),
    secret: Key(
      'The app key’s secret; write-only, never answered',
      /^[\x21-\x7e]{1,256}$/,
      'must be 1-256 printable ASCII characters without spaces',
    ),
  })
  .strict()
  .describe("A project's credentials with a platform that issues app keys (Province B)");
export type AppKeyCredentialsBody = z.infer<typeof AppKeyCredentialsBody>;

/** Either shape; which one a target takes is its own (national and Zhejiang: appid; Province B: appKey). */
export const CredentialsBody = z
  .union([NationalCredentialsBody, AppKeyCredentialsBody])
  .describe(
    "A project's credentials with the target: appid, secret and the optional enterprise key for the national " +
      'platform and Zhejiang; appKey and secret for Province B. Putting them again rotates them',
  );

export const CredentialsState = z
  .object({
    target: z.string(),
    projectId: z.string(),
    appid: z.string().describe('The public identifier: the appid, or Province B’s app key'),
    hasCorpKey: z.boolean(),
    version: z.number().int().min(1).describe('1 when first put; one more with every rotation'),
    updatedAt: z.string().datetime(),
  })
  .describe('The credentials as stored, without their secrets');
export type CredentialsState = z.infer<typeof CredentialsState>;

/* Examples for the OpenAPI document: the projects the API fuzzing stage puts ledger rows in. */

export const UPLOAD_PROJECT_EXAMPLE = { projectId: ['330106202401150001', '330203202402010001'] };
export const UPLOAD_DAY_EXAMPLE = { ...UPLOAD_PROJECT_EXAMPLE, day: '2026-11-20' };
export const RECORD_EXAMPLE = { recordId: ['1', '2', '3'] };

const PROBLEM_EXAMPLE: UploadProblem = {
  code: 'attendance.future',
  path: 'items[0].date',
  zh: '考勤时间晚于当前时间，请核对后重新上报',
  en: 'The attendance time is in the future: check it and report again',
};

export const PROJECT_DAY_UPLOADS_EXAMPLE: ProjectDayUploads = {
  projectId: '330106202401150001',
  day: '2026-11-20',
  targets: [
    {
      target: 'national',
      counts: { pending: 1, sent: 0, accepted: 0, rejected: 1, rejectedLocally: 0 },
      records: [
        {
          recordId: '42',
          target: 'national',
          kind: 'attendance',
          recordKey: '330106202401150001/en-1/2026-11-20',
          revision: 1,
          status: 'pending',
          workerId: 'w-1',
          items: 2,
          itemsPresent: 0,
          waitingFor: ['team:330106202401150001/team-1'],
          problems: [],
          lastError: null,
          serialCode: null,
          platformKeys: {},
          acceptedAt: null,
          updatedAt: '2026-11-20T10:00:00.000Z',
        },
        {
          recordId: '43',
          target: 'national',
          kind: 'attendance',
          recordKey: '330106202401150001/en-2/2026-11-20',
          revision: 1,
          status: 'rejected',
          workerId: 'w-2',
          items: 2,
          itemsPresent: 0,
          waitingFor: [],
          problems: [PROBLEM_EXAMPLE],
          lastError: null,
          serialCode: null,
          platformKeys: {},
          acceptedAt: null,
          updatedAt: '2026-11-20T10:00:00.000Z',
        },
      ],
    },
  ],
};

export const REJECTION_PAGE_EXAMPLE: RejectionPage = {
  projectId: '330106202401150001',
  rejections: [
    {
      recordId: '43',
      target: 'national',
      kind: 'attendance',
      recordKey: '330106202401150001/en-2/2026-11-20',
      revision: 1,
      status: 'rejected',
      workerId: 'w-2',
      problems: [PROBLEM_EXAMPLE],
      rejectedAt: '2026-11-20T10:00:00.000Z',
    },
  ],
  nextPageToken: '',
  totalCount: 1,
};

export const CREDENTIALS_EXAMPLE: NationalCredentialsBody = {
  appid: 'A330106202401150001',
  secret: '0123456789abcdef0123456789abcdef',
};
