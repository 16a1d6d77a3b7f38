import { z } from 'zod';
import { KeyPost } from '../events/registry';

/*
 * The REST answers, path and query parameters of the worker registry: its OpenAPI document is generated
 * from these schemas (request bodies that need the national code tables are declared beside their
 * handlers, in the service). Personal numbers are only ever masked here.
 */

/** A path segment naming a record: any text without control characters (unknown ones are 404). */
const Id = (description: string) =>
  z
    .string()
    .regex(/^[^\u0000-\u001f\u007f]+$/)
    .describe(description);

export const ProjectPathParams = z.object({
  projectId: Id('The project id (18 digits as the integrity platform issues them)'),
});
export const EnterprisePathParams = z.object({
  creditCode: Id('The unified social credit code (GB 32100, 18 characters)'),
});
export const WorkerPathParams = z.object({ workerId: Id('The worker id the registry issued') });
export const EnrolmentPathParams = z.object({ enrolmentId: Id('The enrolment id the registry issued') });
export const KeyPersonPathParams = z.object({
  projectId: Id('The project id'),
  creditCode: Id('The credit code of the participating unit'),
  post: KeyPost.describe('The key post'),
});

/** The earliest day a key post can be said to have been taken (older dates are typing errors). */
export const EARLIEST_APPOINTMENT_DAY = '2000-01-01';

/**
 * The day a key person took the post (`appointedOn` of a local assignment), YYYY-MM-DD; the REST layer
 * also refuses a day after today in Asia/Shanghai (the check reads the clock, so it is not in here).
 */
export const AppointedOn = z
  .string()
  .date('must be a calendar date YYYY-MM-DD')
  // 2000 on, in the pattern too, so that the OpenAPI document states it.
  .regex(/^20\d{2}-/, `must not be before ${EARLIEST_APPOINTMENT_DAY}`)
  .describe(
    `The day the person took the post, YYYY-MM-DD, from ${EARLIEST_APPOINTMENT_DAY} to today (Asia/Shanghai); default today`,
  );

/** Examples of the document: the records the API fuzzing stage puts in (a Xihu and a Ningbo project). */
export const PROJECT_EXAMPLE = { projectId: ['330106202401150001', '330200202402010001'] };
export const ENTERPRISE_EXAMPLE = { creditCode: ['91330106MA2H4K7N15', '91330200627155866M'] };

export const PageToken = z
  .string()
  .describe('The nextPageToken of the previous page of the same list; any other value is refused (400)');

export const ProjectListQuery = z.object({
  region: z
    .string()
    .regex(/^\d{0,6}$/)
    .optional()
    .describe('A division-code prefix, 0-6 digits (33, 3301, 330106); intersected with your scope'),
  pageSize: z.coerce
    .number()
    .int()
    .min(1)
    .max(500)
    .optional()
    .describe('Projects per page, 1-500; 50 when not given'),
  pageToken: PageToken.optional(),
});

export const EnrolmentStatus = z.enum(['enrolled', 'entered', 'exited']);

export const EnrolmentListQuery = z.object({
  teamId: z
    .string()
    .regex(/^[^\u0000]*$/)
    .optional()
    .describe('Only enrolments in this team'),
  status: EnrolmentStatus.optional().describe('Only enrolments in this status'),
  participantId: z
    .string()
    .regex(/^[^\u0000]*$/)
    .optional()
    .describe('Only enrolments of this participating unit'),
  pageSize: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .optional()
    .describe('Enrolments per page, 1-1000; 100 when not given'),
  pageToken: PageToken.optional(),
});

const Day = z.string().describe('YYYY-MM-DD');

export const ProjectSummary = z.object({
  projectId: z.string(),
  name: z.string(),
  region: z.string().describe('Division code'),
  category: z.string(),
  status: z.string(),
});

export const ProjectPage = z.object({
  projects: z.array(ProjectSummary),
  nextPageToken: z.string().describe('The pageToken of the next page; empty on the last page'),
});
export type ProjectPage = z.infer<typeof ProjectPage>;

export const ProjectView = ProjectSummary.extend({
  address: z.string(),
  generalContractorCode: z.string(),
  constructionOwnerCode: z.string(),
  siteContactPhone: z.string().nullable().describe('Kept here, not by the integrity platform'),
  remark: z.string().nullable().describe('Kept here, not by the integrity platform'),
  source: z
    .object({ integrityPlatform: z.array(z.string()), local: z.array(z.string()) })
    .describe('Which fields the integrity platform owns (read-only here) and which are kept here'),
  participants: z.array(
    z.object({
      creditCode: z.string(),
      corpName: z.string(),
      unitType: z.string(),
      entryDate: Day.nullable(),
      exitDate: Day.nullable(),
    }),
  ),
  keyPersons: z.array(
    z.object({
      creditCode: z.string(),
      post: z.string(),
      source: z.enum(['integrity', 'local']),
      name: z.string(),
      maskedIdNumber: z.string(),
      registrationCategory: z.string().nullable(),
    }),
  ),
  keyPersonMismatches: z.array(
    z.object({
      creditCode: z.string(),
      post: z.string(),
      reason: z.string(),
      detail: z.string(),
      since: z.string().datetime(),
    }),
  ),
});
export type ProjectView = z.infer<typeof ProjectView>;

