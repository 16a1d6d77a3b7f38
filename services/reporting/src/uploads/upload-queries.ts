import { z } from 'zod';
import { currentResidentIdMask, ReportingApi } from '@realname/contracts';
import { isResidentId } from '@realname/domain-rules';
import type { Database } from '@realname/eventstore';
import type { CallerScope } from '@realname/platform';
import { ResubmissionEntry, UploadRow, UploadsRepository } from './uploads.repository';
import { UploadInputRefused, UploadNotFound } from './upload-errors';

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

const ID_LIKE = /(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])/g;

/**
 * A text of the platform's with any resident ID number it echoed masked: ledger payloads hold none, but
 * a platform's message ("身份证号 … 已存在") may quote one. Valid numbers only, so project codes stay.
 */
export function withoutIdNumbers(text: string): string {
  return text.replace(ID_LIKE, (m) => (isResidentId(m) ? currentResidentIdMask(m) : m));
}

function problemsOf(problems: readonly ReportingApi.UploadProblem[]): ReportingApi.UploadProblem[] {
  return problems.map((p) => ({
    code: p.code,
    path: withoutIdNumbers(p.path),
    zh: withoutIdNumbers(p.zh),
    en: withoutIdNumbers(p.en),
  }));
}

const errorOf = (e: string | null) => (e === null ? null : withoutIdNumbers(e));

export function summaryOf(r: UploadRow): ReportingApi.UploadRecordSummary {
  return {
    recordId: r.id,
    target: r.target,
    kind: r.kind,
    recordKey: r.recordKey,
    revision: r.revision,
    status: r.status,
    workerId: r.workerId,
    items: r.payload.items.length,
    itemsPresent: r.itemsPresent.length,
    waitingFor: r.waitingFor,
    problems: problemsOf(r.problems),
    lastError: errorOf(r.lastError),
    serialCode: r.serialCode,
    platformKeys: r.platformKeys,
    acceptedAt: iso(r.acceptedAt),
    updatedAt: r.updatedAt.toISOString(),
  };
}

function revisionOf(r: UploadRow): ReportingApi.UploadRevision {
  return {
    recordId: r.id,
    revision: r.revision,
    status: r.status,
    dependsOn: r.dependsOn,
    payload: r.payload,
    payloadHash: r.payloadHash,
    itemsPresent: r.itemsPresent,
    waitingFor: r.waitingFor,
    problems: problemsOf(r.problems),
    lastError: errorOf(r.lastError),
    serialCode: r.serialCode,
    platformKeys: r.platformKeys,
    attempts: r.attempts,
    nextAttemptAt: r.nextAttemptAt.toISOString(),
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    sentAt: iso(r.sentAt),
    acceptedAt: iso(r.acceptedAt),
    settledAt: iso(r.settledAt),
  };
}

function resubmissionOf(e: ResubmissionEntry): ReportingApi.UploadResubmission {
  return {
    recordId: e.ledgerId,
    revision: e.revision,
    at: e.at.toISOString(),
    previousStatus: e.previousStatus,
    previousProblems: problemsOf(e.previousProblems),
    rebuilt: e.rebuilt,
    payloadChanged: e.payloadChanged,
    actor: e.actor,
  };
}

const STATUS_COUNT_KEYS = {
  pending: 'pending',
  sent: 'sent',
  accepted: 'accepted',
  rejected: 'rejected',
  'rejected-locally': 'rejectedLocally',
} as const;

const PageTokenContent = z.object({
  t: z.string().datetime(),
  id: z.string().regex(/^[1-9]\d{0,17}$/),
});

function decodePageToken(token: string): { t: string; id: string } {
  try {
    return PageTokenContent.parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
  } catch {
    throw new UploadInputRefused('The parameter is not valid', [
      { field: 'pageToken', message: 'is not one this service issued: start again without it' },
    ]);
  }
}

/**
 * The reads of the upload APIs, REST and gRPC alike, within the caller's scope: a project-day's
 * records per target, one record with every revision, a project's rejections page by page.
 */
export class UploadQueries {
  constructor(
    private readonly db: Database,
    private readonly uploads: UploadsRepository,
  ) {}

  private async project(projectId: string, scope: CallerScope): Promise<void> {
    if (!(await this.uploads.visibleProject(this.db, projectId, scope)))
      throw new UploadNotFound(`no project ${projectId} within your scope`);
  }

  async projectDay(
    q: { projectId: string; day: string; target?: string },
    scope: CallerScope,
  ): Promise<ReportingApi.ProjectDayUploads> {
    await this.project(q.projectId, scope);
    const rows = await this.uploads.projectDay(this.db, q.projectId, q.day, q.target);
    const targets = new Map<string, ReportingApi.ProjectDayUploads['targets'][number]>();
    for (const row of rows) {
      let t = targets.get(row.target);
      if (!t) {
        t = {
          target: row.target,
          counts: { pending: 0, sent: 0, accepted: 0, rejected: 0, rejectedLocally: 0 },
          records: [],
        };
        targets.set(row.target, t);
      }
      if (row.status !== 'superseded') t.counts[STATUS_COUNT_KEYS[row.status]] += 1;
      t.records.push(summaryOf(row));
    }
    return { projectId: q.projectId, day: q.day, targets: [...targets.values()] };
  }

  async record(recordId: string, scope: CallerScope): Promise<ReportingApi.UploadRecord> {
    const rows = await this.uploads.recordRevisions(this.db, recordId, scope);
    const first = rows[0];
    if (!first) throw new UploadNotFound(`no record ${recordId} within your scope`);
    const last = rows[rows.length - 1];
    const resubmissions = await this.uploads.resubmissions(
      this.db,
      rows.map((r) => r.id),
    );
    return {
      target: first.target,
      kind: first.kind,
      recordKey: first.recordKey,
      projectId: last.projectId,
      region: last.region,
      workerId: last.workerId,
      revisions: rows.map(revisionOf),
      resubmissions: resubmissions.map(resubmissionOf),
    };
  }

  async rejections(
    q: ReportingApi.RejectionsQuery & { projectId: string },
    scope: CallerScope,
  ): Promise<ReportingApi.RejectionPage> {
    const after = q.pageToken ? decodePageToken(q.pageToken) : undefined;
    await this.project(q.projectId, scope);
    const pageSize = q.pageSize ?? 100;
    const { rows, total } = await this.uploads.rejections(this.db, {
      projectId: q.projectId,
      target: q.target,
      kind: q.kind,
      limit: pageSize + 1,
      after,
    });
    const page = rows.slice(0, pageSize);
    const last = rows.length > pageSize ? page[page.length - 1] : undefined;
    return {
      projectId: q.projectId,
      rejections: page.map((r) => ({
        recordId: r.id,
        target: r.target,
        kind: r.kind,
        recordKey: r.recordKey,
        revision: r.revision,
        status: r.status as 'rejected' | 'rejected-locally',
        workerId: r.workerId,
        problems: problemsOf(r.problems),
        rejectedAt: (r.settledAt ?? r.updatedAt).toISOString(),
      })),
      nextPageToken: last
        ? Buffer.from(JSON.stringify({ t: last.cursor, id: last.id })).toString('base64url')
        : '',
      totalCount: total,
    };
  }
}
