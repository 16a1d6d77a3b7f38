/**
 * National-shape records in the representative "Province B" shape (not a named province's API; see
 * signature.ts), every difference of that style in this one module: which kinds it takes, the team key
 * it generated (`teamId`, from its own ledger, in place of the national `teamSysNo`), the punch time
 * and direction names, and direction codes as versioned data.
 */
import { CodeTableError, mapCode, VersionedCodeTables } from '../code-tables';
import { JsonObject, UplinkRecord } from '../uplink';
import { PROVINCE_B_RESOURCES } from './protocol';

export class ProvinceBMappingError extends Error {
  override readonly name = 'ProvinceBMappingError';
}

export const PROVINCE_B_TABLES_V1: VersionedCodeTables = {
  standard: 'province-b-style',
  version: '1',
  tables: {
    // National attendance directions 01 (in) and 02 (out) in this style's words.
    direction: { '01': 'IN', '02': 'OUT' },
  },
};

/** Keys this target generated for what the record depends on, from the target's own ledger. */
export interface ProvinceBKeys {
  readonly teamId?: string;
}

function withTeamId(fields: JsonObject, keys: ProvinceBKeys, key: string): JsonObject {
  if (!('teamSysNo' in fields)) return fields;
  const { teamSysNo: _nationalKey, ...rest } = fields;
  // The national team key means nothing here; sending it in place of ours would point at another team.
  if (!keys.teamId)
    throw new ProvinceBMappingError(`record "${key}": Province B's teamId for its team is not known yet`);
  return { ...rest, teamId: keys.teamId };
}

export function toProvinceB(
  record: UplinkRecord,
  keys: ProvinceBKeys = {},
  tables: VersionedCodeTables = PROVINCE_B_TABLES_V1,
): UplinkRecord {
  if (!PROVINCE_B_RESOURCES[record.kind])
    throw new ProvinceBMappingError(
      `record "${record.key}": Province B does not take ${record.kind} records`,
    );
  const header = withTeamId(record.header, keys, record.key);
  let item = withTeamId(record.item, keys, record.key);
  if (record.kind === 'entry' || record.kind === 'exit') {
    // Entry and exit are separate resources here, so the national `type` has no field to go to.
    const { type: _type, ...rest } = item;
    item = rest;
  }
  if (record.kind === 'attendance') {
    const { date, direction, ...rest } = item;
    try {
      item = {
        ...rest,
        checkTime: date ?? null,
        direction: mapCode(tables, 'direction', String(direction ?? '')),
      };
    } catch (error) {
      if (error instanceof CodeTableError)
        throw new ProvinceBMappingError(`record "${record.key}": ${error.message}`);
      throw error;
    }
  }
  return { ...record, header, item };
}
