import type { ClickHouseClient } from '@clickhouse/client';
import { AttendanceRecorded, createEvent } from '@realname/contracts';
import { Database, EventStore, migrate, NO_STREAM } from '@realname/eventstore';
import { eventually, testInfrastructure, uniqueName } from '@realname/testing';
import { attendanceMigrations } from '../migrations';
import { AnalyticsQueries } from './analytics-queries';
import { connectClickHouse, migrateClickHouse } from './clickhouse';
import { ClickHouseSink } from './clickhouse-sink';

describe('ClickHouse sink against the real ClickHouse', () => {
  const schema = uniqueName('att_sink');
  const database = uniqueName('sink').toLowerCase();
  let db: Database;
  let store: EventStore;
  let client: ClickHouseClient;

  beforeAll(async () => {
    const infra = await testInfrastructure();
    db = await Database.connect({ url: infra.postgresUrl });
    await migrate(db, schema, attendanceMigrations);
    store = new EventStore(db, schema);
    client = connectClickHouse({ url: infra.clickhouseUrl, username: 'default', password: '' });
  });
  afterAll(async () => {
    await client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    await client.close();
    await db.execute(`DROP SCHEMA ${schema} CASCADE`);
    await db.close();
  });

  function recorded(i: number, day: string) {
    const personId = String(10001 + (i % 7));
    const stream = `attendance-P1-${personId}-${day}`;
    return createEvent(
      AttendanceRecorded,
      {
        punchEventId: '0190a8c4-8f6e-7cc1-a1b2-' + String(i).padStart(12, '0'),
        projectId: 'P1',
        personId,
        day,
        punchedAt: `${day}T01:00:${String(i % 60).padStart(2, '0')}.000Z`,
        direction: i % 2 ? 'in' : 'out',
        deviceId: 'gate-1',
        deviceRecordId: String(i),
        verifyMode: 'face',
        receivedAt: `${day}T01:00:59.000Z`,
      },
      { source: '/test', subject: stream, region: i % 3 ? '330106' : '330108' },
    );
  }

  it('applies its migrations once and again without harm', async () => {
    expect(await migrateClickHouse(client, database)).toEqual([
      '0001_punches',
      '0002_daily_by_region',
      '0003_daily_by_region_mv',
    ]);
    expect(await migrateClickHouse(client, database)).toEqual([]);
  });

  it('inserts in batches, and a batch inserted twice is still counted once', async () => {
    // 1200 events over two days, each in its own stream (as person-day streams would be).
    for (let chunk = 0; chunk < 12; chunk++) {
      await db.transaction(async (tx) => {
        for (let i = chunk * 100; i < chunk * 100 + 100; i++) {
          const e = recorded(i, i < 700 ? '2026-11-20' : '2026-11-21');
          await store.append(`s-${i}`, [{ ...e, subject: `s-${i}` }], NO_STREAM, tx);
        }
      });
    }
    const sink = new ClickHouseSink(db, client, { schema, database, batchSize: 500, flushMs: 50 });
    // A poll sees only what every older transaction has finished with (an autovacuum analyze can hold
    // it back for a moment), so keep polling until all 1200 are in.
    const batches: number[] = [];
    await eventually(
      async () => {
        const n = await sink.poller.pollOnce();
        if (n > 0) batches.push(n);
        return batches.reduce((a, b) => a + b, 0) === 1200;
      },
      { what: '1200 events inserted' },
    );
    expect(Math.max(...batches)).toBe(500);

    // Crash between insert and checkpoint: the checkpoint goes back and the same rows are inserted again.
    await db.execute(`DELETE FROM ${schema}.checkpoints WHERE name = 'sink:clickhouse'`);
    await eventually(
      async () => (await sink.poller.pollOnce()) === 0 && (await sink.poller.backlog()) === 0,
      {
        what: 'the re-insert to finish',
      },
    );

    const analytics = new AnalyticsQueries(client, database);
    expect(await analytics.projectDaily('P1', '2026-11-01', '2026-11-30')).toEqual([
      { day: '2026-11-20', punches: 700, persons: 7 },
      { day: '2026-11-21', punches: 500, persons: 7 },
    ]);
    const regions = await analytics.regionDaily('3301', '2026-11-20', '2026-11-20');
    expect(regions.map((r) => r.region)).toEqual(['330106', '330108']);
    expect(regions.reduce((a, r) => a + r.punches, 0)).toBe(700);
    expect(await analytics.regionDaily('44', '2026-11-20', '2026-11-21')).toEqual([]);
  });

  it('refuses a query with a bad date and names the field', async () => {
    const analytics = new AnalyticsQueries(client, database);
    await expect(analytics.projectDaily('P1', '2026-11-01', '30.11.2026')).rejects.toMatchObject({
      field: 'to',
    });
    await expect(analytics.regionDaily("33' OR 1=1 --", '2026-11-01', '2026-11-02')).rejects.toMatchObject({
      field: 'region',
    });
  });
});
