import { randomBytes } from 'node:crypto';
import { Database, EventStore, migrate } from '@realname/eventstore';
import { IntegritySimulator, startIntegritySimulator } from '@realname/integrity-simulator';
import { PersonalDataVault } from '@realname/personal-data';
import { testInfrastructure, uniqueName } from '@realname/testing';
import { registryMigrations } from '../migrations';
import { ProjectRepository } from '../projects/projects.repository';
import { HttpIntegrityPlatform } from './integrity-platform';
import { IntegritySync } from './integrity-sync';

const vault = new PersonalDataVault({
  keys: `k1:${randomBytes(32).toString('base64')}`,
  activeKeyId: 'k1',
  hashKey: randomBytes(32).toString('base64'),
});

describe('integrity sync against the simulator and PostgreSQL', () => {
  let sim: IntegritySimulator;
  const dbs: { db: Database; schema: string }[] = [];

  async function registry(opts: { maxAttempts?: number; timeoutMs?: number } = {}) {
    const schema = uniqueName('reg');
    const db = await Database.connect({ url: (await testInfrastructure()).postgresUrl });
    await migrate(db, schema, registryMigrations);
    dbs.push({ db, schema });
    const sync = new IntegritySync(
      db,
      schema,
      new HttpIntegrityPlatform(sim.url, sim.apiKey, opts.timeoutMs ?? 5_000),
      new ProjectRepository(new EventStore(db, schema), schema),
      vault,
      { pageSize: 10, maxAttempts: opts.maxAttempts ?? 1, retryDelayMs: 10 },
    );
    const count = async (sql: string) =>
      Number((await db.query<{ n: string }>(sql.replaceAll('{s}', schema)))[0].n);
    return { db, schema, sync, count };
  }

  beforeAll(async () => {
    sim = await startIntegritySimulator({ apiKey: 'test-key', seed: 7, projects: 3 });
  });
  afterAll(async () => {
    await sim.close();
    for (const { db, schema } of dbs) {
      await db.execute(`DROP SCHEMA ${schema} CASCADE`);
      await db.close();
    }
  });
  afterEach(() => sim.injectFault({ mode: 'none' }));

  it('mirrors the whole feed, page by page, into the read models', async () => {
    const r = await registry();
    const result = await r.sync.runOnce();
    expect(result.error).toBeUndefined();
    expect(result.pages).toBeGreaterThan(2);
    const snap = sim.snapshot();
    expect(await r.count(`SELECT count(*) AS n FROM {s}.projects`)).toBe(snap.projects.length);
    expect(await r.count(`SELECT count(*) AS n FROM {s}.enterprises`)).toBe(snap.enterprises.length);
    expect(await r.count(`SELECT count(*) AS n FROM {s}.participants`)).toBe(snap.participants.length);
    expect(await r.count(`SELECT count(*) AS n FROM {s}.key_persons WHERE source = 'integrity'`)).toBe(
      snap.keyPersons.length,
    );
    const names = await r.db.query<{ project_id: string; name: string }>(
      `SELECT project_id, name FROM ${r.schema}.projects`,
    );
    expect(Object.fromEntries(names.map((p) => [p.project_id, p.name]))).toEqual(
      Object.fromEntries(snap.projects.map((p) => [p.projectCode, p.name])),
    );
    expect((await r.sync.status()).lastSeq).toBe(sim.state().lastSeq);

    // A second run finds nothing new and writes nothing.
    const events = await r.count(`SELECT count(*) AS n FROM {s}.events`);
    const again = await r.sync.runOnce();
    expect(again.applied).toBe(0);
    expect(await r.count(`SELECT count(*) AS n FROM {s}.events`)).toBe(events);
  });

  it('resumes after a failure in the middle of a sync without applying anything twice', async () => {
    const clean = await registry();
    await clean.sync.runOnce();
    const expectedEvents = await clean.count(`SELECT count(*) AS n FROM {s}.events`);

    const r = await registry();
    sim.injectFault({ mode: 'error', status: 503, afterRequests: 3 });
    const failed = await r.sync.runOnce();
    expect(failed.error).toMatch(/503/);
    expect(failed.pages).toBe(3);
    expect((await r.sync.status()).lastError).toMatch(/503/);

    sim.injectFault({ mode: 'truncate', count: 1 });
    const truncated = await r.sync.runOnce();
    expect(truncated.error).toMatch(/truncated|JSON/);

    sim.injectFault({ mode: 'none' });
    const resumed = await r.sync.runOnce();
    expect(resumed.error).toBeUndefined();
    expect(await r.count(`SELECT count(*) AS n FROM {s}.events`)).toBe(expectedEvents);
    expect((await r.sync.status()).lastSeq).toBe(sim.state().lastSeq);
  });

  it('retries a slow or failing page within a run', async () => {
    const r = await registry({ maxAttempts: 4, timeoutMs: 300 });
    sim.injectFault({ mode: 'timeout', count: 2 });
    const result = await r.sync.runOnce();
    expect(result.error).toBeUndefined();
    expect((await r.sync.status()).lastSeq).toBe(sim.state().lastSeq);
  });

  it('picks up a later change incrementally', async () => {
    const r = await registry();
    await r.sync.runOnce();
    const project = sim.snapshot().projects[0];
    sim.appendChange({
      kind: 'project',
      op: 'upsert',
      data: { ...project, name: `${project.name} (phase 2)` },
    });
    const result = await r.sync.runOnce();
    expect(result.applied).toBe(1);
    const [row] = await r.db.query<{ name: string }>(
      `SELECT name FROM ${r.schema}.projects WHERE project_id = $1`,
      [project.projectCode],
    );
    expect(row.name).toBe(`${project.name} (phase 2)`);
    sim.reset();
  });

  it('applies deletes, which carry only key fields: a vacated post and a withdrawn participation', async () => {
    const r = await registry();
    await r.sync.runOnce();
    const kp = sim.snapshot().keyPersons[0];
    sim.appendChange({
      kind: 'key-person',
      op: 'delete',
      data: { projectCode: kp.projectCode, creditCode: kp.creditCode, post: kp.post },
    });
    const part =
      sim.snapshot().participants.find((p) => p.unitType === '001' || p.unitType === '006') ??
      sim.snapshot().participants[0];
    sim.appendChange({
      kind: 'participant',
      op: 'delete',
      data: { projectCode: part.projectCode, creditCode: part.creditCode },
    });
    const result = await r.sync.runOnce();
    sim.reset();
    expect(result.error).toBeUndefined();
    expect(result.applied).toBe(2);
    expect(
      await r.count(
        `SELECT count(*) AS n FROM {s}.key_persons WHERE project_id = '${kp.projectCode}' AND credit_code = '${kp.creditCode}' AND post = '${kp.post}' AND source = 'integrity'`,
      ),
    ).toBe(0);
    const [row] = await r.db.query<{ exit_date: string | null }>(
      `SELECT to_char(exit_date, 'YYYY-MM-DD') AS exit_date FROM ${r.schema}.participants WHERE project_id = $1 AND credit_code = $2`,
      [part.projectCode, part.creditCode],
    );
    expect(row.exit_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('mirrors a feed whose history withdraws participations and vacates posts', async () => {
    const other = await startIntegritySimulator({ apiKey: 'k2', seed: 13, projects: 3 });
    try {
      const schema = uniqueName('reg13');
      const db = await Database.connect({ url: (await testInfrastructure()).postgresUrl });
      await migrate(db, schema, registryMigrations);
      dbs.push({ db, schema });
      const sync = new IntegritySync(
        db,
        schema,
        new HttpIntegrityPlatform(other.url, other.apiKey),
        new ProjectRepository(new EventStore(db, schema), schema),
        vault,
        { pageSize: 20, maxAttempts: 1 },
      );
      const result = await sync.runOnce();
      expect(result.error).toBeUndefined();
      const snap = other.snapshot();
      const n = async (sql: string) =>
        Number((await db.query<{ n: string }>(sql.replaceAll('{s}', schema)))[0].n);
      expect(await n(`SELECT count(*) AS n FROM {s}.key_persons WHERE source = 'integrity'`)).toBe(
        snap.keyPersons.length,
      );
      expect(await n(`SELECT count(*) AS n FROM {s}.participants WHERE exit_date IS NULL`)).toBe(
        snap.participants.filter((p) => !p.exitDate).length,
      );
    } finally {
      await other.close();
    }
  });

  it('keeps key personnel ID numbers encrypted at rest, found by keyed hash, shown masked', async () => {
    const r = await registry();
    await r.sync.runOnce();
    const kp = sim.snapshot().keyPersons[0];
    const [row] = await r.db.query<{
      id_encrypted: string;
      masked_id: string;
      project_id: string;
      credit_code: string;
      post: string;
    }>(`SELECT * FROM ${r.schema}.key_persons WHERE id_hash = $1 AND source = 'integrity'`, [
      vault.lookupHash('id-card', kp.idCardNumber),
    ]);
    expect(row).toBeDefined();
    expect(row.id_encrypted).not.toContain(kp.idCardNumber);
    expect(row.masked_id).toBe(`${kp.idCardNumber.slice(0, 4)}**********${kp.idCardNumber.slice(-4)}`);
    const context = `key-person:${row.project_id}:${row.credit_code}:${row.post}:integrity`;
    expect(vault.decrypt(row.id_encrypted, context)).toBe(kp.idCardNumber);
    const stored = await r.db.query<{ data: string }>(`SELECT data::text AS data FROM ${r.schema}.events`);
    expect(stored.some((e) => e.data.includes(kp.idCardNumber))).toBe(false);
  });

  it('raises a key-person mismatch for every required post no one holds on site', async () => {
    const r = await registry();
    await r.sync.runOnce();
    const snap = sim.snapshot();
    const required = snap.participants.filter(
      (p) => ['009', '001', '006', '007'].includes(p.unitType) && !p.exitDate,
    ).length;
    expect(
      await r.count(`SELECT count(*) AS n FROM {s}.key_person_mismatches WHERE reason = 'post-empty'`),
    ).toBe(required);
  });
});
