/**
 * Pure planning helpers over the adapter interface: order records by the target's dependency order,
 * tell which records may go now and which wait (and for what), and cut calls within the batch limits.
 */
import {
  JsonValue,
  RecordKind,
  UplinkBatch,
  UplinkProfile,
  UplinkRecord,
  UPLINK_DEPENDENCY_ORDER,
} from './uplink';

export class UplinkPlanError extends Error {
  override readonly name = 'UplinkPlanError';
}

/** Position of a kind in the order; throws for a kind the target does not accept. */
export function dependencyRank(
  kind: RecordKind,
  order: readonly RecordKind[] = UPLINK_DEPENDENCY_ORDER,
): number {
  const rank = order.indexOf(kind);
  if (rank < 0) throw new UplinkPlanError(`the target does not accept records of kind "${kind}"`);
  return rank;
}

/** Records sorted by kind in dependency order; records of one kind keep their given order. */
export function orderByDependencies<R extends Pick<UplinkRecord, 'kind'>>(
  records: readonly R[],
  order: readonly RecordKind[] = UPLINK_DEPENDENCY_ORDER,
): R[] {
  return records
    .map((record, index) => ({ record, index, rank: dependencyRank(record.kind, order) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map((entry) => entry.record);
}

export interface WaitingRecord<R> {
  readonly record: R;
  /** Keys of the dependencies not yet accepted, in the record's order. */
  readonly waitingFor: readonly string[];
}

/** Splits records into those whose dependencies are all accepted and those that must wait. */
export function splitReady<R extends Pick<UplinkRecord, 'dependsOn'>>(
  records: readonly R[],
  isAccepted: (key: string) => boolean,
): { ready: R[]; waiting: WaitingRecord<R>[] } {
  const ready: R[] = [];
  const waiting: WaitingRecord<R>[] = [];
  for (const record of records) {
    const waitingFor = record.dependsOn.filter((key) => !isAccepted(key));
    if (waitingFor.length === 0) ready.push(record);
    else waiting.push({ record, waitingFor });
  }
  return { ready, waiting };
}

/** JSON with object keys sorted, so equal headers compare equal whatever their key order. */
export function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Cuts records into calls: kinds in the target's order, records of one kind grouped by header (first
 * appearance first) and chunked by the kind's limit. A record depending on another record of the plan
 * whose kind does not come strictly earlier is a mapping error, so the plan refuses it.
 */
export function planBatches(records: readonly UplinkRecord[], profile: UplinkProfile): UplinkBatch[] {
  const order = profile.dependencyOrder;
  const rankOfKey = new Map<string, number>();
  for (const record of records) {
    if (rankOfKey.has(record.key))
      throw new UplinkPlanError(`record "${record.key}" appears twice in the plan`);
    rankOfKey.set(record.key, dependencyRank(record.kind, order));
  }
  for (const record of records) {
    const rank = dependencyRank(record.kind, order);
    for (const dependency of record.dependsOn) {
      const dependencyRankInPlan = rankOfKey.get(dependency);
      if (dependencyRankInPlan !== undefined && dependencyRankInPlan >= rank) {
        throw new UplinkPlanError(
          `record "${record.key}" (${record.kind}) depends on "${dependency}", which the target's order does not put earlier`,
        );
      }
    }
  }

  const batches: UplinkBatch[] = [];
  for (const kind of order) {
    const ofKind = records.filter((record) => record.kind === kind);
    if (ofKind.length === 0) continue;
    const limit = profile.batchLimits[kind];
    if (limit === undefined || limit < 1)
      throw new UplinkPlanError(`the target has no batch limit for "${kind}"`);
    const groups = new Map<string, UplinkRecord[]>();
    for (const record of ofKind) {
      const key = canonicalJson(record.header);
      const group = groups.get(key);
      if (group) group.push(record);
      else groups.set(key, [record]);
    }
    for (const group of groups.values()) {
      for (let start = 0; start < group.length; start += limit) {
        batches.push({ kind, header: group[0].header, records: group.slice(start, start + limit) });
      }
    }
  }
  return batches;
}
