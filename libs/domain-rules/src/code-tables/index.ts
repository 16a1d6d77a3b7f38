/**
 * Code tables (字典) of the national docking program as versioned data: one JSON file per table with a
 * version and a source note. A region overrides or extends them with `withOverrides`, which returns a
 * new registry; the national one never changes at run time.
 */
import { z } from 'zod';
import attendType from './attend-type.json';
import bankCode from './bank-code.json';
import constructionNature from './construction-nature.json';
import corpType from './corp-type.json';
import cultureLevel from './culture-level.json';
import enterpriseRegistrationType from './enterprise-registration-type.json';
import idCardType from './id-card-type.json';
import maritalStatus from './marital-status.json';
import politicsType from './politics-type.json';
import projectCategory from './project-category.json';
import projectStatus from './project-status.json';
import trainingType from './training-type.json';
import workRole from './work-role.json';
import workType from './work-type.json';

export const NATIONAL_TABLES = [
  'work-type',
  'corp-type',
  'enterprise-registration-type',
  'id-card-type',
  'work-role',
  'politics-type',
  'culture-level',
  'training-type',
  'project-category',
  'project-status',
  'attend-type',
  'bank-code',
  'marital-status',
  'construction-nature',
] as const;
export type NationalTableName = (typeof NATIONAL_TABLES)[number];
/** A national table name, or the name of a table a region adds. */
export type CodeTableName = NationalTableName | (string & {});

export const CodeEntry = z
  .object({
    code: z.string().regex(/^[0-9A-Za-z]{1,12}$/, 'must be 1-12 letters or digits'),
    name: z.string().min(1),
    nameEn: z.string().min(1),
    deprecated: z.boolean().optional(),
    note: z.string().optional(),
  })
  .strict();
export type CodeEntry = z.infer<typeof CodeEntry>;

const uniqueCodes = (entries: { code: string }[], ctx: z.RefinementCtx) => {
  const seen = new Set<string>();
  entries.forEach((e, i) => {
    if (seen.has(e.code)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i, 'code'], message: `duplicate code ${e.code}` });
    }
    seen.add(e.code);
  });
};

export const CodeTable = z
  .object({
    table: z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be a kebab-case table name'),
    version: z.string().min(1),
    source: z.string().min(1),
    entries: z.array(CodeEntry).min(1).superRefine(uniqueCodes),
  })
  .strict();
export type CodeTable = z.infer<typeof CodeTable>;

/**
 * What a region supplies for one table: entries it adds or redefines (matched by code), codes it
 * removes, and its own version (the table's version becomes `<base>+<region version>`). A table the
 * national set lacks is added whole.
 */
export const CodeTableOverride = z
  .object({
    table: z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be a kebab-case table name'),
    version: z.string().min(1),
    source: z.string().min(1),
    entries: z.array(CodeEntry).default([]).superRefine(uniqueCodes),
    remove: z.array(z.string()).optional(),
  })
  .strict();
export type CodeTableOverride = z.input<typeof CodeTableOverride>;

export class CodeTableError extends Error {
  constructor(readonly problems: { path: string; message: string }[]) {
    super(
      `code tables are invalid: ${problems.length} problem(s)\n` +
        problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n'),
    );
    this.name = 'CodeTableError';
  }
}

export interface CodeTableRegistry {
  /** The entry for a code, deprecated or not; undefined when the table has no such code. */
  get(table: CodeTableName, code: string): CodeEntry | undefined;
  /**
   * True when the table knows the code. Deprecated codes count (old records must still resolve) unless
   * `{ current: true }` asks for codes valid for new data only.
   */
  isValid(table: CodeTableName, code: string, options?: { current?: boolean }): boolean;
  /** Entries in table order; `{ current: true }` leaves deprecated ones out (for pick lists). */
  list(table: CodeTableName, options?: { current?: boolean }): readonly CodeEntry[];
  version(table: CodeTableName): string;
  source(table: CodeTableName): string;
  tables(): readonly string[];
  /** A new registry with a region's tables applied over this one. */
  withOverrides(regionTables: readonly CodeTableOverride[] | CodeTableOverride): CodeTableRegistry;
}

