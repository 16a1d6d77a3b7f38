import { DeviceCredentials } from '@realname/contracts';
import { checkEntry, EntryCandidate, RegionalProfile } from '@realname/domain-rules';
import { Decider, keyedStreamId, reject, Rejection } from '@realname/eventstore';

/**
 * A worker's enrolment on a project: team, work type and role, the contract, training and
 * certificates that entry depends on, and the entries and exits themselves.
 */
export interface EnrolmentDetails {
  enrolmentId: string;
  projectId: string;
  workerId: string;
  name: string;
  idHash: string;
  maskedIdNumber: string;
  teamId: string;
  teamName: string;
  participantId: string;
  creditCode: string;
  corpName: string;
  workType: string;
  workRole: '10' | '20';
  isTeamLeader: boolean;
  credentials: DeviceCredentials;
}

export interface Contract {
  contractId: string;
  periodType: '0' | '1';
  startDate: string;
  endDate?: string;
}
export interface Training {
  trainingId: string;
  typeCode: string;
  date: string;
  passed: boolean;
  score?: number;
}
export interface Certificate {
  workType: string;
  number: string;
  expiresOn: string;
}

export interface EnrolmentState {
  details?: EnrolmentDetails;
  contract?: Contract;
  trainings: Training[];
  certificates: Certificate[];
  status: 'none' | 'enrolled' | 'entered' | 'exited';
  lastEntry?: string;
  lastExit?: string;
}

/** What entry needs to know of the worker (from the worker's own record). */
export interface WorkerFacts {
  birthDate: string;
  gender: 'male' | 'female';
  hasHeadPhoto: boolean;
  blacklisted: boolean;
  lastUpdatedOn?: string;
}

export type EnrolmentCommand =
  | { kind: 'Enrol'; details: EnrolmentDetails }
  | { kind: 'SignContract'; contract: Contract; today: string }
  | { kind: 'RecordTraining'; training: Training; today: string }
  | { kind: 'AddCertificate'; certificate: Certificate }
  | { kind: 'Enter'; date: string; today: string; worker: WorkerFacts; profile: RegionalProfile }
  | { kind: 'Exit'; date: string; today: string }
  | { kind: 'IssueCard'; cardNumber: string | null };

export type EnrolmentEvent =
  | { type: 'realname.registry.WorkerEnrolled'; data: EnrolmentDetails }
  | { type: 'realname.registry.ContractSigned'; data: { enrolmentId: string } & Contract }
  | { type: 'realname.registry.TrainingRecorded'; data: { enrolmentId: string } & Training }
  | { type: 'realname.registry.CertificateAdded'; data: { enrolmentId: string } & Certificate }
  | {
      type: 'realname.registry.WorkerEntered';
      data: { enrolmentId: string; projectId: string; workerId: string; date: string };
    }
  | {
      type: 'realname.registry.WorkerExited';
      data: { enrolmentId: string; projectId: string; workerId: string; date: string };
    }
  | {
      type: 'realname.registry.EnrolmentCredentialsChanged';
      data: { enrolmentId: string; projectId: string; workerId: string; credentials: DeviceCredentials };
    };

export type EnrolmentRejection = Rejection<
  | 'not-enrolled'
  | 'already-enrolled'
  | 'entry-refused'
  | 'already-entered'
  | 'not-entered'
  | 'date-in-future'
  | 'date-out-of-order'
>;

/** An enrolment's stream: one per project and worker (one role per ID card per project). */
export const enrolmentStreamId = (projectId: string, workerId: string) =>
  keyedStreamId('enrolment', projectId, workerId);

const SAFETY_TRAINING = ['003001', '003002'];

export function initialEnrolmentState(): EnrolmentState {
  return { trainings: [], certificates: [], status: 'none' };
}

export function evolveEnrolment(state: EnrolmentState, event: EnrolmentEvent): EnrolmentState {
  switch (event.type) {
    case 'realname.registry.WorkerEnrolled':
      return { ...state, details: event.data, status: 'enrolled' };
    case 'realname.registry.ContractSigned': {
      const { enrolmentId: _e, ...contract } = event.data;
      return { ...state, contract };
    }
    case 'realname.registry.TrainingRecorded': {
      const { enrolmentId: _e, ...training } = event.data;
      return { ...state, trainings: [...state.trainings, training] };
    }
    case 'realname.registry.CertificateAdded': {
      const { enrolmentId: _e, ...certificate } = event.data;
      return {
        ...state,
        certificates: [...state.certificates.filter((c) => c.workType !== certificate.workType), certificate],
      };
    }
    case 'realname.registry.WorkerEntered':
      return { ...state, status: 'entered', lastEntry: event.data.date };
    case 'realname.registry.WorkerExited':
      return { ...state, status: 'exited', lastExit: event.data.date };
    case 'realname.registry.EnrolmentCredentialsChanged':
      return state.details
        ? { ...state, details: { ...state.details, credentials: event.data.credentials } }
        : state;
  }
}

