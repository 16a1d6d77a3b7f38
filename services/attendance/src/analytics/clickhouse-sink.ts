import type { ClickHouseClient } from '@clickhouse/client';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { AttendanceRecorded, parseEvent, PunchResolution } from '@realname/contracts';
import { CommittedEventPoller, Database, StoredEvent } from '@realname/eventstore';
import { chDateTime, chIdentifier } from './clickhouse';

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
  }

  /** Inserts what is already committed (up to drainMs), then stops. */
  stop(drainMs = 5_000): Promise<void> {
    return this.poller.stop(drainMs);
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
