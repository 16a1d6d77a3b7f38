import {
  AttendanceRecorded,
  AttendanceRecordedData,
  createEvent,
  EventEnvelope,
  parseEvent,
  PunchRecorded,
  PunchRecordedData,
  PunchResolved,
} from '@realname/contracts';
import {
  AppendResult,
  EventStore,
  fold,
  isRejection,
  PermanentFailure,
  retryOnConflict,
  Sql,
  StoredEvent,
  StreamAppend,
} from '@realname/eventstore';
import { afterCommit } from '../after-commit';
import { Enrolments, matchKey, ProjectIdentifier } from '../enrolments/enrolments';
import { dayOfPunch, personDay, PersonDayEvent, personDayStreamId, PersonDayState } from './person-day';
import { PunchProjection, RecordedRow } from './punch-projection';
import type { EnrolmentFacts } from './resolution';
import type { ResolutionMetrics } from './resolution-metrics';

export const ATTENDANCE_SOURCE = '/realname/attendance';

type Punch = EventEnvelope<typeof PunchRecorded.type, PunchRecordedData>;
type Recorded = EventEnvelope<typeof AttendanceRecorded.type, AttendanceRecordedData>;

/** A person-day stream's new AttendanceRecorded events, decided from its history and the batch's punches. */
interface DayDecision extends StreamAppend {
  events: Recorded[];
  /** The region of the punch each event records (parallel to events). */
  regions: string[];
}

/**
 * Applies PunchRecorded events to the persons' days: looks up the enrolments each punch's device
 * identifier matches, decides, appends AttendanceRecorded (with the resolution) to the person-day stream
 * and updates the read model, all in the consumer's transaction (with the inbox rows).
 *
 * A batch of punches costs a fixed number of statements however many punches and days it holds: one for
 * the locks, one for the enrolments, one to read the days, one to append, two for the read model. A
 * single punch is a batch of one, so the consumer's per-event fallback does exactly the same.
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

  /** One event; returns how many events were appended. */
  async handle(tx: Sql, raw: EventEnvelope): Promise<number> {
    return this.handleBatch(tx, [raw]);
  }

  /**
   * Events in delivery order; those that are not PunchRecorded are not ours and are passed over. Returns
   * how many events were appended. A punch that cannot be recorded (a day that cannot be told) fails the
   * whole batch with PermanentFailure; the consumer then applies the batch one event at a time, so only
   * that punch is dead-lettered.
   */
  async handleBatch(tx: Sql, raws: EventEnvelope[]): Promise<number> {
    const punches = raws.filter((r) => r.type === PunchRecorded.type).map(parsePunch);
    if (punches.length === 0) return 0;
    const identifiers = punches.map(identifierOf);
    // A registry change about one of these identifiers either committed before (we see it) or waits for
    // us (and then sees these punches): see Enrolments.lock.
    await this.enrolments.lockMany(tx, identifiers, 'shared');
    const enrolments = await this.enrolments.matchingMany(tx, identifiers);
    const days = byPersonDay(punches);
    // Another partition's consumer (or replica) may write to one of these days first: then read them
    // again and decide again. The append was undone to its savepoint; the locks are still held.
    return retryOnConflict(async () => {
      const histories = await this.store.readStreams([...days.keys()], tx);
      const decisions = [...days].flatMap(([streamId, dayPunches]) => {
        const d = decideDay(streamId, histories.get(streamId)!, dayPunches, enrolments);
        return d.events.length > 0 ? [d] : [];
      });
      if (decisions.length === 0) return 0;
      const appended = await this.store.appendToStreams(decisions, tx);
      await this.project(tx, decisions, appended);
      return decisions.reduce((n, d) => n + d.events.length, 0);
    });
  }

  /** The read model rows of the appended events, and the metrics once the transaction commits. */
  private async project(tx: Sql, decisions: DayDecision[], appended: AppendResult[]): Promise<void> {
    const rows: RecordedRow[] = decisions.flatMap((d, i) =>
      d.events.map((e, j) => ({
        attendanceEventId: e.id,
        data: e.data,
        region: d.regions[j],
        globalPosition: appended[i].globalPositions[j],
      })),
    );
    await this.projection.recordedMany(tx, rows);
    const metrics = this.metrics;
    if (metrics) afterCommit(tx, () => rows.forEach((r) => metrics.recorded(r.data.resolution)));
  }
}

function parsePunch(raw: EventEnvelope): Punch {
  return parseEvent(PunchRecorded, raw);
}

function identifierOf(p: Punch): ProjectIdentifier {
  return { projectId: p.data.projectId, identifier: p.data.personId };
}

/**
 * The punches by person-day stream, each stream's in delivery order (a Kafka partition keeps the order
 * of a device's punches; within a day they are decided in that order). Streams are sorted by id, so that
 * two transactions appending to some of the same days insert them in the same order and one waits for
 * the other (and then re-reads), rather than each waiting for the other.
 */
function byPersonDay(punches: Punch[]): Map<string, Punch[]> {
  const days = new Map<string, Punch[]>();
  for (const p of punches) {
    const streamId = personDayStreamId(p.data.projectId, p.data.personId, dayOfPunch(p.data));
    const list = days.get(streamId);
    if (list) list.push(p);
    else days.set(streamId, [p]);
  }
  return new Map([...days].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Decides one person-day's punches in order against its history, each seeing the ones before it (so the
 * same device record twice in a batch is recorded once). The append expects the version that was read.
 */
function decideDay(
  streamId: string,
  history: StoredEvent[],
  punches: Punch[],
  enrolments: Map<string, EnrolmentFacts[]>,
): DayDecision {
  let state: PersonDayState = fold(personDay, history.map(toDomainEvent));
  const decision: DayDecision = { streamId, expected: history.length, events: [], regions: [] };
  for (const punch of punches) {
    const decided = personDay.decide(
      {
        kind: 'RecordPunch',
        punchEventId: punch.id,
        punch: punch.data,
        enrolments: enrolments.get(matchKey(identifierOf(punch))) ?? [],
      },
      state,
    );
    if (isRejection(decided)) throw new PermanentFailure(decided.reasons.join('; '));
    for (const e of decided) {
      state = personDay.evolve(state, e);
      if (e.type !== AttendanceRecorded.type) continue;
      decision.events.push(attendanceRecorded(streamId, punch, e.data));
      decision.regions.push(punch.region);
    }
  }
  return decision;
}

/** The envelope of a recorded punch: caused by the PunchRecorded, at the instant of the punch. */
function attendanceRecorded(streamId: string, punch: Punch, data: AttendanceRecordedData): Recorded {
  return createEvent(AttendanceRecorded, data, {
    source: ATTENDANCE_SOURCE,
    subject: streamId,
    region: punch.region,
    correlationId: punch.correlationid,
    causationId: punch.id,
    time: new Date(punch.data.punchedAt),
  });
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
