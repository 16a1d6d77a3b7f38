import { profileFor } from '@realname/domain-rules';
import { Database, isRejection, migrate } from '@realname/eventstore';
import { EnrolmentCommands } from '../enrolments/enrolments.handler';
import { EnrolmentsRepository } from '../enrolments/enrolments.repository';
import { registryMigrations } from '../migrations';
import { Caller } from '@realname/platform';
import { callerFor, registryWithTeam, testVault } from './registry-database.int-support';
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
  // Hangzhou's municipal system registers and enrols; supervisors of the city and the county blacklist.
  let municipal: Caller;
  let alice: Caller;
  let bob: Caller;
  let ningbo: Caller;

  beforeAll(async () => {
    [municipal, alice, bob, ningbo] = await Promise.all(
      ['municipal-hangzhou', 'hz-city', 'xh-county', 'nb-city'].map((who) => callerFor(who)),
    );
    ({ db, schema, drop } = await registryWithTeam('regbl'));
    workers = new WorkerCommands(db, new WorkersRepository(db, schema, vault), vault);
    queries = new WorkerQueries(db, schema, vault);
    enrolments = new EnrolmentCommands(db, new EnrolmentsRepository(db, schema, vault));
  });
  afterAll(() => drop());

  /** The refusals of an entry attempt today (contract and training are missing either way). */
  async function entryRefusals(enrolmentId: string): Promise<string[]> {
    const r = await enrolments.act(enrolmentId, municipal, (today, worker, region) => ({
      kind: 'Enter',
      date: today,
      today,
      worker,
      profile: profileFor(region),
    }));
    return isRejection(r) ? r.reasons : [];
  }

  it('records reason and actor, refuses the lift to the same actor, and entry honours the lift', async () => {
    const r = await workers.registerWorker(
      {
        idCardNumber: '33010619900101123X',
        name: 'Worker One',
        nation: '汉',
        address: 'Hangzhou, Xihu, Some Road 1',
        issuingAuthority: 'Xihu police',
      },
      municipal,
    );
    if (isRejection(r)) throw new Error(r.code);
    const { workerId } = r;
    const e = await enrolments.enrol(
      'P1',
      { workerId, teamId: 'T1', workType: '020', workRole: '20', isTeamLeader: false },
      municipal,
    );
    if (isRejection(e)) throw new Error(e.code);

    // A supervisor of another city: the worker is not theirs, nothing changes.
    expect(await workers.blacklist(workerId, 'not mine', ningbo)).toMatchObject({
      rejected: true,
      code: 'out-of-scope',
      reasons: [expect.stringMatching(/outside your scope \(city 330200\)/)],
    });
    expect(await queries.getWorker(workerId, ningbo.scope)).toBeUndefined();
    expect((await queries.getWorker(workerId, alice.scope))?.blacklisted).toBe(false);
    expect(await workers.blacklist(workerId, 'forged certificate', alice)).toEqual([
      {
        type: 'realname.registry.WorkerBlacklisted',
        data: { workerId, reason: 'forged certificate', actor: alice.subject },
      },
    ]);
    const listed = await queries.getWorker(workerId, alice.scope);
    expect(listed).toMatchObject({
      blacklisted: true,
      blacklisting: { reason: 'forged certificate', actor: alice.subject, since: expect.any(String) },
    });
    // The event's envelope names the actor: subject, the role acted in, the scope.
    const [meta] = await db.query<{ metadata: Record<string, string> }>(
      `SELECT metadata FROM ${schema}.events WHERE event_type = 'realname.registry.WorkerBlacklisted'`,
    );
    expect(meta.metadata).toMatchObject({
      actorsubject: alice.subject,
      actorrole: 'city-supervisor',
      actorscope: 'city:330100',
    });
    expect((await entryRefusals(e.enrolmentId)).join(' | ')).toMatch(/blacklist/i);

    expect(await workers.liftBlacklist(workerId, 'my mistake', alice)).toMatchObject({
      rejected: true,
      code: 'same-actor-cannot-lift',
    });
    expect(await workers.liftBlacklist(workerId, 'no idea', ningbo)).toMatchObject({
      rejected: true,
      code: 'out-of-scope',
    });
    expect((await queries.getWorker(workerId, alice.scope))?.blacklisted).toBe(true);

    expect(await workers.liftBlacklist(workerId, 'certificate checked: genuine', bob)).toEqual([
      {
        type: 'realname.registry.WorkerBlacklistLifted',
        data: {
          workerId,
          reason: 'certificate checked: genuine',
          actor: bob.subject,
          blacklistedBy: alice.subject,
        },
      },
    ]);
    expect(await queries.getWorker(workerId, bob.scope)).toMatchObject({
      blacklisted: false,
      blacklisting: null,
    });
    expect((await entryRefusals(e.enrolmentId)).join(' | ')).not.toMatch(/blacklist/i);
    expect(await workers.liftBlacklist(workerId, 'again', alice)).toMatchObject({
      code: 'not-blacklisted',
    });

    // The history stays in the worker's stream, with reasons and actors.
    const history = await db.query<{ event_type: string; data: Record<string, unknown> }>(
      `SELECT event_type, data FROM ${schema}.events WHERE event_type LIKE '%Blacklist%' ORDER BY global_position`,
    );
    expect(history.map((h) => [h.event_type.split('.').pop(), h.data.actor, h.data.reason])).toEqual([
      ['WorkerBlacklisted', alice.subject, 'forged certificate'],
      ['WorkerBlacklistLifted', bob.subject, 'certificate checked: genuine'],
    ]);
  });

  it('stores the new mask and no birth date in the stream; migration 0105 re-masks what was stored before', async () => {
    const r = await workers.registerWorker(
      {
        idCardNumber: '11010519491231002X',
        name: 'Worker Two',
        nation: '汉',
        address: 'Beijing',
        issuingAuthority: 'Chaoyang police',
      },
      municipal,
    );
    if (isRejection(r)) throw new Error(r.code);
    const [stored] = await db.query<{ data: string }>(
      `SELECT data::text AS data FROM ${schema}.events WHERE event_type = 'realname.registry.WorkerRegistered' AND data->>'workerId' = $1`,
      [r.workerId],
    );
    expect(stored.data).toContain('1101**********002X');
    expect(stored.data).not.toMatch(/19491231|1949-12-31|110105/);
    expect(await queries.getWorker(r.workerId, municipal.scope)).toMatchObject({
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

    expect((await queries.getWorker(r.workerId, municipal.scope))?.maskedIdNumber).toBe('1101**********002X');
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
