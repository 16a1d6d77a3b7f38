/**
 * The uplink targets reporting knows, each one adapter and one mapping, gathered here so that the
 * module, the records handler, the sender and the credentials repository ask one place:
 * - `profile`: dependency order, batch limits and the daily deadline where the target has one;
 * - `toLedger`: a national-shape record (records/national-records.ts) in the target's shape, as its
 *   ledger row stores it (undefined: the target does not take the kind);
 * - `send`: what the sender fills in at send time in the target's names (team key, Zhejiang's worker
 *   additions read from the ID) and the national view the local pre-checks read;
 * - `credentials`: the shape of a project's credentials; `connect`: the adapter for one project.
 *
 * Revised attendance days go the same way on all three: the ledger marks the punches an accepted
 * earlier revision put upstream as present and sends only the new ones. None of them can replace or
 * delete a punch (national and Zhejiang V2.0 have no attendance update; Province B's attendance
 * resource has `add` and `query` only and answers a punch sent twice with "already exists"), so a
 * punch removed by a correction stays upstream.
 */
import type { Sql } from '@realname/eventstore';
import {
  JsonObject,
  NATIONAL_PROFILE,
  NationalPlatformUplink,
  PROVINCE_B_PROFILE,
  PROVINCE_B_RESOURCES,
  PROVINCE_B_TABLES_V1,
  ProvinceBUplink,
  TargetProfile,
  toProvinceB,
  toZhejiangV2,
  UplinkAdapter,
  UplinkRecord,
  ZHEJIANG_V2_PROFILE,
  ZhejiangV2Uplink,
} from '@realname/uplinks';
import type { UplinkTargetId } from '../config';
import type { NewLedgerRecord } from '../ledger/ledger.repository';
import { NATIONAL_SEND_MAPPING, TargetSendMapping } from '../sender/send-mapping';
import type { UplinkCredentialsRepository } from './credentials.repository';

/** `appid-secret`: appid, secret and optional enterprise key (national style); `app-key-secret`: Province B. */
export type CredentialsShape = 'appid-secret' | 'app-key-secret';

export interface UplinkTarget {
  readonly id: UplinkTargetId;
  readonly profile: TargetProfile;
  readonly credentials: CredentialsShape;
  toLedger(national: NewLedgerRecord): NewLedgerRecord | undefined;
  readonly send: TargetSendMapping;
  /** The adapter for one project at `endpoint`, or undefined when the project has no credentials. */
  connect(
    sql: Sql,
    credentials: UplinkCredentialsRepository,
    projectId: string,
    endpoint: string,
  ): Promise<UplinkAdapter | undefined>;
}

/** Each item of a ledger record through a record mapping; the header is the same for every item. */
function mapItems(record: NewLedgerRecord, map: (r: UplinkRecord) => UplinkRecord): NewLedgerRecord {
  const mapped = record.payload.items.map((item, index) =>
    map({
      kind: record.kind,
      key: `${record.recordKey}#${index}`,
      dependsOn: [],
      header: record.payload.header,
      item,
    }),
  );
  return {
    ...record,
    payload: { header: mapped[0]?.header ?? record.payload.header, items: mapped.map((m) => m.item) },
  };
}

const national: UplinkTarget = {
  id: 'national',
  profile: NATIONAL_PROFILE,
  credentials: 'appid-secret',
  toLedger: (record) => record,
  send: NATIONAL_SEND_MAPPING,
  async connect(sql, credentials, projectId, endpoint) {
    const stored = await credentials.national(sql, 'national', projectId);
    return stored && new NationalPlatformUplink({ endpoint, credentials: stored.credentials });
  },
};

/**
 * Zhejiang V2.0: the national shape plus the worker additions of `toZhejiangV2`. Those are read from
 * the ID number, the head image and the ID validity, which the ledger never holds, so a worker row is
 * stored national and mapped at send time; every other kind is mapped when its row is made.
 */
const zhejiang: UplinkTarget = {
  id: 'zhejiang',
  profile: ZHEJIANG_V2_PROFILE,
  credentials: 'appid-secret',
  toLedger: (record) =>
    record.kind === 'project-worker' ? record : mapItems(record, (r) => toZhejiangV2(r)),
  send: {
    teamKey: 'teamSysNo',
    complete(record, identity) {
      if (record.kind !== 'project-worker') return record;
      const validity = identity?.validity;
      // `startDate` / `expiryDate` are the national names of the ID validity that `cardDate` joins.
      const item: JsonObject = validity
        ? { ...record.item, startDate: validity.from, expiryDate: validity.to }
        : record.item;
      return toZhejiangV2({ ...record, item });
    },
    // V2.0 renames nothing, so the national pre-checks read the provincial record as it is.
    nationalView: (record) => record,
  },
  async connect(sql, credentials, projectId, endpoint) {
    const stored = await credentials.national(sql, 'zhejiang', projectId);
    return stored && new ZhejiangV2Uplink({ endpoint, credentials: stored.credentials });
  },
};

const PROVINCE_B_DIRECTION_TO_NATIONAL: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(PROVINCE_B_TABLES_V1.tables['direction'] ?? {}).map(([nationalCode, own]) => [
    own,
    nationalCode,
  ]),
);

/** A Province B record in national names, for the pre-checks: `teamId` as the team key, punch fields back. */
function provinceBNationalView(record: UplinkRecord): UplinkRecord {
  const back = (fields: JsonObject): JsonObject => {
    const { teamId, ...rest } = fields;
    return teamId === undefined ? rest : { ...rest, teamSysNo: teamId };
  };
  let item = back(record.item);
  if (record.kind === 'attendance') {
    const { checkTime, direction, ...rest } = item;
    item = {
      ...rest,
      date: checkTime ?? null,
      direction: PROVINCE_B_DIRECTION_TO_NATIONAL[String(direction)] ?? direction ?? null,
    };
  }
  if (record.kind === 'entry' || record.kind === 'exit')
    item = { ...item, type: record.kind === 'entry' ? 1 : 0 };
  return { ...record, header: back(record.header), item };
}

/**
 * The representative "Province B" style: the kinds it takes mapped by `toProvinceB` when the row is
 * made (punch time and direction names, entry and exit without `type`); its own `teamId`, issued when
 * the team is accepted, goes into the header of what names the team at send time.
 */
const provinceB: UplinkTarget = {
  id: 'province-b',
  profile: PROVINCE_B_PROFILE,
  credentials: 'app-key-secret',
  toLedger: (record) =>
    PROVINCE_B_RESOURCES[record.kind] ? mapItems(record, (r) => toProvinceB(r)) : undefined,
  send: {
    teamKey: 'teamId',
    complete: (record) => record,
    nationalView: provinceBNationalView,
  },
  async connect(sql, credentials, projectId, endpoint) {
    const stored = await credentials.provinceB(sql, 'province-b', projectId);
    return stored && new ProvinceBUplink({ baseUrl: endpoint, credentials: stored.credentials });
  },
};

/** Every known target (KNOWN_UPLINK_TARGETS in config.ts); a target missing here fails the build. */
export const UPLINK_TARGETS: Readonly<Record<UplinkTargetId, UplinkTarget>> = {
  national,
  zhejiang,
  'province-b': provinceB,
};

export function uplinkTarget(id: string): UplinkTarget {
  const target = (UPLINK_TARGETS as Readonly<Record<string, UplinkTarget | undefined>>)[id];
  if (!target)
    throw new Error(`"${id}" is not a known uplink target (${Object.keys(UPLINK_TARGETS).join(', ')})`);
  return target;
}
