import { Counter, Registry } from 'prom-client';
import { explainPlatformRejection, PLATFORM_CODES, UploadProblem } from '@realname/domain-rules';
import { Database, Sql } from '@realname/eventstore';
import {
  canonicalJson,
  JsonObject,
  PlatformKeys,
  RecordKind,
  UplinkAdapter,
  UplinkBatch,
  UplinkFailure,
  UplinkProfile,
  UplinkRecord,
} from '@realname/uplinks';
import { handOverIdentities, IdentitySource } from '../identities/identity-source';
import { WorkerIdentitiesRepository, WorkerIdentity } from '../identities/worker-identities.repository';
import { LedgerProblem, LedgerRepository, LedgerRow } from '../ledger/ledger.repository';
import { precheck, PrecheckContext, uploadData } from './prechecks';
import { NATIONAL_SEND_MAPPING, TargetSendMapping } from './send-mapping';

/** The adapter for one project of the target, or undefined when the project has no credentials. */
export type AdapterFor = (projectId: string) => Promise<UplinkAdapter | undefined>;

export interface UploadSenderOptions {
  readonly target: string;
  readonly profile: UplinkProfile;
  readonly claimSize: number;
  readonly leaseMs: number;
  readonly backoffMs: number;
  readonly backoffMaxMs: number;
  readonly pollMs: number;
  readonly waitMs: number;
  /** Today in the platform's zone (Asia/Shanghai), for the pre-checks' "not in the future". */
  readonly today?: () => string;
  readonly registry?: Registry;
  /** Where identities not stored yet are fetched (the worker registry); absent: only what is stored. */
  readonly identitySource?: IdentitySource;
  /** The target's team key, send-time completion and pre-check view; absent: the national platform's. */
  readonly mapping?: TargetSendMapping;
  /**
   * Calls per second to one project (the platform rate-limits each project's appid): calls are spaced
   * so, rather than refused and backed off. Absent or 0: not spaced.
   */
  readonly callsPerSecond?: number;
}

/** What one round did, for logs and tests. */
export interface RoundSummary {
  claimed: number;
  sentBatches: number;
  accepted: number;
  rejected: number;
  rejectedLocally: number;
  waiting: number;
  retried: number;
}

/** One item of a ledger row in a call: which row, which of its items. */
interface ItemRef {
  readonly row: LedgerRow;
  readonly index: number;
  readonly record: UplinkRecord;
}

interface PlannedBatch {
  readonly batch: UplinkBatch;
  readonly refs: readonly ItemRef[];
}

/** Workers asked about at once: the registry and its audit trail are not to be flooded. */
const IDENTITY_FETCH_CONCURRENCY = 4;
const IDENTITY_UNKNOWN: LedgerProblem = {
  code: 'identity-unknown-to-registry',
  path: 'idCardNumber',
  zh: '实名制系统“工人信息”中找不到该工人（或不在上报服务的权限范围内），暂时取不到身份证号码；稍后自动重试。',
  en: "The worker registry does not know this worker (or it is outside the reporting service's scope), so its ID number is not available; it is asked again later.",
};

export function shanghaiToday(at: Date = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(at);
}

function asProblem(p: UploadProblem): LedgerProblem {
  return { code: p.code, path: p.path, zh: p.zh, en: p.en };
}

/** A record the target's mapping cannot make from the worker's identity as held. */
function targetMappingProblem(target: string, error: unknown): LedgerProblem {
  const message = error instanceof Error ? error.message : String(error);
  return {
    code: 'target-mapping',
    path: '',
    zh: `按${target}的数据标准还缺少该工人的身份信息（${message}）；补全后自动重试。`,
    en: `The ${target} standard needs more of this worker's identity than is held (${message}); it is tried again once completed.`,
  };
}

/** A failed asynchronous result carries no reply code; the catalogue reads it as status 10. */
function explainFailure(failure: UplinkFailure): LedgerProblem {
  const code = 'code' in failure && failure.code !== undefined ? failure.code : PLATFORM_CODES.asyncFailed;
  const message = failure.outcome === 'retriable' ? failure.detail : failure.message;
  return asProblem(explainPlatformRejection(code === 0 ? PLATFORM_CODES.asyncFailed : code, message));
}

/** `dataList[3].date...` names the item of the call the platform refused, when it says so. */
function blamedPosition(message: string): number | undefined {
  const match = /^[A-Za-z]+\[(\d+)\]/.exec(message);
  return match ? Number(match[1]) : undefined;
}

