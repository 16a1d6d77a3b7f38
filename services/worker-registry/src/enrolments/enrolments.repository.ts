import type { EventActor } from '@realname/contracts';
import {
  EnrolmentCredentialsChanged,
  WorkerEnrolled,
  WorkerEntered,
  WorkerExited,
} from '@realname/contracts';
import { maskBankCard } from '@realname/domain-rules';
import { Database, EventStore, runCommand, Sql } from '@realname/eventstore';
import { PersonalDataVault } from '@realname/personal-data';
import type { CallerScope } from '@realname/platform';
import { Params, Reach, ScopeSql } from '../access/scope-sql';
import { REGISTRY_SOURCE } from '../projects/projects.repository';
import {
  decideEnrolment,
  EnrolmentCommand,
  EnrolmentEvent,
  EnrolmentRejection,
  evolveEnrolment,
  initialEnrolmentState,
  WorkerFacts,
} from './enrolment.decider';
import { CertificateAdded, ContractSigned, TrainingRecorded } from './internal-events';

const ENROLMENT_EVENTS = {
  [EnrolmentCredentialsChanged.type]: EnrolmentCredentialsChanged,
  [WorkerEnrolled.type]: WorkerEnrolled,
  [WorkerEntered.type]: WorkerEntered,
  [WorkerExited.type]: WorkerExited,
  [ContractSigned.type]: ContractSigned,
  [TrainingRecorded.type]: TrainingRecorded,
  [CertificateAdded.type]: CertificateAdded,
};

type Row = Record<string, string | boolean | null>;

/** An enrolment as an act on it needs it: whose it is, where, and what entry needs of the worker. */
export interface EnrolmentContext {
  projectId: string;
  workerId: string;
  region: string;
  worker: WorkerFacts;
}

/** Enrolments' streams, their read models, trainings and wage cards: every SQL statement of enrolments. */
export class EnrolmentsRepository {
  private readonly store: EventStore;
  private readonly scoped: ScopeSql;

  constructor(
    private readonly db: Database,
    private readonly schema: string,
    private readonly vault: PersonalDataVault,
  ) {
    this.store = new EventStore(db, schema);
    this.scoped = new ScopeSql(schema);
  }

  /** Whether the project exists and is in the caller's scope. */
  projectReach(projectId: string, scope: CallerScope): Promise<Reach> {
    return this.scoped.projectReach(this.db, projectId, scope);
  }

  /** Whether the enrolment exists and is in the caller's scope (through its project). */
  enrolmentReach(enrolmentId: string, scope: CallerScope): Promise<Reach> {
    return this.scoped.enrolmentReach(this.db, enrolmentId, scope);
  }

  /** Decides on the enrolment's stream and projects; without a stream it is decided on the empty state. */
  async handle(
    tx: Sql,
    streamId: string | undefined,
    command: EnrolmentCommand,
    region: string,
    actor?: EventActor,
  ): Promise<EnrolmentEvent[] | EnrolmentRejection> {
    if (!streamId) return decideEnrolment(command, initialEnrolmentState());
    return runCommand({
      store: this.store,
      actor: actor,
      tx,
      streamId,
      definitions: ENROLMENT_EVENTS,
      initial: initialEnrolmentState,
      evolve: evolveEnrolment,
      decide: (state) => decideEnrolment(command, state),
      source: REGISTRY_SOURCE,
      region: () => region,
      project: (t, e) => this.project(t, e),
    });
  }

  async workerToEnrol(workerId: string) {
    const [w] = await this.db.query<{ name: string; id_hash: string; masked_id: string }>(
      `SELECT name, id_hash, masked_id FROM ${this.schema}.workers WHERE worker_id = $1`,
      [workerId],
    );
    return w;
  }

  async teamOf(projectId: string, teamId: string) {
    const s = this.schema;
    const [team] = await this.db.query<{
      name: string;
      participant_id: string;
      corp_name: string;
      region: string;
    }>(
      `SELECT t.name, t.participant_id, p.corp_name, pr.region FROM ${s}.teams t JOIN ${s}.participants p ON p.project_id = t.project_id AND p.credit_code = t.participant_id
       JOIN ${s}.projects pr ON pr.project_id = t.project_id
       WHERE t.team_id = $1 AND t.project_id = $2`,
      [teamId, projectId],
    );
    return team;
  }

