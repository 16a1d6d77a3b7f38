import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import { Counter, Gauge, Registry } from 'prom-client';
import { Database, isRejection, Sql } from '@realname/eventstore';
import { maskResidentId } from '@realname/domain-rules';
import { PersonalDataVault } from '@realname/personal-data';
import { ProjectRepository } from '../projects/projects.repository';
import { IntegrityChange, IntegrityPlatform, IntegrityPlatformError } from './integrity-platform';

const FEED = 'integrity';

export interface SyncResult {
  pages: number;
  applied: number;
  skipped: number;
  cursor: string;
  error?: string;
}

export interface SyncStatus {
  cursor: string;
  lastSeq: number;
  changesApplied: number;
  lastSuccessAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  running: boolean;
}

/**
 * Pulls the integrity platform's change feed into the registry. Each page is applied in one
 * transaction together with the cursor that follows it, so a failure at any point (network, timeout,
 * a crash) resumes from the last committed page and applies nothing twice; re-applying a change that
 * does not alter anything emits nothing (the project decider compares).
 */
export class IntegritySync {
  private current?: Promise<SyncResult>;
  private timer?: NodeJS.Timeout;
  private readonly changes?: Counter<'kind'>;
  private readonly runs?: Counter<'outcome'>;

  constructor(
    private readonly db: Database,
    private readonly schema: string,
    private readonly platform: IntegrityPlatform,
    private readonly projects: ProjectRepository,
    private readonly vault: PersonalDataVault,
    private readonly opts: {
      pageSize: number;
      maxAttempts?: number;
      retryDelayMs?: number;
      log?: (msg: string, fields: object) => void;
    },
    registry?: Registry,
  ) {
    if (registry) {
      this.changes = new Counter({
        name: 'integrity_sync_changes_total',
        help: 'Integrity platform changes applied',
        labelNames: ['kind'],
        registers: [registry],
      });
      this.runs = new Counter({
        name: 'integrity_sync_runs_total',
        help: 'Integrity sync runs by outcome',
        labelNames: ['outcome'],
        registers: [registry],
      });
      const status = () => this.status().catch(() => undefined);
      new Gauge({
        name: 'integrity_sync_last_success_timestamp_seconds',
        help: 'When the last sync run finished without error',
        registers: [registry],
        async collect() {
          const s = await status();
          this.set(s?.lastSuccessAt ? Date.parse(s.lastSuccessAt) / 1000 : 0);
        },
      });
    }
  }

  /** Runs the sync now; a call while a run is in progress joins that run. */
  runOnce(): Promise<SyncResult> {
    this.current ??= this.run().finally(() => (this.current = undefined));
    return this.current;
  }

  schedule(intervalS: number): void {
    if (intervalS <= 0) return;
    const tick = () => {
      this.timer = setTimeout(async () => {
        await this.runOnce().catch(() => undefined);
        if (this.timer) tick();
      }, intervalS * 1000);
    };
    void this.runOnce().catch(() => undefined);
    tick();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.current?.catch(() => undefined);
  }

