/**
 * The read models attendance keeps from its own event store, declared for the operator's
 * `ops projection rebuild` (libs/ops loads this module's build output by path; the service never
 * imports the tool). The rebuild applies the very code the live path uses (PunchProjection).
 */
import { AttendanceRecorded, parseEvent, PunchResolved } from '@realname/contracts';
import type { ProjectionDefinition, Sql, StoredEvent } from '@realname/eventstore';
import { PunchProjection, RecordedRow } from './punches/punch-projection';

/** `punches` and `person_days`: AttendanceRecorded inserts and counts, PunchResolved updates who it was. */
export const punchesProjection: ProjectionDefinition = {
  name: 'attendance.punches',
  description: 'punches and person_days (punches per project, person and day) for the REST and gRPC APIs',
  defaultSchema: 'attendance',
  tables: ['punches', 'person_days'],
  eventTypes: [AttendanceRecorded.type, PunchResolved.type],
  async apply(tx: Sql, schema: string, events: StoredEvent[]): Promise<void> {
    const projection = new PunchProjection(schema);
    // Runs of AttendanceRecorded go in one multi-row statement; a PunchResolved applies after the
    // punches before it (it updates the row its AttendanceRecorded inserted).
    let recorded: RecordedRow[] = [];
    const flush = async () => {
      await projection.recordedMany(tx, recorded);
      recorded = [];
    };
    for (const e of events) {
      if (e.type === AttendanceRecorded.type) {
        // parseEvent upcasts stored v1 events, as the live read of a person-day does.
        recorded.push({
          attendanceEventId: e.id,
          data: parseEvent(AttendanceRecorded, e).data,
          region: e.region,
          globalPosition: e.globalPosition,
        });
      } else if (e.type === PunchResolved.type) {
        await flush();
        await projection.resolved(tx, parseEvent(PunchResolved, e).data, e.time);
      }
    }
    await flush();
  },
};

export const projections: ProjectionDefinition[] = [punchesProjection];