  /** The next device PIN of a project (10001 first). */
  async nextPin(tx: Sql, projectId: string): Promise<string> {
    const [pin] = await tx.query<{ last_pin: number }>(
      `INSERT INTO ${this.schema}.person_id_counters (project_id, last_pin) VALUES ($1, 10001)
       ON CONFLICT (project_id) DO UPDATE SET last_pin = person_id_counters.last_pin + 1 RETURNING last_pin`,
      [projectId],
    );
    return String(pin.last_pin);
  }

  async storeWageCard(
    tx: Sql,
    enrolmentId: string,
    wageCard: { number: string; bankCode: string },
  ): Promise<void> {
    await tx.execute(
      `UPDATE ${this.schema}.enrolments SET wage_card_encrypted = $2, wage_card_hash = $3, wage_card_masked = $4, wage_bank_code = $5 WHERE enrolment_id = $1`,
      [
        enrolmentId,
        this.vault.encrypt(wageCard.number, `enrolment:${enrolmentId}:wageCard`),
        this.vault.lookupHash('bank-card', wageCard.number),
        maskBankCard(wageCard.number),
        wageCard.bankCode,
      ],
    );
  }

  async context(enrolmentId: string): Promise<EnrolmentContext | undefined> {
    const s = this.schema;
    const [row] = await this.db.query<Record<string, string | boolean | Date | null>>(
      `SELECT e.project_id, e.worker_id, w.gender, to_char(w.birth_date, 'YYYY-MM-DD') AS birth_date, w.head_photo IS NOT NULL AS has_photo, w.blacklisted,
              to_char(w.updated_on, 'YYYY-MM-DD') AS updated_on, p.region
       FROM ${s}.enrolments e JOIN ${s}.workers w ON w.worker_id = e.worker_id JOIN ${s}.projects p ON p.project_id = e.project_id
       WHERE e.enrolment_id = $1`,
      [enrolmentId],
    );
    if (!row) return undefined;
    return {
      projectId: row.project_id as string,
      workerId: row.worker_id as string,
      region: row.region as string,
      worker: {
        birthDate: row.birth_date as string,
        gender: row.gender as 'male' | 'female',
        hasHeadPhoto: Boolean(row.has_photo),
        blacklisted: Boolean(row.blacklisted),
        lastUpdatedOn: row.updated_on as string,
      },
    };
  }

  async projectRegion(projectId: string): Promise<string | undefined> {
    const [project] = await this.db.query<{ region: string }>(
      `SELECT region FROM ${this.schema}.projects WHERE project_id = $1`,
      [projectId],
    );
    return project?.region;
  }

  /** Of these enrolment ids, those of the project, with their workers. */
  async workersOf(projectId: string, enrolmentIds: string[]): Promise<Map<string, string>> {
    const rows = await this.db.query<{ enrolment_id: string; worker_id: string }>(
      `SELECT enrolment_id, worker_id FROM ${this.schema}.enrolments WHERE project_id = $1 AND enrolment_id = ANY($2::text[])`,
      [projectId, enrolmentIds],
    );
    return new Map(rows.map((r) => [r.enrolment_id, r.worker_id]));
  }