export const TeamFormed = z.object({
  teamId: z.string(),
  projectId: z.string(),
  name: z.string(),
  participantId: z.string(),
});

export const EnterpriseView = z.object({
  creditCode: z.string(),
  name: z.string(),
  registrationType: z.string().nullable(),
  legalRepresentative: z.string().nullable(),
  region: z.string().nullable(),
});

export const EnterpriseRegistered = z.object({
  creditCode: z.string(),
  overridden: z.boolean().describe('Registered as a known pilot code with an audited reason'),
});

export const WorkerView = z.object({
  workerId: z.string(),
  maskedIdNumber: z.string().describe('First 4 and last 4 characters of the ID number'),
  name: z.string(),
  gender: z.enum(['male', 'female']),
  age: z.number().int().describe('Whole years, today in Asia/Shanghai'),
  nation: z.string(),
  maskedPhone: z.string().nullable(),
  education: z.string().nullable(),
  politics: z.string().nullable(),
  hasHeadPhoto: z.boolean(),
  blacklisted: z.boolean(),
  blacklisting: z
    .object({ reason: z.string(), actor: z.string(), since: z.string().datetime().nullable() })
    .nullable()
    .describe('While blacklisted: why, by whom (token subject), since when'),
});
export type WorkerView = z.infer<typeof WorkerView>;

export const RevealedIdentity = z.object({
  idCardNumber: z.string(),
  phone: z.string().nullable(),
  birthDate: z.string().nullable(),
  address: z.string().nullable(),
  issuingAuthority: z.string().nullable(),
  /** The card's validity as registered (YYYY-MM-DD; the end may be 长期 for a card without end), null when not registered. */
  idValidFrom: z.string().nullable().optional(),
  idValidTo: z.string().nullable().optional(),
});

export const RevealTrail = z.object({
  reveals: z.array(
    z.object({
      revealId: z.string(),
      caller: z.string(),
      callerRole: z.string().nullable(),
      callerScope: z.string().nullable(),
      purpose: z.string(),
      revealedAt: z.string().datetime(),
    }),
  ),
});

export const Enrolled = z.object({
  enrolmentId: z.string(),
  personId: z.string().describe('The PIN devices know the worker by on this project'),
});

export const EnrolmentRow = z.object({
  enrolmentId: z.string(),
  workerId: z.string(),
  name: z.string(),
  maskedIdNumber: z.string(),
  teamId: z.string(),
  teamName: z.string(),
  participantId: z.string(),
  workType: z.string(),
  workRole: z.string(),
  isTeamLeader: z.boolean(),
  personId: z.string(),
  status: EnrolmentStatus,
  enteredOn: Day.nullable(),
  exitedOn: Day.nullable(),
  contractSigned: z.boolean(),
  safetyTrained: z.boolean(),
  wageCardMasked: z.string().nullable(),
  wageBankCode: z.string().nullable(),
});

export const EnrolmentPage = z.object({
  enrolments: z.array(EnrolmentRow),
  nextPageToken: z.string().describe('The pageToken of the next page; empty on the last page'),
});
export type EnrolmentPage = z.infer<typeof EnrolmentPage>;

export const Recorded = z.object({
  recorded: z.array(z.string()).describe('The events the act recorded, by their short names'),
});

export const TrainingSessionRecorded = z.object({
  trainingId: z.string(),
  attendees: z.number().int().min(1),
});

export const TrainingSessions = z.object({
  trainings: z.array(
    z.object({
      trainingId: z.string(),
      name: z.string(),
      typeCode: z.string(),
      date: Day,
      trainer: z.string().nullable(),
      attendees: z.array(
        z.object({ enrolmentId: z.string(), passed: z.boolean(), score: z.number().nullable() }),
      ),
    }),
  ),
});

export const SyncStatus = z.object({
  cursor: z.string(),
  lastSeq: z.number().int(),
  changesApplied: z.number().int(),
  lastSuccessAt: z.string().datetime().nullable(),
  lastError: z.string().nullable(),
  lastErrorAt: z.string().datetime().nullable(),
  running: z.boolean(),
});

export const SyncRun = z.object({
  run: z.object({
    pages: z.number().int(),
    applied: z.number().int(),
    skipped: z.number().int(),
    cursor: z.string(),
    error: z.string().optional(),
  }),
  status: SyncStatus,
});

export type TeamFormed = z.infer<typeof TeamFormed>;
export type EnterpriseView = z.infer<typeof EnterpriseView>;
export type EnterpriseRegistered = z.infer<typeof EnterpriseRegistered>;
export type RevealedIdentity = z.infer<typeof RevealedIdentity>;
export type RevealTrail = z.infer<typeof RevealTrail>;
export type Enrolled = z.infer<typeof Enrolled>;
export type Recorded = z.infer<typeof Recorded>;
export type TrainingSessionRecorded = z.infer<typeof TrainingSessionRecorded>;
export type TrainingSessions = z.infer<typeof TrainingSessions>;
export type SyncStatus = z.infer<typeof SyncStatus>;
export type SyncRun = z.infer<typeof SyncRun>;
