/**
 * `ops keys rotate` and `ops keys status` against real PostgreSQL: the registry's own migrations and
 * repositories write personal numbers under key v1; key v2 is added and made active; the rotation runs
 * in small batches while a writer (the registry's repository, configured with v2 as the service is once
 * rolled, and for a few rows with v1 as an instance not yet rolled) changes wage cards. Afterwards every
 * value is under v2 and decrypts to what was last written, no write was lost, lookup hashes are
 * unchanged, v1 can be removed, and a second run changes nothing.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Database, EventStore, migrate, Migration } from '@realname/eventstore';
import { PersonalDataVault, storedKeyId } from '@realname/personal-data';
import { testInfrastructure, uniqueName } from '@realname/testing';
import { runOps } from './commands';
import { REPO_ROOT } from './projections';

jest.setTimeout(120_000);

const registry = (path: string) => join(REPO_ROOT, 'services/worker-registry/src', path);
// The service's code, loaded by path as the CLI loads the declarations (a tool does not import services).
/* eslint-disable @typescript-eslint/no-require-imports */
const { registryMigrations } = require(registry('migrations')) as { registryMigrations: Migration[] };
const { WorkersRepository } = require(registry('workers/workers.repository'));
const { EnrolmentsRepository } = require(registry('enrolments/enrolments.repository'));
const { ProjectRepository } = require(registry('projects/projects.repository'));
/* eslint-enable @typescript-eslint/no-require-imports */
const COLUMNS_MODULE = registry('personal-data-columns.ts');

const b64 = () => randomBytes(32).toString('base64');
const K1 = b64();
const K2 = b64();
const HASH = b64();
const v1 = new PersonalDataVault({ keys: `v1:${K1}`, activeKeyId: 'v1', hashKey: HASH });
/** The keyring once v2 is added and active: what the rolled services and the rotation use. */
const v2 = new PersonalDataVault({ keys: `v1:${K1},v2:${K2}`, activeKeyId: 'v2', hashKey: HASH });
const v2Only = new PersonalDataVault({ keys: `v2:${K2}`, activeKeyId: 'v2', hashKey: HASH });

const idNumber = (i: number) => `3301061990010${String(1000 + i).padStart(5, '0')}`;
const wageCard = (i: number, n: number) =>
  `62220200${String(i).padStart(5, '0')}${String(n).padStart(6, '0')}`;

