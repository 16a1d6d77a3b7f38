import { createEvent, EventEnvelope, PunchResolved } from '@realname/contracts';
import { EventStore, retryOnConflict, Sql } from '@realname/eventstore';
import { afterCommit } from '../after-commit';
import { Enrolments } from '../enrolments/enrolments';
import { personDay, personDayStreamId } from './person-day';
import { PunchProjection } from './punch-projection';
import { ATTENDANCE_SOURCE, readPersonDay } from './record-punch.handler';
import type { EnrolmentFacts } from './resolution';
import type { ResolutionMetrics } from './resolution-metrics';

/** Which stored punches a registry change may concern. */
export interface ResolutionScope {
  projectId: string;
  /** Device identifiers (credential person ids and card numbers) the change is about, before and after. */
  identifiers: string[];
  /** Only punches on this day or later; undefined for every day. */
  fromDay?: string;
  /** Besides the unresolved punches, also those resolved to this enrolment (an exit may concern them). */
  resolvedTo?: string;
}

/**
 * Late resolution: after a registry change (in the same transaction, holding the exclusive lock on the
 * identifiers), resolves the concerned punches again, person-day by person-day, appending PunchResolved
 * where the answer changed and updating the read model. Deciding again with the same knowledge changes
 * nothing, so a redelivered registry event records nothing.
 */
export class PunchResolver {
  private readonly projection: PunchProjection;

  constructor(
    private readonly store: EventStore,
    private readonly enrolments: Enrolments,
    private readonly metrics?: ResolutionMetrics,
  ) {
    this.projection = new PunchProjection(enrolments.schema);
  }

  /** Returns how many punches changed resolution. */
  async resolveAgain(tx: Sql, scope: ResolutionScope, cause: EventEnvelope): Promise<number> {
    if (scope.identifiers.length === 0) return 0;
    const days = await tx.query<{ person_id: string; day: string; region: string }>(
      `SELECT person_id, to_char(day, 'YYYY-MM-DD') AS day, min(region) AS region
       FROM ${this.enrolments.schema}.punches
       WHERE project_id = $1 AND person_id = ANY($2::text[]) AND ($3::date IS NULL OR day >= $3::date)
         AND (resolution_status = 'unresolved' OR enrolment_id = $4)
       GROUP BY person_id, day ORDER BY person_id, day`,
      [scope.projectId, scope.identifiers, scope.fromDay ?? null, scope.resolvedTo ?? null],
    );
    const matching = new Map<string, EnrolmentFacts[]>();
    let changed = 0;
    for (const { person_id: personId, day, region } of days) {
      if (!matching.has(personId))
        matching.set(personId, await this.enrolments.matching(tx, scope.projectId, personId));
      changed += await this.resolveDay(
        tx,
        scope.projectId,
        personId,
        day,
        region,
        matching.get(personId)!,
        cause,
      );
    }
    return changed;
  }

  private async resolveDay(
    tx: Sql,
    projectId: string,
    personId: string,
    day: string,
    region: string,
    enrolments: EnrolmentFacts[],
    cause: EventEnvelope,
  ): Promise<number> {
    const streamId = personDayStreamId(projectId, personId, day);
    return retryOnConflict(async () => {
      const { history, state } = await readPersonDay(this.store, streamId, tx);
      const decision = personDay.decide({ kind: 'ResolvePunches', enrolments }, state);
      if (!Array.isArray(decision) || decision.length === 0) return 0;
      const envelopes = decision.flatMap((e) =>
        e.type === PunchResolved.type
          ? [
              createEvent(PunchResolved, e.data, {
                source: ATTENDANCE_SOURCE,
                subject: streamId,
                region,
                correlationId: cause.correlationid,
                causationId: cause.id,
              }),
            ]
          : [],
      );
      if (envelopes.length === 0) return 0;
      await this.store.append(streamId, envelopes, history.length, tx);
      for (const e of envelopes) {
        await this.projection.resolved(tx, e.data, e.time);
        if (this.metrics) afterCommit(tx, () => this.metrics!.reresolved(e.data.resolution));
      }
      return envelopes.length;
    });
  }
}
