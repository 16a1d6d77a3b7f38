import {
  AttendanceRecorded,
  createEvent,
  EventEnvelope,
  parseEvent,
  PunchRecorded,
} from '@realname/contracts';
import {
  ConcurrencyConflict,
  EventStore,
  fold,
  isRejection,
  PermanentFailure,
  Sql,
  StoredEvent,
} from '@realname/eventstore';
import { dayOfPunch, personDay, PersonDayEvent, personDayStreamId } from './person-day';

export const ATTENDANCE_SOURCE = '/realname/attendance';

/**
 * Applies one PunchRecorded to the person's day: decides, appends AttendanceRecorded to the person-day
 * stream and updates the read model, all in the consumer's transaction (with the inbox row).
 */
export class RecordPunchHandler {
  constructor(
    private readonly store: EventStore,
    private readonly schema: string,
  ) {}

  async handle(tx: Sql, raw: EventEnvelope): Promise<number> {
    if (raw.type !== PunchRecorded.type) return 0; // other events on the topic are not ours to handle
    const punch = parseEvent(PunchRecorded, raw);
    const streamId = personDayStreamId(punch.data.projectId, punch.data.personId, dayOfPunch(punch.data));
    for (let attempt = 1; ; attempt++) {
      const history = await this.store.readStream(streamId, 1n, tx);
      const state = fold(personDay, history.map(toDomainEvent));
      const decision = personDay.decide(
        { kind: 'RecordPunch', punchEventId: punch.id, punch: punch.data },
        state,
      );
      if (isRejection(decision)) throw new PermanentFailure(decision.reasons.join('; '));
      if (decision.length === 0) return 0;
      const envelopes = decision.map((e) =>
        createEvent(AttendanceRecorded, e.data, {
          source: ATTENDANCE_SOURCE,
          subject: streamId,
          region: punch.region,
          correlationId: punch.correlationid,
          causationId: punch.id,
          time: new Date(punch.data.punchedAt),
        }),
      );
      try {
        const { globalPositions } = await this.store.append(streamId, envelopes, history.length, tx);
        await this.project(tx, envelopes[0].id, envelopes[0].data, punch.region, globalPositions[0]);
        return envelopes.length;
      } catch (err) {
        // Another partition's consumer wrote to the same person-day first: read again and decide again.
        if (err instanceof ConcurrencyConflict && attempt < 5) continue;
        throw err;
      }
    }
  }

  private async project(
    tx: Sql,
    attendanceEventId: string,
    d: PersonDayEvent['data'],
    region: string,
    globalPosition: bigint,
  ): Promise<void> {
    await tx.execute(
      `INSERT INTO ${this.schema}.punches (punch_event_id, attendance_event_id, project_id, person_id, day, punched_at,
         direction, device_id, device_record_id, verify_mode, received_at, region, global_position)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
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
}

function toDomainEvent(e: StoredEvent): PersonDayEvent {
  return { type: 'realname.attendance.AttendanceRecorded', data: parseEvent(AttendanceRecorded, e).data };
}
