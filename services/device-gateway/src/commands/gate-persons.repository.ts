import { Sql } from '@realname/eventstore';

/** A worker as the gates know them: who they are on the devices, and whether they are on site. */
export interface GatePerson {
  enrolmentId: string;
  projectId: string;
  workerId: string;
  personId: string;
  name: string;
  cardNumber?: string;
  entered: boolean;
}

interface GatePersonRow {
  enrolment_id: string;
  project_id: string;
  worker_id: string;
  person_id: string;
  name: string;
  card_number: string | null;
  entered: boolean;
}

/** Every SQL statement of who is on the gates (gate_persons, and the devices of a project). */
export class GatePersonsRepository {
  constructor(private readonly schema: string) {}

  /**
   * Who is on a project's gates changes (an entry or exit being applied) and which devices the project
   * has changes (a device registered) in separate transactions: each takes this lock first, so one
   * always sees the other's result and a device registered at the moment of an entry never misses the
   * person.
   */
  async lockProject(tx: Sql, projectId: string): Promise<void> {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`gate-persons:${projectId}`]);
  }

  async enrolled(tx: Sql, p: Omit<GatePerson, 'entered'>): Promise<void> {
    await tx.execute(
      `INSERT INTO ${this.schema}.gate_persons (enrolment_id, project_id, worker_id, person_id, name, card_number)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (enrolment_id) DO UPDATE SET person_id = EXCLUDED.person_id, name = EXCLUDED.name,
         card_number = EXCLUDED.card_number, updated_at = now()`,
      [p.enrolmentId, p.projectId, p.workerId, p.personId, p.name, p.cardNumber ?? null],
    );
  }

  async setEntered(tx: Sql, enrolmentId: string, entered: boolean): Promise<GatePerson | undefined> {
    const [row] = await tx.query<GatePersonRow>(
      `UPDATE ${this.schema}.gate_persons SET entered = $2, updated_at = now() WHERE enrolment_id = $1 RETURNING *`,
      [enrolmentId, entered],
    );
    return row && toGatePerson(row);
  }

  async lock(tx: Sql, enrolmentId: string): Promise<GatePerson | undefined> {
    const [row] = await tx.query<GatePersonRow>(
      `SELECT * FROM ${this.schema}.gate_persons WHERE enrolment_id = $1 FOR UPDATE`,
      [enrolmentId],
    );
    return row && toGatePerson(row);
  }

  async setCredentials(
    tx: Sql,
    enrolmentId: string,
    c: { personId: string; cardNumber?: string },
  ): Promise<GatePerson> {
    const [row] = await tx.query<GatePersonRow>(
      `UPDATE ${this.schema}.gate_persons SET person_id = $2, card_number = $3, updated_at = now()
        WHERE enrolment_id = $1 RETURNING *`,
      [enrolmentId, c.personId, c.cardNumber ?? null],
    );
    return toGatePerson(row);
  }

  async onSite(tx: Sql, projectId: string): Promise<GatePerson[]> {
    const rows = await tx.query<GatePersonRow>(
      `SELECT * FROM ${this.schema}.gate_persons WHERE project_id = $1 AND entered ORDER BY person_id`,
      [projectId],
    );
    return rows.map(toGatePerson);
  }

  async enabledDevices(tx: Sql, projectId: string): Promise<string[]> {
    const rows = await tx.query<{ device_id: string }>(
      `SELECT device_id FROM ${this.schema}.devices WHERE project_id = $1 AND enabled ORDER BY device_id`,
      [projectId],
    );
    return rows.map((r) => r.device_id);
  }
}

function toGatePerson(r: GatePersonRow): GatePerson {
  return {
    enrolmentId: r.enrolment_id,
    projectId: r.project_id,
    workerId: r.worker_id,
    personId: r.person_id,
    name: r.name,
    ...(r.card_number ? { cardNumber: r.card_number } : {}),
    entered: r.entered,
  };
}
