import {
  AttendanceRecorded,
  createEvent,
  EventEnvelope,
  parseEvent,
  PunchRecorded,
  PunchResolved,
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
import { afterCommit } from '../after-commit';
import { Enrolments } from '../enrolments/enrolments';
import { dayOfPunch, personDay, PersonDayEvent, personDayStreamId, PersonDayState } from './person-day';
import { PunchProjection } from './punch-projection';
import type { ResolutionMetrics } from './resolution-metrics';

export const ATTENDANCE_SOURCE = '/realname/attendance';

/**
 * Applies one PunchRecorded to the person's day: looks up the enrolments its device identifier matches,
 * decides, appends AttendanceRecorded (with the resolution) to the person-day stream and updates the read
 * model, all in the consumer's transaction (with the inbox row).
 */
export class RecordPunchHandler {
  private readonly enrolments: Enrolments;
  private readonly projection: PunchProjection;

  constructor(
    private readonly store: EventStore,
    schema: string,
    private readonly metrics?: ResolutionMetrics,
  ) {
    this.enrolments = new Enrolments(schema);
    this.projection = new PunchProjection(this.enrolments.schema);
  }

  async handle(tx: Sql, raw: EventEnvelope): Promise<number> {
    if (raw.type !== PunchRecorded.type) return 0; // other events on the topic are not ours to handle
    const punch = parseEvent(PunchRecorded, raw);
    const { projectId, personId } = punch.data;
    const streamId = personDayStreamId(projectId, personId, dayOfPunch(punch.data));
    // A registry change about this identifier either committed before (we see it) or waits for us (and
    // then sees this punch): see Enrolments.lock.
    await this.enrolments.lock(tx, projectId, [personId], 'shared');
    const enrolments = await this.enrolments.matching(tx, projectId, personId);
    for (let attempt = 1; ; attempt++) {
      const { history, state } = await readPersonDay(this.store, streamId, tx);
      const decision = personDay.decide(
        { kind: 'RecordPunch', punchEventId: punch.id, punch: punch.data, enrolments },
        state,
      );
      if (isRejection(decision)) throw new PermanentFailure(decision.reasons.join('; '));
      if (decision.length === 0) return 0;
      const envelopes = decision.flatMap((e) =>
        e.type === AttendanceRecorded.type
          ? [
              createEvent(AttendanceRecorded, e.data, {
                source: ATTENDANCE_SOURCE,
                subject: streamId,
                region: punch.region,
                correlationId: punch.correlationid,
                causationId: punch.id,
                time: new Date(punch.data.punchedAt),
              }),
            ]
          : [],
      );
      if (envelopes.length === 0) return 0;
      try {
        const { globalPositions } = await this.store.append(streamId, envelopes, history.length, tx);
        const recorded = envelopes[0];
        await this.projection.recorded(tx, recorded.id, recorded.data, punch.region, globalPositions[0]);
        if (this.metrics) afterCommit(tx, () => this.metrics!.recorded(recorded.data.resolution));
        return envelopes.length;
      } catch (err) {
        // Another partition's consumer wrote to the same person-day first: read again and decide again.
        if (err instanceof ConcurrencyConflict && attempt < 5) continue;
        throw err;
      }
    }
  }
}

/** A person-day stream read and folded (stored v1 AttendanceRecorded events are upcast on the way). */
export async function readPersonDay(
  store: EventStore,
  streamId: string,
  tx: Sql,
): Promise<{ history: StoredEvent[]; state: PersonDayState }> {
  const history = await store.readStream(streamId, 1n, tx);
  return { history, state: fold(personDay, history.map(toDomainEvent)) };
}

export function toDomainEvent(e: StoredEvent): PersonDayEvent {
  if (e.type === PunchResolved.type)
    return { type: 'realname.attendance.PunchResolved', data: parseEvent(PunchResolved, e).data };
  return { type: 'realname.attendance.AttendanceRecorded', data: parseEvent(AttendanceRecorded, e).data };
}
