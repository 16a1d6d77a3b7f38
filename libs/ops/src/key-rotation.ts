import { randomBytes } from 'node:crypto';
import type { Database, Sql } from '@realname/eventstore';
import {
  EncryptedColumn,
  keyringFromEnvironment,
  KeyringVariables,
  PersonalDataVault,
  PII_KEYRING_VARIABLES,
  STORED_FORMAT,
} from '@realname/personal-data';
import { OpsError } from './errors';
import { REPO_ROOT, serviceModulePaths } from './projections';

// ---- where the encrypted columns are declared ------------------------------------------------------

/**
 * Each service's build output `dist/personal-data-columns.js` (from `src/personal-data-columns.ts`,
 * exporting `personalDataColumns`), plus the modules in OPS_PERSONAL_DATA_MODULES (comma-separated
 * paths). Loaded by path, as the projections are: no service depends on this tool, nor it on them.
 */
export function personalDataColumnModulePaths(
  root = REPO_ROOT,
  extra = process.env.OPS_PERSONAL_DATA_MODULES,
): string[] {
  return serviceModulePaths('personal-data-columns.js', root, extra);
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export function loadPersonalDataColumns(paths: string[]): EncryptedColumn[] {
  const all: EncryptedColumn[] = [];
  for (const path of paths) {
    let mod: { personalDataColumns?: unknown };
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      mod = require(path);
    } catch (err) {
      throw new OpsError(
        `cannot load encrypted columns from ${path}: ${err instanceof Error ? err.message : String(err)} (build first: npm run build)`,
      );
    }
    if (!Array.isArray(mod.personalDataColumns))
      throw new OpsError(`${path} does not export \`personalDataColumns\` (an array of EncryptedColumn)`);
    for (const c of mod.personalDataColumns as EncryptedColumn[]) {
      const names = [c?.table, c?.column, c?.defaultSchema, ...(Array.isArray(c?.key) ? c.key : [])];
      if (
        typeof c?.service !== 'string' ||
        typeof c.context !== 'function' ||
        !Array.isArray(c.key) ||
        c.key.length === 0 ||
        !names.every((n) => typeof n === 'string' && IDENTIFIER.test(n))
      )
        throw new OpsError(
          `${path}: an encrypted column needs service, defaultSchema, table, column, key (lower-case identifiers) and context()`,
        );
      if (all.some((d) => d.service === c.service && d.table === c.table && d.column === c.column))
        throw new OpsError(`${c.service} ${c.table}.${c.column} is declared twice (${path})`);
      all.push(c);
    }
  }
  return all;
}

export function columnName(c: EncryptedColumn): string {
  return `${c.table}.${c.column}`;
}

// ---- keys ---------------------------------------------------------------------------------------------

/** The variables of a declaration's keyring (the PII_* ones unless it names its own). */
export function keyringVariables(c: EncryptedColumn): KeyringVariables {
  return c.keyring ?? PII_KEYRING_VARIABLES;
}

/**
 * The vault a column's values are rotated with, from the same variables the service reads. The hash key
 * is not needed to re-encrypt: when it is not set, a throwaway one stands in (nothing is hashed).
 */
export function vaultFor(
  c: EncryptedColumn,
  env: Record<string, string | undefined>,
): PersonalDataVault | { missing: string[] } {
  const vars = keyringVariables(c);
  const { config, missing } = keyringFromEnvironment(vars, env);
  if (missing.length > 0) return { missing };
  return new PersonalDataVault({ ...config, hashKey: config.hashKey ?? randomBytes(32).toString('base64') });
}

// ---- status -------------------------------------------------------------------------------------------

export interface ColumnKeyStatus {
  service: string;
  schema: string;
  table: string;
  column: string;
  /** False when the schema has no such table or column (nothing counted). */
  exists: boolean;
  rows: number;
  /** Rows whose value is NULL (nothing stored). */
  empty: number;
  /** Values per key id ('(not pd1)' for values that are not in the pd1 format), most first. */
  byKey: { keyId: string; values: number }[];
}

const NOT_PD1 = '(not pd1)';

/** The key id of a stored value in SQL (`pd1.<keyId>.<iv>.<data>`), or '(not pd1)'. */
function keyIdSql(col: string): string {
  return `CASE WHEN split_part(${col}, '.', 1) = '${STORED_FORMAT}' AND split_part(${col}, '.', 4) <> '' AND split_part(${col}, '.', 5) = ''
    THEN split_part(${col}, '.', 2) ELSE '${NOT_PD1}' END`;
}

