import type { AttendanceRecordedData, PunchResolution, PunchResolvedData } from '@realname/contracts';
import type { Sql } from '@realname/eventstore';

/** The read model's side of the person-day events: `punches` and `person_days`, in the caller's transaction. */
export class PunchProjection {
  constructor(private readonly schema: string) {}

  async recorded(
    tx: Sql,
    attendanceEventId: string,
    d: AttendanceRecordedData,
    region: string,
    globalPosition: bigint,
  ): Promise<void> {
    const r = d.resolution;
    await tx.execute(
      `INSERT INTO ${this.schema}.punches (punch_event_id, attendance_event_id, project_id, person_id, day, punched_at,
         direction, device_id, device_record_id, verify_mode, received_at, region, global_position,
         resolution_status, unresolved_reason, enrolment_id, worker_id, worker_name, masked_id_number, team_id,
         team_name, participant_id, corp_name, work_type)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22,
         $23, $24)`,
      [
        d.punchEventId,
        attendanceEventId,
        d.projectId,
        d.personId,
        d.day,
        d.punchedAt,
        d.direction,
        d.deviceId,
        d.deviceRecordId,
        d.verifyMode,
        d.receivedAt,
        region,
        String(globalPosition),
        ...resolutionColumns(r),
      ],
    );
    await tx.execute(
      `INSERT INTO ${this.schema}.person_days (project_id, day, person_id, punches, first_punch_at, last_punch_at)
       VALUES ($1, $2, $3, 1, $4, $4)
       ON CONFLICT (project_id, day, person_id) DO UPDATE SET punches = person_days.punches + 1,
         first_punch_at = LEAST(person_days.first_punch_at, EXCLUDED.first_punch_at),
         last_punch_at = GREATEST(person_days.last_punch_at, EXCLUDED.last_punch_at)`,
      [d.projectId, d.day, d.personId, d.punchedAt],
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
  }
}

function resolutionColumns(r: PunchResolution): (string | null)[] {
  return [
    r.status,
    r.reason ?? null,
    r.enrolmentId ?? null,
    r.workerId ?? null,
    r.workerName ?? null,
    r.maskedIdNumber ?? null,
    r.teamId ?? null,
    r.teamName ?? null,
    r.participantId ?? null,
    r.corpName ?? null,
    r.workType ?? null,
  ];
}
