/**
 * Code tables as versioned data: a target's data standard (name and version) with its tables, each
 * mapping our code or value to the target's. A new version of a standard is new data, not new code.
 */
export interface VersionedCodeTables {
  /** The standard the tables belong to, e.g. `zhejiang-real-name-data-standard`. */
  readonly standard: string;
  /** Its version as published, e.g. `2.0`. */
  readonly version: string;
  readonly tables: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export class CodeTableError extends Error {
  override readonly name = 'CodeTableError';
}

/** The target's code for `value` in `table`; an unknown table or value is a data error, never passed through. */
export function mapCode(tables: VersionedCodeTables, table: string, value: string): string {
  const codes = tables.tables[table];
  if (!codes) throw new CodeTableError(`${tables.standard} ${tables.version} has no code table "${table}"`);
  const code = codes[value];
  if (code === undefined)
    throw new CodeTableError(
      `${tables.standard} ${tables.version}: "${value}" has no code in table "${table}"`,
    );
  return code;
}