export function decideEnrolment(
  command: EnrolmentCommand,
  state: EnrolmentState,
): EnrolmentEvent[] | EnrolmentRejection {
  if (command.kind === 'Enrol') {
    // One stream per project and worker (see enrolmentStreamId): one role per ID card per project.
    if (state.details)
      return reject(
        'already-enrolled',
        `one role per ID card per project: the worker is enrolled already (${state.details.enrolmentId})`,
      );
    return [{ type: 'realname.registry.WorkerEnrolled', data: command.details }];
  }
  const d = state.details;
  if (!d) return reject('not-enrolled', 'no such enrolment');
  const ref = { enrolmentId: d.enrolmentId, projectId: d.projectId, workerId: d.workerId };
  switch (command.kind) {
    case 'SignContract':
      if (command.contract.startDate > command.today)
        return reject('date-in-future', 'the contract start date is in the future');
      return [
        {
          type: 'realname.registry.ContractSigned',
          data: { enrolmentId: d.enrolmentId, ...command.contract },
        },
      ];
    case 'RecordTraining':
      if (command.training.date > command.today)
        return reject('date-in-future', 'the training date is in the future');
      return [
        {
          type: 'realname.registry.TrainingRecorded',
          data: { enrolmentId: d.enrolmentId, ...command.training },
        },
      ];
    case 'AddCertificate':
      return [
        {
          type: 'realname.registry.CertificateAdded',
          data: { enrolmentId: d.enrolmentId, ...command.certificate },
        },
      ];
    case 'Enter': {
      if (state.status === 'entered')
        return reject('already-entered', `the worker entered on ${state.lastEntry} and has not exited`);
      if (command.date > command.today)
        return reject('date-in-future', `the entry date ${command.date} is after today (${command.today})`);
      if (state.lastExit && command.date < state.lastExit) {
        return reject(
          'date-out-of-order',
          `the entry date ${command.date} is before the last exit (${state.lastExit})`,
        );
      }
      const candidate: EntryCandidate = {
        birthDate: command.worker.birthDate,
        gender: command.worker.gender,
        workType: d.workType,
        hasSignedContract: Boolean(state.contract),
        passedSafetyTraining: state.trainings.some((t) => t.passed && SAFETY_TRAINING.includes(t.typeCode)),
        certificates: state.certificates.map((c) => ({
          type: c.workType,
          number: c.number,
          expiresOn: c.expiresOn,
        })),
        blacklisted: command.worker.blacklisted,
        hasHeadPhoto: command.worker.hasHeadPhoto,
        teamId: d.teamId,
        lastUpdatedOn: command.worker.lastUpdatedOn,
        entryDate: command.date,
      };
      const check = checkEntry(candidate, command.profile, command.today);
      if (!check.ok) return reject('entry-refused', ...check.reasons.map((r) => r.message));
      return [{ type: 'realname.registry.WorkerEntered', data: { ...ref, date: command.date } }];
    }
    case 'Exit':
      if (state.status !== 'entered')
        return reject('not-entered', 'the worker has not entered, or has exited already');
      if (command.date > command.today)
        return reject('date-in-future', `the exit date ${command.date} is after today (${command.today})`);
      if (state.lastEntry && command.date < state.lastEntry) {
        return reject(
          'date-out-of-order',
          `the exit date ${command.date} is before the entry (${state.lastEntry})`,
        );
      }
      return [{ type: 'realname.registry.WorkerExited', data: { ...ref, date: command.date } }];
    case 'IssueCard': {
      // The PIN stays; the attendance card is issued, replaced or withdrawn.
      const { cardNumber: _old, ...rest } = d.credentials;
      const credentials: DeviceCredentials = command.cardNumber
        ? { ...rest, cardNumber: command.cardNumber }
        : rest;
      if (JSON.stringify(credentials) === JSON.stringify(d.credentials)) return [];
      return [{ type: 'realname.registry.EnrolmentCredentialsChanged', data: { ...ref, credentials } }];
    }
  }
}

export const enrolmentDecider: Decider<EnrolmentState, EnrolmentCommand, EnrolmentEvent, EnrolmentRejection> =
  {
    initialState: initialEnrolmentState,
    decide: decideEnrolment,
    evolve: evolveEnrolment,
  };
