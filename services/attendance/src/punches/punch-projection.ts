import type { AttendanceRecordedData, PunchResolution, PunchResolvedData } from '@realname/contracts';
import type { Sql } from '@realname/eventstore';
import { shiftDay } from '../timesheets/attendance-day';
import { PendingDay, TimesheetRepository } from '../timesheets/timesheets.repository';

/** One AttendanceRecorded for the read model, with what the event store assigned it. */
export interface RecordedRow {
  attendanceEventId: string;
  data: AttendanceRecordedData;
  /** The region of the punch. */
  region: string;
  globalPosition: bigint;
}

/** The read model's side of the person-day events: `punches` and `person_days`, in the caller's transaction. */
export class PunchProjection {
  private readonly timesheets: TimesheetRepository;

  constructor(private readonly schema: string) {
    this.timesheets = new TimesheetRepository(schema);
  }

  async recorded(
    tx: Sql,
    attendanceEventId: string,
    d: AttendanceRecordedData,
    region: string,
    globalPosition: bigint,
  ): Promise<void> {
    await this.recordedMany(tx, [{ attendanceEventId, data: d, region, globalPosition }]);
  }

  /**
   * Many AttendanceRecorded at once: one multi-row insert into `punches`, one upsert into `person_days`
   * (the rows grouped by person-day first, as one statement may change a row only once).
   */
  async recordedMany(tx: Sql, rows: RecordedRow[]): Promise<void> {
    if (rows.length === 0) return;
    // One JSON document of rows (jsonb_to_recordset) instead of an array per column: one stringify,
    // no array-literal escaping, and the columns are named where they are filled.
    const punches = rows.map((r) => ({
      punch_event_id: r.data.punchEventId,
      attendance_event_id: r.attendanceEventId,
      project_id: r.data.projectId,
      person_id: r.data.personId,
      day: r.data.day,
      punched_at: r.data.punchedAt,
      direction: r.data.direction,
      device_id: r.data.deviceId,
      device_record_id: r.data.deviceRecordId,
      verify_mode: r.data.verifyMode,
      received_at: r.data.receivedAt,
      region: r.region,
      global_position: String(r.globalPosition),
      ...resolutionFields(r.data.resolution),
    }));
    await tx.execute(
      `INSERT INTO ${this.schema}.punches (${PUNCH_COLUMNS})
       SELECT ${PUNCH_COLUMNS} FROM jsonb_to_recordset($1::jsonb) AS p(punch_event_id uuid, attendance_event_id uuid,
         project_id text, person_id text, day date, punched_at timestamptz, direction text, device_id text,
         device_record_id text, verify_mode text, received_at timestamptz, region text, global_position bigint,
         resolution_status text, unresolved_reason text, enrolment_id text, worker_id text, worker_name text,
         masked_id_number text, team_id text, team_name text, participant_id text, corp_name text, work_type text)`,
      [JSON.stringify(punches)],
    );
    // Grouped by person-day first (one statement may change a row only once), and in key order, so that
    // concurrent transactions touching some of the same person-days lock them in the same order (one
    // waits for the other instead of deadlocking).
    await tx.execute(
      `INSERT INTO ${this.schema}.person_days (project_id, day, person_id, punches, first_punch_at, last_punch_at)
       SELECT project_id, day, person_id, count(*), min(punched_at), max(punched_at)
         FROM jsonb_to_recordset($1::jsonb) AS p(project_id text, day date, person_id text, punched_at timestamptz)
        GROUP BY project_id, day, person_id
        ORDER BY project_id, day, person_id
       ON CONFLICT (project_id, day, person_id) DO UPDATE SET punches = person_days.punches + EXCLUDED.punches,
         first_punch_at = LEAST(person_days.first_punch_at, EXCLUDED.first_punch_at),
         last_punch_at = GREATEST(person_days.last_punch_at, EXCLUDED.last_punch_at)`,
      [
        JSON.stringify(
          rows.map((r) => ({
            project_id: r.data.projectId,
            day: r.data.day,
            person_id: r.data.personId,
            punched_at: r.data.punchedAt,
          })),
        ),
      ],
    );
    await this.timesheets.markPending(
      tx,
      rows.flatMap((r) =>
        daysTouched(r.data.projectId, r.data.resolution.enrolmentId, r.data.resolution.status, r.data.day),
      ),
    );
  }

  async resolved(tx: Sql, d: PunchResolvedData, at: string): Promise<void> {
    await tx.execute(
      `UPDATE ${this.schema}.punches SET resolution_status = $2, unresolved_reason = $3, enrolment_id = $4,
         worker_id = $5, worker_name = $6, masked_id_number = $7, team_id = $8, team_name = $9, participant_id = $10,
         corp_name = $11, work_type = $12, resolved_at = $13
       WHERE punch_event_id = $1`,
      [d.punchEventId, ...resolutionColumns(d.resolution), at],
    );
    await this.timesheets.markPending(
      tx,
      daysTouched(d.projectId, d.resolution.enrolmentId, d.resolution.status, d.day),
    );
  }
}

/** The `punches` columns an AttendanceRecorded fills. */
const PUNCH_COLUMNS = `punch_event_id, attendance_event_id, project_id, person_id, day, punched_at, direction, device_id,
  device_record_id, verify_mode, received_at, region, global_position, resolution_status, unresolved_reason,
  enrolment_id, worker_id, worker_name, masked_id_number, team_id, team_name, participant_id, corp_name, work_type`;

/** The `punches` columns that say who the punch belongs to. */
function resolutionFields(r: PunchResolution) {
  return {
    resolution_status: r.status,
    unresolved_reason: r.reason ?? null,
    enrolment_id: r.enrolmentId ?? null,
    worker_id: r.workerId ?? null,
    worker_name: r.workerName ?? null,
    masked_id_number: r.maskedIdNumber ?? null,
    team_id: r.teamId ?? null,
    team_name: r.teamName ?? null,
    participant_id: r.participantId ?? null,
    corp_name: r.corpName ?? null,
    work_type: r.workType ?? null,
  };
}

/** resolutionFields' values in their order (the order `resolved` names the columns in). */
function resolutionColumns(r: PunchResolution): (string | null)[] {
  return Object.values(resolutionFields(r));
}

/**
 * The attendance days a resolved punch of a calendar day may count in: that day, or the day before (a
 * punch before the day boundary, or a night shift's out). Both are decided again; one that comes out the
 * same publishes nothing. The day is finalised when due, so a punch of today waits until then.
 */
function daysTouched(
  projectId: string,
  enrolmentId: string | undefined,
  status: string,
  day: string,
): PendingDay[] {
  if (status !== 'resolved' || !enrolmentId) return [];
  return [day, shiftDay(day, -1)].map((d) => ({
    projectId,
    enrolmentId,
    day: d,
    cause: 'late-punch',
  }));
}
