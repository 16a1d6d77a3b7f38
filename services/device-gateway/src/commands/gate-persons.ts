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
import { GatePerson, GatePersonsRepository } from './gate-persons.repository';

/** Where the gateway gets a worker's face photo: the registry, by worker id. */
export interface FaceSource {
  /** The photo's reference in the PhotoStore, or undefined when there is none (or it cannot be had now). */
  faceOf(workerId: string, sql: Sql): Promise<string | undefined>;
}

/**
 * Who should be on the gates of each project, from the registry's enrolment events: when a worker
 * enters a project every device of the project is told to add them (with their face), on exit to
 * remove them; a device registered later gets everyone already on site.
 */
export class GatePersons {
  private readonly repo: GatePersonsRepository;

  constructor(
    private readonly db: Database,
    schema: string,
    private readonly commands: CommandQueue,
    private readonly faces: FaceSource,
  ) {
    this.repo = new GatePersonsRepository(schema);
  }

  /** Handles one registry enrolment event inside the consumer's transaction. */
  async handle(tx: Sql, envelope: EventEnvelope): Promise<void> {
    switch (envelope.type) {
      case WorkerEnrolled.type: {
        const e = parseEvent(WorkerEnrolled, envelope).data;
        await this.repo.enrolled(tx, {
          enrolmentId: e.enrolmentId,
          projectId: e.projectId,
          workerId: e.workerId,
          personId: e.credentials.personId,
          name: e.name,
          cardNumber: e.credentials.cardNumber,
        });
        return;
      }
      case WorkerEntered.type: {
        const e = parseEvent(WorkerEntered, envelope).data;
        await this.repo.lockProject(tx, e.projectId);
        const person = await this.repo.setEntered(tx, e.enrolmentId, true);
        if (person) await this.toDevices(tx, person, 'person.upsert', `entered:${e.enrolmentId}`);
        return;
      }
      case WorkerExited.type: {
        const e = parseEvent(WorkerExited, envelope).data;
        await this.repo.lockProject(tx, e.projectId);
        const person = await this.repo.setEntered(tx, e.enrolmentId, false);
        if (person) await this.toDevices(tx, person, 'person.delete', `exited:${e.enrolmentId}`);
        return;
      }
      case EnrolmentCredentialsChanged.type: {
        const e = parseEvent(EnrolmentCredentialsChanged, envelope).data;
        await this.repo.lockProject(tx, e.projectId);
        const before = await this.repo.lock(tx, e.enrolmentId);
        if (!before) return;
        const after = await this.repo.setCredentials(tx, e.enrolmentId, e.credentials);
        if (!before.entered) return;
        // A changed PIN is a different person on the device: the old one goes first.
        if (before.personId !== after.personId)
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
      await this.repo.lockProject(tx, device.projectId);
      const people = await this.repo.onSite(tx, device.projectId);
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

  private async toDevices(
    tx: Sql,
    person: GatePerson,
    kind: 'person.upsert' | 'person.delete',
    origin: string,
  ): Promise<void> {
    const devices = await this.repo.enabledDevices(tx, person.projectId);
    if (devices.length === 0) return;
    const payload =
      kind === 'person.upsert' ? await this.upsertPayload(tx, person) : { personId: person.personId };
    for (const d of devices) await this.commands.enqueuePersonChange(d, kind, payload, origin, tx);
  }

  private async upsertPayload(tx: Sql, p: GatePerson): Promise<PersonUpsert> {
    const photoRef = await this.faces.faceOf(p.workerId, tx);
    return {
      personId: p.personId,
      name: p.name,
      ...(p.cardNumber ? { cardNumber: p.cardNumber } : {}),
      ...(photoRef ? { photoRef } : {}),
    };
  }
}
