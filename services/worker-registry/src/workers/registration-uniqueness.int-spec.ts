import { Database, keyedStreamId, migrate } from '@realname/eventstore';
import { Caller, Problem } from '@realname/platform';
import { enrolmentStreamId } from '../enrolments/enrolment.decider';
import { EnrolmentCommands } from '../enrolments/enrolments.handler';
import { EnrolmentsRepository } from '../enrolments/enrolments.repository';
import { registryMigrations } from '../migrations';
import { callerFor, registryWithTeam, testVault } from './registry-database.int-support';
import { WorkerQueries } from './worker-queries';
import { workerStreamId } from './worker.decider';
import { WorkerCommands } from './workers.handler';
import { WorkersRepository } from './workers.repository';
import { WorkersRest } from './workers.rest';

const vault = testVault();
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
  let drop: () => Promise<void>;
  let rest: WorkersRest;
  let enrolments: EnrolmentCommands;
  let municipal: Caller;

  beforeAll(async () => {
    municipal = await callerFor('municipal-hangzhou');
    ({ db, schema, drop } = await registryWithTeam('reg'));
    const workers = new WorkersRepository(db, schema, vault);
    rest = new WorkersRest(new WorkerCommands(db, workers, vault), new WorkerQueries(db, schema, vault));
    enrolments = new EnrolmentCommands(db, new EnrolmentsRepository(db, schema, vault));
  });
  afterAll(() => drop());

  const refusal = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Problem);
    return { status: (err as Problem).getStatus(), detail: (err as Problem).detail };
  };

  it('refuses the same ID number twice by the worker decider: 409 with the rule, no SQL violation', async () => {
    const first = await rest.registerWorker(card, municipal);
    expect(await refusal(rest.registerWorker({ ...card, name: 'Someone Else' }, municipal))).toEqual({
      status: 409,
      detail: `this ID card is registered already as worker ${first.workerId}`,
    });
    // Many at once: one registration wins, every other is refused by the decider after the retry.
    const other = { ...card, idCardNumber: '440524188001010014' };
    const raced = await Promise.allSettled(
      Array.from({ length: 4 }, () => rest.registerWorker(other, municipal)),
    );
    expect(raced.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of raced.filter((x): x is PromiseRejectedResult => x.status === 'rejected'))
      expect(r.reason).toMatchObject({ detail: expect.stringMatching(/registered already/) });
  });

  it('refuses a second enrolment of a worker on a project by the enrolment decider', async () => {
    const { workerId } = await rest.registerWorker(
      { ...card, idCardNumber: '11010519491231002X' },
      municipal,
    );
    const input = { workerId, teamId: 'T1', workType: '020', workRole: '20' as const, isTeamLeader: false };
    const first = await enrolments.enrol('P1', input, municipal);
    expect(first).toMatchObject({ personId: expect.any(String) });
    expect(await enrolments.enrol('P1', input, municipal)).toMatchObject({
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
