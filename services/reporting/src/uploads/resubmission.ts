import { dependencyKey, type LedgerPayload, type NewLedgerRecord } from '../ledger/ledger.repository';
import { entryExitRecord, type Enrolment, type Participant, teamKey } from '../records/national-records';

/** A rejected record as the ledger holds it: what a resubmission starts from. */
export interface RejectedRecord {
  readonly kind: string;
  readonly recordKey: string;
  readonly projectId: string;
  readonly region: string;
  readonly dependsOn: readonly string[];
  readonly payload: LedgerPayload;
}

/** Reporting's current copies of the registry facts the record was built from, where it keeps them. */
export interface CurrentFacts {
  /** The project's region as the registry says it now. */
  readonly region?: string;
  /** The unit (for a participating unit). */
  readonly participant?: Participant;
  /** The enrolment (for a project worker, an entry or an exit): its unit and its team. */
  readonly enrolment?: Enrolment;
}

/** How the record's target stores records: national field names, or a mapping from them. */
export interface TargetShape {
  /** Whether the target's ledger rows carry the national field names as they are. */
  readonly nationalShaped: boolean;
  /** A national-shape record in the target's shape (undefined: the target does not take the kind). */
  toLedger(national: NewLedgerRecord): NewLedgerRecord | undefined;
}

export interface ResubmittedRecord {
  readonly payload: LedgerPayload;
  readonly region: string;
  readonly dependsOn: readonly string[];
  /** Whether the payload was built again from the current facts (otherwise it is the one rejected). */
  readonly rebuilt: boolean;
}

/** The part of a record key after the project (`project/participant`, `project/enrolment[/date]`). */
function keyParts(r: RejectedRecord): string[] {
  const prefix = `${r.projectId}/`;
  return r.recordKey.startsWith(prefix) ? r.recordKey.slice(prefix.length).split('/') : [];
}

/** What a record names in its key that reporting keeps a copy of: a unit or an enrolment. */
export function factsNamedBy(r: RejectedRecord): { participantId?: string; enrolmentId?: string } {
  const [first, ...rest] = keyParts(r);
  if (!first) return {};
  if (r.kind === 'participating-unit' && rest.length === 0) return { participantId: first };
  if (r.kind === 'project-worker' && rest.length === 0) return { enrolmentId: first };
  if ((r.kind === 'entry' || r.kind === 'exit') && rest.length === 1) return { enrolmentId: first };
  return {};
}

/**
 * What a rejected record goes up as after the site corrected the data: rebuilt from reporting's
 * current copies of the registry where it keeps them, otherwise as it was. Entries and exits are
 * built again whole from the enrolment (its unit and team) for every target; a unit's credit code and
 * name and a worker's unit are put into the national payload (other targets' payloads are in their
 * own field names, which the copies do not map); teams and attendance go as they were (their source
 * is an event reporting keeps no copy of). The project's region is the current one either way.
 */
export function resubmittedRecord(
  r: RejectedRecord,
  facts: CurrentFacts,
  target: TargetShape,
): ResubmittedRecord {
  const region = facts.region ?? r.region;
  const same = { payload: r.payload, region, dependsOn: r.dependsOn, rebuilt: false };
  const [, date] = keyParts(r);
  switch (r.kind) {
    case 'participating-unit': {
      const p = facts.participant;
      if (!p || !target.nationalShaped || r.payload.items.length !== 1) return same;
      const item = { ...r.payload.items[0], corpCode: p.creditCode, corpName: p.corpName };
      return {
        payload: { header: r.payload.header, items: [item] },
        region,
        dependsOn: r.dependsOn,
        rebuilt: true,
      };
    }
    case 'project-worker': {
      const e = facts.enrolment;
      if (!e || !target.nationalShaped) return same;
      const header = { ...r.payload.header, corpCode: e.creditCode, corpName: e.corpName };
      return {
        payload: { header, items: r.payload.items },
        region,
        dependsOn: [dependencyKey('team', teamKey(e.projectId, e.teamId))],
        rebuilt: true,
      };
    }
    case 'entry':
    case 'exit': {
      const e = facts.enrolment;
      if (!e || !date) return same;
      const record = target.toLedger(entryExitRecord(e, r.kind, date, region));
      if (!record) return same;
      return { payload: record.payload, region, dependsOn: record.dependsOn, rebuilt: true };
    }
    default:
      return same;
  }
}
