import { DataSource, QueryRunner } from 'typeorm';

/** What the event store and read models need from a connection: run SQL, in or out of a transaction. */
export interface Sql {
  /** Rows returned by the statement (SELECT, or INSERT/UPDATE/DELETE ... RETURNING). */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Rows affected by an INSERT/UPDATE/DELETE without RETURNING. */
  execute(sql: string, params?: unknown[]): Promise<number>;
}

class QueryRunnerSql implements Sql {
  constructor(private readonly runner: QueryRunner) {}
  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    const result = await this.runner.query(sql, params, true);
    return result.records as T[];
  }
  async execute(sql: string, params: unknown[] = []): Promise<number> {
    const result = await this.runner.query(sql, params, true);
    return result.affected ?? (Array.isArray(result.records) ? result.records.length : 0);
  }
}

export interface DatabaseOptions {
  url: string;
  /** Connections in the pool. */
  poolSize?: number;
  applicationName?: string;
  /**
   * A session left idle inside a transaction is ended after this long. An open transaction holds back
   * every committed-event poller of the cluster (they read only below the oldest running transaction),
   * so none may linger. Default 60 s; 0 turns the limit off.
   */
  idleInTransactionTimeoutMs?: number;
  /**
   * A statement running longer than this is cancelled (PostgreSQL `statement_timeout`, error 57014), so a
   * runaway query cannot hold a connection and its locks for ever. Default 30 s; 0 turns the limit off
   * (migrations run on their own connection with a longer limit: connectMigrated).
   */
  statementTimeoutMs?: number;
}

/** Default `statement_timeout` of every pool. */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
/** Checks a schema or table name before it is put into SQL text. */
export function identifier(name: string): string {
  if (!IDENTIFIER.test(name))
    throw new Error(`"${name}" is not a safe SQL identifier (lower-case letters, digits, _)`);
  return name;
}

/**
 * The service's PostgreSQL connection pool (TypeORM DataSource). Event store, outbox, inbox and read
 * models all go through it, so a handler's changes and its bookkeeping share one transaction.
 */
export class Database implements Sql {
  private constructor(readonly dataSource: DataSource) {}

  static async connect(opts: DatabaseOptions): Promise<Database> {
    const ds = new DataSource({
      type: 'postgres',
      url: opts.url,
      poolSize: opts.poolSize ?? 10,
      applicationName: opts.applicationName,
      synchronize: false,
      logging: false,
      extra: {
        connectionTimeoutMillis: 10_000,
        options: [
          `-c idle_in_transaction_session_timeout=${whole(opts.idleInTransactionTimeoutMs ?? 60_000)}`,
          `-c statement_timeout=${whole(opts.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS)}`,
        ].join(' '),
      },
    });
    await ds.initialize();
    return new Database(ds);
  }

  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.withRunner((r) => new QueryRunnerSql(r).query<T>(sql, params));
  }

  async execute(sql: string, params: unknown[] = []): Promise<number> {
    return this.withRunner((r) => new QueryRunnerSql(r).execute(sql, params));
  }

  /** Runs fn in one transaction: committed if it resolves, rolled back if it throws. */
  async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    return this.withRunner(async (runner) => {
      await runner.startTransaction();
      try {
        const result = await fn(new QueryRunnerSql(runner));
        await runner.commitTransaction();
        return result;
      } catch (err) {
        if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
        throw err;
      }
    });
  }

  /** A connection held for the caller's whole session (advisory locks live as long as it). */
  async session(): Promise<{ sql: Sql; release: () => Promise<void> }> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    return { sql: new QueryRunnerSql(runner), release: () => runner.release() };
  }

  async ping(): Promise<boolean> {
    try {
      await this.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  private async withRunner<T>(fn: (r: QueryRunner) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    try {
      return await fn(runner);
    } finally {
      await runner.release();
    }
  }
}

/** A timeout as the whole number of milliseconds PostgreSQL's startup options take. */
function whole(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new Error(`a timeout must be 0 or more milliseconds, not ${ms}`);
  return Math.round(ms);
}

/** Runs fn inside a savepoint of the current transaction, so a failed statement does not abort the whole. */
export async function withSavepoint<T>(tx: Sql, fn: () => Promise<T>): Promise<T> {
  const name = `sp_${Math.random().toString(36).slice(2, 10)}`;
  await tx.execute(`SAVEPOINT ${name}`);
  try {
    const result = await fn();
    await tx.execute(`RELEASE SAVEPOINT ${name}`);
    return result;
  } catch (err) {
    await tx.execute(`ROLLBACK TO SAVEPOINT ${name}`);
    throw err;
  }
}

export function pgErrorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; driverError?: { code?: unknown } };
  const code = e?.code ?? e?.driverError?.code;
  return typeof code === 'string' ? code : undefined;
}
export function pgConstraint(err: unknown): string | undefined {
  const e = err as { constraint?: unknown; driverError?: { constraint?: unknown } };
  const c = e?.constraint ?? e?.driverError?.constraint;
  return typeof c === 'string' ? c : undefined;
}
