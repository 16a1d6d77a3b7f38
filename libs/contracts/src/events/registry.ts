import { z } from 'zod';
import { REGION_CODE } from '../envelope';
import { MaskedResidentId } from '../masked-resident-id';
import { Topics } from '../topics';
import { defineEvent, EventData } from './define';

/**
 * Registry events carry what other services need to keep their own copies (who is enrolled where, in
 * which team and role, entered or exited, which device credentials identify them). Personal numbers
 * never travel raw: only the worker id, a keyed hash (`idHash`) and the masked form (first 4 and last 4
 * characters; an event written with the earlier, longer mask reads in the current one).
 */

const DAY = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD');
const MaskedPerson = z.object({
  name: z.string().min(1),
  idHash: z.string().min(16),
  maskedIdNumber: MaskedResidentId,
});

/** The key posts: the first two are required by the national rules; the others where a region supervises them. */
export const KeyPost = z.enum([
  'project-manager',
  'chief-supervising-engineer',
  'safety-officer',
  'technical-lead',
]);
export type KeyPost = z.infer<typeof KeyPost>;

/** A project as the integrity platform shares it (read-only here). Stream: `project-<projectId>`. */
export const ProjectSynced = defineEvent({
  type: 'realname.registry.ProjectSynced',
  version: 1,
  topic: Topics.registryProjects.name,
  schema: z.object({
    projectId: z.string().min(1),
    name: z.string().min(1),
    region: z.string().regex(REGION_CODE),
    category: z.string(),
    status: z.string(),
    address: z.string(),
    generalContractor: z.object({ creditCode: z.string(), name: z.string() }),
    constructionOwner: z.object({ creditCode: z.string(), name: z.string() }),
    changeCursor: z.string(),
  }),
});

/** An enterprise took part in a project with a unit type (corpType). Stream: the project. */
export const ParticipantJoined = defineEvent({
  type: 'realname.registry.ParticipantJoined',
  version: 1,
  topic: Topics.registryProjects.name,
  schema: z.object({
    projectId: z.string().min(1),
    participantId: z.string().min(1),
    creditCode: z.string().min(1),
    corpName: z.string().min(1),
    unitType: z.string().regex(/^\d{3}$/),
    entryDate: DAY.optional(),
    exitDate: DAY.optional(),
  }),
});

/** A team of a participating unit on a project. Stream: the project. */
export const TeamFormed = defineEvent({
  type: 'realname.registry.TeamFormed',
  version: 1,
  topic: Topics.registryProjects.name,
  schema: z.object({
    projectId: z.string().min(1),
    teamId: z.string().min(1),
    name: z.string().min(1),
    participantId: z.string().min(1),
  }),
});

/**
 * A key post (project manager, chief supervising engineer) is empty, held by someone without the
 * required registration category, or by someone other than the person registered on the integrity
 * platform. Stream: the project. Early warning raises a warning from it.
 */
export const KeyPersonMismatchDetected = defineEvent({
  type: 'realname.registry.KeyPersonMismatchDetected',
  version: 1,
  topic: Topics.registryProjects.name,
  schema: z.object({
    projectId: z.string().min(1),
    participantId: z.string().min(1),
    post: KeyPost,
    reason: z.enum(['post-empty', 'wrong-registration-category', 'differs-from-integrity-platform']),
    detail: z.string(),
    local: MaskedPerson.optional(),
    registered: MaskedPerson.optional(),
  }),
});

/** The mismatch above no longer holds. Stream: the project. */
export const KeyPersonMismatchResolved = defineEvent({
  type: 'realname.registry.KeyPersonMismatchResolved',
  version: 1,
  topic: Topics.registryProjects.name,
  schema: z.object({ projectId: z.string().min(1), participantId: z.string().min(1), post: KeyPost }),
});

/**
 * Who effectively holds a key post of a participating unit now: the person assigned on site if there is
 * one, else the one registered on the integrity platform; `person` null when the post is vacated (or the
 * unit left the project). Published whenever the holder changes, and once for every held post of a
 * project whose stream predates this event (on the project's next command). Stream: the project.
 * `appointedOn`: the day the holder took the post (not the day the registry heard of it); absent when
 * the post is vacated and in events published before it existed, which read as the event time's day in
 * Asia/Shanghai.
 */
export const KeyPersonAppointed = defineEvent({
  type: 'realname.registry.KeyPersonAppointed',
  version: 1,
  topic: Topics.registryProjects.name,
  schema: z.object({
    projectId: z.string().min(1),
    participantId: z.string().min(1),
    creditCode: z.string().min(1),
    post: KeyPost,
    person: MaskedPerson.nullable(),
    source: z.enum(['integrity-platform', 'local']),
    appointedOn: DAY.optional(),
  }),
});