interface LoadedTable {
  version: string;
  source: string;
  entries: readonly CodeEntry[];
  byCode: ReadonlyMap<string, CodeEntry>;
}

function load(table: CodeTable): LoadedTable {
  const entries = Object.freeze(table.entries.map((e) => Object.freeze({ ...e })));
  return {
    version: table.version,
    source: table.source,
    entries,
    byCode: new Map(entries.map((e) => [e.code, e])),
  };
}

function problemsOf(error: z.ZodError, prefix: string): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: [prefix, ...i.path].join('.'), message: i.message }));
}

function createRegistry(tables: ReadonlyMap<string, LoadedTable>): CodeTableRegistry {
  const t = (name: string): LoadedTable => {
    const found = tables.get(name);
    if (!found) throw new RangeError(`unknown code table "${name}"; known: ${[...tables.keys()].join(', ')}`);
    return found;
  };
  return {
    get: (table, code) => t(table).byCode.get(code),
    isValid: (table, code, options) => {
      const e = t(table).byCode.get(code);
      return e !== undefined && !(options?.current && e.deprecated);
    },
    list: (table, options) => {
      const entries = t(table).entries;
      return options?.current ? entries.filter((e) => !e.deprecated) : entries;
    },
    version: (table) => t(table).version,
    source: (table) => t(table).source,
    tables: () => [...tables.keys()],
    withOverrides(regionTables) {
      const list = Array.isArray(regionTables) ? regionTables : [regionTables];
      const problems: { path: string; message: string }[] = [];
      const next = new Map(tables);
      list.forEach((raw, i) => {
        const parsed = CodeTableOverride.safeParse(raw);
        if (!parsed.success) {
          problems.push(...problemsOf(parsed.error, `[${i}]`));
          return;
        }
        const o = parsed.data;
        const base = next.get(o.table);
        if (!base) {
          if (o.remove?.length) {
            problems.push({ path: `[${i}].remove`, message: `table ${o.table} is new: nothing to remove` });
          }
          if (o.entries.length === 0) {
            problems.push({ path: `[${i}].entries`, message: `new table ${o.table} needs entries` });
          }
          next.set(
            o.table,
            load({ table: o.table, version: o.version, source: o.source, entries: o.entries }),
          );
          return;
        }
        const remove = new Set(o.remove ?? []);
        for (const code of remove) {
          if (!base.byCode.has(code)) {
            problems.push({ path: `[${i}].remove`, message: `${o.table} has no code ${code} to remove` });
          }
        }
        const replaced = new Map(o.entries.map((e) => [e.code, e]));
        const entries = base.entries
          .filter((e) => !remove.has(e.code))
          .map((e) => replaced.get(e.code) ?? e)
          .concat(o.entries.filter((e) => !base.byCode.has(e.code)));
        next.set(
          o.table,
          load({
            table: o.table,
            version: `${base.version}+${o.version}`,
            source: `${base.source}; ${o.source}`,
            entries,
          }),
        );
      });
      if (problems.length > 0) throw new CodeTableError(problems);
      return createRegistry(next);
    },
  };
}

/** Builds a registry from complete tables (validated; every problem is reported at once). */
export function createCodeTableRegistry(tables: readonly unknown[]): CodeTableRegistry {
  const problems: { path: string; message: string }[] = [];
  const loaded = new Map<string, LoadedTable>();
  tables.forEach((raw, i) => {
    const parsed = CodeTable.safeParse(raw);
    if (!parsed.success) {
      problems.push(...problemsOf(parsed.error, `[${i}]`));
      return;
    }
    if (loaded.has(parsed.data.table)) {
      problems.push({ path: `[${i}].table`, message: `table ${parsed.data.table} given twice` });
    }
    loaded.set(parsed.data.table, load(parsed.data));
  });
  if (problems.length > 0) throw new CodeTableError(problems);
  return createRegistry(loaded);
}

/** The national tables bundled with this library. */
export const codeTables: CodeTableRegistry = createCodeTableRegistry([
  workType,
  corpType,
  enterpriseRegistrationType,
  idCardType,
  workRole,
  politicsType,
  cultureLevel,
  trainingType,
  projectCategory,
  projectStatus,
  attendType,
  bankCode,
  maritalStatus,
  constructionNature,
]);
