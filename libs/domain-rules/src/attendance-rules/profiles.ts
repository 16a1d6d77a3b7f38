/**
 * Regional attendance rules (time zone, day boundary, duplicate window, key posts, presence minimum,
 * minimum wages), keyed by region code prefix and merged like the entry profiles: the default, then
 * each configured prefix shortest first. Figures are configuration, never code.
 */
import { isValidDay } from '../dates';
import bundled from './attendance-profiles.json';
import { AttendanceRulesError, RuleProblem, zodProblems } from './problems';
import { AttendanceProfile, AttendanceProfileOverride, AttendanceProfilesFile, MinimumWage } from './schema';

export interface AttendanceProfileSet {
  version: string;
  note?: string;
  default: AttendanceProfile;
  /** Overrides by region prefix. */
  regions: ReadonlyMap<string, AttendanceProfileOverride>;
}

/** A region's effective attendance profile and how it was assembled. */
export type ResolvedAttendanceProfile = AttendanceProfile & {
  /** The region code asked for. */
  requestedRegion: string;
  /** The prefixes applied, default ('') first, e.g. ['', '33', '3301']. */
  appliedRegions: string[];
};

/** One override applied over a complete profile; lists (key posts, minimum wages) replace. */
export function mergeAttendanceProfile(
  base: AttendanceProfile,
  o: AttendanceProfileOverride,
): AttendanceProfile {
  return {
    version: o.version,
    region: o.region,
    note: o.note ?? base.note,
    timeZone: o.timeZone ?? base.timeZone,
    dayBoundary: o.dayBoundary ?? base.dayBoundary,
    finaliseGraceMinutes: o.finaliseGraceMinutes ?? base.finaliseGraceMinutes,
    maxShiftHours: o.maxShiftHours ?? base.maxShiftHours,
    duplicateWithinSeconds: o.duplicateWithinSeconds ?? base.duplicateWithinSeconds,
    correctionApproval: o.correctionApproval ?? base.correctionApproval,
    keyPosts: o.keyPosts ?? base.keyPosts,
    presenceMinimum: o.presenceMinimum ?? base.presenceMinimum,
    consecutiveAbsenceDays: o.consecutiveAbsenceDays ?? base.consecutiveAbsenceDays,
    minimumWage: o.minimumWage ?? base.minimumWage,
  };
}

function resolve(region: string, profiles: AttendanceProfileSet): ResolvedAttendanceProfile {
  const chain: AttendanceProfileOverride[] = [];
  for (let len = 2; len <= region.length; len += 2) {
    const o = profiles.regions.get(region.slice(0, len));
    if (o) chain.push(o);
  }
  const merged = chain.reduce(mergeAttendanceProfile, profiles.default);
  return {
    ...merged,
    version: [profiles.default.version, ...chain.map((o) => `${o.region}:${o.version}`)].join('+'),
    requestedRegion: region,
    appliedRegions: ['', ...chain.map((o) => o.region)],
  };
}

/**
 * Validates an attendance profiles document (the shape of `attendance-profiles.json`) and reports
 * every bad field at once: schema errors (time zone, boundary, presence minimum, wages, ...) and
 * regions configured twice.
 */
export function loadAttendanceProfiles(json: unknown): AttendanceProfileSet {
  const parsed = AttendanceProfilesFile.safeParse(json);
  if (!parsed.success) throw new AttendanceRulesError('attendance profiles are', zodProblems(parsed.error));
  const file = parsed.data;
  const problems: RuleProblem[] = [];
  if (file.default.region !== '') {
    problems.push({ path: 'default.region', message: "the default profile's region must be ''" });
  }
  const regions = new Map<string, AttendanceProfileOverride>();
  file.regions.forEach((o, i) => {
    if (regions.has(o.region)) {
      problems.push({ path: `regions.${i}.region`, message: `region ${o.region} is configured twice` });
    }
    regions.set(o.region, o);
  });
  if (problems.length > 0) throw new AttendanceRulesError('attendance profiles are', problems);
  return { version: file.version, note: file.note, default: file.default, regions };
}

/** The example attendance profiles bundled with this library (`attendance-profiles.json`). */
export const attendanceProfiles: AttendanceProfileSet = loadAttendanceProfiles(bundled);

/**
 * The effective attendance profile for a region code (GB/T 2260 such as 330106, or a longer street
 * code): the default with every configured prefix applied, shortest first. An unknown region gets the
 * default.
 */
export function attendanceProfileFor(
  region: string,
  profiles: AttendanceProfileSet = attendanceProfiles,
): ResolvedAttendanceProfile {
  if (!/^\d*$/.test(region)) {
    throw new RangeError(`region code must be digits such as 330106, got "${region}"`);
  }
  // Resolved once per profile set and region: timesheets, presence and payroll ask for it per record.
  let cache = resolvedProfiles.get(profiles);
  if (!cache) resolvedProfiles.set(profiles, (cache = new Map()));
  let resolved = cache.get(region);
  if (!resolved) cache.set(region, (resolved = resolve(region, profiles)));
  return resolved;
}

const resolvedProfiles = new WeakMap<AttendanceProfileSet, Map<string, ResolvedAttendanceProfile>>();

/** The minimum wage in force on a day: the entry with the latest `effectiveFrom` on or before it. */
export function minimumWageOn(
  profile: Pick<AttendanceProfile, 'minimumWage'>,
  day: string,
): MinimumWage | undefined {
  if (!isValidDay(day)) throw new RangeError(`day must be a real date written YYYY-MM-DD, got "${day}"`);
  let found: MinimumWage | undefined;
  for (const w of profile.minimumWage) {
    if (w.effectiveFrom <= day && (!found || w.effectiveFrom > found.effectiveFrom)) found = w;
  }
  return found;
}
