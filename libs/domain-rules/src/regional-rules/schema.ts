import { z } from 'zod';

const age = z.number().int().min(0).max(120);
const GenderAges = z.object({ male: age, female: age }).strict();
const workTypeCode = z.string().regex(/^\d{3,4}$/, 'must be a work type code such as 130');

/** Region codes are GB/T 2260 prefixes: '' (the default), 2 digits (province), 4 (city), 6 (county). */
export const RegionPrefix = z
  .string()
  .regex(
    /^(\d{2}){0,3}$/,
    "must be '' (default) or a 2-, 4- or 6-digit region code prefix such as 33 or 3301",
  );

export const EntryRules = z
  .object({
    /** A signed labour contract. */
    contract: z.boolean(),
    /** Basic safety training passed (and re-training after `retrainAfterDays` without update). */
    safetyTraining: z.boolean(),
    /** Age within minAge / maxAge / workTypeMaxAge. */
    age: z.boolean(),
    /** A valid operation certificate for the special work types. */
    certificate: z.boolean(),
    /** Not blacklisted. */
    blacklist: z.boolean(),
    /** A head photo on file (and, when its size is known, no larger than headPhotoMaxBytes). */
    headPhoto: z.boolean(),
    /** Member of a team. */
    team: z.boolean(),
  })
  .strict();
export type EntryRules = z.infer<typeof EntryRules>;

const profileFields = {
  version: z.string().min(1),
  region: RegionPrefix,
  /** Where the figures come from, and whether they are only examples. */
  note: z.string().optional(),
  minAge: age,
  /** The oldest age (in whole years) still admitted: a man of exactly `male` passes, one older does not. */
  maxAge: GenderAges,
  /** Limits for particular work types; they replace maxAge for that work type. */
  workTypeMaxAge: z.record(workTypeCode, GenderAges).optional(),
  /** Work types that need an operation certificate. */
  specialWorkTypes: z.array(workTypeCode),
  entryRules: EntryRules,
  /** A worker not updated for this many days is re-trained before entry. */
  retrainAfterDays: z.number().int().positive(),
  headPhotoMaxBytes: z.number().int().positive(),
};

const consistentAges = (
  p: { minAge?: number; maxAge?: { male?: number; female?: number } },
  ctx: z.RefinementCtx,
) => {
  for (const g of ['male', 'female'] as const) {
    const max = p.maxAge?.[g];
    if (p.minAge !== undefined && max !== undefined && max < p.minAge) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['maxAge', g],
        message: `maxAge.${g} (${max}) is below minAge (${p.minAge})`,
      });
    }
  }
};

/** A complete regional profile: the default one, or any region's after merging over the default. */
export const RegionalProfile = z.object(profileFields).strict().superRefine(consistentAges);
export type RegionalProfile = z.infer<typeof RegionalProfile>;

/** What a region writes: only what differs from the profiles above it (nested objects merge by field). */
export const RegionalProfileOverride = z
  .object({
    ...profileFields,
    region: RegionPrefix.refine((r) => r !== '', 'a region override needs a region code prefix'),
    minAge: age.optional(),
    maxAge: GenderAges.partial().optional(),
    specialWorkTypes: profileFields.specialWorkTypes.optional(),
    entryRules: EntryRules.partial().optional(),
    retrainAfterDays: profileFields.retrainAfterDays.optional(),
    headPhotoMaxBytes: profileFields.headPhotoMaxBytes.optional(),
  })
  .strict();
export type RegionalProfileOverride = z.infer<typeof RegionalProfileOverride>;

/** The shape of `profiles.json`. */
export const RegionalProfilesFile = z
  .object({
    version: z.string().min(1),
    note: z.string().optional(),
    default: RegionalProfile,
    regions: z.array(RegionalProfileOverride),
  })
  .strict();
export type RegionalProfilesFile = z.infer<typeof RegionalProfilesFile>;
