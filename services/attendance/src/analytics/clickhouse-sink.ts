import type { ClickHouseClient } from '@clickhouse/client';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import {
  AttendanceDay,
  AttendanceDayFinalised,
  AttendanceDayRevised,
  AttendanceRecorded,
  parseEvent,
  PunchResolution,
} from '@realname/contracts';
import { CommittedEventPoller, Database, identifier, StoredEvent } from '@realname/eventstore';
import { chDateTime, chIdentifier, chString } from './clickhouse';

export interface SinkOptions {
  schema: string;
  database: string;
  batchSize: number;
  flushMs: number;
  registry?: Registry;
  onError?: (err: unknown) => void;
}

/**
 * Copies AttendanceRecorded events from attendance's event store into ClickHouse in large batches, with
 * the resolution the punch had when recorded (PunchResolved is not copied: ClickHouse keeps that first
 * resolution; the current one is in the PostgreSQL read model).
 * The checkpoint moves only after ClickHouse accepted the insert; a batch inserted twice (crash between
 * insert and checkpoint) collapses on event_id in the ReplacingMergeTree.
 */
export class ClickHouseSink {
  readonly poller: CommittedEventPoller;
  /** Attendance days (finalised and revised) into `attendance_days`: see AttendanceDaysSink. */
  readonly days: AttendanceDaysSink;
  private readonly rows?: Counter;
  private readonly batchRows?: Histogram;
  private readonly insertSeconds?: Histogram;

  constructor(
    db: Database,
    private readonly client: ClickHouseClient,
    private readonly opts: SinkOptions,
  ) {
    chIdentifier(opts.database);
    this.poller = new CommittedEventPoller(
      db,
      opts.schema,
      {
        name: 'sink:clickhouse',
        batchSize: opts.batchSize,
        idleMs: opts.flushMs,
        eventTypes: [AttendanceRecorded.type],
        onError: opts.onError,
      },
      (events) => this.insert(events),
    );
    this.days = new AttendanceDaysSink(db, client, opts);
    const r = opts.registry;
    if (r) {
      this.rows = new Counter({
        name: 'clickhouse_sink_rows_total',
        help: 'Rows inserted into ClickHouse',
        registers: [r],
      });
      this.batchRows = new Histogram({
        name: 'clickhouse_sink_batch_rows',
        help: 'Rows per ClickHouse insert',
        buckets: [1, 10, 50, 100, 500, 1000, 2500, 5000, 10000, 50000],
        registers: [r],
      });
      this.insertSeconds = new Histogram({
        name: 'clickhouse_sink_insert_duration_seconds',
        help: 'Time of one ClickHouse insert',
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
        registers: [r],
      });
      const poller = this.poller;
      new Gauge({
        name: 'clickhouse_sink_backlog_events',
        help: 'Attendance events not yet in ClickHouse (counted up to 100000)',
        registers: [r],
        async collect() {
          this.set(await poller.backlog().catch(() => -1));
        },
      });
    }
  }

  start(): void {
    this.poller.start();
    this.days.poller.start();
  }

  /** Inserts what is already committed (up to drainMs), then stops. */
  async stop(drainMs = 5_000): Promise<void> {
    await Promise.all([this.poller.stop(drainMs), this.days.poller.stop(drainMs)]);
  }

  private async insert(events: StoredEvent[]): Promise<void> {
    const values = events.map((e) => {
      const a = parseEvent(AttendanceRecorded, e);
      return {
        event_id: a.id,
        punch_event_id: a.data.punchEventId,
        region: a.region,
        project_id: a.data.projectId,
        person_id: a.data.personId,
        day: a.data.day,
        punched_at: chDateTime(a.data.punchedAt),
        direction: a.data.direction,
        device_id: a.data.deviceId,
        device_record_id: a.data.deviceRecordId,
        verify_mode: a.data.verifyMode,
        received_at: chDateTime(a.data.receivedAt),
        // Every column explicitly: 18.16 does not apply DEFAULTs to fields a JSONEachRow row omits.
        ...resolutionColumns(a.data.resolution),
      };
    });
    const end = this.insertSeconds?.startTimer();
    await this.client.insert({ table: `${this.opts.database}.punches`, values, format: 'JSONEachRow' });
    end?.();
    this.batchRows?.observe(values.length);
    this.rows?.inc(values.length);
  }
}

