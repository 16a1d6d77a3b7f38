import { Controller, UseGuards } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { AttendanceApi } from '@realname/contracts';
import { callerOf, CallerScope, RequireRoles, ResourceServerGuard } from '@realname/platform';
import { attendanceV1 } from '@realname/proto';
import { presenceGrpc } from './presence-errors';
import { PresenceQueries } from './presence-queries';
import { PRESENCE_READERS, REGION_PRESENCE_READERS } from './presence.rest';

function toGrpcPresence(
  p: AttendanceApi.ProjectKeyPersonnelPresence,
): attendanceV1.ProjectKeyPersonnelPresence {
  return {
    projectId: p.projectId,
    projectName: p.projectName ?? '',
    region: p.region,
    profileVersion: p.profileVersion,
    fromDay: p.from,
    toDay: p.to,
    presenceMinimum: p.presenceMinimum,
    keyPosts: p.keyPosts,
    persons: p.persons.map((k) => ({
      post: k.post,
      participantId: k.participantId,
      corpName: k.corpName ?? '',
      name: k.name,
      maskedIdNumber: k.maskedIdNumber,
      sinceDay: k.since,
      enrolled: k.enrolled,
      entered: k.entered,
      workingDays: k.workingDays,
      daysPresent: k.daysPresent,
      leaveDays: k.leaveDays,
      presenceRate: k.presenceRate ?? undefined,
      belowMinimum: k.belowMinimum,
    })),
  };
}

function toGrpcAbsences(p: AttendanceApi.ProjectAbsences): attendanceV1.ProjectAbsences {
  return {
    projectId: p.projectId,
    projectName: p.projectName ?? '',
    region: p.region,
    profileVersion: p.profileVersion,
    asOfDay: p.asOf,
    minDays: p.minDays,
    workers: p.workers.map((w) => ({
      enrolmentId: w.enrolmentId,
      workerId: w.workerId,
      name: w.name ?? '',
      maskedIdNumber: w.maskedIdNumber ?? '',
      teamId: w.teamId ?? '',
      teamName: w.teamName ?? '',
      participantId: w.participantId ?? '',
      corpName: w.corpName ?? '',
      enteredOnDay: w.enteredOn,
      lastPresentDay: w.lastPresent ?? '',
      absentSinceDay: w.absentSince,
      absentWorkingDays: w.absentWorkingDays,
      leaveDays: w.leaveDays,
    })),
  };
}

/**
 * realname.attendance.v1.AttendancePresenceService over gRPC; the same answers, roles and scope as the
 * REST API. The RPCs take the caller from the metadata the guard checked and answer through `...In`.
 */
@Controller()
@UseGuards(ResourceServerGuard)
@attendanceV1.AttendancePresenceServiceControllerMethods()
export class PresenceGrpcController implements attendanceV1.AttendancePresenceServiceController {
  constructor(private readonly presence: PresenceQueries) {}

  @RequireRoles(...PRESENCE_READERS)
  getProjectKeyPersonnelPresence(
    req: attendanceV1.GetProjectKeyPersonnelPresenceRequest,
    metadata?: Metadata,
  ): Promise<attendanceV1.GetProjectKeyPersonnelPresenceResponse> {
    return this.projectPresenceIn(callerOf(metadata!).scope, req);
  }

  @RequireRoles(...REGION_PRESENCE_READERS)
  getRegionKeyPersonnelPresence(
    req: attendanceV1.GetRegionKeyPersonnelPresenceRequest,
    metadata?: Metadata,
  ): Promise<attendanceV1.GetRegionKeyPersonnelPresenceResponse> {
    return this.regionPresenceIn(callerOf(metadata!).scope, req);
  }

  @RequireRoles(...PRESENCE_READERS)
  listProjectAbsences(
    req: attendanceV1.ListProjectAbsencesRequest,
    metadata?: Metadata,
  ): Promise<attendanceV1.ListProjectAbsencesResponse> {
    return this.projectAbsencesIn(callerOf(metadata!).scope, req);
  }

  @RequireRoles(...REGION_PRESENCE_READERS)
  listRegionAbsences(
    req: attendanceV1.ListRegionAbsencesRequest,
    metadata?: Metadata,
  ): Promise<attendanceV1.ListRegionAbsencesResponse> {
    return this.regionAbsencesIn(callerOf(metadata!).scope, req);
  }

  /** GetProjectKeyPersonnelPresence within a scope (not an RPC itself: the RPC's scope is the token's). */
  async projectPresenceIn(
    scope: CallerScope,
    req: attendanceV1.GetProjectKeyPersonnelPresenceRequest,
  ): Promise<attendanceV1.GetProjectKeyPersonnelPresenceResponse> {
    const p = await presenceGrpc(() =>
      this.presence.projectPresence({ projectId: req.projectId, from: req.fromDay, to: req.toDay }, scope),
    );
    return { presence: toGrpcPresence(p) };
  }

  /** GetRegionKeyPersonnelPresence within a scope (not an RPC itself). */
  async regionPresenceIn(
    scope: CallerScope,
    req: attendanceV1.GetRegionKeyPersonnelPresenceRequest,
  ): Promise<attendanceV1.GetRegionKeyPersonnelPresenceResponse> {
    const r = await presenceGrpc(() =>
      this.presence.regionPresence({ region: req.region, from: req.fromDay, to: req.toDay }, scope),
    );
    return { region: r.region, projects: r.projects.map(toGrpcPresence) };
  }

  /** ListProjectAbsences within a scope (not an RPC itself). */
  async projectAbsencesIn(
    scope: CallerScope,
    req: attendanceV1.ListProjectAbsencesRequest,
  ): Promise<attendanceV1.ListProjectAbsencesResponse> {
    const a = await presenceGrpc(() =>
      this.presence.projectAbsences(
        { projectId: req.projectId, asOf: req.asOfDay, minDays: req.minDays },
        scope,
      ),
    );
    return { absences: toGrpcAbsences(a) };
  }

  /** ListRegionAbsences within a scope (not an RPC itself). */
  async regionAbsencesIn(
    scope: CallerScope,
    req: attendanceV1.ListRegionAbsencesRequest,
  ): Promise<attendanceV1.ListRegionAbsencesResponse> {
    const r = await presenceGrpc(() =>
      this.presence.regionAbsences({ region: req.region, asOf: req.asOfDay, minDays: req.minDays }, scope),
    );
    return { region: r.region, projects: r.projects.map(toGrpcAbsences) };
  }
}
