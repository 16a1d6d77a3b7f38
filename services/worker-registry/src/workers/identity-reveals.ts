import { Database } from '@realname/eventstore';
import { PersonalDataVault } from '@realname/personal-data';
import { AccessRefusal, checkPurpose, isRefusal, RevealAccess } from './reveal-access';

export type RevealRefusal = AccessRefusal | { refused: 'not-found'; message: string };
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
}

export interface RevealRecord {
  revealId: string;
  caller: string;
  purpose: string;
  revealedAt: string;
}

const WORKER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type Log = (level: 'info' | 'warn', msg: string, fields: Record<string, unknown>) => void;

/**
 * The one way to read a worker's numbers unmasked (with the birth date, home address and issuing
 * authority, which ordinary reads leave out), for REST and gRPC alike: the caller's token is
 * checked, a purpose is required, and the read and its audit row (`identity_reveals`) commit together
 * or not at all. Logs name the worker, caller and purpose, never a number.
 */
export class IdentityReveals {
  constructor(
    private readonly db: Database,
    private readonly schema: string,
    private readonly vault: PersonalDataVault,
    private readonly access: RevealAccess,
    private readonly log: Log,
  ) {}

  async reveal(request: {
    workerId: string;
    purpose: unknown;
    authorization: string | undefined;
    via: 'grpc' | 'rest';
  }): Promise<RevealOutcome> {
    const { workerId, via } = request;
    const refuse = (r: RevealRefusal, caller?: string): RevealRefusal => {
      // The worker id is the caller's input: logged only when it has the shape of one, whatever was sent.
      const logged = WORKER_ID.test(workerId) ? workerId : '(not a worker id)';
      this.log('warn', 'identity reveal refused', { workerId: logged, via, caller, reason: r.refused });
      return r;
    };
    // Authentication first: an unauthenticated caller learns nothing, not even whether the worker exists.
    const who = this.access.authorize(request.authorization);
    if (isRefusal(who)) return refuse(who);
    if (!workerId)
      return refuse(
        { refused: 'invalid-argument', field: 'workerId', message: 'worker_id is required' },
        who.caller,
      );
    const why = checkPurpose(request.purpose);
    if (isRefusal(why)) return refuse(why, who.caller);

    const s = this.schema;
    const revealed = await this.db.transaction(async (tx) => {
      const [w] = await tx.query<{
        id_encrypted: string;
        phone_encrypted: string | null;
        birth_date: string;
        address: string;
        issuing_authority: string;
      }>(
        `SELECT id_encrypted, phone_encrypted, to_char(birth_date, 'YYYY-MM-DD') AS birth_date, address, issuing_authority
         FROM ${s}.workers WHERE worker_id = $1`,
        [workerId],
      );
      if (!w) return undefined;
      // Decrypted before the audit row is written: a value that cannot be read leaves no "revealed" record.
      const idCardNumber = this.vault.decrypt(w.id_encrypted, `worker:${workerId}:idCardNumber`);
      const phone = w.phone_encrypted
        ? this.vault.decrypt(w.phone_encrypted, `worker:${workerId}:phone`)
        : null;
      const [row] = await tx.query<{ reveal_id: string }>(
        `INSERT INTO ${s}.identity_reveals (worker_id, caller, purpose) VALUES ($1, $2, $3) RETURNING reveal_id`,
        [workerId, who.caller, why.purpose],
      );
      return {
        revealId: String(row.reveal_id),
        idCardNumber,
        phone,
        birthDate: w.birth_date,
        address: w.address,
        issuingAuthority: w.issuing_authority,
      };
    });
    if (!revealed)
      return refuse({ refused: 'not-found', message: `no worker "${workerId}" is registered` }, who.caller);
    this.log('info', 'identity revealed', {
      workerId,
      via,
      caller: who.caller,
      purpose: why.purpose,
      revealId: revealed.revealId,
    });
    return { revealed: true, caller: who.caller, ...revealed };
  }

  /** Every reveal of a worker's numbers, newest first; undefined for an unknown worker. */
  async trail(workerId: string): Promise<RevealRecord[] | undefined> {
    const s = this.schema;
    const [known] = await this.db.query(`SELECT 1 FROM ${s}.workers WHERE worker_id = $1`, [workerId]);
    if (!known) return undefined;
    const rows = await this.db.query<{
      reveal_id: string;
      caller: string;
      purpose: string;
      revealed_at: Date;
    }>(
      `SELECT reveal_id, caller, purpose, revealed_at FROM ${s}.identity_reveals WHERE worker_id = $1
       ORDER BY reveal_id DESC LIMIT 1000`,
      [workerId],
    );
    return rows.map((r) => ({
      revealId: String(r.reveal_id),
      caller: r.caller,
      purpose: r.purpose,
      revealedAt: new Date(r.revealed_at).toISOString(),
    }));
  }
}
