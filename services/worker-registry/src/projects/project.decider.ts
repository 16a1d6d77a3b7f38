import { KeyPost } from '@realname/contracts';
import { todayIn } from '@realname/domain-rules';
import { Decider, reject, Rejection } from '@realname/eventstore';

/**
 * A project as the registry knows it: what the integrity platform shares (read-only here), the
 * participating units, the key personnel registered there, the ones assigned locally, and the
 * mismatches between the two that early warning must hear about.
 */
export interface ProjectInfo {
  projectId: string;
  name: string;
  region: string;
  category: string;
  status: string;
  address: string;
  generalContractor: { creditCode: string; name: string };
  constructionOwner: { creditCode: string; name: string };
}

export interface Participant {
  creditCode: string;
  corpName: string;
  unitType: string;
  entryDate?: string;
  exitDate?: string;
}

export interface KeyPerson {
  name: string;
  idHash: string;
  maskedIdNumber: string;
  registrationCategory?: string;
}

/** The person who effectively holds a post, as published (no registration category). */
export interface Appointee {
  name: string;
  idHash: string;
  maskedIdNumber: string;
}

export type AppointmentSource = 'integrity-platform' | 'local';

export type MismatchReason = 'post-empty' | 'wrong-registration-category' | 'differs-from-integrity-platform';

export interface ProjectState {
  info?: ProjectInfo;
  participants: Map<string, Participant>;
  registered: Map<string, KeyPerson>;
  /** The day of the sync that registered each post's person (absent for events that predate it). */
  registeredOn: Map<string, string>;
  assigned: Map<string, KeyPerson>;
  /** The day each locally assigned person took the post (absent for events that predate it). */
  assignedOn: Map<string, string>;
  mismatches: Map<string, MismatchReason>;
  /** The holder last published per post (KeyPersonAppointed); absent in streams that predate it. */
  appointed: Map<string, Appointee | null>;
  /** The appointedOn last published per post, where one was. */
  appointedOn: Map<string, string>;
  teams: Map<string, { name: string; participantId: string }>;
}

export type ProjectCommand =
  | { kind: 'SyncProject'; info: ProjectInfo; changeCursor: string }
  | { kind: 'SyncParticipant'; participant: Participant }
  | {
      kind: 'SyncKeyPerson';
      creditCode: string;
      post: KeyPost;
      person: KeyPerson | null;
      /** The day of the sync, YYYY-MM-DD in Asia/Shanghai; default today. */
      syncedOn?: string;
    }
  | {
      kind: 'AssignKeyPerson';
      creditCode: string;
      post: KeyPost;
      person: KeyPerson;
      /** The day the person took the post, YYYY-MM-DD; default today (the same person keeps their date). */
      appointedOn?: string;
    }
  | { kind: 'FormTeam'; teamId: string; name: string; participantId: string };

export type ProjectEvent =
  | { type: 'realname.registry.ProjectSynced'; data: ProjectInfo & { changeCursor: string } }
  | {
      type: 'realname.registry.ParticipantJoined';
      data: { projectId: string; participantId: string } & Participant;
    }
  | {
      type: 'realname.registry.ParticipantUpdated';
      data: { projectId: string; participantId: string } & Participant;
    }
  | {
      type: 'realname.registry.KeyPersonRegistered';
      data: {
        projectId: string;
        participantId: string;
        post: KeyPost;
        person: KeyPerson | null;
        syncedOn?: string;
      };
    }
  | {
      type: 'realname.registry.KeyPersonAssigned';
      data: {
        projectId: string;
        participantId: string;
        post: KeyPost;
        person: KeyPerson;
        appointedOn?: string;
      };
    }
  | {
      type: 'realname.registry.KeyPersonMismatchDetected';
      data: {
        projectId: string;
        participantId: string;
        post: KeyPost;
        reason: MismatchReason;
        detail: string;
        local?: KeyPerson;
        registered?: KeyPerson;
      };
    }
  | {
      type: 'realname.registry.KeyPersonMismatchResolved';
      data: { projectId: string; participantId: string; post: KeyPost };
    }
  | {
      type: 'realname.registry.KeyPersonAppointed';
      data: {
        projectId: string;
        participantId: string;
        creditCode: string;
        post: KeyPost;
        person: Appointee | null;
        source: AppointmentSource;
        appointedOn?: string;
      };
    }
  | {
      type: 'realname.registry.TeamFormed';
      data: { projectId: string; teamId: string; name: string; participantId: string };
    };