async function columnExists(db: Sql, schema: string, c: EncryptedColumn): Promise<boolean> {
  const [r] = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM information_schema.columns
      WHERE table_schema = $1 AND table_name = $2 AND column_name = ANY($3::text[])`,
    [schema, c.table, [c.column, ...c.key]],
  );
  return r.n === new Set([c.column, ...c.key]).size;
}

export async function columnKeyStatus(db: Sql, schema: string, c: EncryptedColumn): Promise<ColumnKeyStatus> {
  const base = { service: c.service, schema, table: c.table, column: c.column };
  if (!(await columnExists(db, schema, c))) return { ...base, exists: false, rows: 0, empty: 0, byKey: [] };
  const rows = await db.query<{ key_id: string | null; n: number }>(
    `SELECT CASE WHEN ${c.column} IS NULL THEN NULL ELSE ${keyIdSql(c.column)} END AS key_id, count(*)::int AS n
       FROM ${schema}.${c.table} GROUP BY 1 ORDER BY 2 DESC, 1`,
  );
  return {
    ...base,
    exists: true,
    rows: rows.reduce((s, r) => s + r.n, 0),
    empty: rows.find((r) => r.key_id === null)?.n ?? 0,
    byKey: rows.filter((r) => r.key_id !== null).map((r) => ({ keyId: r.key_id!, values: r.n })),
  };
}

// ---- rotation -----------------------------------------------------------------------------------------

export interface RotationProgress {
  /** Values of this column looked at so far (re-encrypted, failed, or changed meanwhile). */
  done: number;
}

export interface RotationHooks {
  /** Called with each batch between reading it and writing it back (tests race a writer here). */
  afterRead?: (keys: Record<string, string>[]) => Promise<void>;
}

export interface ColumnRotation {
  service: string;
  schema: string;
  table: string;
  column: string;
  exists: boolean;
  targetKeyId: string;
  /** Values not under the target key when the run started (what it had to do). */
  toDo: number;
  /** Values under the target key already when the run started. */
  alreadyCurrent: number;
  /** Re-encrypted under the target key (with --dry-run: would be). */
  reencrypted: number;
  /**
   * Values the service rewrote while the rotation had them in hand: not overwritten (compare-and-set on
   * the old ciphertext), re-read and rotated again, or left if the service had written them under the
   * target key already.
   */
  rewrittenMeanwhile: number;
  /** Values that could not be re-encrypted, by reason, with up to 5 example row keys each. */
  failed: { reason: string; count: number; examples: string[] }[];
  /** Values not under the target key when the run ended (failed ones included). */
  remaining: number;
  elapsedMs: number;
}

const MAX_ATTEMPTS = 5;

/**
 * Re-encrypts every value of one column that is not under the vault's active key, in key order, in
 * batches. Each batch is read without locks, decrypted and re-encrypted here, and written back in one
 * short transaction by one UPDATE that changes a row only if it still holds the ciphertext that was read
 * (compare-and-set): a value the service wrote in the meantime is never overwritten with the stale
 * one; it is read again and, if still under an old key, rotated again. Values already under the active
 * key are never touched, so a re-run (after a failure or Ctrl-C) goes on where the last one stopped.
 * The service keeps reading throughout: both keys are in its keyring.
 */
export async function rotateColumn(
  db: Database,
  vault: PersonalDataVault,
  schema: string,
  c: EncryptedColumn,
  opts: {
    batchSize: number;
    dryRun: boolean;
    onStart?: (toDo: number) => void;
    onProgress?: (p: RotationProgress) => void;
    hooks?: RotationHooks;
  },
): Promise<ColumnRotation> {
  const started = Date.now();
  const target = vault.currentKeyId;
  const result: ColumnRotation = {
    service: c.service,
    schema,
    table: c.table,
    column: c.column,
    exists: false,
    targetKeyId: target,
    toDo: 0,
    alreadyCurrent: 0,
    reencrypted: 0,
    rewrittenMeanwhile: 0,
    failed: [],
    remaining: 0,
    elapsedMs: 0,
  };
  if (!(await columnExists(db, schema, c))) {
    opts.onStart?.(0);
    return { ...result, elapsedMs: Date.now() - started };
  }
  result.exists = true;
  const table = `${schema}.${c.table}`;
  const col = c.column;
  const notCurrent = `${col} IS NOT NULL AND ${keyIdSql(col)} <> $1`;
  const count = async () => {
    const [r] = await db.query<{ todo: number; current: number }>(
      `SELECT count(*) FILTER (WHERE ${notCurrent})::int AS todo,
              count(*) FILTER (WHERE ${col} IS NOT NULL AND ${keyIdSql(col)} = $1)::int AS current
         FROM ${table}`,
      [target],
    );
    return r;
  };
  const before = await count();
  result.toDo = before.todo;
  result.alreadyCurrent = before.current;
  opts.onStart?.(before.todo);

  // The key columns' SQL types, so that the values (read as text) compare with the index's type.
  const types = await db.query<{ name: string; type: string }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attname = ANY($2::text[])`,
    [table, c.key],
  );
  const typeOf = (k: string) => types.find((t) => t.name === k)!.type;
  const keyList = c.key.join(', ');
  const keyText = c.key.map((k) => `${k}::text AS ${k}`).join(', ');
  const keyOf = (row: Record<string, string>) => Object.fromEntries(c.key.map((k) => [k, String(row[k])]));
  const keyLabel = (key: Record<string, string>) => c.key.map((k) => key[k]).join('/');
  const failures = new Map<string, { count: number; examples: string[] }>();
  const fail = (reason: string, key: Record<string, string>) => {
    const f = failures.get(reason) ?? { count: 0, examples: [] };
    f.count++;
    if (f.examples.length < 5) f.examples.push(keyLabel(key));
    failures.set(reason, f);
  };
  let done = 0;
  const rewritten = new Set<string>();

  /** Rotates the rows read; returns the keys whose value changed between reading and writing. */
  const rotateRows = async (rows: Record<string, string>[]): Promise<Record<string, string>[]> => {
    const updates: { key: Record<string, string>; old: string; fresh: string }[] = [];
    for (const row of rows) {
      const key = keyOf(row);
      const old = row[col];
      try {
        updates.push({ key, old, fresh: vault.rotate(old, c.context(key)) });
      } catch (err) {
        fail(err instanceof Error ? err.message : String(err), key);
      }
    }
    await opts.hooks?.afterRead?.(rows.map(keyOf));
    if (opts.dryRun || updates.length === 0) {
      result.reencrypted += updates.length;
      return [];
    }
    const params = [
      ...c.key.map((k) => updates.map((u) => u.key[k])),
      updates.map((u) => u.old),
      updates.map((u) => u.fresh),
    ];
    const changed = await db.transaction((tx) =>
      tx.query<Record<string, string>>(
        `UPDATE ${table} AS t SET ${col} = v.fresh
           FROM unnest(${params.map((_, i) => `$${i + 1}::text[]`).join(', ')})
                AS v(${[...c.key.map((_, i) => `k${i}`), 'old', 'fresh'].join(', ')})
          WHERE ${c.key.map((k, i) => `t.${k} = v.k${i}::${typeOf(k)}`).join(' AND ')}
            AND t.${col} = v.old
         RETURNING ${c.key.map((k) => `t.${k}::text AS ${k}`).join(', ')}`,
        params,
      ),
    );
    result.reencrypted += changed.length;
    const written = new Set(changed.map((r) => keyLabel(keyOf(r))));
    return updates.filter((u) => !written.has(keyLabel(u.key))).map((u) => u.key);
  };

  /** Re-reads rows the service changed meanwhile: those still under an old key are rotated again. */
  const reread = async (keys: Record<string, string>[]) => {
    const params = c.key.map((k) => keys.map((key) => key[k]));
    return db.query<Record<string, string>>(
      `SELECT ${keyText}, ${col} FROM ${table} AS t
         JOIN unnest(${params.map((_, i) => `$${i + 2}::text[]`).join(', ')}) AS v(${c.key.map((_, i) => `k${i}`).join(', ')})
           ON ${c.key.map((k, i) => `t.${k} = v.k${i}::${typeOf(k)}`).join(' AND ')}
        WHERE ${notCurrent}`,
      [target, ...params],
    );
  };

  let after: Record<string, string> | undefined;
  for (;;) {
    const rows = await db.query<Record<string, string>>(
      `SELECT ${keyText}, ${col} FROM ${table}
        WHERE ${notCurrent}
          ${after ? `AND (${keyList}) > (${c.key.map((k, i) => `$${i + 2}::${typeOf(k)}`).join(', ')})` : ''}
        ORDER BY ${keyList} LIMIT ${opts.batchSize}`,
      [target, ...(after ? c.key.map((k) => after![k]) : [])],
    );
    if (rows.length === 0) break;
    after = keyOf(rows[rows.length - 1]);
    let missed = await rotateRows(rows);
    for (let attempt = 1; missed.length > 0; attempt++) {
      for (const k of missed) rewritten.add(keyLabel(k));
      const again = await reread(missed);
      if (attempt >= MAX_ATTEMPTS) {
        for (const r of again)
          fail(`changed by the service ${MAX_ATTEMPTS} times while being rotated (run again)`, keyOf(r));
        break;
      }
      missed = again.length > 0 ? await rotateRows(again) : [];
    }
    done += rows.length;
    opts.onProgress?.({ done: Math.min(done, result.toDo) });
  }
  result.rewrittenMeanwhile = rewritten.size;
  result.failed = [...failures].map(([reason, f]) => ({ reason, ...f }));
  result.remaining = opts.dryRun ? result.toDo : (await count()).todo;
  result.elapsedMs = Date.now() - started;
  return result;
}
