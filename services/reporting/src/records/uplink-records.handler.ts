import {
  AttendanceDay,
  AttendanceDayFinalised,
  AttendanceDayRevised,
  AttendanceRecorded,
  AttendanceRecordedData,
  EventEnvelope,
  parseEvent,
  ParticipantJoined,
  ProjectSynced,
  TeamFormed,
  WorkerEnrolled,
  WorkerEntered,
  WorkerExited,
} from '@realname/contracts';
import type { Sql } from '@realname/eventstore';
import { LedgerRepository, NewLedgerRecord } from '../ledger/ledger.repository';
import {
  attendanceDayRecord,
  entryExitRecord,
  participatingUnitRecord,
  projectWorkerRecord,
  teamRecord,
} from './national-records';
import { RegistryCopiesRepository } from './records.repository';
import { UplinkTarget, uplinkTarget } from '../uplinks/targets';
import { attendancePunchRecord, punchKeyPrefix } from './attendance-punch-records';

/** A day sends only what its worker's live punches did not already put upstream. */
function dayRecord(day: AttendanceDay): NewLedgerRecord | undefined {
  const record = attendanceDayRecord(day);
  return record && { ...record, upstreamUnder: punchKeyPrefix(day.projectId, day.enrolmentId) };
}

/**
 * Turns registry and attendance events into ledger rows, one per switched-on target, each in its
 * target's shape (the national record through the target's mapping, uplinks/targets.ts). Mapped:
 * ParticipantJoined → participating unit, TeamFormed → team, WorkerEnrolled → project worker,
 * WorkerEntered / WorkerExited → entry / exit, AttendanceRecorded → attendance at once (a resolved
 * punch with a direction: attendance-punch-records.ts), AttendanceDayFinalised / Revised → attendance
 * of the day, less what its live punches already sent (a revision supersedes the earlier row of the
 * day). Not mapped yet: enterprises and projects (the integrity platform registers them upstream), contracts, training and payroll (no events carry them
 * yet), and changes to units, teams and enrolments (Update methods). A database failure propagates,
 * so the consumer retries the message; events are applied in their partition's order.
 */
export class UplinkRecordsHandler {
  private readonly targets: readonly UplinkTarget[];

  constructor(
    targets: readonly string[],
    private readonly ledger: LedgerRepository,
    private readonly copies: RegistryCopiesRepository,
  ) {
    this.targets = targets.map(uplinkTarget);
  }

  private async record(tx: Sql, record: NewLedgerRecord | undefined): Promise<void> {
    if (!record) return;
    for (const target of this.targets) {
      const shaped = target.toLedger(record);
      if (shaped) await this.ledger.record(tx, target.id, shaped);
    }
  }

  /**
   * A consumer's batch in its order: attendance days and live punches are written to the ledger together
   * (one set of statements per run of distinct records), every other event as `handle` does; a record
   * repeated in the batch (a revision right behind its first, a redelivered punch) starts a new run, so
   * revisions still apply in order. A project's region is read once per batch.
   */
  async handleBatch(tx: Sql, events: readonly EventEnvelope[]): Promise<void> {
    let run: NewLedgerRecord[] = [];
    let keys = new Set<string>();
    const flush = async () => {
      for (const target of this.targets) {
        const shaped = run.flatMap((record) => target.toLedger(record) ?? []);
        await this.ledger.recordMany(tx, target.id, shaped);
      }
      run = [];
      keys = new Set();
    };
    // Live punches' regions in one statement (their topic carries no project copies to change them).
    const punches = new Map<EventEnvelope, AttendanceRecordedData>();
    for (const raw of events)
      if (raw.type === AttendanceRecorded.type) punches.set(raw, parseEvent(AttendanceRecorded, raw).data);
    const regions = await this.copies.regionsOf(
      tx,
      [...punches.values()].filter((d) => d.resolution.status === 'resolved').map((d) => d.projectId),
    );
    for (const raw of events) {
      const punch = punches.get(raw);
      let record: NewLedgerRecord | undefined;
      if (punch) {
        if (punch.resolution.status !== 'resolved') continue;
        record = attendancePunchRecord(punch, regions.get(punch.projectId) ?? raw.region);
      } else if (raw.type === AttendanceDayFinalised.type || raw.type === AttendanceDayRevised.type) {
        record = dayRecord(
          raw.type === AttendanceDayFinalised.type
            ? parseEvent(AttendanceDayFinalised, raw).data
            : parseEvent(AttendanceDayRevised, raw).data,
        );
      } else {
        await flush();
        await this.handleRegistry(tx, raw);
        continue;
      }
      if (!record) continue;
      const key = `${record.kind}:${record.recordKey}`;
      if (keys.has(key)) await flush();
      run.push(record);
      keys.add(key);
    }
    await flush();
  }

  /** One event: attendance through the batch path (one way to write them), the registry's here. */
  async handle(tx: Sql, raw: EventEnvelope): Promise<void> {
    return this.handleBatch(tx, [raw]);
  }

  private async handleRegistry(tx: Sql, raw: EventEnvelope): Promise<void> {
    switch (raw.type) {
      case ProjectSynced.type: {
        const d = parseEvent(ProjectSynced, raw).data;
        return this.copies.project(tx, { projectId: d.projectId, region: d.region, name: d.name });
      }
      case ParticipantJoined.type: {
        const d = parseEvent(ParticipantJoined, raw).data;
        await this.copies.participant(tx, d);
        const region = await this.copies.regionOf(tx, d.projectId, raw.region);
        return this.record(tx, participatingUnitRecord(d, region));
      }
      case TeamFormed.type: {
        const d = parseEvent(TeamFormed, raw).data;
        const unit = await this.copies.findParticipant(tx, d.projectId, d.participantId);
        // The project's stream carries the unit before its teams; without it the event is out of order.
        if (!unit) throw new Error(`team ${d.teamId} names participant ${d.participantId}, not yet known`);
        const region = await this.copies.regionOf(tx, d.projectId, raw.region);
        return this.record(tx, teamRecord({ teamId: d.teamId, name: d.name }, unit, region));
      }
      case WorkerEnrolled.type: {
        const d = parseEvent(WorkerEnrolled, raw).data;
        await this.copies.enrolment(tx, d);
        const region = await this.copies.regionOf(tx, d.projectId, raw.region);
        return this.record(tx, projectWorkerRecord(d, region));
      }
      case WorkerEntered.type:
      case WorkerExited.type: {
        const d =
          raw.type === WorkerEntered.type
            ? parseEvent(WorkerEntered, raw).data
            : parseEvent(WorkerExited, raw).data;
        const enrolment = await this.copies.findEnrolment(tx, d.enrolmentId);
        // The enrolment's stream carries WorkerEnrolled first; without it the event is out of order.
        if (!enrolment) throw new Error(`enrolment ${d.enrolmentId} is not yet known`);
        const region = await this.copies.regionOf(tx, d.projectId, raw.region);
        const kind = raw.type === WorkerEntered.type ? 'entry' : 'exit';
        return this.record(tx, entryExitRecord(enrolment, kind, d.date, region));
      }
      default:
        return; // key posts, credentials, blacklists and payroll findings are not uploaded
    }
  }
}