/**
 * The sender of one target: claims due ledger rows (leased, FOR UPDATE SKIP LOCKED) in dependency
 * order; polls the serial codes of sent rows; lets rows whose dependencies are not accepted wait,
 * visibly; pre-checks the rest locally (problems: rejected-locally with the texts); sends the others in
 * calls within the target's limits; records what the platform says: sent with the serial code,
 * accepted with its keys, rejected with its message, "already exists" reconciled and adopted. Retriable
 * failures (network, 5xx, rate limit) only delay, with exponential backoff; they never reject.
 */
export class UploadSender {
  private readonly today: () => string;
  private readonly mapping: TargetSendMapping;
  private readonly outcomes?: Counter<'target' | 'outcome'>;
  private readonly rejections?: Counter<'target' | 'code'>;
  /** When each project may be called next (spacing by `callsPerSecond`), shared by parallel rounds. */
  private readonly nextCallAt = new Map<string, number>();

  constructor(
    private readonly db: Database,
    private readonly ledger: LedgerRepository,
    private readonly identities: WorkerIdentitiesRepository,
    private readonly adapterFor: AdapterFor,
    private readonly opts: UploadSenderOptions,
  ) {
    this.today = opts.today ?? (() => shanghaiToday());
    this.mapping = opts.mapping ?? NATIONAL_SEND_MAPPING;
    if (opts.registry) {
      const name = 'uplink_records_total';
      this.outcomes =
        (opts.registry.getSingleMetric(name) as Counter<'target' | 'outcome'> | undefined) ??
        new Counter({
          name,
          help: 'Ledger rows settled per target and outcome (accepted, rejected, rejected-locally, waiting, retried)',
          labelNames: ['target', 'outcome'],
          registers: [opts.registry],
        });
      const reasons = 'uplink_rejections_total';
      this.rejections =
        (opts.registry.getSingleMetric(reasons) as Counter<'target' | 'code'> | undefined) ??
        new Counter({
          name: reasons,
          help: 'Problems of rejected records per target and reason (local pre-check or platform)',
          labelNames: ['target', 'code'],
          registers: [opts.registry],
        });
    }
  }

  private async reject(
    row: LedgerRow,
    status: 'rejected' | 'rejected-locally',
    problems: readonly LedgerProblem[],
    summary: RoundSummary,
  ): Promise<void> {
    await this.ledger.markRejected(this.db, row, status, problems);
    this.count(status === 'rejected' ? 'rejected' : 'rejectedLocally', summary);
    for (const p of problems) this.rejections?.inc({ target: this.opts.target, code: p.code });
  }

  /** One round over the due rows; returns when every claimed row is settled or rescheduled. */
  async runOnce(): Promise<RoundSummary> {
    const summary: RoundSummary = {
      claimed: 0,
      sentBatches: 0,
      accepted: 0,
      rejected: 0,
      rejectedLocally: 0,
      waiting: 0,
      retried: 0,
    };
    const rows = await this.ledger.claimDue(
      this.db,
      this.opts.target,
      this.opts.claimSize,
      this.opts.leaseMs,
    );
    summary.claimed = rows.length;
    const byProject = new Map<string, LedgerRow[]>();
    for (const row of rows) byProject.set(row.projectId, [...(byProject.get(row.projectId) ?? []), row]);
    // Projects side by side: each has its own credentials and rate limit upstream, and a claim takes few.
    const done = await Promise.allSettled(
      [...byProject].map(([projectId, projectRows]) => this.runProject(projectId, projectRows, summary)),
    );
    const failed = done.find((d): d is PromiseRejectedResult => d.status === 'rejected');
    if (failed) throw failed.reason;
    return summary;
  }

  private count(outcome: keyof RoundSummary, summary: RoundSummary, n = 1): void {
    summary[outcome] += n;
    this.outcomes?.inc({ target: this.opts.target, outcome }, n);
  }

  private backoff(row: LedgerRow): number {
    const exponent = Math.max(0, Math.min(row.attempts - 1, 20));
    return Math.min(this.opts.backoffMaxMs, this.opts.backoffMs * 2 ** exponent);
  }

