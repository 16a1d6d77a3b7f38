import { identifier, Sql } from '@realname/eventstore';
import type { Enrolment, Participant } from './national-records';

/** Reporting's copies of the registry facts that records' payloads need (corp of a team, of an enrolment). */
export class RegistryCopiesRepository {
  private readonly s: string;

  constructor(schema: string) {
    this.s = identifier(schema);
  }

  async project(sql: Sql, p: { projectId: string; region: string; name: string }): Promise<void> {
    await sql.execute(
      `INSERT INTO ${this.s}.projects (project_id, region, name) VALUES ($1, $2, $3)
       ON CONFLICT (project_id) DO UPDATE SET region = EXCLUDED.region, name = EXCLUDED.name`,
      [p.projectId, p.region, p.name],
    );
  }

  async participant(sql: Sql, p: Participant): Promise<void> {
    await sql.execute(
      `INSERT INTO ${this.s}.participants (project_id, participant_id, credit_code, corp_name) VALUES ($1, $2, $3, $4)
       ON CONFLICT (project_id, participant_id) DO UPDATE
         SET credit_code = EXCLUDED.credit_code, corp_name = EXCLUDED.corp_name`,
      [p.projectId, p.participantId, p.creditCode, p.corpName],
    );
  }

  async findParticipant(
    sql: Sql,
    projectId: string,
    participantId: string,
  ): Promise<Participant | undefined> {
    const rows = await sql.query<{ credit_code: string; corp_name: string }>(
      `SELECT credit_code, corp_name FROM ${this.s}.participants WHERE project_id = $1 AND participant_id = $2`,
      [projectId, participantId],
    );
    return (
      rows[0] && { projectId, participantId, creditCode: rows[0].credit_code, corpName: rows[0].corp_name }
    );
  }

  async enrolment(sql: Sql, e: Enrolment): Promise<void> {
    await sql.execute(
      `INSERT INTO ${this.s}.enrolments (enrolment_id, project_id, worker_id, team_id, credit_code, corp_name)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (enrolment_id) DO UPDATE SET team_id = EXCLUDED.team_id, credit_code = EXCLUDED.credit_code,
         corp_name = EXCLUDED.corp_name`,
      [e.enrolmentId, e.projectId, e.workerId, e.teamId, e.creditCode, e.corpName],
    );
  }

  async findEnrolment(sql: Sql, enrolmentId: string): Promise<Enrolment | undefined> {
    const rows = await sql.query<{
      project_id: string;
      worker_id: string;
      team_id: string;
      credit_code: string;
      corp_name: string;
    }>(`SELECT * FROM ${this.s}.enrolments WHERE enrolment_id = $1`, [enrolmentId]);
    const r = rows[0];
    return (
      r && {
        enrolmentId,
        projectId: r.project_id,
        workerId: r.worker_id,
        teamId: r.team_id,
        creditCode: r.credit_code,
        corpName: r.corp_name,
      }
    );
  }

  /** The project's region; a record of a project reporting has not heard of yet carries the event's. */
  async regionOf(sql: Sql, projectId: string, fallback: string): Promise<string> {
    const rows = await sql.query<{ region: string }>(
      `SELECT region FROM ${this.s}.projects WHERE project_id = $1`,
      [projectId],
    );
    return rows[0]?.region ?? fallback;
  }

  /** `regionOf` for many projects in one statement: the regions of those reporting has heard of. */
  async regionsOf(sql: Sql, projectIds: readonly string[]): Promise<Map<string, string>> {
    if (projectIds.length === 0) return new Map();
    const rows = await sql.query<{ project_id: string; region: string }>(
      `SELECT project_id, region FROM ${this.s}.projects WHERE project_id = ANY($1::text[])`,
      [[...new Set(projectIds)]],
    );
    return new Map(rows.map((r) => [r.project_id, r.region]));
  }
}
