/**
 * The read models attendance keeps from its own event store, declared for the operator's
 * `ops projection rebuild` (libs/ops loads this module's build output by path; the service never
 * imports the tool). The rebuild applies the very code the live path uses (PunchProjection).
 */
import {
  AttendanceDayFinalised,
  AttendanceDayRevised,
  AttendanceRecorded,
  parseEvent,
  PunchResolved,
} from '@realname/contracts';
import type { ProjectionDefinition, Sql, StoredEvent } from '@realname/eventstore';
import { PunchProjection, RecordedRow } from './punches/punch-projection';
import {
  TimesheetCorrectionApproved,
  TimesheetCorrectionRejected,
  TimesheetCorrectionRequested,
} from './timesheets/internal-events';
import { TimesheetRepository } from './timesheets/timesheets.repository';

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

/** `timesheet_days` (latest revision of each day) and `timesheet_corrections`, from the days' streams. */
export const timesheetsProjection: ProjectionDefinition = {
  name: 'attendance.timesheets',
  description: 'timesheet_days (the latest revision of every attendance day) and timesheet_corrections',
  defaultSchema: 'attendance',
  tables: ['timesheet_days', 'timesheet_corrections'],
  eventTypes: [
    AttendanceDayFinalised.type,
    AttendanceDayRevised.type,
    TimesheetCorrectionRequested.type,
    TimesheetCorrectionApproved.type,
    TimesheetCorrectionRejected.type,
  ],
  async apply(tx: Sql, schema: string, events: StoredEvent[]): Promise<void> {
    const repo = new TimesheetRepository(schema);
    for (const e of events) {
      if (e.type === AttendanceDayFinalised.type || e.type === AttendanceDayRevised.type) {
        const { previous: _previous, ...day } = parseEvent(AttendanceDayRevised, e).data;
        await repo.saveDay(tx, day, e.time);
      } else if (e.type === TimesheetCorrectionRequested.type) {
        const { kind, at, reason, requestedBy, requestedAt, ...where } = parseEvent(
          TimesheetCorrectionRequested,
          e,
        ).data;
        await repo.saveCorrection(tx, {
          ...where,
          region: e.region,
          kind,
          ...(at ? { at } : {}),
          reason,
          requestedBy,
          requestedAt,
          status: 'pending',
        });
      } else {
        const approved = e.type === TimesheetCorrectionApproved.type;
        const d = approved
          ? parseEvent(TimesheetCorrectionApproved, e).data
          : parseEvent(TimesheetCorrectionRejected, e).data;
        await repo.decideCorrection(tx, {
          correctionId: d.correctionId,
          status: approved ? 'approved' : 'rejected',
          decidedBy: d.decidedBy,
          decidedAt: d.decidedAt,
          note: d.note,
        });
      }
    }
  },
};

export const projections: ProjectionDefinition[] = [punchesProjection, timesheetsProjection];