  private async runProject(projectId: string, rows: LedgerRow[], summary: RoundSummary): Promise<void> {
    const adapter = await this.adapterFor(projectId);
    if (!adapter) {
      const waitingFor = [`credentials:${this.opts.target}/${projectId}`];
      for (const row of rows) await this.ledger.markWaiting(this.db, row, waitingFor, this.opts.waitMs);
      this.count('waiting', summary, rows.length);
      return;
    }
    const identities = await this.identities.resolve(
      this.db,
      rows.flatMap((r) => (r.workerId ? [r.workerId] : [])),
    );
    const unknownToSource = await this.fetchMissingIdentities(rows, identities);

    // Polls first: an accepted team this round may free its workers in the same round.
    const bySerial = new Map<string, LedgerRow[]>();
    for (const row of rows.filter((r) => r.status === 'sent' && r.serialCode)) {
      bySerial.set(row.serialCode!, [...(bySerial.get(row.serialCode!) ?? []), row]);
    }
    for (const [serial, sent] of bySerial) {
      const refs = await this.refsOf(sent, identities, (r) => r.itemsSent);
      await this.pace(projectId);
      const outcome = await adapter.poll(serial);
      if (outcome.outcome === 'pending') {
        await this.ledger.markRetry(this.db, sent, this.opts.pollMs, 'waiting for the platform');
      } else {
        await this.settle(adapter, refs, outcome, summary, true);
      }
    }

    const pending = rows.filter((r) => r.status === 'pending');
    const accepted = await this.ledger.acceptedKeys(
      this.db,
      this.opts.target,
      pending.flatMap((r) => r.dependsOn),
    );
    const ready: LedgerRow[] = [];
    for (const row of pending) {
      const waitingFor = row.dependsOn.filter((key) => !accepted.has(key));
      if (row.workerId && !identities.has(row.workerId)) waitingFor.push(`identity:${row.workerId}`);
      if (waitingFor.length > 0) {
        // A worker the registry does not know is asked about again after the backoff, with why.
        const unknown = !!row.workerId && unknownToSource.has(row.workerId);
        await this.ledger.markWaiting(
          this.db,
          row,
          waitingFor,
          unknown ? this.backoff(row) : this.opts.waitMs,
          unknown ? [IDENTITY_UNKNOWN] : [],
        );
        this.count('waiting', summary);
      } else ready.push(row);
    }
    if (ready.length === 0) return;

    const ctx = await this.precheckContext(projectId, ready, identities);
    const sendable: ItemRef[] = [];
    for (const row of ready) {
      const keys = this.keysOfDependencies(row, accepted);
      let refs: ItemRef[];
      try {
        refs = this.itemsOf(row, identities, keys, (r) =>
          r.payload.items.map((_, i) => i).filter((i) => !r.itemsPresent.includes(i)),
        );
      } catch (error) {
        // The target needs more of the worker's identity than is held (Zhejiang: the ID validity).
        if (!row.workerId) throw error;
        await this.ledger.markWaiting(this.db, row, [`identity:${row.workerId}`], this.backoff(row), [
          targetMappingProblem(this.opts.target, error),
        ]);
        this.count('waiting', summary);
        continue;
      }
      if (refs.length === 0) {
        // Every item is already upstream (a revision that changed nothing the platform shows).
        await this.ledger.markPresent(this.db, row, [], {});
        this.count('accepted', summary);
        continue;
      }
      const views = refs.map((r) => this.mapping.nationalView(r.record));
      const data = uploadData(
        row.kind,
        views[0].header,
        views.map((v) => v.item),
      );
      const problems = precheck(row.kind, data, ctx);
      if (problems.length > 0) {
        await this.reject(row, 'rejected-locally', problems.map(asProblem), summary);
      } else sendable.push(...refs);
    }

    const batches = this.plan(sendable);
    for (let i = 0; i < batches.length; i++) {
      const { batch, refs } = batches[i];
      await this.pace(projectId);
      const outcome = await adapter.send(batch);
      summary.sentBatches += 1;
      if (outcome.outcome === 'submitted') {
        await this.db.transaction(async (tx) =>
          this.ledger.markSent(tx, this.itemsByRow(refs), outcome.ticket, this.opts.pollMs),
        );
        continue;
      }
      await this.settle(adapter, refs, outcome, summary, false);
      if (outcome.outcome === 'retriable') {
        // The platform is busy or away: the project's remaining calls wait with this one.
        const rest = batches.slice(i + 1).flatMap((b) => b.refs.map((r) => r.row));
        await this.retry(rest, outcome.detail, summary);
        return;
      }
    }
  }

