import { identifier, Sql } from '@realname/eventstore';

/** A key person as the registry publishes them (KeyPersonAppointed). */
export interface KeyPersonHolder {
  projectId: string;
  participantId: string;
  post: string;
  idHash: string;
  name: string;
  maskedIdNumber: string;
}

/**
 * Attendance's copy of the registry's projects (table `projects`: the region whose calendar and rules
 * apply) and of who holds their key posts (table `key_persons`), as registry.projects.v1 tells them.
 */
export class ProjectsRepository {
  readonly schema: string;

  constructor(schema: string) {
    this.schema = identifier(schema);
  }

  /** ProjectSynced: the project's region and name as they are now. */
  async synced(tx: Sql, p: { projectId: string; region: string; name: string }): Promise<void> {
    await tx.execute(
      `INSERT INTO ${this.schema}.projects (project_id, region, name) VALUES ($1, $2, $3)
       ON CONFLICT (project_id) DO UPDATE SET region = EXCLUDED.region, name = EXCLUDED.name, updated_at = now()`,
      [p.projectId, p.region, p.name],
    );
  }

  /**
   * The post's holder from `since`; the same person re-published (a corrected name or date) keeps the
   * earlier of their start and the new one, so only a corrected earlier date moves it.
   */
  async appointed(tx: Sql, k: KeyPersonHolder, since: string): Promise<void> {
    await tx.execute(
      `INSERT INTO ${this.schema}.key_persons (project_id, participant_id, post, id_hash, name, masked_id_number, since)
       VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz)
       ON CONFLICT (project_id, participant_id, post) DO UPDATE SET id_hash = EXCLUDED.id_hash, name = EXCLUDED.name,
         masked_id_number = EXCLUDED.masked_id_number,
         since = CASE WHEN key_persons.id_hash = EXCLUDED.id_hash THEN LEAST(key_persons.since, EXCLUDED.since)
           ELSE EXCLUDED.since END`,
      [k.projectId, k.participantId, k.post, k.idHash, k.name, k.maskedIdNumber, since],
    );
  }

  /** The post is vacated (or its unit left the project). */
  async vacated(tx: Sql, k: { projectId: string; participantId: string; post: string }): Promise<void> {
    await tx.execute(
      `DELETE FROM ${this.schema}.key_persons WHERE project_id = $1 AND participant_id = $2 AND post = $3`,
      [k.projectId, k.participantId, k.post],
    );
  }
}