/** The resolution columns of a `punches` row (migration 0004); empty strings where nothing is known. */
export function resolutionColumns(r: PunchResolution) {
  return {
    resolution_status: r.status,
    unresolved_reason: r.reason ?? '',
    enrolment_id: r.enrolmentId ?? '',
    worker_id: r.workerId ?? '',
    worker_name: r.workerName ?? '',
    team_id: r.teamId ?? '',
    team_name: r.teamName ?? '',
    participant_id: r.participantId ?? '',
    corp_name: r.corpName ?? '',
    work_type: r.workType ?? '',
  };
}

/** One row of `attendance_days` (migration 0005), as JSONEachRow sends it. */
export interface AttendanceDayRow {
  day: string;
  province: string;
  city: string;
  county: string;
  project_id: string;
  participant_id: string;
  team_id: string;
  enrolment_id: string;
  worker_id: string;
  status: AttendanceDay['status'];
  working: 0 | 1;
  present: 0 | 1;
  leave: 0 | 1;
  worked_minutes: number;
  punches: number;
  key_posts: string[];
  revision: number;
  sign: 1 | -1;
}

/** The row of one revision of a day: +1 adds it to every sum, -1 takes it out again. */
export function attendanceDayRow(d: AttendanceDay, sign: 1 | -1): AttendanceDayRow {
  const region = d.region.padEnd(6, '0');
  return {
    day: d.day,
    province: region.slice(0, 2) + '0000',
    city: region.slice(0, 4) + '00',
    county: region,
    project_id: d.projectId,
    participant_id: d.participantId,
    team_id: d.teamId,
    enrolment_id: d.enrolmentId,
    worker_id: d.workerId,
    status: d.status,
    working: d.calendar.working ? 1 : 0,
    present: d.status === 'present' || d.status === 'incomplete' ? 1 : 0,
    leave: d.status === 'leave' ? 1 : 0,
    worked_minutes: d.workedMinutes,
    punches: d.punches,
    key_posts: d.keyPosts,
    revision: d.revision,
    sign,
  };
}

type DayEvent = {
  stream: string;
  day: AttendanceDay;
  previous?: { revision: number } & Partial<AttendanceDay>;
};

/**
 * Copies AttendanceDayFinalised and AttendanceDayRevised into `attendance_days`, with its own checkpoint
 * (`sink:clickhouse:days`). A revision n inserts the cancelling row of revision n-1 and its own row; the
 * cancelling row is built from revision n-1's event, read from the same stream of the event store in one
 * query per batch (the event's `previous` has only status and minutes). Nothing is kept in memory.
 *
 * Idempotent: before inserting, the batch's day revisions are looked up in `attendance_days_written`
 * (filled by the same insert through a materialised view) and those already written are left out, so a
 * batch delivered twice (crash between insert and checkpoint) is not counted twice by the roll-ups.
 */
export class AttendanceDaysSink {
  readonly poller: CommittedEventPoller;
  private readonly schema: string;
  private readonly rows?: Counter;
  private readonly skipped?: Counter;
  private readonly previousMissing?: Counter;

  constructor(
    private readonly db: Database,
    private readonly client: ClickHouseClient,
    private readonly opts: SinkOptions,
  ) {
    chIdentifier(opts.database);
    this.schema = identifier(opts.schema);
    this.poller = new CommittedEventPoller(
      db,
      opts.schema,
      {
        name: 'sink:clickhouse:days',
        batchSize: opts.batchSize,
        idleMs: opts.flushMs,
        eventTypes: [AttendanceDayFinalised.type, AttendanceDayRevised.type],
        onError: opts.onError,
      },
      async (events) => {
        await this.insert(events);
      },
    );
    const r = opts.registry;
    if (r) {
      this.rows = new Counter({
        name: 'clickhouse_sink_attendance_day_rows_total',
        help: 'Rows inserted into attendance_days (cancelling rows of revisions included)',
        registers: [r],
      });
      this.skipped = new Counter({
        name: 'clickhouse_sink_attendance_days_already_written_total',
        help: 'Day revisions delivered again and left out because ClickHouse had them',
        registers: [r],
      });
      this.previousMissing = new Counter({
        name: 'clickhouse_sink_attendance_day_previous_missing_total',
        help: "Revisions whose previous revision was not in the event store (cancelled from the event's `previous`)",
        registers: [r],
      });
    }
  }

