import { Database } from '@realname/eventstore';
import { PersonalDataVault } from '@realname/personal-data';
import { actorOf, Caller, CallerScope } from '@realname/platform';
import { Params, ScopeSql } from '../access/scope-sql';
import { checkPurpose, PurposeRefusal } from './reveal-purpose';

export type RevealRefusal =
  | PurposeRefusal
  | { refused: 'invalid-argument'; field: string; message: string }
  | { refused: 'not-found'; message: string };
export type RevealOutcome =
  ({ revealed: true; caller: string; revealId: string } & RevealedIdentity) | RevealRefusal;

/** What only a reveal shows: the numbers unmasked, and what with the mask would rebuild the number. */
export interface RevealedIdentity {
  idCardNumber: string;
  phone: string | null;
  /** YYYY-MM-DD. */
  birthDate: string;
  /** Home address as on the ID card. */
  address: string;
  /** Issuing authority as on the ID card (it names the county). */
  issuingAuthority: string;
  /** The card's validity as registered (YYYY-MM-DD; the end may be 长期), null when not registered. */
  idValidFrom: string | null;
  idValidTo: string | null;
}

export interface RevealRecord {
  revealId: string;
  /** The token's subject. */
  caller: string;
  /** The role the caller revealed in, and its scope (`city:330100`); null for reveals before issue 10. */
  callerRole: string | null;
  callerScope: string | null;
  purpose: string;
  revealedAt: string;
}

const WORKER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type Log = (level: 'info' | 'warn', msg: string, fields: Record<string, unknown>) => void;

/**
 * The one way to read a worker's numbers unmasked (with the birth date, home address and issuing
 * authority, which ordinary reads leave out), for REST and gRPC alike. The guard has checked the token
 * and its `reveal-identity` permission; here a purpose is required, the worker must be in the
 * caller's scope (else not found), and the read and its audit row (`identity_reveals`: subject, role,
 * scope, purpose) commit together or not at all. Logs name the worker, caller and purpose, never a number.
 */
export class IdentityReveals {
  private readonly scoped: ScopeSql;

  constructor(
    private readonly db: Database,
    private readonly schema: string,
    private readonly vault: PersonalDataVault,
    private readonly log: Log,
  ) {
    this.scoped = new ScopeSql(schema);
  }

  async reveal(request: {
    workerId: string;
    purpose: unknown;
    caller: Caller;
    via: 'grpc' | 'rest';
  }): Promise<RevealOutcome> {
    const { workerId, via } = request;
    const actor = actorOf(request.caller);
    const refuse = (r: RevealRefusal): RevealRefusal => {
      // The worker id is the caller's input: logged only when it has the shape of one, whatever was sent.
      const logged = WORKER_ID.test(workerId) ? workerId : '(not a worker id)';
      this.log('warn', 'identity reveal refused', {
        workerId: logged,
        via,
        caller: actor.subject,
        role: actor.role,
        scope: actor.scope,
        reason: r.refused,
      });
      return r;
    };
    if (!workerId)
      return refuse({ refused: 'invalid-argument', field: 'workerId', message: 'worker_id is required' });
    const why = checkPurpose(request.purpose);
    if ('refused' in why) return refuse(why);

    const s = this.schema;
    const revealed = await this.db.transaction(async (tx) => {
      const params = new Params(workerId);
      const [w] = await tx.query<{
        id_encrypted: string;
        phone_encrypted: string | null;
        birth_date: string;
        address: string;
        issuing_authority: string;
        id_valid_from: string | null;
        id_valid_to: string | null;
      }>(
        `SELECT id_encrypted, phone_encrypted, to_char(birth_date, 'YYYY-MM-DD') AS birth_date, address, issuing_authority,
                to_char(id_valid_from, 'YYYY-MM-DD') AS id_valid_from, id_valid_to
         FROM ${s}.workers w WHERE w.worker_id = $1 AND ${this.scoped.worker(request.caller.scope, 'w', params)}`,
        params.values,
      );
      if (!w) return undefined;
      // Decrypted before the audit row is written: a value that cannot be read leaves no "revealed" record.
      const idCardNumber = this.vault.decrypt(w.id_encrypted, `worker:${workerId}:idCardNumber`);
      const phone = w.phone_encrypted
        ? this.vault.decrypt(w.phone_encrypted, `worker:${workerId}:phone`)
        : null;
      const [row] = await tx.query<{ reveal_id: string }>(
        `INSERT INTO ${s}.identity_reveals (worker_id, caller, caller_role, caller_scope, purpose)
         VALUES ($1, $2, $3, $4, $5) RETURNING reveal_id`,
        [workerId, actor.subject, actor.role, actor.scope, why.purpose],
      );
      return {
        revealId: String(row.reveal_id),
        idCardNumber,
        phone,
        birthDate: w.birth_date,
        address: w.address,
        issuingAuthority: w.issuing_authority,
        idValidFrom: w.id_valid_from,
        idValidTo: w.id_valid_to,
      };
    });
    if (!revealed) return refuse({ refused: 'not-found', message: `no worker "${workerId}" is registered` });
    this.log('info', 'identity revealed', {
      workerId,
      via,
      caller: actor.subject,
      role: actor.role,
      scope: actor.scope,
      purpose: why.purpose,
      revealId: revealed.revealId,
    });
    return { revealed: true, caller: actor.subject, ...revealed };
  }

  /** Every reveal of a worker's numbers, newest first; undefined for a worker unknown or outside `scope`. */
  async trail(workerId: string, scope: CallerScope): Promise<RevealRecord[] | undefined> {
    const s = this.schema;
    const params = new Params(workerId);
    const [known] = await this.db.query(
      `SELECT 1 FROM ${s}.workers w WHERE w.worker_id = $1 AND ${this.scoped.worker(scope, 'w', params)}`,
      params.values,
    );
    if (!known) return undefined;
    const rows = await this.db.query<{
      reveal_id: string;
      caller: string;
      caller_role: string | null;
      caller_scope: string | null;
      purpose: string;
      revealed_at: Date;
    }>(
      `SELECT reveal_id, caller, caller_role, caller_scope, purpose, revealed_at FROM ${s}.identity_reveals WHERE worker_id = $1
       ORDER BY reveal_id DESC LIMIT 1000`,
      [workerId],
    );
    return rows.map((r) => ({
      revealId: String(r.reveal_id),
      caller: r.caller,
      callerRole: r.caller_role,
      callerScope: r.caller_scope,
      purpose: r.purpose,
      revealedAt: new Date(r.revealed_at).toISOString(),
    }));
  }
}
