import { Controller, UseGuards } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { ReportingApi } from '@realname/contracts';
import { callerOf, type Caller, RequireRoles, ResourceServerGuard } from '@realname/platform';
import { reportingV1 } from '@realname/proto';
import { ResubmitRecordHandler } from './resubmit-record.handler';
import { parseUploadInput, uploadGrpc } from './upload-errors';
import { UploadQueries } from './upload-queries';
import { RESUBMITTERS, UPLOAD_READERS } from './uploads.rest';

const STATUS: Record<ReportingApi.UploadStatus, reportingV1.UploadStatus> = {
  pending: reportingV1.UploadStatus.UPLOAD_STATUS_PENDING,
  sent: reportingV1.UploadStatus.UPLOAD_STATUS_SENT,
  accepted: reportingV1.UploadStatus.UPLOAD_STATUS_ACCEPTED,
  rejected: reportingV1.UploadStatus.UPLOAD_STATUS_REJECTED,
  'rejected-locally': reportingV1.UploadStatus.UPLOAD_STATUS_REJECTED_LOCALLY,
  superseded: reportingV1.UploadStatus.UPLOAD_STATUS_SUPERSEDED,
};

const keysAsText = (keys: Record<string, string | number>) =>
  Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, String(v)]));

/** Proto3 strings have no absence: an empty one is a filter left out. */
const given = (text: string) => (text === '' ? undefined : text);

function toGrpcRecord(r: ReportingApi.UploadRecord): reportingV1.UploadRecord {
  return {
    target: r.target,
    kind: r.kind,
    recordKey: r.recordKey,
    projectId: r.projectId,
    region: r.region,
    workerId: r.workerId ?? '',
    revisions: r.revisions.map((v) => ({
      recordId: v.recordId,
      revision: v.revision,
      status: STATUS[v.status],
      dependsOn: v.dependsOn,
      payloadJson: JSON.stringify(v.payload),
      payloadHash: v.payloadHash,
      itemsPresent: v.itemsPresent,
      waitingFor: v.waitingFor,
      problems: v.problems,
      lastError: v.lastError ?? '',
      serialCode: v.serialCode ?? '',
      platformKeys: keysAsText(v.platformKeys),
      attempts: v.attempts,
      nextAttemptAt: v.nextAttemptAt,
      createdAt: v.createdAt,
      updatedAt: v.updatedAt,
      sentAt: v.sentAt ?? '',
      acceptedAt: v.acceptedAt ?? '',
      settledAt: v.settledAt ?? '',
    })),
    resubmissions: r.resubmissions.map((s) => ({
      recordId: s.recordId,
      revision: s.revision,
      at: s.at,
      previousStatus: STATUS[s.previousStatus],
      previousProblems: s.previousProblems,
      rebuilt: s.rebuilt,
      payloadChanged: s.payloadChanged,
      actor: s.actor,
    })),
  };
}

/**
 * realname.reporting.v1.ReportingUploadService over gRPC: the same answers, roles and scope as the
 * REST API. The RPCs take the caller from the metadata the guard checked.
 */
@Controller()
@UseGuards(ResourceServerGuard)
@reportingV1.ReportingUploadServiceControllerMethods()
export class UploadsGrpcController implements reportingV1.ReportingUploadServiceController {
  constructor(
    private readonly queries: UploadQueries,
    private readonly resubmissions: ResubmitRecordHandler,
  ) {}

  @RequireRoles(...UPLOAD_READERS)
  getProjectDayUploads(
    req: reportingV1.GetProjectDayUploadsRequest,
    metadata?: Metadata,
  ): Promise<reportingV1.GetProjectDayUploadsResponse> {
    const caller = callerOf(metadata!);
    return uploadGrpc(async () => {
      const p = parseUploadInput(
        ReportingApi.ProjectDayParams.merge(ReportingApi.ProjectDayQuery),
        { projectId: req.projectId, day: req.day, target: given(req.target) },
        'request',
      );
      const d = await this.queries.projectDay(p, caller.scope);
      return {
        projectId: d.projectId,
        day: d.day,
        targets: d.targets.map((t) => ({
          target: t.target,
          counts: t.counts,
          records: t.records.map((r) => ({
            recordId: r.recordId,
            target: r.target,
            kind: r.kind,
            recordKey: r.recordKey,
            revision: r.revision,
            status: STATUS[r.status],
            workerId: r.workerId ?? '',
            items: r.items,
            itemsPresent: r.itemsPresent,
            waitingFor: r.waitingFor,
            problems: r.problems,
            lastError: r.lastError ?? '',
            serialCode: r.serialCode ?? '',
            platformKeys: keysAsText(r.platformKeys),
            acceptedAt: r.acceptedAt ?? '',
            updatedAt: r.updatedAt,
          })),
        })),
      };
    });
  }

  @RequireRoles(...UPLOAD_READERS)
  getRecord(req: reportingV1.GetRecordRequest, metadata?: Metadata): Promise<reportingV1.GetRecordResponse> {
    const caller = callerOf(metadata!);
    return uploadGrpc(async () => {
      const { recordId } = parseUploadInput(ReportingApi.RecordParams, { recordId: req.recordId }, 'request');
      return { record: toGrpcRecord(await this.queries.record(recordId, caller.scope)) };
    });
  }

  @RequireRoles(...UPLOAD_READERS)
  listRejections(
    req: reportingV1.ListRejectionsRequest,
    metadata?: Metadata,
  ): Promise<reportingV1.ListRejectionsResponse> {
    const caller = callerOf(metadata!);
    return uploadGrpc(async () => {
      const q = parseUploadInput(
        ReportingApi.RejectionsQuery.merge(ReportingApi.ProjectParams),
        {
          projectId: req.projectId,
          target: given(req.target),
          kind: given(req.kind),
          pageSize: req.pageSize === 0 ? undefined : req.pageSize,
          pageToken: given(req.pageToken),
        },
        'request',
      );
      const page = await this.queries.rejections(q, caller.scope);
      return {
        projectId: page.projectId,
        rejections: page.rejections.map((r) => ({
          recordId: r.recordId,
          target: r.target,
          kind: r.kind,
          recordKey: r.recordKey,
          revision: r.revision,
          status: STATUS[r.status],
          workerId: r.workerId ?? '',
          problems: r.problems,
          rejectedAt: r.rejectedAt,
        })),
        nextPageToken: page.nextPageToken,
        totalCount: page.totalCount,
      };
    });
  }

  @RequireRoles(...RESUBMITTERS)
  resubmitRecord(
    req: reportingV1.ResubmitRecordRequest,
    metadata?: Metadata,
  ): Promise<reportingV1.ResubmitRecordResponse> {
    const caller: Caller = callerOf(metadata!);
    return uploadGrpc(async () => {
      const { recordId } = parseUploadInput(ReportingApi.RecordParams, { recordId: req.recordId }, 'request');
      await this.resubmissions.resubmit(recordId, caller);
      return { record: toGrpcRecord(await this.queries.record(recordId, caller.scope)) };
    });
  }
}
