import { maskPhone, maskResidentId } from '@realname/domain-rules';
import { Database, EventStore, runCommand, Sql } from '@realname/eventstore';
import { PersonalDataVault } from '@realname/personal-data';
import { REGISTRY_SOURCE } from '../projects/projects.repository';
import {
  decideWorker,
  evolveWorker,
  initialWorkerState,
  WORKER_EVENTS,
  WorkerCommand,
  WorkerEvent,
  WorkerRejection,
  workerStreamId,
} from './worker.decider';

/** A worker as registered from the ID card. */
export interface NewWorker {
  idCardNumber: string;
  name: string;
  nation: string;
  address: string;
  issuingAuthority: string;
  idValidFrom?: string;
  idValidTo?: string;
  phone?: string;
  education?: string;
  politics?: string;
  /** Base64 JPEG or PNG, at most 50 KB. */
  headPhoto?: string;
}

/** What the workers table holds of a person, besides what their stream holds. */
export interface WorkerRecord extends Omit<NewWorker, 'headPhoto'> {
  workerId: string;
  idHash: string;
  gender: string;
  birthDate: string;
  headPhoto?: Buffer;
}

/** Workers' streams and every SQL statement of the workers table. Numbers are stored encrypted. */
export class WorkersRepository {
  private readonly store: EventStore;

  constructor(
    private readonly db: Database,
    private readonly schema: string,
    private readonly vault: PersonalDataVault,
  ) {
    this.store = new EventStore(db, schema);
  }

  /** The stream of a registered worker (from their ID card's keyed hash), or undefined. */
  async streamIdOf(workerId: string, tx?: Sql): Promise<string | undefined> {
    const [w] = await (tx ?? this.db).query<{ id_hash: string }>(
      `SELECT id_hash FROM ${this.schema}.workers WHERE worker_id = $1`,
      [workerId],
    );
    return w && workerStreamId(w.id_hash);
  }

  /** Decides on the worker's stream; a worker without one is decided on the empty state. */
  async handle(
    tx: Sql,
    streamId: string | undefined,
    command: WorkerCommand,
  ): Promise<WorkerEvent[] | WorkerRejection> {
    if (!streamId) return decideWorker(command, initialWorkerState());
    return runCommand({
      store: this.store,
      tx,
      streamId,
      definitions: WORKER_EVENTS,
      initial: initialWorkerState,
      evolve: evolveWorker,
      decide: (state) => decideWorker(command, state),
      source: REGISTRY_SOURCE,
      region: () => '000000',
    });
  }

  async insert(tx: Sql, w: WorkerRecord): Promise<void> {
    await tx.execute(
      `INSERT INTO ${this.schema}.workers (worker_id, id_hash, id_encrypted, masked_id, name, gender, birth_date, nation, address,
         issuing_authority, id_valid_from, id_valid_to, phone_encrypted, masked_phone, education, politics, head_photo)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
      [
        w.workerId,
        w.idHash,
        this.vault.encrypt(w.idCardNumber, `worker:${w.workerId}:idCardNumber`),
        maskResidentId(w.idCardNumber),
        w.name,
        w.gender,
        w.birthDate,
        w.nation,
        w.address,
        w.issuingAuthority,
        w.idValidFrom ?? null,
        w.idValidTo ?? null,
        w.phone ? this.vault.encrypt(w.phone, `worker:${w.workerId}:phone`) : null,
        w.phone ? maskPhone(w.phone) : null,
        w.education ?? null,
        w.politics ?? null,
        w.headPhoto ?? null,
      ],
    );
  }

  async markBlacklisted(tx: Sql, workerId: string, reason: string, actor: string): Promise<void> {
    await tx.execute(
      `UPDATE ${this.schema}.workers SET blacklisted = true, blacklist_reason = $2, blacklisted_by = $3, blacklisted_at = now()
       WHERE worker_id = $1`,
      [workerId, reason, actor],
    );
  }

  /** Entry reads `blacklisted`: after a lift it is false again (the history stays in the stream). */
  async markBlacklistLifted(tx: Sql, workerId: string): Promise<void> {
    await tx.execute(
      `UPDATE ${this.schema}.workers SET blacklisted = false, blacklist_reason = NULL, blacklisted_by = NULL, blacklisted_at = NULL
       WHERE worker_id = $1`,
      [workerId],
    );
  }

  async headPhoto(workerId: string): Promise<Buffer | undefined> {
    const [row] = await this.db.query<{ head_photo: Buffer | null }>(
      `SELECT head_photo FROM ${this.schema}.workers WHERE worker_id = $1`,
      [workerId],
    );
    return row?.head_photo ?? undefined;
  }
}
