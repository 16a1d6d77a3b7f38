/**
 * Regional configuration of the entry rules, keyed by region code prefix. A region's profile is the
 * default profile with every matching prefix applied over it, shortest first: Hangzhou (3301) is the
 * default, then Zhejiang (33), then Hangzhou's own changes. Figures are configuration, never code.
 */
import { z } from 'zod';
import { codeTables } from '../code-tables';
import bundled from './profiles.json';
import { RegionalProfile, RegionalProfileOverride, RegionalProfilesFile } from './schema';

export * from './schema';

export interface ProfileSet {
  version: string;
  note?: string;
  default: RegionalProfile;
  /** Overrides by region prefix. */
  regions: ReadonlyMap<string, RegionalProfileOverride>;
}

/** A region's effective profile and how it was assembled. */
export type ResolvedProfile = RegionalProfile & {
  /** The region code asked for. */
  requestedRegion: string;
  /** The prefixes applied, default ('') first, e.g. ['', '33', '3301']. */
  appliedRegions: string[];
};

export class RegionalProfileError extends Error {
  constructor(readonly problems: { path: string; message: string }[]) {
    super(
      `regional profiles are invalid: ${problems.length} problem(s)\n` +
        problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n'),
    );
    this.name = 'RegionalProfileError';
  }
}

function zodProblems(error: z.ZodError, prefix: string[] = []): { path: string; message: string }[] {
  return error.issues.map((i) => ({
    path: [...prefix, ...i.path].join('.') || '(root)',
    message: i.message,
  }));
}

/** One override applied over a complete profile (nested objects merge field by field; lists replace). */
export function mergeProfile(base: RegionalProfile, o: RegionalProfileOverride): RegionalProfile {
  return {
    version: o.version,
    region: o.region,
    note: o.note ?? base.note,
    minAge: o.minAge ?? base.minAge,
    maxAge: { ...base.maxAge, ...o.maxAge },
    workTypeMaxAge:
      base.workTypeMaxAge || o.workTypeMaxAge ? { ...base.workTypeMaxAge, ...o.workTypeMaxAge } : undefined,
    specialWorkTypes: o.specialWorkTypes ?? base.specialWorkTypes,
    entryRules: { ...base.entryRules, ...o.entryRules },
    retrainAfterDays: o.retrainAfterDays ?? base.retrainAfterDays,
    headPhotoMaxBytes: o.headPhotoMaxBytes ?? base.headPhotoMaxBytes,
  };
}

function chainFor(regionCode: string, profiles: ProfileSet): RegionalProfileOverride[] {
  const chain: RegionalProfileOverride[] = [];
  for (let len = 2; len <= regionCode.length; len += 2) {
    const o = profiles.regions.get(regionCode.slice(0, len));
    if (o) chain.push(o);
  }
  return chain;
}

function resolve(regionCode: string, profiles: ProfileSet): ResolvedProfile {
  const chain = chainFor(regionCode, profiles);
  const merged = chain.reduce(mergeProfile, profiles.default);
  return {
    ...merged,
    version: [profiles.default.version, ...chain.map((o) => `${o.region}:${o.version}`)].join('+'),
    requestedRegion: regionCode,
    appliedRegions: ['', ...chain.map((o) => o.region)],
  };
}

function unknownWorkTypes(p: { specialWorkTypes?: string[]; workTypeMaxAge?: Record<string, unknown> }) {
  const codes = [...(p.specialWorkTypes ?? []), ...Object.keys(p.workTypeMaxAge ?? {})];
  return [...new Set(codes.filter((c) => !codeTables.isValid('work-type', c)))];
}

/**
 * Validates a profiles document (the shape of `profiles.json`) and reports every bad field at once:
 * schema errors, duplicate regions, work types the national table lacks, and regions whose merged
 * profile is inconsistent (for example a maximum age below the minimum).
 */
export function loadProfiles(json: unknown): ProfileSet {
  const parsed = RegionalProfilesFile.safeParse(json);
  if (!parsed.success) throw new RegionalProfileError(zodProblems(parsed.error));
  const file = parsed.data;
  const problems: { path: string; message: string }[] = [];
  if (file.default.region !== '') {
    problems.push({ path: 'default.region', message: "the default profile's region must be ''" });
  }
  const unknownDefault = unknownWorkTypes(file.default);
  if (unknownDefault.length > 0) {
    problems.push({ path: 'default', message: `unknown work type(s) ${unknownDefault.join(', ')}` });
  }
  const regions = new Map<string, RegionalProfileOverride>();
  file.regions.forEach((o, i) => {
    if (regions.has(o.region)) {
      problems.push({ path: `regions.${i}.region`, message: `region ${o.region} is configured twice` });
    }
    regions.set(o.region, o);
    const unknown = unknownWorkTypes(o);
    if (unknown.length > 0) {
      problems.push({ path: `regions.${i}`, message: `unknown work type(s) ${unknown.join(', ')}` });
    }
  });
  const set: ProfileSet = { version: file.version, note: file.note, default: file.default, regions };
  file.regions.forEach((o, i) => {
    const { requestedRegion: _r, appliedRegions: _a, ...merged } = resolve(o.region, set);
    const check = RegionalProfile.safeParse(merged);
    if (!check.success) {
      problems.push(
        ...zodProblems(check.error, [`regions.${i}`]).map((p) => ({
          ...p,
          message: `${p.message} (after merging region ${o.region} over the profiles above it)`,
        })),
      );
    }
  });
  if (problems.length > 0) throw new RegionalProfileError(problems);
  return set;
}

/** The example profiles bundled with this library (`profiles.json`). */
export const regionalProfiles: ProfileSet = loadProfiles(bundled);

/**
 * The effective profile for a region code (a GB/T 2260 code such as 330106, or a longer street code):
 * the default with every configured prefix of the code applied, shortest first. An unknown region
 * gets the default.
 */
export function profileFor(regionCode: string, profiles: ProfileSet = regionalProfiles): ResolvedProfile {
  if (!/^\d*$/.test(regionCode)) {
    throw new RangeError(`region code must be digits such as 330106, got "${regionCode}"`);
  }
  return resolve(regionCode, profiles);
}
