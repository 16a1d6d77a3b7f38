/**
 * The ledger's batch write (`recordMany`, what the consumer uses for a batch of attendance days) against
 * a real PostgreSQL (own schema): the same rows, superseding and items present as `record`, one at a time.
 */
import { Database, migrate } from '@realname/eventstore';
import { testInfrastructure, uniqueName } from '@realname/testing';
import { reportingMigrations } from '../migrations';
import { punchKeyPrefix } from '../records/attendance-punch-records';
import { LedgerRepository, NewLedgerRecord } from './ledger.repository';

const run = uniqueName('ledger');
const schema = `lg_${run}`;
let db: Database;
let ledger: LedgerRepository;

const day = (enrolment: string, revision: number, times: string[], live = false): NewLedgerRecord => ({
  kind: 'attendance',
  recordKey: `P1/${enrolment}/2026-11-20`,
  revision,
  projectId: 'P1',
  region: '330106',
  workerId: `w-${enrolment}`,
  dependsOn: ['team:P1/team-1', `project-worker:P1/${enrolment}`],
  payload: {
    header: { projectCode: 'P1' },
    items: times.map((t, i) => ({ date: `2026-11-20 ${t}`, direction: i % 2 === 0 ? '01' : '02' })),
  },
  ...(live ? { upstreamUnder: punchKeyPrefix('P1', enrolment) } : {}),
});

const rowsOf = (enrolment: string) =>
  db.query<{ revision: number; status: string; items_present: number[]; accepted: boolean }>(
    `SELECT revision, status, items_present, accepted_at IS NOT NULL AS accepted FROM ${schema}.upload_ledger
      WHERE record_key = $1 ORDER BY revision`,
    [`P1/${enrolment}/2026-11-20`],
  );

beforeAll(async () => {
  const infra = await testInfrastructure();
  db = await Database.connect({ url: infra.postgresUrl, poolSize: 2 });
  await migrate(db, schema, reportingMigrations);
  ledger = new LedgerRepository(schema);
});

afterAll(async () => {
  await db?.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await db?.close();
});

describe('the ledger written a batch at a time', () => {
  it('makes one pending row per day, and none again for the same batch', async () => {
    const batch = [day('e1', 1, ['08:00:00', '17:00:00']), day('e2', 1, ['08:01:00'])];
    await expect(ledger.recordMany(db, 'national', batch)).resolves.toBe(2);
    await expect(ledger.recordMany(db, 'national', batch)).resolves.toBe(0);
    expect(await rowsOf('e1')).toEqual([
      { revision: 1, status: 'pending', items_present: [], accepted: false },
    ]);
  });

  it('supersedes an accepted revision and marks what it put upstream as present', async () => {
    await db.execute(
      `UPDATE ${schema}.upload_ledger SET status = 'accepted', accepted_at = now() WHERE record_key = $1`,
      ['P1/e1/2026-11-20'],
    );
    await ledger.recordMany(db, 'national', [day('e1', 2, ['08:00:00', '17:00:00', '18:00:00'])]);
    expect(await rowsOf('e1')).toEqual([
      { revision: 1, status: 'superseded', items_present: [], accepted: true },
      { revision: 2, status: 'pending', items_present: [0, 1], accepted: false },
    ]);
  });

  it('records a revision older than one already there as superseded (a replay)', async () => {
    await ledger.recordMany(db, 'national', [day('e2', 3, ['08:01:00', '17:01:00'])]);
    await ledger.recordMany(db, 'national', [day('e2', 2, ['08:01:00', '17:00:00'])]);
    expect((await rowsOf('e2')).map((r) => [r.revision, r.status])).toEqual([
      [1, 'superseded'],
      [2, 'superseded'],
      [3, 'pending'],
    ]);
  });

  it("marks as present the punches its worker's live records already put upstream", async () => {
    await ledger.record(db, 'national', {
      ...day('e3', 1, ['08:02:00']),
      recordKey: `${punchKeyPrefix('P1', 'e3')}00000000-0000-7000-8000-000000000001`,
    });
    await db.execute(
      `UPDATE ${schema}.upload_ledger SET status = 'accepted', accepted_at = now() WHERE record_key LIKE $1`,
      [`${punchKeyPrefix('P1', 'e3')}%`],
    );
    await ledger.recordMany(db, 'national', [day('e3', 1, ['08:02:00', '17:02:00'], true)]);
    expect(await rowsOf('e3')).toEqual([
      { revision: 1, status: 'pending', items_present: [0], accepted: false },
    ]);
  });
});
