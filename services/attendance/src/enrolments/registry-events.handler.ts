import {
  EnrolmentCredentialsChanged,
  EventEnvelope,
  parseEvent,
  WorkerEnrolled,
  WorkerEntered,
  WorkerExited,
} from '@realname/contracts';
import type { Sql } from '@realname/eventstore';
import type { PunchResolver, ResolutionScope } from '../punches/punch-resolver';
import { EnrolmentRow, Enrolments } from './enrolments';

/**
 * Keeps attendance's copy of the enrolments (registry.enrolments.v1) and, in the same transaction,
 * resolves again the stored punches the change concerns: by the enrolment's device identifiers before and
 * after the change, and only the days it can matter for (from the entry date, after the exit date).
 * Events of one enrolment arrive in order (one key); across enrolments in any order.
 */
export class RegistryEventsHandler {
  constructor(
    private readonly enrolments: Enrolments,
    private readonly resolver: PunchResolver,
  ) {}

  /** Returns how many stored punches changed resolution. */
  async handle(tx: Sql, raw: EventEnvelope): Promise<number> {
    switch (raw.type) {
      case WorkerEnrolled.type: {
        const e = parseEvent(WorkerEnrolled, raw);
        const d = e.data;
        const before = await this.prepare(tx, d.enrolmentId, d.projectId, d.credentials);
        await this.enrolments.enrolled(tx, d.enrolmentId, d);
        return this.resolver.resolveAgain(tx, { projectId: d.projectId, identifiers: before.identifiers }, e);
      }
      case EnrolmentCredentialsChanged.type: {
        const e = parseEvent(EnrolmentCredentialsChanged, raw);
        const d = e.data;
        const before = await this.prepare(tx, d.enrolmentId, d.projectId, d.credentials);
        await this.enrolments.credentialsChanged(tx, d);
        return this.resolver.resolveAgain(tx, { projectId: d.projectId, identifiers: before.identifiers }, e);
      }
      case WorkerEntered.type: {
        const e = parseEvent(WorkerEntered, raw);
        const d = e.data;
        const { row, identifiers } = await this.prepare(tx, d.enrolmentId, d.projectId);
        await this.enrolments.entered(tx, d);
        // From the entry on; from an earlier entry or exit if this moves or reopens the period.
        const fromDay = earliest(d.date, row?.entered_on, row?.exited_on);
        return this.resolver.resolveAgain(tx, { projectId: d.projectId, identifiers, fromDay }, e);
      }
      case WorkerExited.type: {
        const e = parseEvent(WorkerExited, raw);
        const d = e.data;
        const { row, identifiers } = await this.prepare(tx, d.enrolmentId, d.projectId);
        await this.enrolments.exited(tx, d);
        // Days after the exit (or after an exit recorded before, if this one moves it).
        const scope: ResolutionScope = {
          projectId: d.projectId,
          identifiers,
          fromDay: earliest(d.date, row?.exited_on),
          resolvedTo: d.enrolmentId,
        };
        return this.resolver.resolveAgain(tx, scope, e);
      }
      default:
        return 0; // other registry events on the topic are not attendance's concern
    }
  }

  /**
   * Locks the enrolment row and, exclusively, every device identifier it had and will have, so that no
   * punch of those identifiers is recorded half-way through the change.
   */
  private async prepare(
    tx: Sql,
    enrolmentId: string,
    projectId: string,
    next?: { personId: string; cardNumber?: string },
  ): Promise<{ row?: EnrolmentRow; identifiers: string[] }> {
    const row = await this.enrolments.forUpdate(tx, enrolmentId);
    const identifiers = [
      ...new Set(
        [row?.person_id, row?.card_number, next?.personId, next?.cardNumber].filter(
          (x): x is string => typeof x === 'string' && x !== '',
        ),
      ),
    ];
    const projects = new Set([projectId, row?.project_id].filter((p): p is string => !!p));
    for (const p of projects) await this.enrolments.lock(tx, p, identifiers, 'exclusive');
    return { row, identifiers };
  }
}

function earliest(...days: (string | null | undefined)[]): string {
  return days.filter((d): d is string => !!d).sort()[0];
}
