import { profileFor } from '@realname/domain-rules';
import { Database, isRejection, migrate } from '@realname/eventstore';
import { EnrolmentCommands } from '../enrolments/enrolments.handler';
import { EnrolmentsRepository } from '../enrolments/enrolments.repository';
import { registryMigrations } from '../migrations';
import { registryWithTeam, testVault } from './registry-database.int-support';
import { WorkerQueries } from './worker-queries';
import { WorkerCommands } from './workers.handler';
import { WorkersRepository } from './workers.repository';

const vault = testVault();

describe('blacklisting and lifting it (PostgreSQL)', () => {
  let db: Database;
  let schema: string;
  let drop: () => Promise<void>;
  let workers: WorkerCommands;
  let queries: WorkerQueries;
  let enrolments: EnrolmentCommands;

  beforeAll(async () => {
    ({ db, schema, drop } = await registryWithTeam('regbl'));
    workers = new WorkerCommands(db, new WorkersRepository(db, schema, vault), vault);
    queries = new WorkerQueries(db, schema, vault);
    enrolments = new EnrolmentCommands(db, new EnrolmentsRepository(db, schema, vault));
  });
  afterAll(() => drop());

  /** The refusals of an entry attempt today (contract and training are missing either way). */
  async function entryRefusals(enrolmentId: string): Promise<string[]> {
    const r = await enrolments.act(enrolmentId, (today, worker, region) => ({
      kind: 'Enter',
      date: today,
      today,
      worker,
      profile: profileFor(region),
    }));
    return isRejection(r) ? r.reasons : [];
  }

  it('records reason and actor, refuses the lift to the same actor, and entry honours the lift', async () => {
    const r = await workers.registerWorker({
      idCardNumber: '33010619900101123X',
      name: 'Worker One',
      nation: '汉',
      address: 'Hangzhou, Xihu, Some Road 1',
      issuingAuthority: 'Xihu police',
    });
    if (isRejection(r)) throw new Error(r.code);
    const { workerId } = r;
    const e = await enrolments.enrol('P1', {
      workerId,
      teamId: 'T1',
      workType: '020',
      workRole: '20',
      isTeamLeader: false,
    });
    if (isRejection(e)) throw new Error(e.code);

    expect(await workers.blacklist(workerId, 'forged certificate', 'alice')).toEqual([
      {
        type: 'realname.registry.WorkerBlacklisted',
        data: { workerId, reason: 'forged certificate', actor: 'alice' },
      },
    ]);
    const listed = await queries.getWorker(workerId);
    expect(listed).toMatchObject({
      blacklisted: true,
      blacklisting: { reason: 'forged certificate', actor: 'alice', since: expect.any(String) },
    });
    expect((await entryRefusals(e.enrolmentId)).join(' | ')).toMatch(/blacklist/i);

    expect(await workers.liftBlacklist(workerId, 'my mistake', 'alice')).toMatchObject({
      rejected: true,
      code: 'same-actor-cannot-lift',
    });
    expect(await workers.liftBlacklist(workerId, 'no idea', 'unauthenticated')).toMatchObject({
      rejected: true,
      code: 'same-actor-cannot-lift',
    });
    expect((await queries.getWorker(workerId))?.blacklisted).toBe(true);

    expect(await workers.liftBlacklist(workerId, 'certificate checked: genuine', 'bob')).toEqual([
      {
        type: 'realname.registry.WorkerBlacklistLifted',
        data: { workerId, reason: 'certificate checked: genuine', actor: 'bob', blacklistedBy: 'alice' },
      },
    ]);
    expect(await queries.getWorker(workerId)).toMatchObject({ blacklisted: false, blacklisting: null });
    expect((await entryRefusals(e.enrolmentId)).join(' | ')).not.toMatch(/blacklist/i);
    expect(await workers.liftBlacklist(workerId, 'again', 'carol')).toMatchObject({
      code: 'not-blacklisted',
    });

    // The history stays in the worker's stream, with reasons and actors.
    const history = await db.query<{ event_type: string; data: Record<string, unknown> }>(
      `SELECT event_type, data FROM ${schema}.events WHERE event_type LIKE '%Blacklist%' ORDER BY global_position`,
    );
    expect(history.map((h) => [h.event_type.split('.').pop(), h.data.actor, h.data.reason])).toEqual([
      ['WorkerBlacklisted', 'alice', 'forged certificate'],
      ['WorkerBlacklistLifted', 'bob', 'certificate checked: genuine'],
    ]);
  });

  it('stores the new mask and no birth date in the stream; migration 0105 re-masks what was stored before', async () => {
    const r = await workers.registerWorker({
      idCardNumber: '11010519491231002X',
      name: 'Worker Two',
      nation: '汉',
      address: 'Beijing',
      issuingAuthority: 'Chaoyang police',
    });
    if (isRejection(r)) throw new Error(r.code);
    const [stored] = await db.query<{ data: string }>(
      `SELECT data::text AS data FROM ${schema}.events WHERE event_type = 'realname.registry.WorkerRegistered' AND data->>'workerId' = $1`,
      [r.workerId],
    );
    expect(stored.data).toContain('1101**********002X');
    expect(stored.data).not.toMatch(/19491231|1949-12-31|110105/);
    expect(await queries.getWorker(r.workerId)).toMatchObject({
      maskedIdNumber: '1101**********002X',
      age: expect.any(Number),
    });

    // As things were stored before: the mask with the county, the birth date in the event.
    await db.execute(`UPDATE ${schema}.workers SET masked_id = '110105********002X' WHERE worker_id = $1`, [
      r.workerId,
    ]);
    await db.execute(
      `UPDATE ${schema}.events SET data = data || '{"maskedIdNumber": "110105********002X", "birthDate": "1949-12-31"}'::jsonb
       WHERE event_type = 'realname.registry.WorkerRegistered' AND data->>'workerId' = $1`,
      [r.workerId],
    );
    await db.execute(
      `INSERT INTO ${schema}.key_person_mismatches (project_id, credit_code, post, reason, detail)
       VALUES ('P1', 'C1', 'project-manager', 'differs-from-integrity-platform', 'on site A (330106********123X); registered B (110105********002X)')`,
    );
    await db.execute(`DELETE FROM ${schema}.schema_migrations WHERE id LIKE '0105%'`);
    await db.execute(`ALTER TABLE ${schema}.workers DROP COLUMN blacklisted_by, DROP COLUMN blacklisted_at`);
    await migrate(db, schema, registryMigrations);

    expect((await queries.getWorker(r.workerId))?.maskedIdNumber).toBe('1101**********002X');
    const [again] = await db.query<{ data: string }>(
      `SELECT data::text AS data FROM ${schema}.events WHERE event_type = 'realname.registry.WorkerRegistered' AND data->>'workerId' = $1`,
      [r.workerId],
    );
    expect(again.data).toContain('1101**********002X');
    expect(again.data).not.toMatch(/birthDate|110105/);
    const [m] = await db.query<{ detail: string }>(
      `SELECT detail FROM ${schema}.key_person_mismatches WHERE project_id = 'P1'`,
    );
    expect(m.detail).toBe('on site A (3301**********123X); registered B (1101**********002X)');
  });
});
