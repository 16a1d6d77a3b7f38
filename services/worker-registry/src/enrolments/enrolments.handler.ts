import { v7 as uuidv7 } from 'uuid';
import { checkBankCard, codeTables, todayIn } from '@realname/domain-rules';
import { Database, isRejection, Rejection } from '@realname/eventstore';
import { actorOf, Caller } from '@realname/platform';
import { outOfScope } from '../access/out-of-scope';
import { InputProblem } from '../refusals';
import { EnrolmentCommand, enrolmentStreamId, WorkerFacts } from './enrolment.decider';
import { EnrolmentsRepository } from './enrolments.repository';

export interface NewEnrolment {
  workerId: string;
  teamId: string;
  workType: string;
  workRole: '10' | '20';
  isTeamLeader: boolean;
  cardNumber?: string;
  wageCard?: { number: string; bankCode: string };
}

/** A decider's refusal inside a transaction: thrown so that nothing of the attempt (a PIN) is kept. */
class Refused extends Error {
  constructor(readonly rejection: Rejection) {
    super(rejection.code);
  }
}

/** Enrolling workers on projects and everything done to an enrolment, on its (project, worker) stream. */
export class EnrolmentCommands {
  constructor(
    private readonly db: Database,
    private readonly enrolments: EnrolmentsRepository,
  ) {}

  /**
   * Enrols a worker on a project of the caller's scope (else 403). The worker need not be in the
   * caller's scope yet: workers move between projects, and their ids are not guessable.
   */
  async enrol(projectId: string, input: NewEnrolment, caller: Caller) {
    const wageCard = input.wageCard && checkedWageCard(input.wageCard);
    if ((await this.enrolments.projectReach(projectId, caller.scope)) === 'out-of-scope')
      return outOfScope(`project ${projectId}`, caller.scope);
    const w = await this.enrolments.workerToEnrol(input.workerId);
    if (!w)
      return { rejected: true as const, code: 'unknown-worker', reasons: [`no worker ${input.workerId}`] };
    const team = await this.enrolments.teamOf(projectId, input.teamId);
    if (!team)
      return {
        rejected: true as const,
        code: 'unknown-team',
        reasons: [`no team ${input.teamId} on project ${projectId}`],
      };
    const enrolmentId = uuidv7();
    try {
      return await this.db.transaction(async (tx) => {
        const personId = await this.enrolments.nextPin(tx, projectId);
        const details = {
          enrolmentId,
          projectId,
          workerId: input.workerId,
          name: w.name,
          idHash: w.id_hash,
          maskedIdNumber: w.masked_id,
          teamId: input.teamId,
          teamName: team.name,
          participantId: team.participant_id,
          creditCode: team.participant_id,
          corpName: team.corp_name,
          workType: input.workType,
          workRole: input.workRole,
          isTeamLeader: input.isTeamLeader,
          credentials: { personId, ...(input.cardNumber ? { cardNumber: input.cardNumber } : {}) },
        };
        // One stream per project and worker: a second enrolment reads the first and is refused.
        const r = await this.enrolments.handle(
          tx,
          enrolmentStreamId(projectId, input.workerId),
          { kind: 'Enrol', details },
          team.region,
          actorOf(caller),
        );
        if (isRejection(r)) throw new Refused(r);
        if (wageCard) await this.enrolments.storeWageCard(tx, enrolmentId, wageCard);
        return { enrolmentId, personId };
      });
    } catch (err) {
      if (err instanceof Refused) return err.rejection;
      throw err;
    }
  }

  /**
   * Contract, training, certificate, entry and exit: everything else done to an enrolment, of a
   * project in the caller's scope (else 403).
   */
  async act(
    enrolmentId: string,
    caller: Caller,
    build: (today: string, worker: WorkerFacts, region: string) => EnrolmentCommand,
  ) {
    if ((await this.enrolments.enrolmentReach(enrolmentId, caller.scope)) === 'out-of-scope')
      return outOfScope(`enrolment ${enrolmentId}`, caller.scope);
    const c = await this.enrolments.context(enrolmentId);
    const today = todayIn('Asia/Shanghai');
    // An unknown enrolment has no stream; the decider refuses it as not enrolled.
    const command = build(today, c?.worker ?? UNKNOWN_WORKER, c?.region ?? '000000');
    return this.db.transaction((tx) =>
      this.enrolments.handle(
        tx,
        c && enrolmentStreamId(c.projectId, c.workerId),
        command,
        c?.region ?? '000000',
        actorOf(caller),
      ),
    );
  }

  /**
   * A training session of a project with its attendees: one TrainingRecorded on each attendee's
   * enrolment, all in one transaction (a session is recorded whole or not at all).
   */
  async recordTrainingSession(
    projectId: string,
    session: { name: string; typeCode: string; date: string; durationHours?: number; trainer?: string },
    attendees: { enrolmentId: string; passed: boolean; score?: number }[],
    caller: Caller,
  ): Promise<{ trainingId: string } | Rejection> {
    if ((await this.enrolments.projectReach(projectId, caller.scope)) === 'out-of-scope')
      return outOfScope(`project ${projectId}`, caller.scope);
    const region = await this.enrolments.projectRegion(projectId);
    if (!region) return { rejected: true, code: 'unknown-project', reasons: [`no project ${projectId}`] };
    const workers = await this.enrolments.workersOf(
      projectId,
      attendees.map((a) => a.enrolmentId),
    );
    const strangers = attendees.map((a) => a.enrolmentId).filter((id) => !workers.has(id));
    // An attendee who is no enrolment of the project is unknown there, as an unknown worker or team is.
    if (strangers.length)
      return {
        rejected: true,
        code: 'not-enrolled',
        reasons: strangers.map((id) => `${id} is not an enrolment of project ${projectId}`),
      };
    const trainingId = uuidv7();
    const today = todayIn('Asia/Shanghai');
    try {
      return await this.db.transaction(async (tx) => {
        await this.enrolments.insertTraining(tx, { trainingId, projectId, ...session });
        for (const a of attendees) {
          const r = await this.enrolments.handle(
            tx,
            enrolmentStreamId(projectId, workers.get(a.enrolmentId)!),
            {
              kind: 'RecordTraining',
              today,
              training: {
                trainingId,
                typeCode: session.typeCode,
                date: session.date,
                passed: a.passed,
                ...(a.score !== undefined ? { score: a.score } : {}),
              },
            },
            region,
            actorOf(caller),
          );
          // Refused for an attendee as a training of one enrolment is (409): nothing of the session is kept.
          if (isRejection(r)) throw new Refused(r);
          await this.enrolments.insertAttendee(tx, trainingId, a);
        }
        return { trainingId };
      });
    } catch (err) {
      if (err instanceof Refused) return err.rejection;
      throw err;
    }
  }
}

const UNKNOWN_WORKER: WorkerFacts = {
  birthDate: '',
  gender: 'male',
  hasHeadPhoto: false,
  blacklisted: false,
};

function checkedWageCard(input: { number: string; bankCode: string }) {
  const card = checkBankCard(input.number);
  const problems = card.ok ? [] : card.reasons.map((message) => ({ field: 'wageCard.number', message }));
  if (!codeTables.isValid('bank-code', input.bankCode)) {
    problems.push({
      field: 'wageCard.bankCode',
      message: 'must be a bank head-office code from the national table, e.g. 102',
    });
  }
  if (problems.length || !card.ok) throw new InputProblem(problems);
  return { number: card.value, bankCode: input.bankCode };
}
