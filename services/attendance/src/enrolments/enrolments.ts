import { identifier, Sql } from '@realname/eventstore';
import type { EnrolmentFacts } from '../punches/resolution';

/** An enrolment row as the registry events left it. */
export interface EnrolmentRow {
  enrolment_id: string;
  project_id: string;
  worker_id: string;
  person_id: string | null;
  card_number: string | null;
  entered_on: string | null;
  exited_on: string | null;
}

export interface EnrolmentDetails {
  projectId: string;
  workerId: string;
  name: string;
  maskedIdNumber: string;
  teamId: string;
  teamName: string;
  participantId: string;
  creditCode: string;
  corpName: string;
  workType: string;
  workRole: string;
  isTeamLeader: boolean;
  credentials: { personId: string; cardNumber?: string };
}

const DAY_COLUMNS = `to_char(entered_on, 'YYYY-MM-DD') AS entered_on, to_char(exited_on, 'YYYY-MM-DD') AS exited_on`;

/**
 * Attendance's copy of the registry's enrolments (table `enrolments`), and the lock that keeps a punch
 * and a registry change about the same device identifier from missing each other.
 */
export class Enrolments {
  readonly schema: string;

  constructor(schema: string) {
    this.schema = identifier(schema);
  }

  /**
   * Serialises "who is this identifier on this project" between recording a punch (shared: punches do
   * not wait for each other) and changing an enrolment (exclusive). Without it, a punch recorded while
   * the enrolment that resolves it commits would see neither the enrolment nor be seen by the late
   * resolution, and stay unresolved. Held to the end of the transaction; taken in sorted order.
   */
  async lock(tx: Sql, projectId: string, identifiers: string[], mode: 'shared' | 'exclusive'): Promise<void> {
    const fn = mode === 'shared' ? 'pg_advisory_xact_lock_shared' : 'pg_advisory_xact_lock';
    for (const id of [...new Set(identifiers)].sort()) {
      await tx.query(`SELECT ${fn}(hashtext($1), hashtext($2))`, [
        `${this.schema}:who-punched`,
        `${projectId}/${id}`,
      ]);
    }
  }

  /** The project's enrolments whose credential person id or card number is the identifier a device reported. */
  async matching(tx: Sql, projectId: string, identifier: string): Promise<EnrolmentFacts[]> {
    const rows = await tx.query<Record<string, string | null>>(
      `SELECT enrolment_id, worker_id, name, masked_id_number, team_id, team_name, participant_id, corp_name,
              work_type, person_id, card_number, ${DAY_COLUMNS}
       FROM ${this.schema}.enrolments
       WHERE project_id = $1 AND person_id IS NOT NULL AND (person_id = $2 OR card_number = $2)`,
      [projectId, identifier],
    );
    return rows.map((r) => ({
      enrolmentId: r.enrolment_id!,
      workerId: r.worker_id!,
      workerName: r.name ?? undefined,
      maskedIdNumber: r.masked_id_number ?? undefined,
      teamId: r.team_id ?? undefined,
      teamName: r.team_name ?? undefined,
      participantId: r.participant_id ?? undefined,
      corpName: r.corp_name ?? undefined,
      workType: r.work_type ?? undefined,
      personId: r.person_id!,
      cardNumber: r.card_number ?? undefined,
      enteredOn: r.entered_on ?? undefined,
      exitedOn: r.exited_on ?? undefined,
    }));
  }

  /** The row as it is, locked for the rest of the transaction. */
  async forUpdate(tx: Sql, enrolmentId: string): Promise<EnrolmentRow | undefined> {
    const [row] = await tx.query<EnrolmentRow>(
      `SELECT enrolment_id, project_id, worker_id, person_id, card_number, ${DAY_COLUMNS}
       FROM ${this.schema}.enrolments WHERE enrolment_id = $1 FOR UPDATE`,
      [enrolmentId],
    );
    return row;
  }

  /** WorkerEnrolled: everything but the entry and exit dates (a replayed enrolment keeps them). */
  async enrolled(tx: Sql, enrolmentId: string, d: EnrolmentDetails): Promise<void> {
    await tx.execute(
      `INSERT INTO ${this.schema}.enrolments (enrolment_id, project_id, worker_id, name, masked_id_number, team_id,
         team_name, participant_id, credit_code, corp_name, work_type, work_role, is_team_leader, person_id, card_number)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
       ON CONFLICT (enrolment_id) DO UPDATE SET project_id = EXCLUDED.project_id, worker_id = EXCLUDED.worker_id,
         name = EXCLUDED.name, masked_id_number = EXCLUDED.masked_id_number, team_id = EXCLUDED.team_id,
         team_name = EXCLUDED.team_name, participant_id = EXCLUDED.participant_id, credit_code = EXCLUDED.credit_code,
         corp_name = EXCLUDED.corp_name, work_type = EXCLUDED.work_type, work_role = EXCLUDED.work_role,
         is_team_leader = EXCLUDED.is_team_leader, person_id = EXCLUDED.person_id, card_number = EXCLUDED.card_number,
         updated_at = now()`,
      [
        enrolmentId,
        d.projectId,
        d.workerId,
        d.name,
        d.maskedIdNumber,
        d.teamId,
        d.teamName,
        d.participantId,
        d.creditCode,
        d.corpName,
        d.workType,
        d.workRole,
        d.isTeamLeader,
        d.credentials.personId,
        d.credentials.cardNumber ?? null,
      ],
    );
  }

  /**
   * WorkerEntered. An entry after the recorded exit is a re-entry: the exit no longer holds. (One
   * period per enrolment: punches of an earlier period that arrive after a re-entry read `not-entered`.)
   */
  async entered(
    tx: Sql,
    e: { enrolmentId: string; projectId: string; workerId: string; date: string },
  ): Promise<void> {
    await tx.execute(
      `INSERT INTO ${this.schema}.enrolments (enrolment_id, project_id, worker_id, entered_on)
       VALUES ($1, $2, $3, $4::date)
       ON CONFLICT (enrolment_id) DO UPDATE SET entered_on = EXCLUDED.entered_on,
         exited_on = CASE WHEN enrolments.exited_on < EXCLUDED.entered_on THEN NULL ELSE enrolments.exited_on END,
         updated_at = now()`,
      [e.enrolmentId, e.projectId, e.workerId, e.date],
    );
  }

  async exited(
    tx: Sql,
    e: { enrolmentId: string; projectId: string; workerId: string; date: string },
  ): Promise<void> {
    await tx.execute(
      `INSERT INTO ${this.schema}.enrolments (enrolment_id, project_id, worker_id, exited_on)
       VALUES ($1, $2, $3, $4::date)
       ON CONFLICT (enrolment_id) DO UPDATE SET exited_on = EXCLUDED.exited_on, updated_at = now()`,
      [e.enrolmentId, e.projectId, e.workerId, e.date],
    );
  }

  async credentialsChanged(
    tx: Sql,
    e: {
      enrolmentId: string;
      projectId: string;
      workerId: string;
      credentials: { personId: string; cardNumber?: string };
    },
  ): Promise<void> {
    await tx.execute(
      `INSERT INTO ${this.schema}.enrolments (enrolment_id, project_id, worker_id, person_id, card_number)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (enrolment_id) DO UPDATE SET person_id = EXCLUDED.person_id, card_number = EXCLUDED.card_number,
         updated_at = now()`,
      [e.enrolmentId, e.projectId, e.workerId, e.credentials.personId, e.credentials.cardNumber ?? null],
    );
  }
}