  async insertTraining(
    tx: Sql,
    t: {
      trainingId: string;
      projectId: string;
      name: string;
      typeCode: string;
      date: string;
      durationHours?: number;
      trainer?: string;
    },
  ): Promise<void> {
    await tx.execute(
      `INSERT INTO ${this.schema}.trainings (training_id, project_id, name, type_code, training_date, duration_hours, trainer) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [t.trainingId, t.projectId, t.name, t.typeCode, t.date, t.durationHours ?? null, t.trainer ?? null],
    );
  }

  async insertAttendee(
    tx: Sql,
    trainingId: string,
    a: { enrolmentId: string; passed: boolean; score?: number },
  ): Promise<void> {
    await tx.execute(
      `INSERT INTO ${this.schema}.training_attendees (training_id, enrolment_id, passed, score) VALUES ($1, $2, $3, $4)`,
      [trainingId, a.enrolmentId, a.passed, a.score ?? null],
    );
  }

  /**
   * Enrolments of a project in the caller's scope with their wage cards (masked), page by page in the
   * order they were made; an enterprise sees those of its own units only.
   */
  async page(
    q: {
      projectId: string;
      teamId?: string;
      status?: string;
      participantId?: string;
      after: string | null;
      limit: number;
    },
    scope: CallerScope,
  ): Promise<Row[]> {
    const s = this.schema;
    const params = new Params(
      q.projectId,
      q.teamId ?? null,
      q.status ?? null,
      q.participantId ?? null,
      q.after,
      q.limit,
    );
    return this.db.query<Row>(
      `SELECT e.enrolment_id, e.worker_id, w.name, w.masked_id, e.team_id, t.name AS team_name, e.participant_id, e.work_type, e.work_role,
              e.is_team_leader, e.person_id, e.status, to_char(e.entered_on, 'YYYY-MM-DD') AS entered_on, to_char(e.exited_on, 'YYYY-MM-DD') AS exited_on,
              e.contract_signed, e.safety_trained, e.wage_card_masked, e.wage_bank_code
       FROM ${s}.enrolments e JOIN ${s}.workers w ON w.worker_id = e.worker_id JOIN ${s}.teams t ON t.team_id = e.team_id
       WHERE e.project_id = $1 AND ($2::text IS NULL OR e.team_id = $2) AND ($3::text IS NULL OR e.status = $3)
         AND ($4::text IS NULL OR e.participant_id = $4) AND ($5::text IS NULL OR e.enrolment_id > $5)
         AND ${this.scoped.enrolment(scope, 'e', params)}
       ORDER BY e.enrolment_id LIMIT $6`,
      params.values,
    );
  }

  /**
   * Training sessions of a project in the caller's scope, one row per attendee, in date order; an
   * enterprise sees the attendees of its own units only.
   */
  async trainingAttendance(projectId: string, scope: CallerScope): Promise<Row[]> {
    const s = this.schema;
    const params = new Params(projectId);
    return this.db.query<Row>(
      `SELECT t.training_id, t.name, t.type_code, to_char(t.training_date, 'YYYY-MM-DD') AS date, t.trainer,
              a.enrolment_id, a.passed, a.score::text AS score
       FROM ${s}.trainings t JOIN ${s}.training_attendees a ON a.training_id = t.training_id
         JOIN ${s}.enrolments e ON e.enrolment_id = a.enrolment_id
       WHERE t.project_id = $1 AND ${this.scoped.enrolment(scope, 'e', params)}
       ORDER BY t.training_date, t.training_id, a.enrolment_id`,
      params.values,
    );
  }

  private async project(tx: Sql, e: EnrolmentEvent): Promise<void> {
    const s = this.schema;
    switch (e.type) {
      case 'realname.registry.WorkerEnrolled': {
        const d = e.data;
        await tx.execute(
          `INSERT INTO ${s}.enrolments (enrolment_id, project_id, worker_id, team_id, participant_id, work_type, work_role, is_team_leader, person_id, card_number, status)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'enrolled')`,
          [
            d.enrolmentId,
            d.projectId,
            d.workerId,
            d.teamId,
            d.participantId,
            d.workType,
            d.workRole,
            d.isTeamLeader,
            d.credentials.personId,
            d.credentials.cardNumber ?? null,
          ],
        );
        break;
      }
      case 'realname.registry.ContractSigned':
        await tx.execute(`UPDATE ${s}.enrolments SET contract_signed = true WHERE enrolment_id = $1`, [
          e.data.enrolmentId,
        ]);
        break;
      case 'realname.registry.TrainingRecorded':
        if (e.data.passed)
          await tx.execute(`UPDATE ${s}.enrolments SET safety_trained = true WHERE enrolment_id = $1`, [
            e.data.enrolmentId,
          ]);
        break;
      case 'realname.registry.WorkerEntered':
        await tx.execute(
          `UPDATE ${s}.enrolments SET status = 'entered', entered_on = $2, exited_on = NULL WHERE enrolment_id = $1`,
          [e.data.enrolmentId, e.data.date],
        );
        break;
      case 'realname.registry.WorkerExited':
        await tx.execute(
          `UPDATE ${s}.enrolments SET status = 'exited', exited_on = $2 WHERE enrolment_id = $1`,
          [e.data.enrolmentId, e.data.date],
        );
        break;
      case 'realname.registry.EnrolmentCredentialsChanged':
        await tx.execute(`UPDATE ${s}.enrolments SET card_number = $2 WHERE enrolment_id = $1`, [
          e.data.enrolmentId,
          e.data.credentials.cardNumber ?? null,
        ]);
        break;
      default:
        break;
    }
  }
}
