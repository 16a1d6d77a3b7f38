import { randomBytes } from 'node:crypto';
import { Database, keyedStreamId, migrate } from '@realname/eventstore';
import { PersonalDataVault } from '@realname/personal-data';
import { Problem } from '@realname/platform';
import { testInfrastructure, uniqueName } from '@realname/testing';
import { enrolmentStreamId } from '../enrolments/enrolment.decider';
import { EnrolmentCommands } from '../enrolments/enrolments.handler';
import { EnrolmentsRepository } from '../enrolments/enrolments.repository';
import { registryMigrations } from '../migrations';
import { WorkerQueries } from './worker-queries';
import { workerStreamId } from './worker.decider';
import { WorkerCommands } from './workers.handler';
import { WorkersRepository } from './workers.repository';
import { WorkersRest } from './workers.rest';

const vault = new PersonalDataVault({
  keys: `k1:${randomBytes(32).toString('base64')}`,
  activeKeyId: 'k1',
  hashKey: randomBytes(32).toString('base64'),
});
const card = {
  idCardNumber: '33010619900101123X',
  name: 'Worker One',
  nation: '汉',
  address: 'Hangzhou',
  issuingAuthority: 'Xihu police',
};

describe('uniqueness rules decided on keyed streams (PostgreSQL)', () => {
  let db: Database;
  let schema: string;
  let rest: WorkersRest;
  let enrolments: EnrolmentCommands;

  beforeAll(async () => {
    schema = uniqueName('reg');
    db = await Database.connect({ url: (await testInfrastructure()).postgresUrl });
    await migrate(db, schema, registryMigrations);
    const workers = new WorkersRepository(db, schema, vault);
    rest = new WorkersRest(new WorkerCommands(db, workers, vault), new WorkerQueries(db, schema, vault));
    enrolments = new EnrolmentCommands(db, new EnrolmentsRepository(db, schema, vault));
    await db.execute(
      `INSERT INTO ${schema}.projects (project_id, name, region, category, status, address, general_contractor_code, construction_owner_code)
       VALUES ('P1', 'Tower', '330106', '01', '003', 'Hangzhou', 'GC', 'OW');
       INSERT INTO ${schema}.participants (project_id, credit_code, corp_name, unit_type) VALUES ('P1', 'C1', 'Labour Co.', '009');
       INSERT INTO ${schema}.teams (team_id, project_id, name, participant_id) VALUES ('T1', 'P1', 'Rebar', 'C1')`,
    );
  });
  afterAll(async () => {
    await db.execute(`DROP SCHEMA ${schema} CASCADE`);
    await db.close();
  });

  const refusal = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Problem);
    return { status: (err as Problem).getStatus(), detail: (err as Problem).detail };
  };

  it('refuses the same ID number twice by the worker decider: 409 with the rule, no SQL violation', async () => {
    const first = await rest.registerWorker(card);
    expect(await refusal(rest.registerWorker({ ...card, name: 'Someone Else' }))).toEqual({
      status: 409,
      detail: `this ID card is registered already as worker ${first.workerId}`,
    });
    // Many at once: one registration wins, every other is refused by the decider after the retry.
    const other = { ...card, idCardNumber: '440524188001010014' };
    const raced = await Promise.allSettled(Array.from({ length: 4 }, () => rest.registerWorker(other)));
    expect(raced.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of raced.filter((x): x is PromiseRejectedResult => x.status === 'rejected'))
      expect(r.reason).toMatchObject({ detail: expect.stringMatching(/registered already/) });
  });

  it('refuses a second enrolment of a worker on a project by the enrolment decider', async () => {
    const { workerId } = await rest.registerWorker({ ...card, idCardNumber: '11010519491231002X' });
    const input = { workerId, teamId: 'T1', workType: '020', workRole: '20' as const, isTeamLeader: false };
    const first = await enrolments.enrol('P1', input);
    expect(first).toMatchObject({ personId: expect.any(String) });
    expect(await enrolments.enrol('P1', input)).toMatchObject({
      rejected: true,
      code: 'already-enrolled',
      reasons: [expect.stringMatching(/one role per ID card per project/)],
    });
  });

  it('moves streams named by fresh ids to their keyed ids (migration 0104), same as in TypeScript', async () => {
    const [w] = await db.query<{ worker_id: string; id_hash: string }>(
      `SELECT worker_id, id_hash FROM ${schema}.workers ORDER BY worker_id LIMIT 1`,
    );
    const [e] = await db.query<{ enrolment_id: string; project_id: string; worker_id: string }>(
      `SELECT enrolment_id, project_id, worker_id FROM ${schema}.enrolments LIMIT 1`,
    );
    // As the streams were named before: by the fresh worker and enrolment ids.
    await db.execute(`UPDATE ${schema}.events SET stream_id = $1 WHERE stream_id = $2`, [
      `worker-${w.worker_id}`,
      workerStreamId(w.id_hash),
    ]);
    await db.execute(`UPDATE ${schema}.events SET stream_id = $1 WHERE stream_id = $2`, [
      `enrolment-${e.enrolment_id}`,
      enrolmentStreamId(e.project_id, e.worker_id),
    ]);
    await db.execute(`DELETE FROM ${schema}.schema_migrations WHERE id LIKE '0104%'`);
    await migrate(db, schema, registryMigrations);
    const streams = (
      await db.query<{ stream_id: string }>(`SELECT DISTINCT stream_id FROM ${schema}.events`)
    ).map((r) => r.stream_id);
    expect(streams).toEqual(
      expect.arrayContaining([workerStreamId(w.id_hash), enrolmentStreamId(e.project_id, e.worker_id)]),
    );
    expect(streams.filter((s) => s === `worker-${w.worker_id}` || s.endsWith(e.enrolment_id))).toEqual([]);
    expect(keyedStreamId('worker', w.id_hash)).toBe(workerStreamId(w.id_hash));
  });
});