  /**
   * Identities of pending rows' workers not stored yet, from the identity source when there is one:
   * what it gives is stored and joins `identities`, so those rows go up in this round; the workers it
   * does not know are returned. A source that is away leaves the rows waiting, to be asked again later.
   */
  private async fetchMissingIdentities(
    rows: readonly LedgerRow[],
    identities: Map<string, WorkerIdentity>,
  ): Promise<Set<string>> {
    const source = this.opts.identitySource;
    const missing = [
      ...new Set(
        rows.flatMap((r) =>
          r.status === 'pending' && r.workerId && !identities.has(r.workerId) ? [r.workerId] : [],
        ),
      ),
    ];
    if (!source || missing.length === 0) return new Set();
    const handed = await handOverIdentities(
      this.db,
      this.identities,
      source,
      missing,
      IDENTITY_FETCH_CONCURRENCY,
      // The rows were claimed for leaseMs: the rest are asked next round rather than past the lease.
      this.opts.leaseMs / 2,
    );
    for (const [workerId, identity] of handed.found) identities.set(workerId, identity);
    return handed.unknown;
  }

  /** Records what the platform answered for the items of one call. */
  private async settle(
    adapter: UplinkAdapter,
    refs: readonly ItemRef[],
    outcome: { outcome: 'accepted'; keys: PlatformKeys } | { outcome: 'pending' } | UplinkFailure,
    summary: RoundSummary,
    polled: boolean,
  ): Promise<void> {
    const rows = this.rowsOf(refs);
    switch (outcome.outcome) {
      case 'pending':
        return;
      case 'accepted': {
        await this.ledger.markPresentMany(this.db, this.itemsByRow(refs), outcome.keys);
        this.count('accepted', summary, rows.length);
        return;
      }
      case 'retriable': {
        // A failed poll asks again later; a failed send is sent again later. Neither is a rejection.
        await this.retry(rows, outcome.detail, summary, polled ? this.opts.pollMs : undefined);
        return;
      }
      case 'rejected': {
        if (outcome.scope === 'credentials') {
          const problem = explainFailure(outcome);
          const waitingFor = [`credentials:${this.opts.target}/${rows[0].projectId}`];
          // Backoff, not the short wait: a wrong secret must not be tried against the platform every few seconds.
          for (const row of rows)
            await this.ledger.markWaiting(this.db, row, waitingFor, this.backoff(row), [problem]);
          this.count('waiting', summary, rows.length);
          return;
        }
        if (polled && outcome.code !== undefined) {
          // The poll call itself was refused (an unknown or expired serial code), not the records: send
          // them again; whatever did get through comes back as "already exists" and is adopted.
          await this.ledger.markUnsent(this.db, rows);
          this.count('retried', summary, rows.length);
          return;
        }
        const position = blamedPosition(outcome.message);
        const blamed = position !== undefined && refs[position] ? refs[position].row : undefined;
        for (const row of rows) {
          if (blamed && row !== blamed) continue;
          await this.reject(row, 'rejected', [explainFailure(outcome)], summary);
        }
        // The call was refused as a whole: the rows the platform did not blame go again at once.
        if (blamed)
          await this.ledger.markUnsent(
            this.db,
            rows.filter((r) => r !== blamed),
          );
        return;
      }
      case 'already-exists': {
        await this.reconcile(adapter, refs, summary);
        return;
      }
    }
  }

  /** "Already exists": each item is looked up; what the platform holds is adopted, the rest goes again. */
  private async reconcile(
    adapter: UplinkAdapter,
    refs: readonly ItemRef[],
    summary: RoundSummary,
  ): Promise<void> {
    for (const [row, indexes] of this.itemsPerRow(refs)) {
      const found: number[] = [];
      let keys: PlatformKeys = {};
      let failure: UplinkFailure | undefined;
      for (const index of indexes) {
        const ref = refs.find((r) => r.row === row && r.index === index)!;
        await this.pace(row.projectId);
        const result = await adapter.reconcile(ref.record);
        if (result.outcome === 'found') {
          found.push(index);
          keys = { ...keys, ...result.keys };
        } else if (result.outcome !== 'not-found') {
          failure = result;
          break;
        }
      }
      if (failure?.outcome === 'retriable') {
        await this.retry([row], failure.detail, summary);
      } else if (failure?.outcome === 'rejected' && failure.scope === 'credentials') {
        // The look-up was refused for the project's keys (a secret changed meanwhile): the row waits for
        // credentials like a refused send, it is not the record's fault.
        await this.ledger.markWaiting(
          this.db,
          row,
          [`credentials:${this.opts.target}/${row.projectId}`],
          this.backoff(row),
          [explainFailure(failure)],
        );
        this.count('waiting', summary);
      } else if (failure) {
        await this.reject(row, 'rejected', [explainFailure(failure)], summary);
      } else {
        await this.ledger.markPresent(this.db, row, found, keys);
        if (found.length + row.itemsPresent.length >= row.payload.items.length)
          this.count('accepted', summary);
      }
    }
  }

