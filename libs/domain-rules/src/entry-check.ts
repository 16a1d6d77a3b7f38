/**
 * The hard gates before a worker enters a project (DOMAIN.md, "The life of a worker", step 4), as the
 * region's profile switches them on, plus the one rule no region can switch off: an entry is dated no
 * later than today.
 *
 * Conditions about the worker (age, certificates, re-training) are judged on the entry date, the day
 * the worker enters; a certificate counts as valid up to and including its expiry day.
 */
import { ageOn, daysBetween, isValidDay } from './dates';
import type { Gender } from './identity/resident-id';
import type { RegionalProfile } from './regional-rules/schema';

export interface EntryCertificate {
  /** The work type the certificate covers, e.g. 130 electrician. */
  type: string;
  number: string;
  /** `YYYY-MM-DD`, the last day it is valid. */
  expiresOn: string;
}

export interface EntryCandidate {
  birthDate: string;
  gender: Gender;
  workType: string;
  hasSignedContract: boolean;
  passedSafetyTraining: boolean;
  certificates: readonly EntryCertificate[];
  blacklisted: boolean;
  hasHeadPhoto: boolean;
  /** Size of the head photo when known; checked against the profile's headPhotoMaxBytes. */
  headPhotoBytes?: number;
  teamId?: string;
  /** The last day the worker's record was updated (for re-training after a long absence). */
  lastUpdatedOn?: string;
  entryDate: string;
}

export type EntryReasonCode =
  | 'invalid-date'
  | 'entry-date-in-future'
  | 'contract-missing'
  | 'training-missing'
  | 'retraining-due'
  | 'under-age'
  | 'over-age'
  | 'certificate-missing'
  | 'certificate-expired'
  | 'blacklisted'
  | 'head-photo-missing'
  | 'head-photo-too-large'
  | 'team-missing';

export interface EntryReason {
  code: EntryReasonCode;
  message: string;
}

export type EntryCheck = { ok: true } | { ok: false; reasons: EntryReason[] };

/**
 * Checks a candidate against a (resolved) regional profile on `today` (`YYYY-MM-DD`). Returns one
 * plain reason per failed condition, in a fixed order.
 */
export function checkEntry(candidate: EntryCandidate, profile: RegionalProfile, today: string): EntryCheck {
  if (!isValidDay(today))
    throw new RangeError(`today must be a real date written YYYY-MM-DD, got "${today}"`);
  const c = candidate;
  const rules = profile.entryRules;
  const reasons: EntryReason[] = [];
  const fail = (code: EntryReasonCode, message: string) => reasons.push({ code, message });

  const dates: [string, string][] = [
    ['birth date', c.birthDate],
    ['entry date', c.entryDate],
  ];
  if (c.lastUpdatedOn !== undefined) dates.push(['last update date', c.lastUpdatedOn]);
  for (const cert of c.certificates)
    dates.push([`expiry date of certificate ${cert.number}`, cert.expiresOn]);
  const badDates = dates.filter(([, value]) => !isValidDay(value));
  for (const [name, value] of badDates) {
    fail('invalid-date', `The ${name} "${value}" is not a real date written YYYY-MM-DD.`);
  }
  const datesOk = badDates.length === 0;
  if (datesOk && c.birthDate > c.entryDate) {
    fail('invalid-date', `The birth date ${c.birthDate} is after the entry date ${c.entryDate}.`);
  }
  const day = c.entryDate;

  if (isValidDay(c.entryDate) && c.entryDate > today) {
    fail('entry-date-in-future', `The entry date ${c.entryDate} is after today (${today}).`);
  }

  if (rules.contract && !c.hasSignedContract) {
    fail('contract-missing', 'No signed labour contract.');
  }

  if (rules.safetyTraining) {
    if (!c.passedSafetyTraining) {
      fail('training-missing', 'Basic safety training has not been passed.');
    } else if (datesOk && c.lastUpdatedOn !== undefined) {
      const idle = daysBetween(c.lastUpdatedOn, day);
      if (idle >= profile.retrainAfterDays) {
        fail(
          'retraining-due',
          `Not updated for ${idle} days (since ${c.lastUpdatedOn}); re-training is due after ` +
            `${profile.retrainAfterDays} days.`,
        );
      }
    }
  }

  if (rules.age && datesOk && c.birthDate <= day) {
    const age = ageOn(c.birthDate, day);
    const limits = profile.workTypeMaxAge?.[c.workType] ?? profile.maxAge;
    const max = limits[c.gender];
    if (age < profile.minAge) {
      fail('under-age', `Aged ${age} on ${day}; the minimum age is ${profile.minAge}.`);
    } else if (age > max) {
      const scope = profile.workTypeMaxAge?.[c.workType] ? ` for work type ${c.workType}` : '';
      fail(
        'over-age',
        `Aged ${age} on ${day}; the maximum age for a ${c.gender === 'male' ? 'man' : 'woman'}${scope} is ${max}.`,
      );
    }
  }

  if (rules.certificate && profile.specialWorkTypes.includes(c.workType)) {
    const covering = c.certificates.filter((cert) => cert.type === c.workType);
    if (covering.length === 0) {
      fail('certificate-missing', `Work type ${c.workType} needs an operation certificate; none is on file.`);
    } else if (datesOk && !covering.some((cert) => cert.expiresOn >= day)) {
      const latest = covering
        .map((cert) => cert.expiresOn)
        .sort()
        .at(-1);
      fail(
        'certificate-expired',
        `The operation certificate for work type ${c.workType} expired on ${latest}.`,
      );
    }
  }

  if (rules.blacklist && c.blacklisted) {
    fail('blacklisted', 'The worker is on the blacklist.');
  }

  if (rules.headPhoto) {
    if (!c.hasHeadPhoto) {
      fail('head-photo-missing', 'No head photo on file.');
    } else if (c.headPhotoBytes !== undefined && c.headPhotoBytes > profile.headPhotoMaxBytes) {
      fail(
        'head-photo-too-large',
        `The head photo has ${c.headPhotoBytes} bytes; at most ${profile.headPhotoMaxBytes} are allowed.`,
      );
    }
  }

  if (rules.team && !c.teamId?.trim()) {
    fail('team-missing', 'The worker belongs to no team.');
  }

  return reasons.length > 0 ? { ok: false, reasons } : { ok: true };
}