  /** Inserts the rows of a batch of day events; returns how many rows went to ClickHouse. */
  async insert(events: StoredEvent[]): Promise<number> {
    const parsed: DayEvent[] = events.map((e) => {
      if (e.type === AttendanceDayRevised.type) {
        const { previous, ...day } = parseEvent(AttendanceDayRevised, e).data;
        return { stream: e.subject, day, previous };
      }
      return { stream: e.subject, day: parseEvent(AttendanceDayFinalised, e).data };
    });
    const written = await this.alreadyWritten(parsed.map((p) => p.day));
    const fresh = parsed.filter((p) => !written.has(revisionKey(p.day)));
    this.skipped?.inc(parsed.length - fresh.length);
    if (fresh.length === 0) return 0;
    const previous = await this.previousRevisions(fresh.filter((p) => p.previous));
    const values: AttendanceDayRow[] = [];
    for (const p of fresh) {
      if (p.previous) {
        const before = previous.get(`${p.stream}\u0000${p.previous.revision}`);
        if (!before) this.previousMissing?.inc();
        // Without the stored revision, `previous` still takes out its status and minutes exactly.
        values.push(
          attendanceDayRow(
            before ?? { ...p.day, ...p.previous, revision: p.previous.revision, punches: 0 },
            -1,
          ),
        );
      }
      values.push(attendanceDayRow(p.day, 1));
    }
    await this.client.insert({
      table: `${this.opts.database}.attendance_days`,
      values,
      format: 'JSONEachRow',
    });
    this.rows?.inc(values.length);
    return values.length;
  }

  /** The day revisions of the batch that ClickHouse already holds (a batch delivered again). */
  private async alreadyWritten(days: AttendanceDay[]): Promise<Set<string>> {
    const found = new Set<string>();
    // ~100 bytes of SQL per day: 1000 a query stays well under max_query_size (256 KiB by default).
    for (let i = 0; i < days.length; i += 1000) {
      const query = writtenRevisionsSql(this.opts.database, days.slice(i, i + 1000));
      const rows = await (
        await this.client.query({ query, format: 'JSONEachRow' })
      ).json<{ project_id: string; enrolment_id: string; day_text: string; revision: number | string }>();
      for (const r of rows)
        found.add(`${r.project_id}\u0000${r.enrolment_id}\u0000${r.day_text}\u0000${Number(r.revision)}`);
    }
    return found;
  }

  /** The previous revision of each revised day, from its stream: `<stream>\0<revision>` -> the day. */
  private async previousRevisions(revised: DayEvent[]): Promise<Map<string, AttendanceDay>> {
    const found = new Map<string, AttendanceDay>();
    if (revised.length === 0) return found;
    const rows = await this.db.query<{ stream_id: string; data: unknown }>(
      `SELECT stream_id, data FROM ${this.schema}.events
       WHERE stream_id = ANY($1::text[]) AND event_type = ANY($2::text[])`,
      [[...new Set(revised.map((p) => p.stream))], [AttendanceDayFinalised.type, AttendanceDayRevised.type]],
    );
    for (const row of rows) {
      const day = AttendanceDay.parse(row.data);
      found.set(`${row.stream_id}\u0000${day.revision}`, day);
    }
    return found;
  }
}

function revisionKey(d: AttendanceDay): string {
  return `${d.projectId}\u0000${d.enrolmentId}\u0000${d.day}\u0000${d.revision}`;
}

/** Which of these day revisions `attendance_days_written` holds (point lookups on its sorting key). */
export function writtenRevisionsSql(database: string, days: AttendanceDay[]): string {
  chIdentifier(database);
  const tuples = [...new Set(days.map((d) => revisionTuple(d)))];
  return `SELECT project_id, enrolment_id, toString(day) AS day_text, revision
      FROM ${database}.attendance_days_written
      WHERE (project_id, enrolment_id, day, revision) IN (${tuples.join(', ')})`;
}

function revisionTuple(d: AttendanceDay): string {
  return `(${chString(d.projectId)}, ${chString(d.enrolmentId)}, toDate(${chString(d.day)}), toUInt32(${d.revision}))`;
}