  async status(): Promise<SyncStatus> {
    const [row] = await this.db.query<Record<string, string | Date | null>>(
      `SELECT cursor, last_seq::text, changes_applied::text, last_success_at, last_error, last_error_at FROM ${this.schema}.integrity_sync WHERE feed = $1`,
      [FEED],
    );
    const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : null);
    return {
      cursor: (row?.cursor as string) ?? '',
      lastSeq: Number(row?.last_seq ?? 0),
      changesApplied: Number(row?.changes_applied ?? 0),
      lastSuccessAt: iso(row?.last_success_at),
      lastError: (row?.last_error as string) ?? null,
      lastErrorAt: iso(row?.last_error_at),
      running: this.current !== undefined,
    };
  }

  private async run(): Promise<SyncResult> {
    // One replica syncs at a time: the others find the lock taken and return.
    const session = await this.db.session();
    try {
      const [{ ok }] = await session.sql.query<{ ok: boolean }>(
        `SELECT pg_try_advisory_lock(hashtext($1)) AS ok`,
        [`integrity-sync:${this.schema}`],
      );
      if (!ok)
        return {
          pages: 0,
          applied: 0,
          skipped: 0,
          cursor: (await this.status()).cursor,
          error: 'another replica is syncing',
        };
      try {
        return await this.pull();
      } finally {
        await session.sql.query(`SELECT pg_advisory_unlock(hashtext($1))`, [`integrity-sync:${this.schema}`]);
      }
    } finally {
      await session.release();
    }
  }

  private async pull(): Promise<SyncResult> {
    const result: SyncResult = { pages: 0, applied: 0, skipped: 0, cursor: (await this.status()).cursor };
    try {
      for (;;) {
        const page = await this.fetchWithRetry(result.cursor);
        await this.db.transaction(async (tx) => {
          for (const change of page.changes) {
            if (await this.apply(tx, change)) result.applied++;
            else result.skipped++;
            this.changes?.inc({ kind: change.kind });
          }
          const lastSeq = page.changes.length ? page.changes[page.changes.length - 1].seq : null;
          await tx.execute(
            `INSERT INTO ${this.schema}.integrity_sync (feed, cursor, last_seq, changes_applied, last_success_at)
             VALUES ($1, $2, COALESCE($3, 0), $4, CASE WHEN $5 THEN now() END)
             ON CONFLICT (feed) DO UPDATE SET cursor = EXCLUDED.cursor,
               last_seq = COALESCE($3, integrity_sync.last_seq),
               changes_applied = integrity_sync.changes_applied + $4,
               last_success_at = CASE WHEN $5 THEN now() ELSE integrity_sync.last_success_at END`,
            [FEED, page.nextCursor, lastSeq, page.changes.length, !page.hasMore],
          );
        });
        result.pages++;
        result.cursor = page.nextCursor;
        if (!page.hasMore) break;
      }
      this.runs?.inc({ outcome: 'ok' });
      return result;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await this.db.execute(
        `INSERT INTO ${this.schema}.integrity_sync (feed, cursor, last_error, last_error_at) VALUES ($1, $2, $3, now())
         ON CONFLICT (feed) DO UPDATE SET last_error = EXCLUDED.last_error, last_error_at = now()`,
        [FEED, result.cursor, message],
      );
      this.runs?.inc({ outcome: 'failed' });
      this.opts.log?.('integrity sync stopped; it resumes from the last committed page', {
        error: message,
        cursor: result.cursor,
      });
      return { ...result, error: message };
    }
  }

  /** A page of changes; an unanswered or failed request is tried again a few times, then the run stops. */
  private async fetchWithRetry(cursor: string) {
    const policy = retry(
      handleWhen((err) => !(err instanceof IntegrityPlatformError) || err.retryable),
      {
        maxAttempts: Math.max(0, (this.opts.maxAttempts ?? 4) - 1),
        backoff: new ExponentialBackoff({ initialDelay: this.opts.retryDelayMs ?? 500, maxDelay: 30_000 }),
      },
    );
    return policy.execute(() => this.platform.changes(cursor, this.opts.pageSize));
  }

  /** Applies one change; false when it was passed over (with the reason logged). */
  private async apply(tx: Sql, change: IntegrityChange): Promise<boolean> {
    const s = this.schema;
    const meta = { causationId: `integrity-change-${change.seq}` };
    switch (change.kind) {
      case 'enterprise': {
        if (change.op === 'delete') return this.skip(change, 'enterprises are never deleted here');
        const d = change.data;
        await tx.execute(
          `INSERT INTO ${s}.enterprises (credit_code, name, registration_type, legal_representative, region) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (credit_code) DO UPDATE SET name = EXCLUDED.name, registration_type = EXCLUDED.registration_type,
             legal_representative = EXCLUDED.legal_representative, region = EXCLUDED.region, synced_at = now()`,
          [d.creditCode, d.name, d.registrationType ?? null, d.legalRepresentative ?? null, d.region ?? null],
        );
        return true;
      }
      case 'project': {
        if (change.op === 'delete')
          return this.skip(change, 'a project is closed by its status, not deleted');
        const d = change.data;
        const names = await this.enterpriseNames(tx, [d.generalContractorCode, d.constructionOwnerCode]);
        const r = await this.projects.handle(
          tx,
          d.projectCode,
          {
            kind: 'SyncProject',
            changeCursor: String(change.seq),
            info: {
              projectId: d.projectCode,
              name: d.name,
              region: d.region,
              category: d.category,
              status: d.status,
              address: d.address,
              generalContractor: {
                creditCode: d.generalContractorCode,
                name: names.get(d.generalContractorCode) ?? d.generalContractorCode,
              },
              constructionOwner: {
                creditCode: d.constructionOwnerCode,
                name: names.get(d.constructionOwnerCode) ?? d.constructionOwnerCode,
              },
            },
          },
          meta,
        );
        return !isRejection(r) || this.skip(change, r.reasons.join('; '));
      }
      case 'participant': {
        const d = change.data;
        const today = new Date().toISOString().slice(0, 10);
        const current = await tx.query<{ corp_name: string; unit_type: string; entry_date: string | null }>(
          `SELECT corp_name, unit_type, to_char(entry_date, 'YYYY-MM-DD') AS entry_date FROM ${s}.participants WHERE project_id = $1 AND credit_code = $2`,
          [d.projectCode, d.creditCode],
        );
        let participant;
        if (change.op === 'delete') {
          // A participation withdrawn on the integrity platform: the unit leaves the project today.
          if (!current[0]) return this.skip(change, 'delete of a participation never seen');
          const c = current[0];
          participant = {
            creditCode: d.creditCode,
            corpName: c.corp_name,
            unitType: c.unit_type,
            ...(c.entry_date ? { entryDate: c.entry_date } : {}),
            exitDate: today,
          };
        } else {
          const u = change.data;
          const names = await this.enterpriseNames(tx, [u.creditCode]);
          participant = {
            creditCode: u.creditCode,
            corpName: names.get(u.creditCode) ?? u.creditCode,
            unitType: u.unitType,
            ...(u.entryDate ? { entryDate: u.entryDate.slice(0, 10) } : {}),
            ...(u.exitDate ? { exitDate: u.exitDate.slice(0, 10) } : {}),
          };
        }
        const r = await this.projects.handle(
          tx,
          d.projectCode,
          { kind: 'SyncParticipant', participant },
          meta,
        );
        return !isRejection(r) || this.skip(change, r.reasons.join('; '));
      }
      case 'key-person': {
        const d = change.data;
        if (change.op === 'delete') {
          // The post is empty on the integrity platform now.
          const r = await this.projects.handle(
            tx,
            d.projectCode,
            { kind: 'SyncKeyPerson', creditCode: d.creditCode, post: d.post, person: null },
            meta,
          );
          if (isRejection(r)) return this.skip(change, r.reasons.join('; '));
          await tx.execute(
            `DELETE FROM ${s}.key_persons WHERE project_id = $1 AND credit_code = $2 AND post = $3 AND source = 'integrity'`,
            [d.projectCode, d.creditCode, d.post],
          );
          return true;
        }
        const u = change.data;
        const idHash = this.vault.lookupHash('id-card', u.idCardNumber);
        const person = {
          name: u.name,
          idHash,
          maskedIdNumber: maskResidentId(u.idCardNumber),
          registrationCategory: u.registrationCategory,
        };
        const r = await this.projects.handle(
          tx,
          u.projectCode,
          { kind: 'SyncKeyPerson', creditCode: u.creditCode, post: u.post, person },
          meta,
        );
        if (isRejection(r)) return this.skip(change, r.reasons.join('; '));
        const context = `key-person:${u.projectCode}:${u.creditCode}:${u.post}:integrity`;
        await tx.execute(
          `INSERT INTO ${s}.key_persons (project_id, credit_code, post, source, name, id_hash, id_encrypted, masked_id, registration_category, certificate_number)
           VALUES ($1, $2, $3, 'integrity', $4, $5, $6, $7, $8, $9)
           ON CONFLICT (project_id, credit_code, post, source) DO UPDATE SET name = EXCLUDED.name, id_hash = EXCLUDED.id_hash,
             id_encrypted = EXCLUDED.id_encrypted, masked_id = EXCLUDED.masked_id,
             registration_category = EXCLUDED.registration_category, certificate_number = EXCLUDED.certificate_number`,
          [
            u.projectCode,
            u.creditCode,
            u.post,
            u.name,
            idHash,
            this.vault.encrypt(u.idCardNumber, context),
            person.maskedIdNumber,
            u.registrationCategory,
            u.certificateNumber,
          ],
        );
        return true;
      }
    }
  }

  private skip(change: IntegrityChange, why: string): false {
    this.opts.log?.('integrity change passed over', {
      seq: change.seq,
      kind: change.kind,
      op: change.op,
      why,
    });
    return false;
  }

  private async enterpriseNames(tx: Sql, codes: string[]): Promise<Map<string, string>> {
    const rows = await tx.query<{ credit_code: string; name: string }>(
      `SELECT credit_code, name FROM ${this.schema}.enterprises WHERE credit_code = ANY($1::text[])`,
      [codes],
    );
    return new Map(rows.map((r) => [r.credit_code, r.name]));
  }
}