/** Which participating units must fill which key post, and the registration categories accepted. */
export interface KeyPostRules {
  postsByUnitType: Record<string, KeyPost[]>;
  categories: Record<KeyPost, string[]>;
}

export const DEFAULT_KEY_POST_RULES: KeyPostRules = {
  postsByUnitType: {
    '009': ['project-manager'],
    '001': ['project-manager'],
    '006': ['project-manager'],
    '007': ['chief-supervising-engineer'],
  },
  categories: {
    'project-manager': ['一级建造师', '二级建造师'],
    'chief-supervising-engineer': ['注册监理工程师'],
    'safety-officer': ['安全生产考核合格证书C类'],
    'technical-lead': ['工程师', '高级工程师'],
  },
};

const POST_NAMES: Record<KeyPost, string> = {
  'project-manager': 'project manager',
  'chief-supervising-engineer': 'chief supervising engineer',
  'safety-officer': 'safety officer',
  'technical-lead': 'technical lead',
};

export const postKey = (creditCode: string, post: KeyPost) => `${creditCode}|${post}`;

export function initialProjectState(): ProjectState {
  return {
    participants: new Map(),
    registered: new Map(),
    registeredOn: new Map(),
    assigned: new Map(),
    assignedOn: new Map(),
    mismatches: new Map(),
    appointed: new Map(),
    appointedOn: new Map(),
    teams: new Map(),
  };
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function setOrDelete(map: Map<string, string>, key: string, value: string | undefined): void {
  if (value === undefined) map.delete(key);
  else map.set(key, value);
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function evolveProject(state: ProjectState, event: ProjectEvent): ProjectState {
  const s: ProjectState = {
    info: state.info,
    participants: new Map(state.participants),
    registered: new Map(state.registered),
    registeredOn: new Map(state.registeredOn),
    assigned: new Map(state.assigned),
    assignedOn: new Map(state.assignedOn),
    mismatches: new Map(state.mismatches),
    appointed: new Map(state.appointed),
    appointedOn: new Map(state.appointedOn),
    teams: new Map(state.teams),
  };
  switch (event.type) {
    case 'realname.registry.ProjectSynced': {
      const { changeCursor: _c, ...info } = event.data;
      s.info = info;
      break;
    }
    case 'realname.registry.ParticipantJoined':
    case 'realname.registry.ParticipantUpdated': {
      const { projectId: _p, participantId: _i, ...participant } = event.data;
      s.participants.set(participant.creditCode, participant);
      break;
    }
    case 'realname.registry.KeyPersonRegistered': {
      const key = postKey(event.data.participantId, event.data.post);
      if (event.data.person) s.registered.set(key, event.data.person);
      else s.registered.delete(key);
      setOrDelete(s.registeredOn, key, event.data.person ? event.data.syncedOn : undefined);
      break;
    }
    case 'realname.registry.KeyPersonAssigned': {
      const key = postKey(event.data.participantId, event.data.post);
      s.assigned.set(key, event.data.person);
      setOrDelete(s.assignedOn, key, event.data.appointedOn);
      break;
    }
    case 'realname.registry.KeyPersonMismatchDetected':
      s.mismatches.set(postKey(event.data.participantId, event.data.post), event.data.reason);
      break;
    case 'realname.registry.KeyPersonMismatchResolved':
      s.mismatches.delete(postKey(event.data.participantId, event.data.post));
      break;
    case 'realname.registry.KeyPersonAppointed': {
      const key = postKey(event.data.participantId, event.data.post);
      s.appointed.set(key, event.data.person);
      setOrDelete(s.appointedOn, key, event.data.person ? event.data.appointedOn : undefined);
      break;
    }
    case 'realname.registry.TeamFormed':
      s.teams.set(event.data.teamId, { name: event.data.name, participantId: event.data.participantId });
      break;
  }
  return s;
}

/** What is wrong with one key post now, if anything. */
export function evaluatePost(
  state: ProjectState,
  creditCode: string,
  post: KeyPost,
  rules: KeyPostRules,
): { reason: MismatchReason; detail: string; local?: KeyPerson; registered?: KeyPerson } | undefined {
  const local = state.assigned.get(postKey(creditCode, post));
  const registered = state.registered.get(postKey(creditCode, post));
  const unit = state.participants.get(creditCode)?.corpName ?? creditCode;
  const what = POST_NAMES[post];
  if (!local) {
    return { reason: 'post-empty', detail: `No ${what} is assigned on site for ${unit}`, registered };
  }
  if (!registered) {
    return {
      reason: 'differs-from-integrity-platform',
      detail: `${local.name} is the ${what} on site for ${unit}, but no ${what} is registered for it on the integrity platform`,
      local,
    };
  }
  if (local.idHash !== registered.idHash) {
    return {
      reason: 'differs-from-integrity-platform',
      detail: `The ${what} on site for ${unit} is ${local.name} (${local.maskedIdNumber}); the integrity platform registers ${registered.name} (${registered.maskedIdNumber})`,
      local,
      registered,
    };
  }
  const category = registered.registrationCategory ?? '';
  if (!rules.categories[post].includes(category)) {
    return {
      reason: 'wrong-registration-category',
      detail: `${registered.name}, ${what} for ${unit}, is registered as "${category || 'none'}"; the post needs ${rules.categories[post].join(' or ')}`,
      local,
      registered,
    };
  }
  return undefined;
}

function mismatchEvents(before: ProjectState, after: ProjectState, rules: KeyPostRules): ProjectEvent[] {
  const projectId = after.info?.projectId;
  if (!projectId) return [];
  const out: ProjectEvent[] = [];
  const watched = new Set<string>();
  for (const p of after.participants.values()) {
    if (p.exitDate) continue;
    for (const post of rules.postsByUnitType[p.unitType] ?? []) {
      const key = postKey(p.creditCode, post);
      watched.add(key);
      const now = evaluatePost(after, p.creditCode, post, rules);
      const was = before.mismatches.get(key);
      if (now && now.reason !== was) {
        out.push({
          type: 'realname.registry.KeyPersonMismatchDetected',
          data: { projectId, participantId: p.creditCode, post, ...now },
        });
      } else if (!now && was) {
        out.push({
          type: 'realname.registry.KeyPersonMismatchResolved',
          data: { projectId, participantId: p.creditCode, post },
        });
      }
    }
  }
  // A unit that left (or whose post no longer applies) takes its open mismatch with it.
  for (const key of before.mismatches.keys()) {
    if (watched.has(key)) continue;
    const [participantId, post] = key.split('|') as [string, KeyPost];
    out.push({
      type: 'realname.registry.KeyPersonMismatchResolved',
      data: { projectId, participantId, post },
    });
  }
  return out;
}

/**
 * Who holds a post now: the person assigned on site, else the one registered on the integrity platform;
 * nobody once the unit has left the project. `appointedOn`: the day given on site for a local holder;
 * for a registered one the unit's entry date on the project if known, else the day of the sync; absent
 * where events predate these dates (readers then take the event's day).
 */
export function holderOf(
  state: ProjectState,
  creditCode: string,
  post: KeyPost,
): { person: Appointee | null; source: AppointmentSource; appointedOn?: string } {
  const unit = state.participants.get(creditCode);
  if (unit?.exitDate) return { person: null, source: 'integrity-platform' };
  const key = postKey(creditCode, post);
  const local = state.assigned.get(key);
  const held = local ?? state.registered.get(key);
  if (!held) return { person: null, source: 'integrity-platform' };
  const person = { name: held.name, idHash: held.idHash, maskedIdNumber: held.maskedIdNumber };
  // An entry date the published contract would refuse is passed over rather than failing the command.
  const entryDate = unit?.entryDate && DAY.test(unit.entryDate) ? unit.entryDate : undefined;
  const appointedOn = local ? state.assignedOn.get(key) : (entryDate ?? state.registeredOn.get(key));
  return {
    person,
    source: local ? 'local' : 'integrity-platform',
    ...(appointedOn ? { appointedOn } : {}),
  };
}

/** The same holder: the same ID (its hash) under the same name; the mask follows from the ID. */
function sameHolder(a: Appointee | null | undefined, b: Appointee | null): boolean {
  if (!a || !b) return !a && !b;
  return a.idHash === b.idHash && a.name === b.name;
}

/**
 * A KeyPersonAppointed for every post whose holder differs from the one last published, or whose
 * holder's appointedOn is known and differs (a corrected date, or an entry date learnt later). Run after
 * every command, so a stream that predates the event (no appointment recorded) publishes its holders on
 * the project's next command, whatever that command is.
 */
function appointmentEvents(after: ProjectState): ProjectEvent[] {
  const projectId = after.info?.projectId;
  if (!projectId) return [];
  const keys = new Set([...after.assigned.keys(), ...after.registered.keys(), ...after.appointed.keys()]);
  const out: ProjectEvent[] = [];
  for (const key of [...keys].sort()) {
    const [creditCode, post] = key.split('|') as [string, KeyPost];
    const now = holderOf(after, creditCode, post);
    const sameDate = !now.appointedOn || now.appointedOn === after.appointedOn.get(key);
    if (sameHolder(after.appointed.get(key), now.person) && sameDate) continue;
    out.push({
      type: 'realname.registry.KeyPersonAppointed',
      data: { projectId, participantId: creditCode, creditCode, post, ...now },
    });
  }
  return out;
}

/** `today`: YYYY-MM-DD in Asia/Shanghai, the default day of a sync and of a local assignment. */
export function decideProject(
  command: ProjectCommand,
  state: ProjectState,
  rules: KeyPostRules = DEFAULT_KEY_POST_RULES,
  today: string = todayIn('Asia/Shanghai'),
): ProjectEvent[] | Rejection<'unknown-project' | 'unknown-participant' | 'team-exists'> {
  const projectId = state.info?.projectId;
  let primary: ProjectEvent[];
  switch (command.kind) {
    case 'SyncProject':
      primary = same(state.info, command.info)
        ? []
        : [
            {
              type: 'realname.registry.ProjectSynced',
              data: { ...command.info, changeCursor: command.changeCursor },
            },
          ];
      break;
    case 'SyncParticipant': {
      if (!projectId) return reject('unknown-project', 'the project has not been synced yet');
      const before = state.participants.get(command.participant.creditCode);
      if (same(before, command.participant)) primary = [];
      else
        primary = [
          {
            type: before ? 'realname.registry.ParticipantUpdated' : 'realname.registry.ParticipantJoined',
            data: { projectId, participantId: command.participant.creditCode, ...command.participant },
          },
        ];
      break;
    }
    case 'SyncKeyPerson': {
      if (!projectId) return reject('unknown-project', 'the project has not been synced yet');
      const before = state.registered.get(postKey(command.creditCode, command.post)) ?? null;
      primary = same(before, command.person)
        ? []
        : [
            {
              type: 'realname.registry.KeyPersonRegistered',
              data: {
                projectId,
                participantId: command.creditCode,
                post: command.post,
                person: command.person,
                ...(command.person ? { syncedOn: command.syncedOn ?? today } : {}),
              },
            },
          ];
      break;
    }
    case 'AssignKeyPerson': {
      if (!projectId) return reject('unknown-project', `no project is known by this id`);
      if (!state.participants.has(command.creditCode)) {
        return reject(
          'unknown-participant',
          `unit ${command.creditCode} does not take part in project ${projectId}`,
        );
      }
      const key = postKey(command.creditCode, command.post);
      const samePerson = same(state.assigned.get(key), command.person);
      // The same person again keeps their date unless a different one is given (a correction).
      const unchanged =
        samePerson && (!command.appointedOn || command.appointedOn === state.assignedOn.get(key));
      const appointedOn = command.appointedOn ?? today;
      primary = unchanged
        ? []
        : [
            {
              type: 'realname.registry.KeyPersonAssigned',
              data: {
                projectId,
                participantId: command.creditCode,
                post: command.post,
                person: command.person,
                appointedOn,
              },
            },
          ];
      break;
    }
    case 'FormTeam': {
      if (!projectId) return reject('unknown-project', 'no project is known by this id');
      const unit = state.participants.get(command.participantId);
      if (!unit || unit.exitDate)
        return reject('unknown-participant', `unit ${command.participantId} is not on project ${projectId}`);
      if ([...state.teams.values()].some((t) => t.name === command.name)) {
        return reject('team-exists', `a team named "${command.name}" exists on this project already`);
      }
      if (state.teams.has(command.teamId)) return [];
      primary = [
        {
          type: 'realname.registry.TeamFormed',
          data: {
            projectId,
            teamId: command.teamId,
            name: command.name,
            participantId: command.participantId,
          },
        },
      ];
      break;
    }
  }
  const after = primary.reduce(evolveProject, state);
  return [...primary, ...mismatchEvents(state, after, rules), ...appointmentEvents(after)];
}

export const projectDecider: Decider<ProjectState, ProjectCommand, ProjectEvent> = {
  initialState: initialProjectState,
  decide: (c, s) => decideProject(c, s),
  evolve: evolveProject,
};
