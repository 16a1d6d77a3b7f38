import type { EventActor } from '@realname/contracts';
import { maskPhone, maskResidentId } from '@realname/domain-rules';
import { Database, EventStore, runCommand, Sql } from '@realname/eventstore';
import { PersonalDataVault } from '@realname/personal-data';
import { CallerScope, regionPrefix } from '@realname/platform';
import { Params, Reach, ScopeSql } from '../access/scope-sql';
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
  /**
   * The scope of whoever registered the worker, and the region it lies in (null when it has none).
   * Absent (operator tools, tests): the worker is in scope through their enrolments only.
   */
  registeredBy?: { scope: CallerScope; region: string | null };
}

/** Workers' streams and every SQL statement of the workers table. Numbers are stored encrypted. */
export class WorkersRepository {
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

  /** Whether the worker exists and is in the caller's scope (checked before a write). */
  reach(tx: Sql, workerId: string, scope: CallerScope): Promise<Reach> {
    return this.scoped.workerReach(tx, workerId, scope);
  }

  /**
   * The division code a registering caller's scope lies in: the code of a region scope, the region of
   * a project scope's project; an enterprise scope has none.
   */
  async regionOfScope(tx: Sql, scope: CallerScope): Promise<string | null> {
    if (regionPrefix(scope) !== undefined) return scope.code;
    if (scope.kind !== 'project') return null;
    const [p] = await tx.query<{ region: string }>(
      `SELECT region FROM ${this.schema}.projects WHERE project_id = $1`,
      [scope.code],
    );
    return p?.region ?? null;
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
    actor?: EventActor,
  ): Promise<WorkerEvent[] | WorkerRejection> {
    if (!streamId) return decideWorker(command, initialWorkerState());
    return runCommand({
      store: this.store,
      actor: actor,
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
         issuing_authority, id_valid_from, id_valid_to, phone_encrypted, masked_phone, education, politics, head_photo,
         registered_scope_kind, registered_scope_code, registered_region)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
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
        w.registeredBy?.scope.kind ?? null,
        w.registeredBy?.scope.kind === 'enterprise'
          ? w.registeredBy.scope.code.toUpperCase()
          : (w.registeredBy?.scope.code ?? null),
        w.registeredBy?.region ?? null,
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

  /** The head photo of a worker in the caller's scope. */
  async headPhoto(workerId: string, scope: CallerScope): Promise<Buffer | undefined> {
    const params = new Params(workerId);
    const [row] = await this.db.query<{ head_photo: Buffer | null }>(
      `SELECT w.head_photo FROM ${this.schema}.workers w WHERE w.worker_id = $1 AND ${this.scoped.worker(scope, 'w', params)}`,
      params.values,
    );
    return row?.head_photo ?? undefined;
  }
}
