import type { EventEnvelope } from '@realname/contracts';
import {
  EnrolmentCredentialsChanged,
  parseEvent,
  WorkerEnrolled,
  WorkerEntered,
  WorkerExited,
} from '@realname/contracts';
import { Database, Sql } from '@realname/eventstore';
import type { Device } from '../devices/device';
import { CommandQueue, PersonUpsert } from './command-queue';

/** Where the gateway gets a worker's face photo: the registry, by worker id. */
export interface FaceSource {
  /** The photo's reference in the PhotoStore, or undefined when there is none (or it cannot be had now). */
  faceOf(workerId: string, sql: Sql): Promise<string | undefined>;
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

/**
 * Who should be on the gates of each project, from the registry's enrolment events: when a worker
 * enters a project every device of the project is told to add them (with their face), on exit to
 * remove them; a device registered later gets everyone already on site.
 */
export class GatePersons {
  constructor(
    private readonly db: Database,
    private readonly schema: string,
    private readonly commands: CommandQueue,
    private readonly faces: FaceSource,
  ) {}

  /** Handles one registry enrolment event inside the consumer's transaction. */
  async handle(tx: Sql, envelope: EventEnvelope): Promise<void> {
    switch (envelope.type) {
      case WorkerEnrolled.type: {
        const e = parseEvent(WorkerEnrolled, envelope).data;
        await tx.execute(
          `INSERT INTO ${this.schema}.gate_persons (enrolment_id, project_id, worker_id, person_id, name, card_number)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (enrolment_id) DO UPDATE SET person_id = EXCLUDED.person_id, name = EXCLUDED.name,
             card_number = EXCLUDED.card_number, updated_at = now()`,
          [
            e.enrolmentId,
            e.projectId,
            e.workerId,
            e.credentials.personId,
            e.name,
            e.credentials.cardNumber ?? null,
          ],
        );
        return;
      }
      case WorkerEntered.type: {
        const e = parseEvent(WorkerEntered, envelope).data;
        await lockProject(tx, e.projectId);
        const person = await this.setEntered(tx, e.enrolmentId, true);
        if (person) await this.toDevices(tx, person, 'person.upsert', `entered:${e.enrolmentId}`);
        return;
      }
      case WorkerExited.type: {
        const e = parseEvent(WorkerExited, envelope).data;
        await lockProject(tx, e.projectId);
        const person = await this.setEntered(tx, e.enrolmentId, false);
        if (person) await this.toDevices(tx, person, 'person.delete', `exited:${e.enrolmentId}`);
        return;
      }
      case EnrolmentCredentialsChanged.type: {
        const e = parseEvent(EnrolmentCredentialsChanged, envelope).data;
        await lockProject(tx, e.projectId);
        const [before] = await tx.query<GatePersonRow>(
          `SELECT * FROM ${this.schema}.gate_persons WHERE enrolment_id = $1 FOR UPDATE`,
          [e.enrolmentId],
        );
        if (!before) return;
        const [after] = await tx.query<GatePersonRow>(
          `UPDATE ${this.schema}.gate_persons SET person_id = $2, card_number = $3, updated_at = now()
            WHERE enrolment_id = $1 RETURNING *`,
          [e.enrolmentId, e.credentials.personId, e.credentials.cardNumber ?? null],
        );
        if (!before.entered) return;
        if (before.person_id !== after.person_id)
          await this.toDevices(tx, before, 'person.delete', `credentials:${e.enrolmentId}`);
        await this.toDevices(tx, after, 'person.upsert', `credentials:${e.enrolmentId}`);
        return;
      }
      default:
        return;
    }
  }

  /** Queues everyone on site for one device (a device registered or moved to a project, or a resync). */
  async syncDevice(device: Device): Promise<number> {
    return this.db.transaction(async (tx) => {
      await lockProject(tx, device.projectId);
      const people = await tx.query<GatePersonRow>(
        `SELECT * FROM ${this.schema}.gate_persons WHERE project_id = $1 AND entered ORDER BY person_id`,
        [device.projectId],
      );
      for (const p of people) {
        await this.commands.enqueuePersonChange(
          device.deviceId,
          'person.upsert',
          await this.upsertPayload(tx, p),
          `sync:${device.deviceId}`,
          tx,
        );
      }
      return people.length;
    });
  }

  private async setEntered(
    tx: Sql,
    enrolmentId: string,
    entered: boolean,
  ): Promise<GatePersonRow | undefined> {
    const [row] = await tx.query<GatePersonRow>(
      `UPDATE ${this.schema}.gate_persons SET entered = $2, updated_at = now() WHERE enrolment_id = $1 RETURNING *`,
      [enrolmentId, entered],
    );
    return row;
  }

  private async toDevices(
    tx: Sql,
    person: GatePersonRow,
    kind: 'person.upsert' | 'person.delete',
    origin: string,
  ): Promise<void> {
    const devices = await tx.query<{ device_id: string }>(
      `SELECT device_id FROM ${this.schema}.devices WHERE project_id = $1 AND enabled ORDER BY device_id`,
      [person.project_id],
    );
    if (devices.length === 0) return;
    const payload =
      kind === 'person.upsert' ? await this.upsertPayload(tx, person) : { personId: person.person_id };
    for (const d of devices) await this.commands.enqueuePersonChange(d.device_id, kind, payload, origin, tx);
  }

  private async upsertPayload(tx: Sql, p: GatePersonRow): Promise<PersonUpsert> {
    const photoRef = await this.faces.faceOf(p.worker_id, tx);
    return {
      personId: p.person_id,
      name: p.name,
      ...(p.card_number ? { cardNumber: p.card_number } : {}),
      ...(photoRef ? { photoRef } : {}),
    };
  }
}

/**
 * Who is on a project's gates changes (an entry or exit being applied) and which devices the project has
 * changes (a device registered) in separate transactions: each takes this lock first, so one always
 * sees the other's result and a device registered at the moment of an entry never misses the person.
 */
async function lockProject(tx: Sql, projectId: string): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`gate-persons:${projectId}`]);
}