export type KeyPersonAppointedData = EventData<typeof KeyPersonAppointed>;

/** Device credentials that identify an enrolled worker at the project's gates. */
export const DeviceCredentials = z.object({
  /** The person id / PIN the platform gives the worker on this project's devices. */
  personId: z.string().min(1),
  cardNumber: z.string().min(1).optional(),
});
export type DeviceCredentials = z.infer<typeof DeviceCredentials>;

/** A worker was enrolled on a project. Stream: `enrolment-<enrolmentId>`. */
export const WorkerEnrolled = defineEvent({
  type: 'realname.registry.WorkerEnrolled',
  version: 1,
  topic: Topics.registryEnrolments.name,
  schema: MaskedPerson.extend({
    enrolmentId: z.string().min(1),
    projectId: z.string().min(1),
    workerId: z.string().min(1),
    teamId: z.string().min(1),
    teamName: z.string().min(1),
    participantId: z.string().min(1),
    creditCode: z.string().min(1),
    corpName: z.string().min(1),
    workType: z.string().min(1),
    workRole: z.enum(['10', '20']),
    isTeamLeader: z.boolean(),
    credentials: DeviceCredentials,
  }),
});

/** Which enrolment (of which worker, on which project) an event of the enrolment stream is about. */
const EnrolmentRef = z.object({
  enrolmentId: z.string().min(1),
  projectId: z.string().min(1),
  workerId: z.string().min(1),
});

/** Entered the site (进场) on a date. Stream: the enrolment. */
export const WorkerEntered = defineEvent({
  type: 'realname.registry.WorkerEntered',
  version: 1,
  topic: Topics.registryEnrolments.name,
  schema: EnrolmentRef.extend({ date: DAY }),
});

/** Left the site (退场) on a date. Stream: the enrolment. */
export const WorkerExited = defineEvent({
  type: 'realname.registry.WorkerExited',
  version: 1,
  topic: Topics.registryEnrolments.name,
  schema: EnrolmentRef.extend({ date: DAY }),
});

/** The credentials that identify the worker at the gates changed. Stream: the enrolment. */
export const EnrolmentCredentialsChanged = defineEvent({
  type: 'realname.registry.EnrolmentCredentialsChanged',
  version: 1,
  topic: Topics.registryEnrolments.name,
  schema: EnrolmentRef.extend({ credentials: DeviceCredentials }),
});

export type WorkerEnrolledData = EventData<typeof WorkerEnrolled>;
export type WorkerEnteredData = EventData<typeof WorkerEntered>;
export type WorkerExitedData = EventData<typeof WorkerExited>;

/**
 * Who did something to a worker's record. Today the REST layer fills it with the placeholder
 * `unauthenticated` (there is no authenticated caller yet, and a header is not taken as truth); once
 * callers authenticate it is the caller's subject. Events written before actors were recorded read as
 * `not-recorded`.
 */
export const Actor = z.string().min(1).max(200);
export const ACTOR_NOT_RECORDED = 'not-recorded';
/** The actor of every write until callers authenticate: it names nobody in particular. */
export const UNAUTHENTICATED_ACTOR = 'unauthenticated';

/**
 * A worker was put on the blacklist: entry on every project is refused from then on. Stays inside the
 * registry (the entry check reads it). Stream: the worker's (`keyedStreamId('worker', idHash)`).
 */
export const WorkerBlacklisted = defineEvent({
  type: 'realname.registry.WorkerBlacklisted',
  version: 2,
  schema: z.object({ workerId: z.string().min(1), reason: z.string().min(1), actor: Actor }),
  upcasters: [
    // v1 had no actor.
    { from: 1, up: (d) => ({ actor: ACTOR_NOT_RECORDED, ...(d as object) }) },
  ],
});

/**
 * A blacklisting was lifted, with a reason, by someone other than the one who blacklisted the worker.
 * Entry is possible again. Stays inside the registry. Stream: the worker's.
 */
export const WorkerBlacklistLifted = defineEvent({
  type: 'realname.registry.WorkerBlacklistLifted',
  version: 1,
  schema: z.object({
    workerId: z.string().min(1),
    reason: z.string().min(1),
    actor: Actor,
    /** Who had blacklisted the worker (the lift is refused to them). */
    blacklistedBy: Actor,
  }),
});

export type WorkerBlacklistedData = EventData<typeof WorkerBlacklisted>;
export type WorkerBlacklistLiftedData = EventData<typeof WorkerBlacklistLifted>;
