import type { PunchResolution } from '@realname/contracts';

/**
 * What attendance knows about one enrolment (from registry events), as far as resolving punches needs.
 * Dates are local days YYYY-MM-DD.
 */
export interface EnrolmentFacts {
  enrolmentId: string;
  workerId: string;
  workerName?: string;
  maskedIdNumber?: string;
  teamId?: string;
  teamName?: string;
  participantId?: string;
  corpName?: string;
  workType?: string;
  /** The person id / PIN the worker has on this project's devices. */
  personId: string;
  cardNumber?: string;
  enteredOn?: string;
  exitedOn?: string;
}

type Standing = 'resolved' | 'not-entered' | 'exited';

/** Where one enrolment stands on a day: on site, not (yet) entered, or already exited. */
export function standingOn(e: Pick<EnrolmentFacts, 'enteredOn' | 'exitedOn'>, day: string): Standing {
  if (!e.enteredOn || day < e.enteredOn) return 'not-entered';
  if (e.exitedOn && day > e.exitedOn) return 'exited';
  return 'resolved';
}

// On site wins; a pending enrolment (not entered) is likelier to be the person than one that has left.
const RANK: Record<Standing, number> = { resolved: 0, 'not-entered': 1, exited: 2 };

/**
 * Resolves the identifier a device reported on a day to an enrolment of the project: it matches the
 * enrolment's credential person id, or else its card number. Among several matches, the one on site that
 * day wins, then one not yet entered, then one that has exited; then a person-id match over a card
 * match, the latest entry, and the enrolment id (so the answer never depends on the order given).
 */
export function resolvePunch(personId: string, day: string, enrolments: EnrolmentFacts[]): PunchResolution {
  const candidates = enrolments
    .filter((e) => e.personId === personId || e.cardNumber === personId)
    .map((e) => ({ e, standing: standingOn(e, day), byCard: e.personId === personId ? 0 : 1 }))
    .sort(
      (a, b) =>
        RANK[a.standing] - RANK[b.standing] ||
        a.byCard - b.byCard ||
        (b.e.enteredOn ?? '').localeCompare(a.e.enteredOn ?? '') ||
        a.e.enrolmentId.localeCompare(b.e.enrolmentId),
    );
  const best = candidates[0];
  if (!best) return { status: 'unresolved', reason: 'unknown-person' };
  const e = best.e;
  const who = dropUndefined({
    enrolmentId: e.enrolmentId,
    workerId: e.workerId,
    workerName: e.workerName,
    maskedIdNumber: e.maskedIdNumber,
    teamId: e.teamId,
    teamName: e.teamName,
    participantId: e.participantId,
    corpName: e.corpName,
    workType: e.workType,
  });
  return best.standing === 'resolved'
    ? { status: 'resolved', ...who }
    : { status: 'unresolved', reason: best.standing, ...who };
}

/** Two resolutions say the same thing when status, reason and enrolment agree. */
export function sameResolution(a: PunchResolution, b: PunchResolution): boolean {
  return a.status === b.status && a.reason === b.reason && a.enrolmentId === b.enrolmentId;
}

function dropUndefined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as T;
}