  private async retry(
    rows: readonly LedgerRow[],
    detail: string,
    summary: RoundSummary,
    delayMs?: number,
  ): Promise<void> {
    // One statement per distinct delay (rows of a call mostly share their attempts).
    const byDelay = new Map<number, LedgerRow[]>();
    for (const row of rows) {
      const delay = delayMs ?? this.backoff(row);
      byDelay.set(delay, [...(byDelay.get(delay) ?? []), row]);
    }
    for (const [delay, same] of byDelay) await this.ledger.markRetry(this.db, same, delay, detail);
    this.count('retried', summary, rows.length);
  }

  /** Waits until the project may be called again, so its calls keep within `callsPerSecond`. */
  private async pace(projectId: string): Promise<void> {
    const perSecond = this.opts.callsPerSecond;
    if (!perSecond) return;
    const now = Date.now();
    const at = Math.max(now, this.nextCallAt.get(projectId) ?? 0);
    this.nextCallAt.set(projectId, at + 1000 / perSecond);
    if (this.nextCallAt.size > 10_000) {
      for (const [id, next] of this.nextCallAt) if (next < now) this.nextCallAt.delete(id);
    }
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
  }

  /** Keys the platform gave the row's dependencies (a team's `teamSysNo`). */
  private keysOfDependencies(row: LedgerRow, accepted: Map<string, PlatformKeys>): PlatformKeys {
    let keys: PlatformKeys = {};
    for (const dependency of row.dependsOn) keys = { ...keys, ...(accepted.get(dependency) ?? {}) };
    return keys;
  }

  /** The row's items as uplink records: header with the dependencies' keys, items with the ID number. */
  private itemsOf(
    row: LedgerRow,
    identities: Map<string, WorkerIdentity>,
    keys: PlatformKeys,
    which: (row: LedgerRow) => number[],
  ): ItemRef[] {
    const header: JsonObject = { ...row.payload.header };
    const teamKey = this.mapping.teamKey;
    if (teamKey in keys && row.kind !== 'team') header[teamKey] = String(keys[teamKey]);
    if (row.kind === 'team' && row.platformKeys[teamKey] !== undefined)
      header[teamKey] = String(row.platformKeys[teamKey]);
    const identity = row.workerId ? identities.get(row.workerId) : undefined;
    return which(row).map((index) => {
      const item: JsonObject = { ...row.payload.items[index] };
      if (identity) {
        item['idCardType'] = identity.idCardType;
        item['idCardNumber'] = identity.idCardNumber;
        if (row.kind === 'project-worker' && identity.headImage !== undefined)
          item['headImage'] = identity.headImage;
      }
      return {
        row,
        index,
        record: this.mapping.complete(
          { kind: row.kind, key: `${row.id}#${index}`, dependsOn: [], header, item },
          identity,
        ),
      };
    });
  }

  /** Refs of rows already sent, rebuilt for settling a poll (reconciling needs the records). */
  private async refsOf(
    rows: readonly LedgerRow[],
    identities: Map<string, WorkerIdentity>,
    which: (row: LedgerRow) => number[],
  ): Promise<ItemRef[]> {
    const accepted = await this.ledger.acceptedKeys(
      this.db,
      this.opts.target,
      rows.flatMap((r) => r.dependsOn),
    );
    return [...rows]
      .sort((a, b) => Number(a.id) - Number(b.id))
      .flatMap((row) => this.itemsOf(row, identities, this.keysOfDependencies(row, accepted), which));
  }

