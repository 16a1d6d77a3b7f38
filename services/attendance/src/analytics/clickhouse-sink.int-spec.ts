import { ClickHouseClient, ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { AttendanceRecorded, createEvent } from '@realname/contracts';
import { Database, EventStore, migrate, NO_STREAM } from '@realname/eventstore';
import type { CallerScope } from '@realname/platform';
import { eventually, testInfrastructure, uniqueName } from '@realname/testing';
import { attendanceMigrations } from '../migrations';
import { ProjectNotFound } from '../punches/punch-queries';
import { AnalyticsQueries } from './analytics-queries';
import { applyClickHouseMigrations, connectClickHouse, migrateClickHouse } from './clickhouse';
import { ClickHouseSink } from './clickhouse-sink';

const HANGZHOU: CallerScope = { kind: 'city', code: '330100' };

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
        resolution:
          i % 4 === 0
            ? { status: 'unresolved' as const, reason: 'unknown-person' as const }
            : {
                status: 'resolved' as const,
                enrolmentId: `en-${personId}`,
                workerId: `w-${personId}`,
                workerName: '李四',
                teamId: 't-1',
                teamName: '木工班',
                participantId: 'pa-1',
                corpName: '某某劳务有限公司',
                workType: '木工',
              },
      },
      { source: '/test', subject: stream, region: i % 3 ? '330106' : '330108' },
    );
  }

  it('applies its migrations once and again without harm', async () => {
    const all = [
      '0001_punches',
      '0002_daily_by_region',
      '0003_daily_by_region_mv',
      '0004_punch_resolution',
      '0005_attendance_days',
      '0006_attendance_months',
      '0007_attendance_months_mv',
      '0008_attendance_key_posts',
      '0009_attendance_key_posts_mv',
      '0010_attendance_days_written',
      '0011_attendance_days_written_mv',
    ];
    expect(await migrateClickHouse(client, database)).toEqual(all);
    expect(await migrateClickHouse(client, database)).toEqual([]);
    // A replica that started at the same time and missed the ledger row: 0004's ALTER (no IF NOT EXISTS
    // on 18.16) finds its columns and counts as applied.
    const quiet = createClient({
      url: (await testInfrastructure()).clickhouseUrl,
      log: { level: ClickHouseLogLevel.OFF },
    });
    const noLedger = {
      command: async (query: string) => {
        await quiet.command({ query });
      },
      appliedIds: async () => [],
      recordApplied: async () => undefined,
    };
    expect(await applyClickHouseMigrations(noLedger, database)).toEqual(all);
    await quiet.close();
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
    // A poll sees only what every older transaction has finished with, so keep polling until all 1200
    // are in. (This test once stalled at 900: the poller ordered transaction ids as text, see
    // committed-poller.ts and the digit test in outbox-relay.int-spec.ts.)
    const batches: number[] = [];
    await eventually(
      async () => {
        const n = await sink.poller.pollOnce();
        if (n > 0) batches.push(n);
        return batches.reduce((a, b) => a + b, 0) === 1200;
      },
      { what: '1200 events inserted', timeoutMs: 60_000 },
    ).catch(async (err: Error) => {
      // If it ever stalls again, say what held the poller back.
      const [where] = await db.query(
        `SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin, (SELECT count(*) FROM ${schema}.events)::int AS events,
                (SELECT row_to_json(c) FROM ${schema}.checkpoints c WHERE name = 'sink:clickhouse') AS checkpoint`,
      );
      const open = await db.query(
        `SELECT pid, backend_xid::text AS xid, state, left(query, 80) AS query FROM pg_stat_activity WHERE backend_xid IS NOT NULL`,
      );
      throw new Error(
        `${err.message}; batches ${JSON.stringify(batches)}; ${JSON.stringify(where)}; open transactions ${JSON.stringify(open)}`,
      );
    });
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
    expect(await analytics.projectDaily('P1', '2026-11-01', '2026-11-30', HANGZHOU)).toEqual([
      { day: '2026-11-20', punches: 700, persons: 7 },
      { day: '2026-11-21', punches: 500, persons: 7 },
    ]);
    const regions = await analytics.regionDaily('3301', '2026-11-20', '2026-11-20', HANGZHOU);
    expect(regions.map((r) => r.region)).toEqual(['330106', '330108']);
    expect(regions.reduce((a, r) => a + r.punches, 0)).toBe(700);
    expect(await analytics.regionDaily('44', '2026-11-20', '2026-11-21', HANGZHOU)).toEqual([]);
    // Scope on ClickHouse 18.16 too: Ningbo does not find P1; a project manager of P1 does.
    await expect(
      analytics.projectDaily('P1', '2026-11-01', '2026-11-30', { kind: 'city', code: '330200' }),
    ).rejects.toBeInstanceOf(ProjectNotFound);
    expect(
      await analytics.regionDaily('', '2026-11-20', '2026-11-20', { kind: 'city', code: '330200' }),
    ).toEqual([]);
    expect(
      await analytics.projectDaily('P1', '2026-11-21', '2026-11-21', { kind: 'project', code: 'P1' }),
    ).toEqual([{ day: '2026-11-21', punches: 500, persons: 7 }]);
  });

  it('writes the resolution of each punch; a stored v1 event reads as recorded before resolution', async () => {
    // An AttendanceRecorded v1, as stored before resolution existed.
    const v1 = recorded(5000, '2026-11-22');
    const { resolution: _r, ...v1Data } = v1.data;
    await db.execute(
      `INSERT INTO ${schema}.events (stream_id, stream_position, event_id, event_type, schema_version, data, metadata)
       VALUES ($1, 1, $2, $3, 1, $4, $5)`,
      [
        v1.subject,
        v1.id,
        v1.type,
        JSON.stringify(v1Data),
        JSON.stringify({
          source: v1.source,
          time: v1.time,
          dataschema: `urn:realname:schema:${v1.type}:1`,
          correlationid: v1.correlationid,
          causationid: v1.causationid,
          region: v1.region,
        }),
      ],
    );
    const sink = new ClickHouseSink(db, client, { schema, database, batchSize: 500, flushMs: 50 });
    await eventually(
      async () => (await sink.poller.pollOnce()) === 0 && (await sink.poller.backlog()) === 0,
      {
        what: 'the v1 event inserted',
      },
    );
    const rows = await (
      await client.query({
        query: `SELECT day, resolution_status, unresolved_reason, worker_name, corp_name, toUInt32(count()) AS n
                FROM ${database}.punches FINAL GROUP BY day, resolution_status, unresolved_reason, worker_name, corp_name
                ORDER BY day, resolution_status, unresolved_reason`,
        format: 'JSONEachRow',
      })
    ).json();
    expect(rows).toEqual([
      {
        day: '2026-11-20',
        resolution_status: 'resolved',
        unresolved_reason: '',
        worker_name: '李四',
        corp_name: '某某劳务有限公司',
        n: 525,
      },
      {
        day: '2026-11-20',
        resolution_status: 'unresolved',
        unresolved_reason: 'unknown-person',
        worker_name: '',
        corp_name: '',
        n: 175,
      },
      {
        day: '2026-11-21',
        resolution_status: 'resolved',
        unresolved_reason: '',
        worker_name: '李四',
        corp_name: '某某劳务有限公司',
        n: 375,
      },
      {
        day: '2026-11-21',
        resolution_status: 'unresolved',
        unresolved_reason: 'unknown-person',
        worker_name: '',
        corp_name: '',
        n: 125,
      },
      {
        day: '2026-11-22',
        resolution_status: 'unresolved',
        unresolved_reason: 'recorded-before-resolution',
        worker_name: '',
        corp_name: '',
        n: 1,
      },
    ]);
  });

  it('refuses a query with a bad date and names the field', async () => {
    const analytics = new AnalyticsQueries(client, database);
    await expect(analytics.projectDaily('P1', '2026-11-01', '30.11.2026', HANGZHOU)).rejects.toMatchObject({
      field: 'to',
    });
    await expect(
      analytics.regionDaily("33' OR 1=1 --", '2026-11-01', '2026-11-02', HANGZHOU),
    ).rejects.toMatchObject({
      field: 'region',
    });
  });
});
