import { Controller, UseGuards } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { callerOf, CallerScope, RequireRoles, ResourceServerGuard } from '@realname/platform';
import { attendanceV1 } from '@realname/proto';
import { PunchQueries, PunchView } from './punch-queries';
import { PUNCH_READERS } from './punches.rest';
import { grpcQuery } from './query-errors';

const DIRECTIONS: Record<PunchView['direction'], attendanceV1.Direction> = {
  in: attendanceV1.Direction.DIRECTION_IN,
  out: attendanceV1.Direction.DIRECTION_OUT,
  unknown: attendanceV1.Direction.DIRECTION_UNSPECIFIED,
};

const STATUSES: Record<PunchView['resolutionStatus'], attendanceV1.ResolutionStatus> = {
  resolved: attendanceV1.ResolutionStatus.RESOLUTION_STATUS_RESOLVED,
  unresolved: attendanceV1.ResolutionStatus.RESOLUTION_STATUS_UNRESOLVED,
};

const FILTERS: Partial<Record<attendanceV1.ResolutionStatus, PunchView['resolutionStatus']>> = {
  [attendanceV1.ResolutionStatus.RESOLUTION_STATUS_RESOLVED]: 'resolved',
  [attendanceV1.ResolutionStatus.RESOLUTION_STATUS_UNRESOLVED]: 'unresolved',
};

export function toGrpcPunch(p: PunchView): attendanceV1.Punch {
  return {
    eventId: p.eventId,
    projectId: p.projectId,
    deviceId: p.deviceId,
    deviceRecordId: p.deviceRecordId,
    personId: p.personId,
    punchedAt: p.punchedAt,
    day: p.day,
    direction: DIRECTIONS[p.direction],
    verifyMode: p.verifyMode,
    receivedAt: p.receivedAt,
    sequence: p.sequence,
    workerId: p.workerId ?? '',
    workerName: p.workerName ?? '',
    teamName: p.teamName ?? '',
    corpName: p.corpName ?? '',
    resolutionStatus: STATUSES[p.resolutionStatus],
    unresolvedReason: p.unresolvedReason ?? '',
    enrolmentId: p.enrolmentId ?? '',
    teamId: p.teamId ?? '',
    participantId: p.participantId ?? '',
    workType: p.workType ?? '',
  };
}

/**
 * realname.attendance.v1.AttendanceService over gRPC; same answers, roles and scope as the REST API.
 * The RPCs take the caller from the metadata the guard checked and answer through `...In(scope, req)`.
 */
@Controller()
@UseGuards(ResourceServerGuard)
@attendanceV1.AttendanceServiceControllerMethods()
export class AttendanceGrpcController implements attendanceV1.AttendanceServiceController {
  constructor(private readonly punches: PunchQueries) {}

  @RequireRoles(...PUNCH_READERS)
  listPunches(
    req: attendanceV1.ListPunchesRequest,
    metadata?: Metadata,
  ): Promise<attendanceV1.ListPunchesResponse> {
    return this.listPunchesIn(callerOf(metadata!).scope, req);
  }

  @RequireRoles(...PUNCH_READERS)
  countPunchesPerDay(
    req: attendanceV1.CountPunchesPerDayRequest,
    metadata?: Metadata,
  ): Promise<attendanceV1.CountPunchesPerDayResponse> {
    return this.countPunchesPerDayIn(callerOf(metadata!).scope, req);
  }

  /** ListPunches within a scope (not an RPC itself: the RPC's scope is the token's). */
  async listPunchesIn(
    scope: CallerScope,
    req: attendanceV1.ListPunchesRequest,
  ): Promise<attendanceV1.ListPunchesResponse> {
    const page = await grpcQuery(() =>
      this.punches.listPunches(
        {
          projectId: req.projectId,
          day: req.day,
          personId: req.personId,
          resolution: resolutionFilter(req.resolution),
          pageSize: req.pageSize,
          pageToken: req.pageToken,
        },
        scope,
      ),
    );
    return {
      punches: page.punches.map(toGrpcPunch),
      nextPageToken: page.nextPageToken,
      totalCount: String(page.totalCount),
    };
  }

  /** CountPunchesPerDay within a scope (not an RPC itself). */
  async countPunchesPerDayIn(
    scope: CallerScope,
    req: attendanceV1.CountPunchesPerDayRequest,
  ): Promise<attendanceV1.CountPunchesPerDayResponse> {
    const days = await grpcQuery(() =>
      this.punches.countPerDay({ projectId: req.projectId, fromDay: req.fromDay, toDay: req.toDay }, scope),
    );
    return {
      days: days.map((d) => ({ day: d.day, punches: String(d.punches), persons: String(d.persons) })),
    };
  }
}

/** UNSPECIFIED (or absent) lists every punch; a value the service does not know is refused. */
function resolutionFilter(value: attendanceV1.ResolutionStatus | undefined): string | undefined {
  if (!value) return undefined;
  return FILTERS[value] ?? `unknown value ${value}`;
}