  /**
   * Calls within the target's limits: kinds in the target's order, one header per call, a row's items
   * kept together (a row larger than a call sends its first items now and the rest next round).
   */
  private plan(refs: readonly ItemRef[]): PlannedBatch[] {
    const batches: PlannedBatch[] = [];
    for (const kind of this.opts.profile.dependencyOrder) {
      const ofKind = refs.filter((r) => r.row.kind === kind);
      if (ofKind.length === 0) continue;
      const limit = this.opts.profile.batchLimits[kind as RecordKind] ?? 1;
      const groups = new Map<string, ItemRef[][]>();
      for (const [, items] of this.itemsPerRowRefs(ofKind)) {
        const key = canonicalJson(items[0].record.header);
        groups.set(key, [...(groups.get(key) ?? []), items]);
      }
      for (const rowsOfHeader of groups.values()) {
        let current: ItemRef[] = [];
        for (const rowItems of rowsOfHeader) {
          const items = rowItems.slice(0, limit);
          if (current.length + items.length > limit) {
            batches.push(this.batchOf(kind, current));
            current = [];
          }
          current.push(...items);
        }
        if (current.length > 0) batches.push(this.batchOf(kind, current));
      }
    }
    return batches;
  }

  private batchOf(kind: RecordKind, refs: ItemRef[]): PlannedBatch {
    return { batch: { kind, header: refs[0].record.header, records: refs.map((r) => r.record) }, refs };
  }

  private itemsPerRowRefs(refs: readonly ItemRef[]): Map<string, ItemRef[]> {
    const map = new Map<string, ItemRef[]>();
    for (const ref of refs) map.set(ref.row.id, [...(map.get(ref.row.id) ?? []), ref]);
    return map;
  }

  private itemsPerRow(refs: readonly ItemRef[]): Map<LedgerRow, number[]> {
    const map = new Map<LedgerRow, number[]>();
    for (const ref of refs) map.set(ref.row, [...(map.get(ref.row) ?? []), ref.index]);
    return map;
  }

  private itemsByRow(refs: readonly ItemRef[]): { row: LedgerRow; items: number[] }[] {
    return [...this.itemsPerRow(refs)].map(([row, items]) => ({ row, items }));
  }

  private rowsOf(refs: readonly ItemRef[]): LedgerRow[] {
    return [...new Set(refs.map((r) => r.row))];
  }

  /** What is upstream of the project, for the local pre-checks. */
  private async precheckContext(
    projectId: string,
    ready: readonly LedgerRow[],
    identities: Map<string, WorkerIdentity>,
  ): Promise<PrecheckContext> {
    const teams = await this.ledger.acceptedTeams(this.db, this.opts.target, projectId, this.mapping.teamKey);
    const unitKeys = [
      ...new Set(ready.flatMap((r) => r.dependsOn.filter((d) => d.startsWith('participating-unit:')))),
    ];
    const units = await this.unitCodes(this.db, unitKeys);
    // A ready row's worker dependency is accepted, so its worker is upstream.
    const workers = new Map<string, string>();
    for (const row of ready) {
      const identity = row.workerId ? identities.get(row.workerId) : undefined;
      if (identity && row.dependsOn.some((d) => d.startsWith('project-worker:')))
        workers.set(row.workerId!, identity.idCardNumber.toUpperCase());
    }
    const last = await this.ledger.lastEntryExit(this.db, this.opts.target, projectId, [...workers.keys()]);
    return {
      today: this.today(),
      acceptedUnits: units,
      acceptedTeams: new Set(teams.map((t) => t.teamSysNo)),
      teamNames: new Map(teams.map((t) => [t.teamName, t.teamSysNo])),
      acceptedWorkers: new Set(workers.values()),
      lastEntryExit: new Map(
        [...last].flatMap(([workerId, date]) =>
          workers.has(workerId) ? [[workers.get(workerId)!, date]] : [],
        ),
      ),
      workerNames: new Map(),
    };
  }

  /** Credit codes of accepted participating units, from their ledger rows' headers. */
  private async unitCodes(sql: Sql, unitKeys: readonly string[]): Promise<Set<string>> {
    const codes = new Set<string>();
    for (const key of unitKeys) {
      const rows = await this.ledger.find(
        sql,
        this.opts.target,
        'participating-unit',
        key.slice(key.indexOf(':') + 1),
      );
      for (const row of rows) {
        const corpCode = row.payload.header['corpCode'] ?? row.payload.items[0]?.['corpCode'] ?? '';
        if (row.acceptedAt) codes.add(String(corpCode).toUpperCase());
      }
    }
    return codes;
  }
}
