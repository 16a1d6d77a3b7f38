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
  /** The keyed hash of the ID number: links the worker to a key post they hold. */
  idHash: string;
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

/** A device identifier (credential person id or card number) on one project. */
export interface ProjectIdentifier {
  projectId: string;
  identifier: string;
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
    await this.lockMany(
      tx,
      identifiers.map((identifier) => ({ projectId, identifier })),
      mode,
    );
  }

  /**
   * `lock` for identifiers of any projects at once, in one statement (a batch of punches takes all its
   * shared locks together). The locks are taken in one global order, by project and then identifier, so
   * that within a project it is the order `lock` has always used; two lockers that each need several
   * identifiers wait for each other instead of deadlocking (within one project, which is what a registry
   * change locks).
   */
  async lockMany(tx: Sql, keys: ProjectIdentifier[], mode: 'shared' | 'exclusive'): Promise<void> {
    const sorted = distinctSorted(keys);
    if (sorted.length === 0) return;
    const fn = mode === 'shared' ? 'pg_advisory_xact_lock_shared' : 'pg_advisory_xact_lock';
    // The key text is what it has always been (`<project>/<identifier>`), so replicas running the
    // previous version lock the same keys. Rows are locked in array order (ORDER BY ord).
    await tx.query(
      `SELECT ${fn}(hashtext($1), hashtext(k.key)) FROM unnest($2::text[]) WITH ORDINALITY AS k(key, ord) ORDER BY k.ord`,
      [`${this.schema}:who-punched`, sorted.map((k) => `${k.projectId}/${k.identifier}`)],
    );
  }

  /** The project's enrolments whose credential person id or card number is the identifier a device reported. */
  async matching(tx: Sql, projectId: string, identifier: string): Promise<EnrolmentFacts[]> {
    const found = await this.matchingMany(tx, [{ projectId, identifier }]);
    return found.get(matchKey({ projectId, identifier })) ?? [];
  }

  /**
   * `matching` for many identifiers at once, in one query: by `matchKey(key)`, the enrolments of that
   * project whose credential person id or card number is the identifier (an empty list when none).
   */
  async matchingMany(tx: Sql, keys: ProjectIdentifier[]): Promise<Map<string, EnrolmentFacts[]>> {
    const sorted = distinctSorted(keys);
    const found = new Map<string, EnrolmentFacts[]>(sorted.map((k) => [matchKey(k), []]));
    if (sorted.length === 0) return found;
    // Two joins rather than one with OR, so each can use its index (enrolments_person, enrolments_card);
    // an enrolment matching by both person id and card number comes once (UNION).
    const rows = await tx.query<Record<string, string | null>>(
      `WITH k AS (SELECT * FROM unnest($1::text[], $2::text[]) AS k(project_id, identifier))
       SELECT k.project_id AS key_project_id, k.identifier AS key_identifier, ${MATCH_COLUMNS}
         FROM k JOIN ${this.schema}.enrolments e ON e.project_id = k.project_id AND e.person_id = k.identifier
       UNION
       SELECT k.project_id, k.identifier, ${MATCH_COLUMNS}
         FROM k JOIN ${this.schema}.enrolments e ON e.project_id = k.project_id AND e.card_number = k.identifier
        WHERE e.person_id IS NOT NULL`,
      [sorted.map((k) => k.projectId), sorted.map((k) => k.identifier)],
    );
    for (const r of rows) {
      found.get(matchKey({ projectId: r.key_project_id!, identifier: r.key_identifier! }))!.push(toFacts(r));
    }
    return found;
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
         team_name, participant_id, credit_code, corp_name, work_type, work_role, is_team_leader, person_id, card_number, id_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
       ON CONFLICT (enrolment_id) DO UPDATE SET project_id = EXCLUDED.project_id, worker_id = EXCLUDED.worker_id,
         name = EXCLUDED.name, masked_id_number = EXCLUDED.masked_id_number, team_id = EXCLUDED.team_id,
         team_name = EXCLUDED.team_name, participant_id = EXCLUDED.participant_id, credit_code = EXCLUDED.credit_code,
         corp_name = EXCLUDED.corp_name, work_type = EXCLUDED.work_type, work_role = EXCLUDED.work_role,
         is_team_leader = EXCLUDED.is_team_leader, person_id = EXCLUDED.person_id, card_number = EXCLUDED.card_number,
         id_hash = EXCLUDED.id_hash, updated_at = now()`,
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
        d.idHash,
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

/** The key of an identifier in what `matchingMany` returns. */
export function matchKey(k: ProjectIdentifier): string {
  return `${k.projectId}\u0000${k.identifier}`;
}

/** Each (project, identifier) once, ordered by project and then identifier (UTF-16 code units, as sort()). */
function distinctSorted(keys: ProjectIdentifier[]): ProjectIdentifier[] {
  const unique = new Map(keys.map((k) => [matchKey(k), k]));
  return [...unique.values()].sort((a, b) =>
    a.projectId !== b.projectId ? compare(a.projectId, b.projectId) : compare(a.identifier, b.identifier),
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const MATCH_COLUMNS = `e.enrolment_id, e.worker_id, e.name, e.masked_id_number, e.team_id, e.team_name, e.participant_id,
  e.corp_name, e.work_type, e.person_id, e.card_number, to_char(e.entered_on, 'YYYY-MM-DD') AS entered_on,
  to_char(e.exited_on, 'YYYY-MM-DD') AS exited_on`;

function toFacts(r: Record<string, string | null>): EnrolmentFacts {
  return {
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
  };
}
