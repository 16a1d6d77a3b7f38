import type { Database, Sql } from '@realname/eventstore';
import { actorOf, type Caller } from '@realname/platform';
import { RegistryCopiesRepository } from '../records/records.repository';
import { uplinkTarget } from '../uplinks/targets';
import { CurrentFacts, factsNamedBy, resubmittedRecord } from './resubmission';
import { RecordNotRejected, UploadNotFound } from './upload-errors';
import { UploadRow, UploadsRepository } from './uploads.repository';

const REJECTED = new Set(['rejected', 'rejected-locally']);

/**
 * Sends a rejected record again after the site corrected the data: in one transaction the row is
 * locked (within the caller's scope), checked to be rejected, rebuilt from reporting's current copies
 * of the registry where it keeps them (otherwise the same payload), put back to pending and due at
 * once, and the resubmission audited with its actor and what the row was before.
 */
export class ResubmitRecordHandler {
  constructor(
    private readonly db: Database,
    private readonly uploads: UploadsRepository,
    private readonly copies: RegistryCopiesRepository,
  ) {}

  async resubmit(recordId: string, caller: Caller): Promise<void> {
    await this.db.transaction(async (tx) => {
      const row = await this.uploads.lockForResubmission(tx, recordId, caller.scope);
      if (!row) throw new UploadNotFound(`no record ${recordId} within your scope`);
      if (!REJECTED.has(row.status)) throw new RecordNotRejected(recordId, row.status);
      const target = uplinkTarget(row.target);
      const next = resubmittedRecord(row, await this.currentFacts(tx, row), {
        nationalShaped: target.id === 'national',
        toLedger: (record) => target.toLedger(record),
      });
      // The row is locked: it is still rejected, so the update takes.
      if (!(await this.uploads.resubmit(tx, row, next))) throw new RecordNotRejected(recordId, row.status);
      await this.uploads.audit(tx, {
        action: 'resubmit',
        target: row.target,
        projectId: row.projectId,
        ledgerId: row.id,
        revision: row.revision,
        actor: actorOf(caller),
        detail: {
          previousStatus: row.status,
          previousProblems: row.problems,
          rebuilt: next.rebuilt,
          payloadChanged: JSON.stringify(next.payload) !== JSON.stringify(row.payload),
        },
      });
    });
  }

  private async currentFacts(tx: Sql, row: UploadRow): Promise<CurrentFacts> {
    const named = factsNamedBy(row);
    const participant = named.participantId
      ? await this.copies.findParticipant(tx, row.projectId, named.participantId)
      : undefined;
    const enrolment = named.enrolmentId ? await this.copies.findEnrolment(tx, named.enrolmentId) : undefined;
    return {
      region: await this.copies.regionOf(tx, row.projectId, row.region),
      participant,
      // An enrolment of another project under the same id is not this record's.
      enrolment: enrolment && enrolment.projectId === row.projectId ? enrolment : undefined,
    };
  }
}