async function ops(
  argv: string[],
  env: Record<string, string>,
  hooks?: Parameters<typeof runOps>[1]['keyRotationHooks'],
) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runOps(argv, {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env,
    personalDataModules: [COLUMNS_MODULE],
    keyRotationHooks: hooks,
    progressStream: { write: () => true } as unknown as NodeJS.WritableStream,
  });
  if (process.env.DEBUG_TESTS) console.log(`$ ops ${argv.join(' ')}\n${out.join('\n')}\n${err.join('\n')}`);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('keys rotate and keys status (PostgreSQL, the registry schema)', () => {
  const schema = uniqueName('keys');
  let db: Database;
  let writerDb: Database;
  let env: Record<string, string>;
  const WORKERS = 40;
  const ENROLMENTS = 60;
  /** What each encrypted value must decrypt to, by column and row key. */
  const expected = {
    id: new Map<string, string>(),
    phone: new Map<string, string>(),
    wage: new Map<string, string>(),
    keyPerson: new Map<string, string>(),
  };

  beforeAll(async () => {
    const infra = await testInfrastructure();
    db = await Database.connect({ url: infra.postgresUrl });
    writerDb = await Database.connect({ url: infra.postgresUrl, poolSize: 2 });
    await migrate(db, schema, registryMigrations);
    env = {
      DATABASE_URL: infra.postgresUrl,
      PII_KEYS: `v1:${K1},v2:${K2}`,
      PII_ACTIVE_KEY_ID: 'v2',
      PII_HASH_KEY: HASH,
    };
    // Written by the registry's repositories while v1 was the only key.
    const workers = new WorkersRepository(db, schema, v1);
    const enrolments = new EnrolmentsRepository(db, schema, v1);
    const projects = new ProjectRepository(new EventStore(db, schema), schema);
    await db.transaction(async (tx) => {
      for (let i = 0; i < WORKERS; i++) {
        const workerId = `W${String(i).padStart(3, '0')}`;
        const phone = i % 2 === 0 ? `1380000${String(i).padStart(4, '0')}` : undefined;
        await workers.insert(tx, {
          workerId,
          idHash: v1.lookupHash('id-card', idNumber(i)),
          idCardNumber: idNumber(i),
          name: `Worker ${i}`,
          gender: 'M',
          birthDate: '1990-01-01',
          nation: '汉',
          address: 'Hangzhou',
          issuingAuthority: 'Xihu police',
          phone,
        });
        expected.id.set(workerId, idNumber(i));
        if (phone) expected.phone.set(workerId, phone);
      }
      for (let i = 0; i < ENROLMENTS; i++) {
        const enrolmentId = `E${String(i).padStart(3, '0')}`;
        await tx.execute(
          `INSERT INTO ${schema}.enrolments (enrolment_id, project_id, worker_id, team_id, participant_id, work_type, work_role, is_team_leader, person_id, status)
           VALUES ($1, 'P1', $2, 'T1', 'C1', '020', '20', false, $3, 'enrolled')`,
          [enrolmentId, `W${String(i).padStart(3, '0')}`, String(10001 + i)],
        );
        if (i % 5 === 4) continue; // no wage card: NULL, nothing to rotate
        await enrolments.storeWageCard(tx, enrolmentId, { number: wageCard(i, 0), bankCode: '102' });
        expected.wage.set(enrolmentId, wageCard(i, 0));
      }
      for (const [i, post] of ['PM', 'CSE', 'SAFETY'].entries()) {
        const number = idNumber(500 + i);
        await projects.storeLocalKeyPerson(tx, {
          projectId: 'P1',
          creditCode: 'C1',
          post,
          name: `Key ${post}`,
          idHash: v1.lookupHash('id-card', number),
          idEncrypted: v1.encrypt(number, `key-person:P1:C1:${post}:local`),
          maskedIdNumber: '330106********1000',
        });
        expected.keyPerson.set(`P1/C1/${post}/local`, number);
      }
    });
  });

  afterAll(async () => {
    await db?.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await writerDb?.close();
    await db?.close();
  });

  /** Every stored value, by column and row key. */
  async function stored() {
    const w = await db.query<{
      worker_id: string;
      id_encrypted: string;
      phone_encrypted: string | null;
      id_hash: string;
    }>(`SELECT worker_id, id_encrypted, phone_encrypted, id_hash FROM ${schema}.workers ORDER BY worker_id`);
    const e = await db.query<{
      enrolment_id: string;
      wage_card_encrypted: string | null;
      wage_card_hash: string | null;
    }>(
      `SELECT enrolment_id, wage_card_encrypted, wage_card_hash FROM ${schema}.enrolments ORDER BY enrolment_id`,
    );
    const k = await db.query<{
      project_id: string;
      credit_code: string;
      post: string;
      source: string;
      id_encrypted: string;
    }>(`SELECT project_id, credit_code, post, source, id_encrypted FROM ${schema}.key_persons ORDER BY post`);
    return { w, e, k };
  }

  it('re-encrypts every value under v2 in small batches while a writer changes rows; nothing lost; a re-run changes nothing', async () => {
    const status1 = await ops(['keys', 'status', '--schema', schema], env);
    expect(status1.code).toBe(0);
    expect(status1.out).toMatch(/workers\.id_encrypted\s+v1\s+40\s+configured \(old: rotate\)/);
    expect(status1.out).toMatch(/enrolments\.wage_card_encrypted\s+v1\s+48\s+configured/);
    expect(status1.out).toMatch(/\(none stored\)\s+12/);
    expect(status1.out).toMatch(/111 values are not under the active key/);

    // A dry run decrypts and reports but writes nothing.
    const before = await stored();
    const dry = await ops(['keys', 'rotate', '--schema', schema, '--dry-run'], env);
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(
      /dry run, nothing changed: 111 values would be re-encrypted under v2, 0 could not be/,
    );
    expect(await stored()).toEqual(before);

    // The writer: the registry's repository as the rolled service (v2) runs it, changing wage cards
    // throughout the rotation, each write remembered as what the row must hold.
    const service = new EnrolmentsRepository(writerDb, schema, v2);
    const notRolled = new EnrolmentsRepository(writerDb, schema, v1);
    let writes = 0;
    let rotating = true;
    const writer = (async () => {
      for (let n = 1; rotating; n++) {
        const i = ((n * 7) % (ENROLMENTS / 2)) * 2; // even rows only: the odd ones are raced below
        if (i % 5 === 4) continue;
        const enrolmentId = `E${String(i).padStart(3, '0')}`;
        await writerDb.transaction((tx) =>
          service.storeWageCard(tx, enrolmentId, { number: wageCard(i, n), bankCode: '102' }),
        );
        expected.wage.set(enrolmentId, wageCard(i, n));
        writes++;
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    // And between reading a batch and writing it back, rewrite some of its rows: two by the rolled
    // service (v2), two by an instance still on v1 (read again and rotated again).
    const raced = new Set<string>();
    const hooks = {
      afterRead: async (keys: Record<string, string>[]) => {
        const mine = keys.filter(
          (k) =>
            k.enrolment_id &&
            Number(k.enrolment_id.slice(1)) % 2 === 1 &&
            expected.wage.has(k.enrolment_id) &&
            !raced.has(k.enrolment_id),
        );
        for (const [j, k] of mine.slice(0, 4).entries()) {
          raced.add(k.enrolment_id);
          const number = `9999${k.enrolment_id.slice(1)}00000${j}`;
          await writerDb.transaction((tx) =>
            (j < 2 ? service : notRolled).storeWageCard(tx, k.enrolment_id, { number, bankCode: '103' }),
          );
          expected.wage.set(k.enrolment_id, number);
        }
      },
    };
    const rotation = await ops(['keys', 'rotate', '--schema', schema, '--batch-size', '7'], env, hooks);
    rotating = false;
    await writer;
    if (rotation.code !== 0) console.log(rotation.out, rotation.err);
    expect(rotation.code).toBe(0);
    expect(raced.size).toBeGreaterThanOrEqual(4);
    expect(writes).toBeGreaterThan(0);
    expect(rotation.out).toMatch(/workers\.id_encrypted\s+v2\s+40\s+0\s+0\s+0\s+0/);
    expect(rotation.out).toMatch(/key_persons\.id_encrypted\s+v2\s+3\s+0\s+0\s+0\s+0/);
    expect(rotation.out).toMatch(/done: \d+ values re-encrypted; every value is under v2/);

    // Every value under v2, decrypting to what was last written, with v1 removed from the keyring.
    const after = await stored();
    const check = (value: string | null, context: string, want: string | undefined) => {
      if (want === undefined) return expect(value).toBeNull();
      expect(storedKeyId(value!)).toBe('v2');
      expect(v2Only.decrypt(value!, context)).toBe(want);
    };
    for (const w of after.w) {
      check(w.id_encrypted, `worker:${w.worker_id}:idCardNumber`, expected.id.get(w.worker_id));
      check(w.phone_encrypted, `worker:${w.worker_id}:phone`, expected.phone.get(w.worker_id));
      expect(w.id_hash).toBe(v2.lookupHash('id-card', expected.id.get(w.worker_id)!)); // hashes untouched
    }
    expect(after.w).toHaveLength(WORKERS);
    for (const e of after.e) {
      check(e.wage_card_encrypted, `enrolment:${e.enrolment_id}:wageCard`, expected.wage.get(e.enrolment_id));
      if (e.wage_card_encrypted)
        expect(e.wage_card_hash).toBe(v2.lookupHash('bank-card', expected.wage.get(e.enrolment_id)!));
    }
    for (const k of after.k)
      check(
        k.id_encrypted,
        `key-person:${k.project_id}:${k.credit_code}:${k.post}:${k.source}`,
        expected.keyPerson.get(`${k.project_id}/${k.credit_code}/${k.post}/${k.source}`),
      );

    // A second run finds nothing to do and changes nothing.
    const again = await ops(['keys', 'rotate', '--schema', schema, '--batch-size', '7'], env);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/done: 0 values re-encrypted; every value is under v2/);
    expect(await stored()).toEqual(after);

    const status2 = await ops(['keys', 'status', '--schema', schema], env);
    expect(status2.out).toMatch(/workers\.id_encrypted\s+v2\s+40\s+active/);
    expect(status2.out).not.toMatch(/\bv1\b/);
    expect(status2.out).toMatch(/every value is under the active key/);
  });

  it('leaves a value that does not decrypt as it is, names the row and why, and exits 1', async () => {
    // A ciphertext copied to another worker's row (bound to W001 by its associated data), and a value
    // under a key that is not configured.
    const [w1] = await db.query<{ id_encrypted: string }>(
      `SELECT id_encrypted FROM ${schema}.workers WHERE worker_id = 'W001'`,
    );
    const v0 = new PersonalDataVault({ keys: `v0:${b64()}`, activeKeyId: 'v0', hashKey: HASH });
    const moved = v1.encrypt(idNumber(1), 'worker:W001:idCardNumber');
    await db.execute(`UPDATE ${schema}.workers SET id_encrypted = $1 WHERE worker_id = 'W002'`, [moved]);
    await db.execute(`UPDATE ${schema}.workers SET id_encrypted = $1 WHERE worker_id = 'W003'`, [
      v0.encrypt(idNumber(3), 'worker:W003:idCardNumber'),
    ]);
    const r = await ops(['keys', 'rotate', '--schema', schema, '--service', 'worker-registry'], env);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /failed .*workers\.id_encrypted: 1 × stored value failed authentication \(wrong record, field or key\) \(rows W002\)/,
    );
    expect(r.out).toMatch(
      /failed .*workers\.id_encrypted: 1 × stored value was encrypted with key "v0", which is not configured \(rows W003\)/,
    );
    expect(r.out).toMatch(/still not under v2 \(2 failed, see above\): keep the old keys configured/);
    const [w2] = await db.query<{ id_encrypted: string }>(
      `SELECT id_encrypted FROM ${schema}.workers WHERE worker_id = 'W002'`,
    );
    expect(w2.id_encrypted).toBe(moved);
    expect(w1.id_encrypted.startsWith('pd1.v2.')).toBe(true);
    const status = await ops(['keys', 'status', '--schema', schema], env);
    expect(status.out).toMatch(/v0\s+1\s+NOT CONFIGURED: unreadable/);
    expect(status.out).toMatch(/v1\s+1\s+configured \(old: rotate\)/);
  });

  it('says what is missing without the keyring variables, and what the command line got wrong', async () => {
    const r = await ops(['keys', 'rotate', '--schema', schema], { DATABASE_URL: env.DATABASE_URL });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/PII_KEYS and PII_ACTIVE_KEY_ID are not set/);
    const u = await ops(['keys', 'rotate', '--batch-size', '0'], env);
    expect(u.code).toBe(2);
    expect(u.err).toMatch(/--batch-size must be a whole number of at least 1/);
    const s = await ops(['keys', 'status', '--service', 'nope'], env);
    expect(s.code).toBe(2);
    expect(s.err).toMatch(/no service "nope" declares encrypted columns; there are: worker-registry/);
  });
});
